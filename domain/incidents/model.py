"""The vocabulary of pupil online-safety incidents (docs/rules.md §2 and the seeds)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID


class Category(StrEnum):
    """Built-in categories; a trust may add its own (``Trust.add_incident_category``)."""

    CYBERBULLYING = "cyberbullying"
    ONLINE_ABUSE_DISCLOSURE = "online_abuse_disclosure"  # abuse, harassment or exploitation
    NUDES_SHARING = "nudes_sharing"  # youth-produced sexual imagery (UKCIS 2024)
    RADICALISATION = "radicalisation"
    ILLEGAL_CONTENT = "illegal_content"
    FILTERING_BREACH = "filtering_breach"  # or an attempt to circumvent the firewall
    INAPPROPRIATE_CONTENT = "inappropriate_content"
    UNDERAGE_SOCIAL_MEDIA = "underage_social_media"
    INAPPROPRIATE_CONTACT = "inappropriate_contact"  # pupil/parent contacting a staff account
    ONLINE_REFERENCES = "online_references"  # posts about the school, staff or pupils
    OTHER_BREACH = "other_breach"


class Part(StrEnum):
    PUPIL_HARMED = "pupil_harmed"
    PUPIL_ALLEGED = "pupil_alleged"  # alleged to have caused harm
    PUPIL_WITNESS = "pupil_witness"
    PARENT_CARER = "parent_carer"
    STAFF_MEMBER = "staff_member"


PUPIL_PARTS = frozenset({Part.PUPIL_HARMED, Part.PUPIL_ALLEGED, Part.PUPIL_WITNESS})


class Source(StrEnum):
    """How the concern reached the reporter."""

    STAFF_OBSERVATION = "staff_observation"
    PUPIL_DISCLOSURE = "pupil_disclosure"
    PARENT_DISCLOSURE = "parent_disclosure"
    OTHER = "other"


class Device(StrEnum):
    SCHOOL = "school"
    PERSONAL = "personal"
    UNKNOWN = "unknown"


class Risk(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    IMMEDIATE = "immediate"


class Status(StrEnum):
    REPORTED = "reported"
    TRIAGED = "triaged"
    CLOSED = "closed"
    REOPENED = "reopened"


class ActionKind(StrEnum):
    PARENTS_INFORMED = "parents_informed"
    PASTORAL_SUPPORT = "pastoral_support"
    SANCTION = "sanction"
    POLICE_CONTACTED = "police_contacted"
    POLICE_NOT_CONTACTED = "police_not_contacted"  # the decision and why (seed 001 §9.4)
    POLICE_OUTCOME = "police_outcome"  # e.g. Outcome 21
    LA_ADVICE_SOUGHT = "la_advice_sought"  # local authority education safeguarding service
    SOCIAL_CARE_REFERRAL = "social_care_referral"
    PLATFORM_REPORT = "platform_report"  # report or takedown request
    PARENT_MEETING = "parent_meeting"  # with a parent who breached the policy
    OFFICIAL_PAGE_RESTRICTION = "official_page_restriction"
    DEVICE_ACCESS_REMOVED = "device_access_removed"
    EVIDENCE_CAPTURED = "evidence_captured"
    IMAGERY_SEEN = "imagery_seen"  # nudes: who saw imagery, when, why; never the imagery


# Home Office crime outcome codes 1 to 22; Outcome 21: further investigation not in the public
# interest (used for youth-produced imagery).
POLICE_OUTCOME_CODES = frozenset(f"outcome_{n}" for n in range(1, 23))


@dataclass(frozen=True)
class Involvement:
    person_id: UUID
    part: Part

    def as_dict(self) -> dict[str, str]:
        return {"person_id": str(self.person_id), "part": self.part.value}

    @classmethod
    def of(cls, data: dict[str, str]) -> Involvement:
        return cls(UUID(data["person_id"]), Part(data["part"]))

"""The vocabulary of KCSIE Part four: allegations against staff, low-level concerns and staff
social-media records (docs/rules.md §3 to §5)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.shared.sealing import Sealed

# Free text recorded before it was sealed in the event (a reference, a responsibility, a
# platform) decodes as a plain ``str``: the view seals it when it reads such an event.
Text = Sealed | str


class AllegationSource(StrEnum):
    """From whom the allegation came."""

    PUPIL = "pupil"
    PARENT_CARER = "parent_carer"
    COLLEAGUE = "colleague"
    ANONYMOUS = "anonymous"
    EXTERNAL = "external"


class ReceivedVia(StrEnum):
    """How it reached the school."""

    IN_PERSON = "in_person"
    PHONE = "phone"
    EMAIL = "email"
    LETTER = "letter"
    ONLINE = "online"
    LOW_LEVEL_CONCERN_REVIEW = "low_level_concern_review"  # a pattern of concerns escalated
    OTHER = "other"


class AllegationCategory(StrEnum):
    """The categories LADO referral forms ask for (docs/rules.md §11)."""

    PHYSICAL = "physical"
    EMOTIONAL = "emotional"
    SEXUAL = "sexual"
    NEGLECT = "neglect"
    CONDUCT = "conduct"


class ChildRelationship(StrEnum):
    """How a child named on an allegation is concerned in it (LADO referral forms ask for the
    children: docs/rules.md §11)."""

    CONCERNED = "concerned"  # the child the allegation concerns: harmed, or who may have been
    WITNESS = "witness"
    OTHER = "other"


class YesNoNotKnown(StrEnum):
    """An answer a referral form asks for that may not be known yet."""

    YES = "yes"
    NO = "no"
    NOT_KNOWN = "not_known"


# The longest a place may be described in; other details may be as long as any free text.
MAX_LOCATION = 500
# The most children one allegation names.
MAX_CHILDREN = 50


@dataclass(frozen=True)
class HarmTests:
    """KCSIE para 356: any one of the four makes it an allegation; none, a low-level concern."""

    harmed_child: bool
    possible_offence: bool
    risk_of_harm: bool
    unsuitable: bool

    @property
    def any_met(self) -> bool:
        return self.harmed_child or self.possible_offence or self.risk_of_harm or self.unsuitable

    def as_dict(self) -> dict[str, bool]:
        return {
            "harmed_child": self.harmed_child,
            "possible_offence": self.possible_offence,
            "risk_of_harm": self.risk_of_harm,
            "unsuitable": self.unsuitable,
        }


class CaseManagerBasis(StrEnum):
    HEADTEACHER = "headteacher"
    TRUST_NAMED_PERSON = "trust_named_person"  # the subject is a headteacher
    OVERRIDE = "override"  # assigned with a recorded reason


class Outcome(StrEnum):
    """Exactly five (KCSIE Part four)."""

    SUBSTANTIATED = "substantiated"
    MALICIOUS = "malicious"
    FALSE = "false"
    UNSUBSTANTIATED = "unsubstantiated"
    UNFOUNDED = "unfounded"


# Removed from personnel records at once unless the subject consents to retention.
REMOVED_OUTCOMES = frozenset({Outcome.MALICIOUS, Outcome.FALSE})
# The only outcome a reference may mention.
CITABLE_OUTCOMES = frozenset({Outcome.SUBSTANTIATED})
RETENTION_YEARS = 10


class SuspensionDecision(StrEnum):
    """Suspension is never automatic: alternatives first, and the rationale recorded."""

    NOT_SUSPENDED = "not_suspended"
    REDEPLOYED = "redeployed"
    ALTERNATIVE_ARRANGEMENTS = "alternative_arrangements"
    SUSPENDED = "suspended"


class AllegationActionKind(StrEnum):
    IMMEDIATE_SOCIAL_CARE_REFERRAL = "immediate_social_care_referral"
    IMMEDIATE_POLICE_REFERRAL = "immediate_police_referral"
    CHILD_WELFARE_SUPPORT = "child_welfare_support"  # the DSL looks after the child
    LADO_WRITTEN_FOLLOW_UP = "lado_written_follow_up"
    INVESTIGATION_STARTED = "investigation_started"
    INVESTIGATION_CONCLUDED = "investigation_concluded"
    SUBJECT_INFORMED = "subject_informed"
    DBS_REFERRAL_CONSIDERED = "dbs_referral_considered"
    DBS_REFERRAL_MADE = "dbs_referral_made"
    TRA_REFERRAL_CONSIDERED = "tra_referral_considered"
    TRA_REFERRAL_MADE = "tra_referral_made"
    OTHER = "other"


class AllegationStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ConcernStatus(StrEnum):
    RAISED = "raised"
    REVIEWED = "reviewed"
    ESCALATED = "escalated"
    CLOSED = "closed"


class ContactFrom(StrEnum):
    PUPIL = "pupil"
    PARENT_CARER = "parent_carer"
    OTHER = "other"


class PresenceCheckOutcome(StrEnum):
    NO_CONCERNS = "no_concerns"
    ADVICE_GIVEN = "advice_given"
    CONCERNS_FOUND = "concerns_found"

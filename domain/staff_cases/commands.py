"""The staff cases commands: what a caller may ask for, as values. Each is handled by
the application method of the same name (``domain/staff_cases/handlers/``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from domain.lado.contents import Head
from domain.staff_cases.model import (
    HarmTests,
)


@dataclass(frozen=True)
class ConfigureStaffCases:
    trust_id: UUID
    headteacher_case_manager: str | None
    headteacher_case_manager_title: str | None
    lado_working_days: int = 1
    concern_threshold: int = 3


@dataclass(frozen=True)
class RecordPensionAge:
    staff_member_id: UUID
    reaches_on: date


@dataclass(frozen=True)
class ChildConcerned:
    """A pupil of the allegation's school, and how the allegation concerns them
    (``domain.staff_cases.model.ChildRelationship``)."""

    pupil_id: UUID
    relationship: str


@dataclass(frozen=True)
class AllegationDetails:
    """What LADO referral forms ask for beyond the description (docs/rules.md §11): the
    children concerned, where, whether there was more than one incident, whether it followed an
    authorised physical intervention, any injury, and who else was told. ``None`` is not
    given; the yes/no answers are ``domain.staff_cases.model.YesNoNotKnown`` values."""

    children: Sequence[ChildConcerned] | None = None
    location: str | None = None
    more_than_one_incident: str | None = None
    after_physical_intervention: str | None = None
    injury: str | None = None
    others_told: str | None = None


@dataclass(frozen=True)
class ReceiveAllegation:
    staff_member_id: UUID
    received_at: datetime
    source: str
    received_via: str
    description: str
    harm_tests: HarmTests
    outside_work: bool = False
    category: str | None = None
    record_as_low_level_concern: bool = False
    details: AllegationDetails = AllegationDetails()


@dataclass(frozen=True)
class RecordAllegationDetails:
    """Amend any of the details: each one given replaces what was recorded (children as a
    whole list); those not given stay as they are."""

    allegation_id: UUID
    details: AllegationDetails
    expected_version: int | None = None


@dataclass(frozen=True)
class RecordReferralExport:
    """An export of the case's referral evidence (docs/rules.md §13), recorded once its
    bundle's facts are fixed: ``expected_version`` is the allegation's version they were
    gathered at, so a change in between refuses the export rather than misstating it."""

    allegation_id: UUID
    export_id: UUID
    recipient: str
    fingerprint: str
    heads: Sequence[Head]
    expected_version: int


@dataclass(frozen=True)
class AttachAllegationEvidence:
    """A supporting document, as sent; its type is checked against its content."""

    allegation_id: UUID
    filename: str
    content_type: str
    content: bytes
    note: str | None = None


@dataclass(frozen=True)
class AssignCaseManager:
    allegation_id: UUID
    user_id: str
    reason: str


@dataclass(frozen=True)
class AddToCaseTeam:
    allegation_id: UUID
    user_id: str
    responsibility: str


@dataclass(frozen=True)
class RecordLadoConsultation:
    allegation_id: UUID
    consulted_at: datetime
    lado_name: str
    advice: str
    agreed_action: str
    reference: str | None = None


@dataclass(frozen=True)
class RecordAllegationAction:
    allegation_id: UUID
    kind: str
    taken_at: datetime
    decision: str
    rationale: str
    reference: str | None = None


@dataclass(frozen=True)
class RecordStrategyDiscussion:
    allegation_id: UUID
    held_at: datetime
    attendees: Sequence[str]
    decisions: str
    actions: str


@dataclass(frozen=True)
class RecordSuspensionDecision:
    allegation_id: UUID
    considered_at: datetime
    alternatives: str
    decision: str
    rationale: str


@dataclass(frozen=True)
class RecordAllegationOutcome:
    allegation_id: UUID
    outcome: str
    decided_at: datetime
    summary: str
    rationale: str
    expected_version: int | None = None


@dataclass(frozen=True)
class RecordReferenceDeclaration:
    allegation_id: UUID
    will_be_referred_to: bool
    declaration: str


@dataclass(frozen=True)
class RecordRetentionConsent:
    allegation_id: UUID
    consented_at: datetime
    method: str
    note: str | None = None


@dataclass(frozen=True)
class RecordLessonsLearnt:
    allegation_id: UUID
    lessons: str
    changes: str | None = None


@dataclass(frozen=True)
class CloseAllegation:
    allegation_id: UUID
    note: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class RaiseLowLevelConcern:
    """Any member of staff, about a colleague or about themselves (self-reporting)."""

    staff_member_id: UUID
    details: str
    context: str | None = None
    occurred_on: date | None = None
    withhold_name_from_subject: bool = False


@dataclass(frozen=True)
class ReviewLowLevelConcern:
    concern_id: UUID
    action_taken: str
    rationale: str


@dataclass(frozen=True)
class CloseLowLevelConcern:
    concern_id: UUID
    note: str | None = None


@dataclass(frozen=True)
class EscalateLowLevelConcerns:
    """A pattern of low-level concerns that meets the harm threshold becomes an allegation;
    each concern and the allegation refer to each other."""

    concern_ids: Sequence[UUID]
    description: str
    harm_tests: HarmTests
    outside_work: bool = False
    category: str | None = None


@dataclass(frozen=True)
class DeclareSocialMediaRelationship:
    staff_member_id: UUID
    platform: str
    relationship: str
    pupil_ids: Sequence[UUID] = ()


@dataclass(frozen=True)
class UpdateSocialMediaDeclaration:
    declaration_id: UUID
    circumstances: str
    ended: bool = False


@dataclass(frozen=True)
class RecordDeclarationAdvice:
    declaration_id: UUID
    advice: str
    decision: str


@dataclass(frozen=True)
class ReportContactAttempt:
    staff_member_id: UUID
    occurred_at: datetime
    platform: str
    contact_from: str
    description: str
    from_person_id: UUID | None = None
    response: str | None = None


@dataclass(frozen=True)
class RecordOnlinePresenceCheck:
    staff_member_id: UUID
    checked_at: datetime
    platforms: str
    outcome: str
    notes: str | None = None

"""The consent commands: what a caller may ask for, as values. Each is handled by
the application method of the same name (``domain/consent/handlers.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID


@dataclass(frozen=True)
class RecordCompetenceAssessment:
    pupil_id: UUID
    assessed_at: datetime
    competent: bool
    notes: str | None = None


@dataclass(frozen=True)
class Choice:
    """A decision for every combination of ``media`` and ``channels``."""

    media: Sequence[str]
    channels: Sequence[str]
    granted: bool


@dataclass(frozen=True)
class ConsentForm:
    """A consent form's decisions, for any combination of media and channels, from receipt;
    decided by the pupil (once assessed competent) or a person with parental responsibility."""

    pupil_id: UUID
    consenter_kind: str
    choices: Sequence[Choice]
    method: str
    reference: str
    statement_version: str
    received_at: datetime
    parent_carer_id: UUID | None = None


@dataclass(frozen=True)
class GiveConsent(ConsentForm):
    """A consent form: decisions for any combination of media and channels, from receipt."""


@dataclass(frozen=True)
class AmendConsent(ConsentForm):
    """A written change to some combinations, effective from receipt (needs an earlier form)."""


@dataclass(frozen=True)
class WithdrawConsent:
    """Withdraw consent for a subset, from receipt: earlier use stays lawful (Art 7(3))."""

    pupil_id: UUID
    consenter_kind: str
    media: Sequence[str]
    channels: Sequence[str]
    method: str
    reference: str
    received_at: datetime
    parent_carer_id: UUID | None = None


@dataclass(frozen=True)
class ConfirmConsentForYear:
    """The data lead confirms the pupil's record is up to date for an academic year."""

    pupil_id: UUID
    academic_year: str


@dataclass(frozen=True)
class OpenChannel:
    school_id: UUID
    kind: str
    platform: str
    account_name: str
    master_administrator_id: UUID
    purpose: str
    opened_on: date
    risk_assessment_approved_by: str
    risk_assessment_approver: str
    risk_assessment_approved_on: date
    mfa_enabled: bool


@dataclass(frozen=True)
class AuthorisePoster:
    channel_id: UUID
    staff_member_id: UUID
    effective_at: datetime | None = None


@dataclass(frozen=True)
class RevokePoster:
    channel_id: UUID
    staff_member_id: UUID
    effective_at: datetime | None = None


@dataclass(frozen=True)
class CloseChannel:
    channel_id: UUID
    closed_on: date
    reason: str | None = None


@dataclass(frozen=True)
class SetPublicationApproval:
    """Switch the two-person rule (seed 003): a colleague agrees each publication."""

    school_id: UUID
    required: bool


@dataclass(frozen=True)
class RecordPublication:
    """Record a post. Refused if any pupil shown identifiably lacks consent at that instant,
    if the poster was not authorised on the channel then, or if the channel was closed."""

    channel_id: UUID
    posted_at: datetime
    media: Sequence[str]
    pupil_ids: Sequence[UUID]
    identifiable: bool
    caption_names_anyone: bool
    posted_by_id: UUID | None = None
    description: str | None = None
    link: str | None = None


@dataclass(frozen=True)
class ApprovePublication:
    """The second colleague of the two-person rule agrees a publication."""

    publication_id: UUID


@dataclass(frozen=True)
class RecordTakedown:
    publication_id: UUID
    outcome: str
    done_at: datetime
    reason: str | None = None

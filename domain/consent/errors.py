"""Why a consent command is refused: each refusal has its own stable code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.consent.model import ConsentStatus
from domain.shared.errors import DomainError, ValidationFailed


class NoParentalResponsibility(ValidationFailed):
    code = "NO_PARENTAL_RESPONSIBILITY"


class CompetenceNotAssessed(ValidationFailed):
    code = "COMPETENCE_NOT_ASSESSED"


class PupilNotCompetent(ValidationFailed):
    code = "PUPIL_NOT_COMPETENT"


class ConsentNotGiven(ValidationFailed):
    code = "CONSENT_NOT_GIVEN"


class NoConsentRecord(ValidationFailed):
    code = "NO_CONSENT_RECORD"


class PupilLeft(ValidationFailed):
    code = "PUPIL_LEFT"


class ChannelClosed(ValidationFailed):
    code = "CHANNEL_CLOSED"


class PostedBeforeChannelOpened(ValidationFailed):
    code = "POSTED_BEFORE_CHANNEL_OPENED"


class PosterNotAuthorised(ValidationFailed):
    code = "POSTER_NOT_AUTHORISED"


class SelfApproval(ValidationFailed):
    code = "SELF_APPROVAL"


class NoTakedownPending(ValidationFailed):
    code = "NO_TAKEDOWN_PENDING"


@dataclass(frozen=True)
class Missing:
    """One pupil, medium and channel without consent at the instant of posting."""

    pupil_id: UUID
    medium: str
    channel: str
    status: ConsentStatus


class ConsentMissing(DomainError):
    """A publication would show pupils identifiably without consent; every gap is listed."""

    code = "CONSENT_MISSING"

    def __init__(self, missing: list[Missing], posted_at: datetime) -> None:
        gaps = "; ".join(f"{m.pupil_id} {m.medium} on {m.channel}: {m.status}" for m in missing)
        super().__init__(
            f"consent is missing at {posted_at.isoformat()} for {len(missing)} pupil, medium and "
            f"channel combination(s) ({gaps}); pseudonymise (e.g. blur) the image or leave them out"
        )
        self.missing = missing
        self.posted_at = posted_at

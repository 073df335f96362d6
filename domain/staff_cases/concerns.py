"""A low-level concern about a member of staff: raised, reviewed, then closed or escalated.

Each concern has its own data key, like an allegation.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import event

from domain.shared.aggregate import CaseworkAggregate
from domain.shared.errors import ValidationFailed
from domain.shared.sealing import Sealed
from domain.staff_cases.errors import CaseClosed
from domain.staff_cases.former_topics import register_former_topics
from domain.staff_cases.model import ConcernStatus


class LowLevelConcern(CaseworkAggregate):
    record_type = "low_level_concern"

    @property
    def subject_ids(self) -> frozenset[UUID]:
        return frozenset({self.subject_id})

    class Raised(CaseworkAggregate.Created):
        subject_id: UUID
        subject_user_id: str | None
        self_reported: bool
        withhold_name_from_subject: bool
        occurred_on: date | None
        details: Sealed
        context: Sealed | None
        recipient: str
        recipient_basis: str
        screening: dict[str, object] | None  # when it came in as an allegation, below threshold

    class Reviewed(CaseworkAggregate.Event):
        reviewed_at: datetime
        action_taken: Sealed
        rationale: Sealed

    class Escalated(CaseworkAggregate.Event):
        allegation_id: UUID

    class Closed(CaseworkAggregate.Event):
        note: Sealed | None

    @event(Raised)
    def __init__(
        self,
        id: UUID,
        trust_id: UUID,
        school_id: UUID | None,
        subject_id: UUID,
        subject_user_id: str | None,
        self_reported: bool,
        withhold_name_from_subject: bool,
        occurred_on: date | None,
        details: Sealed,
        context: Sealed | None,
        recipient: str,
        recipient_basis: str,
        screening: dict[str, object] | None,
    ) -> None:
        self.trust_id = trust_id
        self.school_id = school_id
        self.subject_id = subject_id
        self.subject_user_id = subject_user_id
        self.recipient = recipient
        self.status = ConcernStatus.RAISED
        self.escalated_to: UUID | None = None

    @property
    def members(self) -> frozenset[str]:
        return frozenset({self.recipient})

    def review(self, reviewed_at: datetime, action_taken: Sealed, rationale: Sealed) -> None:
        if self.status in (ConcernStatus.CLOSED, ConcernStatus.ESCALATED):
            raise CaseClosed("concernId")
        self._reviewed(reviewed_at=reviewed_at, action_taken=action_taken, rationale=rationale)

    @event(Reviewed)
    def _reviewed(self, reviewed_at: datetime, action_taken: Sealed, rationale: Sealed) -> None:
        self.status = ConcernStatus.REVIEWED

    def escalate(self, allegation_id: UUID) -> None:
        if self.escalated_to is not None:
            raise ValidationFailed(
                "concernIds", f"concern {self.id} was already escalated to {self.escalated_to}"
            )
        self._escalated(allegation_id=allegation_id)

    @event(Escalated)
    def _escalated(self, allegation_id: UUID) -> None:
        self.escalated_to = allegation_id
        self.status = ConcernStatus.ESCALATED

    def close(self, note: Sealed | None) -> None:
        if self.status is ConcernStatus.RAISED:
            raise ValidationFailed("concernId", "review the concern before closing it")
        if self.status is not ConcernStatus.REVIEWED:
            raise CaseClosed("concernId")
        self._closed(note=note)

    @event(Closed)
    def _closed(self, note: Sealed | None) -> None:
        self.status = ConcernStatus.CLOSED


register_former_topics(LowLevelConcern)

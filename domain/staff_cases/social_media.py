"""A member of staff's social-media records: declared relationships, contact attempts and online
presence checks. Their free text is sealed with the member of staff's key."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.shared.aggregate import CaseworkAggregate, guarded
from domain.shared.errors import ValidationFailed
from domain.shared.sealing import Sealed
from domain.staff_cases.former_topics import register_former_topics
from domain.staff_cases.model import Text


class SocialMediaDeclaration(CaseworkAggregate):
    """A member of staff's pre-existing relationship with pupils or their families on personal
    social media; the advice given and the decision, updated when circumstances change."""

    record_type = "social_media_declaration"

    @property
    def subject_ids(self) -> frozenset[UUID]:
        return frozenset({self.staff_id})

    class Declared(CaseworkAggregate.Created):
        staff_id: UUID
        declared_at: datetime
        platform: Text
        relationship: Sealed
        pupil_ids: list[UUID]
        self_declared: bool

    class Updated(CaseworkAggregate.Event):
        staff_id: UUID
        changed_at: datetime
        circumstances: Sealed
        ended: bool

    class AdviceRecorded(CaseworkAggregate.Event):
        staff_id: UUID
        advised_at: datetime
        advice: Sealed
        decision: Sealed

    @event(Declared)
    def __init__(
        self,
        id: UUID,
        trust_id: UUID,
        school_id: UUID | None,
        staff_id: UUID,
        declared_at: datetime,
        platform: Sealed,
        relationship: Sealed,
        pupil_ids: list[UUID],
        self_declared: bool,
    ) -> None:
        self.trust_id = trust_id
        self.school_id = school_id
        self.staff_id = staff_id
        self.ended = False

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        """Every event names the member of staff, so views need no look-up to find them."""
        kwargs.setdefault("staff_id", self.staff_id)
        super().trigger_event(event_class, **kwargs)

    def _still_current(self) -> None:
        if self.ended:
            raise ValidationFailed("declarationId", "this relationship was declared ended")

    @event(Updated)
    def _updated(self, changed_at: datetime, circumstances: Sealed, ended: bool) -> None:
        self.ended = ended

    update = guarded(_still_current, _updated)

    @event(AdviceRecorded)
    def advise(self, advised_at: datetime, advice: Sealed, decision: Sealed) -> None:
        pass


class ContactAttempt(CaseworkAggregate):
    """A pupil or parent tried to reach a member of staff's personal account."""

    class Reported(CaseworkAggregate.Created):
        staff_id: UUID
        occurred_at: datetime
        platform: Text
        contact_from: str
        from_person_id: UUID | None
        description: Sealed
        response: Sealed | None

    @event(Reported)
    def __init__(
        self,
        id: UUID,
        trust_id: UUID,
        school_id: UUID | None,
        staff_id: UUID,
        occurred_at: datetime,
        platform: Sealed,
        contact_from: str,
        from_person_id: UUID | None,
        description: Sealed,
        response: Sealed | None,
    ) -> None:
        self.trust_id = trust_id
        self.school_id = school_id
        self.staff_id = staff_id


class PresenceCheck(CaseworkAggregate):
    """An online presence check of a member of staff, governor or volunteer, and its outcome."""

    class Recorded(CaseworkAggregate.Created):
        staff_id: UUID
        checked_at: datetime
        platforms: Text
        outcome: str
        notes: Sealed | None

    @event(Recorded)
    def __init__(
        self,
        id: UUID,
        trust_id: UUID,
        school_id: UUID | None,
        staff_id: UUID,
        checked_at: datetime,
        platforms: Sealed,
        outcome: str,
        notes: Sealed | None,
    ) -> None:
        self.trust_id = trust_id
        self.school_id = school_id
        self.staff_id = staff_id


register_former_topics(SocialMediaDeclaration, ContactAttempt, PresenceCheck)

"""Retention on the record (docs/rules.md §9): a trust's configuration of its rules, the DPO's
review decisions on a record, and legal holds. Each change is an event."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from domain.shared.aggregate import CaseworkAggregate
from domain.shared.errors import ValidationFailed
from domain.shared.sealing import Sealed


class RetentionConfiguration(CaseworkAggregate):
    """One per trust (``rules.configuration_id``): its retention rules' numbers. Each reason is
    sealed with this record's own key."""

    class Started(CaseworkAggregate.Created):
        pass

    class RuleConfigured(CaseworkAggregate.Event):
        rule: str
        value: int
        reason: Sealed

    @event(Started)
    def __init__(self, id: UUID, trust_id: UUID, school_id: None = None) -> None:
        self.trust_id = trust_id
        self.school_id = None
        self.values: dict[str, int] = {}

    def configure(self, rule: str, value: int, reason: Sealed) -> None:
        if self.values.get(rule) == value:
            raise ValidationFailed("value", f"{rule} is already {value}")
        self._configured(rule=rule, value=value, reason=reason)

    @event(RuleConfigured)
    def _configured(self, rule: str, value: int, reason: Sealed) -> None:
        self.values[rule] = value


class RetentionReview(CaseworkAggregate):
    """The review decisions on one record (``rules.review_id``). Reasons are sealed with the
    record's own data key, so they go when the record is erased."""

    record_type = "retention_review"

    class Opened(CaseworkAggregate.Created):
        reviewed_type: str
        record_id: UUID

    class Decided(CaseworkAggregate.Event):
        reviewed_type: str
        record_id: UUID
        decision: str
        keep_until: date | None
        reason: Sealed

    @event(Opened)
    def __init__(
        self,
        id: UUID,
        reviewed_type: str,
        record_id: UUID,
        trust_id: UUID,
        school_id: UUID | None,
    ) -> None:
        self.reviewed_type = reviewed_type
        self.record_id = record_id
        self.trust_id = trust_id
        self.school_id = school_id
        self.decision: str | None = None
        self.keep_until: date | None = None

    def decide(self, decision: str, keep_until: date | None, reason: Sealed) -> None:
        self._decided(
            reviewed_type=self.reviewed_type,
            record_id=self.record_id,
            decision=decision,
            keep_until=keep_until,
            reason=reason,
        )

    @event(Decided)
    def _decided(
        self,
        reviewed_type: str,
        record_id: UUID,
        decision: str,
        keep_until: date | None,
        reason: Sealed,
    ) -> None:
        self.decision = decision
        self.keep_until = keep_until


class LegalHold(CaseworkAggregate):
    """A legal hold (random id): on a record, a person or a whole school. While it is placed,
    nothing it covers is erased, whatever the schedule says."""

    record_type = "legal_hold"

    class Placed(CaseworkAggregate.Created):
        scope: str
        target_id: UUID
        authority: str
        reason: Sealed  # with the hold's own key
        about: list[UUID]  # the people the held record is about: never theirs to lift

    class Lifted(CaseworkAggregate.Event):
        reason: Sealed

    @event(Placed)
    def __init__(
        self,
        id: UUID,
        scope: str,
        target_id: UUID,
        authority: str,
        reason: Sealed,
        about: list[UUID],
        trust_id: UUID,
        school_id: UUID | None,
    ) -> None:
        self.scope = scope
        self.about = frozenset(about)
        self.target_id = target_id
        self.authority = authority
        self.trust_id = trust_id
        self.school_id = school_id
        self.lifted = False

    @property
    def subject_ids(self) -> frozenset[UUID]:
        return self.about

    def lift(self, reason: Sealed) -> None:
        if self.lifted:
            raise ValidationFailed("holdId", "this legal hold has already been lifted")
        self._lifted(reason=reason)

    @event(Lifted)
    def _lifted(self, reason: Sealed) -> None:
        self.lifted = True

"""An erasure: what a DPO asked to destroy, who approved it, and what was destroyed.

An erasure is a record of its own. ``Requested`` lists exactly the records to erase, each with
the rule that made it due and the data keys erasing it destroys; ``CarriedOut`` is recorded by a
second approver, in the same transaction that destroys those keys. From then on every sealed
field of those records reads as erased, and every view purges its copies on ``CarriedOut``:
sealed values of the destroyed keys, the rows that belong only to the erased records, and every
blind index listed in ``blind_indexes`` (the erased people's logins). What remains of an erased
record is its skeleton (event types, times, actors' roles) and this entry.

Free text the erasure itself holds (its reason, the recipients of exports already sent) is sealed
with the erasure's own data key, which no erasure destroys.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.shared.aggregate import CaseworkAggregate
from domain.shared.sealing import Sealed


class Erasure(CaseworkAggregate):
    """One request to erase records of one trust, and its outcome."""

    class Requested(CaseworkAggregate.Created):
        # Each record: {"record_type", "record_id", "school_id" (or None), "rule", "source",
        # "due_on" (ISO date or None)}, as the retention schedule gave it when asked.
        records: list[dict[str, Any]]
        subject_ids: list[UUID]  # the data keys carrying it out destroys
        reason: Sealed  # with the erasure's own key

    class CarriedOut(CaseworkAggregate.Event):
        # The actor is the approver (never the requester). Views purge on this event.
        subject_ids: list[UUID]  # the data keys destroyed
        record_ids: list[UUID]  # the erased records (rows that belong only to them go)
        blind_indexes: list[str]  # hex: blind indexes of erased logins, removed from every view
        # LADO exports already sent, which no erasure can recall: {"allegation_id",
        # "export_id", "exported_at" (ISO), "fingerprint", "recipient" (sealed with the
        # erasure's key, base64)}.
        exports: list[dict[str, Any]]

    class Cancelled(CaseworkAggregate.Event):
        reason: Sealed

    @event(Requested)
    def __init__(
        self,
        id: UUID,
        trust_id: UUID,
        school_id: UUID | None,
        records: list[dict[str, Any]],
        subject_ids: list[UUID],
        reason: Sealed,
        actor: str,
    ) -> None:
        self.requested_by = actor
        self.trust_id = trust_id
        self.school_id = school_id
        self.records = records
        self.key_ids = subject_ids
        self.reason = reason
        self.carried_out = False
        self.cancelled = False

    @property
    def about(self) -> frozenset[UUID]:
        """The people the records are about: the erasure is never theirs to see or settle."""
        return frozenset(UUID(str(a)) for r in self.records for a in r.get("about", ()))

    @property
    def record_ids(self) -> list[UUID]:
        return [UUID(str(r["record_id"])) for r in self.records]

    @event(CarriedOut)
    def _carried_out(
        self,
        subject_ids: list[UUID],
        record_ids: list[UUID],
        blind_indexes: list[str],
        exports: list[dict[str, Any]],
        actor: str,
    ) -> None:
        self.carried_out = True
        self.approved_by = actor

    @event(Cancelled)
    def _cancelled(self, reason: Sealed, actor: str) -> None:
        self.cancelled = True

"""The retention commands: what a caller may ask for, as values. Each is handled by the
application method of the same name (``domain/retention/handlers.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID


@dataclass(frozen=True)
class ConfigureRetention:
    """Set one rule's number for a trust (``domain.retention.rules.BOUNDS``), with why."""

    trust_id: UUID
    rule: str
    value: int
    reason: str


@dataclass(frozen=True)
class RecordRetentionReview:
    """A DPO's review of a record: ``destroy``, or ``keep`` until ``keep_until`` (after today)."""

    record_type: str
    record_id: UUID
    decision: str
    reason: str
    keep_until: date | None = None


@dataclass(frozen=True)
class PlaceLegalHold:
    """A hold on a record, a person (a pupil or a member of staff) or a school."""

    scope: str
    target_id: UUID
    authority: str
    reason: str


@dataclass(frozen=True)
class LiftLegalHold:
    hold_id: UUID
    reason: str

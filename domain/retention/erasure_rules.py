"""What an erasure may destroy, and who may carry it out: pure functions of plain values.

A request lists records the retention schedule gave as erasable at the moment it was asked; it is
carried out only by a second person, never the requester, who holds the DPO role or a trust-wide
role reaching the erasure's trust (or school), and only for records still erasable then: a legal
hold placed, or a review decision recorded, between the request and its approval stops it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.retention.rules import BlockerKind
from domain.shared.errors import ValidationFailed
from domain.shared.policy import Principal, Role, Target

# A request names at most this many records: an erasure a DPO can read through before approving.
MAX_RECORDS = 500
HOLD = BlockerKind.LEGAL_HOLD
ALLEGATION = "allegation"


@dataclass(frozen=True)
class Candidate:
    """A record as the retention schedule gives it, with what blocks its erasure now."""

    record_type: str
    record_id: UUID
    school_id: UUID | None
    rule: str
    source: str
    due_on: date | None
    subject_ids: tuple[UUID, ...]  # the data keys erasing it destroys
    blind_indexes: tuple[bytes, ...]  # the erased logins' blind indexes
    blockers: tuple[tuple[str, str], ...]  # (kind, a sentence): empty when erasable now
    about: frozenset[UUID] = frozenset()  # the people the record is about

    def as_requested(self) -> dict[str, object]:
        return {
            "record_type": self.record_type,
            "record_id": str(self.record_id),
            "school_id": None if self.school_id is None else str(self.school_id),
            "rule": self.rule,
            "source": self.source,
            "due_on": None if self.due_on is None else self.due_on.isoformat(),
            "about": sorted(str(a) for a in self.about),
        }


class RecordHeld(ValidationFailed):
    """A legal hold covers a record asked to be erased: nothing is erased."""

    code = "LEGAL_HOLD"

    def __init__(self, record_id: UUID, why: str) -> None:
        super().__init__("recordIds", f"{record_id} is under a legal hold: {why}")
        self.record_id = record_id


class NotErasable(ValidationFailed):
    """A record asked to be erased is not erasable now (not due, or awaiting review)."""

    code = "NOT_ERASABLE"

    def __init__(self, record_id: UUID, why: str) -> None:
        super().__init__("recordIds", f"{record_id} cannot be erased now: {why}")
        self.record_id = record_id


class SecondApproverRequired(ValidationFailed):
    """The requester tried to approve their own erasure."""

    code = "SECOND_APPROVER_REQUIRED"

    def __init__(self) -> None:
        super().__init__(
            "erasureId", "an erasure is approved by a second person, not the one who asked for it"
        )


class ErasureSettled(ValidationFailed):
    """The erasure was already carried out or cancelled."""

    code = "ERASURE_SETTLED"

    def __init__(self, state: str) -> None:
        super().__init__("erasureId", f"this erasure was already {state}")


def checked_record_ids(record_ids: Sequence[UUID]) -> tuple[UUID, ...]:
    """The records named, each once, in the order given; refused if none or too many."""
    unique = tuple(dict.fromkeys(record_ids))
    if not unique:
        raise ValidationFailed("recordIds", "name at least one record to erase")
    if len(unique) > MAX_RECORDS:
        raise ValidationFailed("recordIds", f"at most {MAX_RECORDS} records per erasure")
    return unique


def refuse_blocked(candidates: Sequence[Candidate]) -> None:
    """Refuse the first record a hold covers (before any other blocker: a hold is what the DPO
    must hear of), then the first that is otherwise not erasable."""
    for candidate in candidates:
        for kind, why in candidate.blockers:
            if kind == HOLD:
                raise RecordHeld(candidate.record_id, why)
    for candidate in candidates:
        if candidate.blockers:
            raise NotErasable(candidate.record_id, candidate.blockers[0][1])


def keys_to_destroy(candidates: Sequence[Candidate]) -> list[UUID]:
    """Every data key the records' erasure destroys, each once, in the records' order."""
    return list(dict.fromkeys(s for c in candidates for s in c.subject_ids))


def may_approve(principal: Principal, target: Target) -> bool:
    """A DPO reaching the target, or anyone holding a trust-wide role in its trust."""
    return any(
        grant.reaches(target) and (grant.role is Role.DPO or grant.school_id is None)
        for grant in principal.grants
    ) and not (target.subject_ids & principal.subject_of)

"""What an audit finds: the kinds of failure and the first failure, raised at once."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """What the first failure is: the names ``ledger_verifications.failure_kind`` holds."""

    ALTERED = "altered"  # a row's bytes, topic or ids differ from what the log committed to
    REMOVED = "removed"  # the log names a position that has no row
    INSERTED = "inserted"  # a row at or below the log's head position that no leaf names
    LEDGER_ALTERED = "ledger-altered"  # an entry, a tile or the head no longer fits the rows
    CHECKPOINT = "checkpoint"  # a stored checkpoint's root or log signature does not hold
    WITNESS_INCONSISTENT = "witness-inconsistent"  # a witness cosigned a root the tree lacks


@dataclass(frozen=True)
class Failure:
    kind: Kind
    position: int | None  # the event position it concerns (None: no position names it)
    what: str  # for the operator: positions, sizes and hashes, never a field's value


class Found(Exception):
    """Raised inside the audit at the first failure; the run stops there."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.what)
        self.failure = failure


def fail(kind: Kind, position: int | None, what: str) -> Found:
    return Found(Failure(kind, position, what))

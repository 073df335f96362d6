"""A client's idempotency key, carried to the event store with the command it keys.

The request layer names the claim (who asks, a blind index of their key, a keyed digest of the
request); the first save a command makes writes it in the same transaction as its events, so a
crash can never separate a recorded change from the key that recorded it. A second save of the
same claim, by a duplicate sent at the same time, is refused by the database and appends
nothing (:class:`RequestAlreadyRecorded`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class Claim:
    user_ix: bytes
    key_ix: bytes
    request_ix: bytes
    # Set once the claim has been written with a command's events.
    recorded: bool = False


class RequestAlreadyRecorded(Exception):
    """Another request with the same idempotency key recorded its change first."""

    def __init__(self) -> None:
        super().__init__("a request with this idempotency key has already been recorded")


_current: ContextVar[Claim | None] = ContextVar("casework_idempotency_claim", default=None)


def current_claim() -> Claim | None:
    return _current.get()


@contextmanager
def claiming(claim: Claim | None) -> Iterator[Claim | None]:
    token = _current.set(claim)
    try:
        yield claim
    finally:
        _current.reset(token)

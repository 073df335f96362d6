"""The domain's one clock: what "now" is to a command, a rule and an event's timestamp.

Commands and rules never read the wall clock themselves; they call :func:`now`. A tool that
writes history (the data-set generator) runs its commands under :func:`running_at`, so a
command's checks ("not in the future", "on roll on that day") and its events' timestamps agree
with the simulated time. The override is per thread (a context variable): a server's requests
always read the wall clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_source: ContextVar[Callable[[], datetime] | None] = ContextVar("casework_clock", default=None)


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    source = _source.get()
    return datetime.now(UTC) if source is None else source()


@contextmanager
def running_at(source: Callable[[], datetime]) -> Iterator[None]:
    """Run the block with ``source`` as the clock (it is asked afresh each time)."""
    token = _source.set(source)
    try:
        yield
    finally:
        _source.reset(token)

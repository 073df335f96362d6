"""How many requests run their Python at once in this process.

The API's threads share one interpreter lock. When more of them run at once than the process
has CPU to give, they do not finish sooner: they take the lock from each other around every wait
for PostgreSQL, which costs CPU of its own, and a request that loses the lock often waits far
longer than the rest (the slowest requests get slower). So a request holds one of a few *slots*
while it runs; the others wait for a slot, in a queue, using no CPU.

A request that waits for the views to catch up (``minPosition``) does so before it takes a slot,
on the event loop (``api.graphql.execution``), so that it holds up nobody.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class ExecutionSlots:
    """At most ``size`` requests hold a slot at once; a thread holds at most one."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("there must be at least one slot")
        self._free = threading.Semaphore(size)
        self._holding = threading.local()

    def _holds(self) -> bool:
        return bool(getattr(self._holding, "slot", False))

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold a slot for the block (waiting for one if none is free)."""
        if self._holds():  # already held by this thread, for an outer block
            yield
            return
        self._free.acquire()
        self._holding.slot = True
        try:
            yield
        finally:
            self._holding.slot = False
            self._free.release()

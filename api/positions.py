"""Read-your-writes: whether the views include a position, and waiting for them to.

A request that passes ``minPosition`` waits before it runs, on the event loop, holding neither a
thread nor an execution slot (``api.graphql.execution``): one watch per process reads the views'
positions for every waiting request at once, every 10 ms and only while some request waits.
The request has one deadline, however many of its fields wait. A position beyond the event
store's head has not been written, so no wait would reach it: it is refused at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from anyio import to_thread


class PositionNotReached(Exception):
    """The read models did not reach the requested position within the bound."""

    code = "POSITION_NOT_REACHED"


class PositionBeyondHead(PositionNotReached):
    """The requested position is past the last event written: nothing will ever reach it."""

    code = "POSITION_BEYOND_HEAD"


def includes(reached: Mapping[str, int], view_names: Collection[str], position: int) -> bool:
    """Whether every named view has applied ``position``."""
    return all(reached.get(name, 0) >= position for name in view_names)


@dataclass(frozen=True)
class ViewPositions:
    """The event store's head and the views' positions, as read at one moment."""

    head: int
    views: Mapping[str, int]

    def require(self, view_names: Collection[str], position: int) -> None:
        if position > self.head:
            raise PositionBeyondHead(
                f"position {position} is beyond the last event written ({self.head})"
            )
        if not includes(self.views, view_names, position):
            raise PositionNotReached(
                f"views {', '.join(view_names)} have not reached position {position} yet"
            )


@dataclass(frozen=True)
class Wanted:
    """A field's ``minPosition``: the views it reads must include ``position``."""

    views: tuple[str, ...]
    position: int


class PositionWatch:
    """Waits, on the event loop, for the views to reach positions. ``read_now`` (the head and
    the views' positions) and ``read_views`` (the views' positions) are blocking reads, run in a
    worker thread for the moment they take."""

    def __init__(
        self,
        read_now: Callable[[], ViewPositions],
        read_views: Callable[[], Mapping[str, int]],
        poll_seconds: float = 0.01,
    ) -> None:
        self._read_now = read_now
        self._read_views = read_views
        self._poll = poll_seconds
        self._next: asyncio.Future[Mapping[str, int]] | None = None
        self._poller: asyncio.Task[None] | None = None
        self.waiting = 0  # requests waiting now

    async def reach(self, wanted: Collection[Wanted], deadline: float) -> ViewPositions:
        """The positions once every wanted position is reached, or as they stand at the
        deadline; a position beyond the head is not waited for."""
        now = await to_thread.run_sync(self._read_now)
        pending = [
            w
            for w in wanted
            if w.position <= now.head and not includes(now.views, w.views, w.position)
        ]
        if not pending:
            return now
        self.waiting += 1
        try:
            views = now.views
            while pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    views = await asyncio.wait_for(asyncio.shield(self._reading()), remaining)
                except TimeoutError:
                    break
                pending = [w for w in pending if not includes(views, w.views, w.position)]
            return ViewPositions(now.head, views)
        finally:
            self.waiting -= 1

    def _reading(self) -> asyncio.Future[Mapping[str, int]]:
        """The next reading of the views' positions, shared by every request waiting for it."""
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
            if self._poller is None or self._poller.done():
                self._poller = asyncio.create_task(self._read_while_waited_for())
        return self._next

    async def _read_while_waited_for(self) -> None:
        while self._next is not None:
            await asyncio.sleep(self._poll)
            answering, self._next = self._next, None
            try:
                reading = await to_thread.run_sync(self._read_views)
            except Exception as error:
                answering.set_exception(error)  # every request waiting for it raises it
                answering.exception()  # (and none need be left waiting for it)
            else:
                answering.set_result(reading)

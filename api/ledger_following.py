"""Whether the ledger's integrator follows the store live, looked at every second by the
writer's process on a connection of its pool (``domain/ledger/following.py`` says what counts),
and given to the application as ``ledger_follows``: while it does, the writer leaves the field
digests to the integrator (docs/rules.md §12.6). Started and stopped with the service
(``api.http``); a look that fails counts as not live until the next one succeeds."""

from __future__ import annotations

import logging
import threading

from psycopg import Connection
from psycopg.rows import DictRow
from psycopg_pool import ConnectionPool

from domain.ledger.following import FOLLOW_POLL_SECONDS, follows
from projections.ledger.integrator import LedgerView
from projections.view import TRACKING_TABLE

log = logging.getLogger("casework.ledger")

LOOK = (
    f"SELECT (SELECT notification_id FROM {TRACKING_TABLE} WHERE application_name = %s) "
    "AS position, (SELECT coalesce(max(notification_id), 0) FROM casework_events) AS head"
)


class LedgerFollowing:
    """Call it: True while the ledger was seen following the store at the last look."""

    def __init__(
        self,
        pool: ConnectionPool[Connection[DictRow]],
        interval: float = FOLLOW_POLL_SECONDS,
    ) -> None:
        self.pool, self.interval = pool, interval
        self._live = False
        self._head: int | None = None  # the store's head at the last look
        self._failing = False
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self) -> bool:
        return self._live

    def look(self) -> bool:
        """Look once: the ledger's position now against the head at the look before."""
        try:
            with self.pool.connection() as conn:
                row = conn.execute(LOOK, (LedgerView.name,)).fetchone()
        except Exception as error:  # the database is away: not live until seen again
            if not self._failing:
                log.warning("cannot tell whether the ledger follows: %s", type(error).__name__)
            self._failing, self._live, self._head = True, False, None
            return False
        self._failing = False
        position = None if row is None else row["position"]
        self._live = follows(position, self._head)
        self._head = None if row is None else int(row["head"])
        return self._live

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="ledger-following", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._live, self._head = False, None

    def _run(self) -> None:
        while not self._stopping.is_set():
            self.look()
            self._stopping.wait(self.interval)

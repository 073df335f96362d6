"""``/readyz``: whether this process can serve, answered within a second, outage or not.

The probe has its own connection, apart from the pools requests use, so it never waits behind
them; it connects with a short timeout, runs its statements under a statement timeout, and the
whole probe is bounded on the event loop: whatever the database does, the answer comes within
``TIMEOUT_SECONDS``, and it is 503 unless the database answered, this process's keys open the
store, and no view is failed or too far behind. A connection the server closed (a restart) is
replaced at once, within the same probe.

"Too far behind" is two bounds, both named in the body (``bound``):
- every view within ``CASEWORK_READY_MAX_LAG_EVENTS`` events of the store's head, always; and
- once per process, every view at or past ``startPosition``, the head when the process started
  (read at start-up, or at the first probe that reaches the database if start-up could not).
  Until then the process is not ready, so that `casework seed demo && casework serve` is not
  reported ready while its views are still empty. Once all views have reached it the bound is
  met for good: a later rebuild, or a burst of writes, is judged by the lag bound alone.

A ready process may still serve views a few events behind a write: the way to read one's own
write is ``minPosition`` (the position a mutation, or `casework seed demo`, gave).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
import psycopg
from anyio import to_thread
from psycopg.rows import DictRow, dict_row

from api.metrics import ViewStatus, read_view_statuses

log = logging.getLogger("casework.http")

TIMEOUT_SECONDS = 0.8
CONNECT_TIMEOUT_SECONDS = 2  # libpq's least
STATEMENT_TIMEOUT_MS = 500
UNREACHABLE = "database unreachable"
HEAD = "SELECT COALESCE(MAX(notification_id), 0) AS head FROM casework_events"
EXPLANATION = (
    "Ready: every view is within maxLagEvents events of the head and, since this process "
    "started, has reached startPosition (the head then). A ready service may still answer a "
    "few events behind: to read a write, pass the position it returned (or the one "
    "`casework seed demo` printed) as `minPosition`."
)


@dataclass(frozen=True)
class Readiness:
    ready: bool
    body: dict[str, Any]


class ReadinessProbe:
    def __init__(
        self,
        conninfo: str,
        view_names: list[str],
        max_lag: int,
        wrong_keys: Callable[[psycopg.Connection[DictRow]], list[str]],
    ) -> None:
        self._conninfo = conninfo
        self._view_names = view_names
        self._max_lag = max_lag
        self._wrong_keys = wrong_keys  # the settings of keys that do not open the store
        self._conn: psycopg.Connection[DictRow] | None = None
        self._lock = threading.Lock()
        self.start_position: int | None = None  # the head when the process started
        self.caught_up = False  # every view has reached start_position (then stays so)

    def _connect(self) -> psycopg.Connection[DictRow]:
        """A connection of the probe's own, bounded in how long it may take to connect and
        to answer, so that a database in trouble makes the probe fail fast, not hang."""
        return psycopg.connect(
            self._conninfo,
            autocommit=True,
            row_factory=dict_row,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c jit=off",
        )

    def note_start(self) -> None:
        """Read the head the views must reach before this process is first ready. A database
        that does not answer now leaves it to the first probe that reaches it."""
        try:
            with self._connect() as conn:
                row = conn.execute(HEAD).fetchone()
        except psycopg.Error as error:
            log.warning("readiness: start position not read (%s)", type(error).__name__)
            return
        if self.start_position is None and row is not None:
            self.start_position = int(row["head"])

    async def check(self) -> Readiness:
        try:
            with anyio.fail_after(TIMEOUT_SECONDS):
                head, views, wrong, witnesses = await to_thread.run_sync(
                    self._read, abandon_on_cancel=True
                )
        except Exception as error:
            log.warning("readiness: %s (%s)", UNREACHABLE, type(error).__name__)
            return Readiness(False, {"ready": False, "problems": [UNREACHABLE]})
        if self.start_position is None:
            self.start_position = head
        start = self.start_position
        if not self.caught_up and all(v.position >= start for v in views):
            self.caught_up = True
        problems = [
            v.name
            for v in views
            if v.state == "failed"
            or v.lag > self._max_lag
            or (not self.caught_up and v.position < start)
        ]
        if wrong:
            problems.append("keys")
        # A witness that refuses is loud but not fatal: the service serves; the ledger's
        # independence is what suffers, so it is named here for the operator.
        degraded = [
            f"witness {w['witness']} {w['state']}" for w in witnesses if w["state"] != "cosigning"
        ]
        return Readiness(
            not problems,
            {
                "ready": not problems,
                "head": head,
                "keys": "wrong" if wrong else "ok",
                "views": {
                    v.name: {"position": v.position, "lag": v.lag, "state": v.state} for v in views
                },
                "problems": problems,
                "degraded": degraded,
                "bound": {
                    "maxLagEvents": self._max_lag,
                    "startPosition": start,
                    "reachedStartPosition": self.caught_up,
                    "explanation": EXPLANATION,
                },
            },
        )

    def _read(self) -> tuple[int, list[ViewStatus], list[str], list[DictRow]]:
        if not self._lock.acquire(timeout=TIMEOUT_SECONDS):
            raise TimeoutError("an earlier probe is still waiting for the database")
        try:
            if self._conn is not None:
                try:
                    return self._statuses(self._conn)
                except psycopg.OperationalError:
                    self._drop()  # closed by the server since: try once on a new one
            self._conn = self._connect()
            try:
                return self._statuses(self._conn)
            except Exception:
                self._drop()
                raise
        finally:
            self._lock.release()

    def _statuses(
        self, conn: psycopg.Connection[DictRow]
    ) -> tuple[int, list[ViewStatus], list[str], list[DictRow]]:
        row = conn.execute(HEAD).fetchone()
        head = int(row["head"]) if row else 0
        wrong = self._wrong_keys(conn)
        witnesses = conn.execute(
            "SELECT witness, state FROM ledger_witness_status ORDER BY witness"
        ).fetchall()
        return head, read_view_statuses(conn, self._view_names, head), wrong, witnesses

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def close(self) -> None:
        with self._lock:
            self._drop()

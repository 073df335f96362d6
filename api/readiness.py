"""``/readyz``: whether this process can serve, answered within a second, outage or not.

The probe has its own connection, apart from the pools requests use, so it never waits behind
them; it connects with a short timeout, runs its statements under a statement timeout, and the
whole probe is bounded on the event loop: whatever the database does, the answer comes within
``TIMEOUT_SECONDS``, and it is 503 unless the database answered, this process's keys open the
store, and no view is failed or too far behind. A connection the server closed (a restart) is
replaced at once, within the same probe.
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

    async def check(self) -> Readiness:
        try:
            with anyio.fail_after(TIMEOUT_SECONDS):
                head, views, wrong, witnesses = await to_thread.run_sync(
                    self._read, abandon_on_cancel=True
                )
        except Exception as error:
            log.warning("readiness: %s (%s)", UNREACHABLE, type(error).__name__)
            return Readiness(False, {"ready": False, "problems": [UNREACHABLE]})
        problems = [v.name for v in views if v.state == "failed" or v.lag > self._max_lag]
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
            self._conn = psycopg.connect(
                self._conninfo,
                autocommit=True,
                row_factory=dict_row,
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c jit=off",
            )
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
        row = conn.execute(
            "SELECT COALESCE(MAX(notification_id), 0) AS head FROM casework_events"
        ).fetchone()
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

"""The access log: who read which restricted record, when. Append-only (the table refuses
updates and deletes); the DPO reads it through ``accessLog``.

The reader's login is stored sealed with its own data key (shown to the DPO; erased with that
key) and as a blind index (to filter by reader)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import Connection

from domain.shared.logins import LoginSealer
from domain.shared.sealing import Sealed
from projections.common import Page, Visibility, fetch_page, sealed_or_none


@dataclass(frozen=True)
class Read:
    action: str
    record_type: str
    record_id: UUID
    trust_id: UUID
    school_id: UUID | None


@dataclass(frozen=True)
class AccessLogEntry:
    entry_id: int
    at: datetime
    user_id: Sealed | None
    action: str
    record_type: str
    record_id: UUID
    trust_id: UUID
    school_id: UUID | None

    @classmethod
    def of(cls, r: Any) -> AccessLogEntry:
        return cls(
            r["entry_id"],
            r["at"],
            sealed_or_none(r["user_id"]),
            r["action"],
            r["record_type"],
            r["record_id"],
            r["trust_id"],
            r["school_id"],
        )


def append(conn: Connection[Any], logins: LoginSealer, user_id: str, reads: Sequence[Read]) -> None:
    if not reads:
        return
    sealed, ix = logins.seal_login(user_id)
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO access_log (user_id, user_id_ix, action, record_type, record_id, "
            "trust_id, school_id) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                (sealed, ix, r.action, r.record_type, r.record_id, r.trust_id, r.school_id)
                for r in reads
            ],
        )


def entries(
    conn: Connection[Any],
    visible: Visibility,
    user_ix: bytes | None,
    record_id: UUID | None,
    first: int,
    after: int | None,
) -> Page[AccessLogEntry]:
    clause, params = visible.clause("record_id")  # nobody sees who read their own record
    where = [clause]
    if user_ix is not None:
        where.append("user_id_ix = %s")
        params.append(user_ix)
    if record_id is not None:
        where.append("record_id = %s")
        params.append(record_id)
    return fetch_page(
        conn,
        "SELECT * FROM access_log",
        where,
        params,
        AccessLogEntry.of,
        first,
        after,
        seq_column="entry_id",
    )

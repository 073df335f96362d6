"""The access log: who read which restricted record, when. Append-only (the table refuses
updates and deletes); the DPO reads it through ``accessLog``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import Connection

from projections.common import Page, Visibility, fetch_page


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
    user_id: str
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
            r["user_id"],
            r["action"],
            r["record_type"],
            r["record_id"],
            r["trust_id"],
            r["school_id"],
        )


def append(conn: Connection[Any], user_id: str, reads: Sequence[Read]) -> None:
    if not reads:
        return
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO access_log (user_id, action, record_type, record_id, trust_id, school_id) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [
                (user_id, r.action, r.record_type, r.record_id, r.trust_id, r.school_id)
                for r in reads
            ],
        )


def entries(
    conn: Connection[Any],
    visible: Visibility,
    user_id: str | None,
    record_id: UUID | None,
    first: int,
    after: int | None,
) -> Page[AccessLogEntry]:
    clause, params = visible.clause("record_id")  # nobody sees who read their own record
    where = [clause]
    if user_id is not None:
        where.append("user_id = %s")
        params.append(user_id)
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

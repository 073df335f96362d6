"""The access log: who read which restricted record, or was refused it, when. Append-only (the
table refuses updates and deletes); the DPO reads it through ``accessLog``. Each entry names
the people its record is about, and nobody is shown an entry about a record of which they are
the subject."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from psycopg import Connection

from projections.common import Page, Visibility, fetch_page


class AccessOutcome(StrEnum):
    READ = "read"
    REFUSED = "refused"


@dataclass(frozen=True)
class Read:
    """One attempt to reach a restricted record: ``action`` is what was asked (a read, or the
    mutation refused), ``subject_ids`` the people the record is about."""

    action: str
    record_type: str
    record_id: UUID
    trust_id: UUID
    school_id: UUID | None
    subject_ids: frozenset[UUID] = frozenset()
    outcome: AccessOutcome = AccessOutcome.READ


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
    outcome: AccessOutcome

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
            AccessOutcome(r["outcome"]),
        )


def append(conn: Connection[Any], user_id: str, reads: Sequence[Read]) -> None:
    if not reads:
        return
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO access_log (user_id, action, record_type, record_id, trust_id, school_id, "
            "outcome, subject_ids) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    user_id,
                    r.action,
                    r.record_type,
                    r.record_id,
                    r.trust_id,
                    r.school_id,
                    r.outcome.value,
                    list(r.subject_ids),
                )
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
    # Nobody sees an entry about a record of which they are the subject: their own record, or
    # one about them (a case, an incident they are named in).
    clause, params = visible.clause("record_id")
    where = [clause]
    if visible.exclude_ids:
        where.append("NOT subject_ids && %s::uuid[]")
        params.append(list(visible.exclude_ids))
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

"""The access log: who read which restricted record, or was refused it, when. Append-only (the
table refuses updates and deletes); the DPO reads it through ``accessLog``. Each entry names
the people its record is about, and nobody is shown an entry about a record of which they are
the subject.

The reader's login is stored sealed with its own data key (shown to the DPO; erased with that
key) and as a blind index (to filter by reader)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from psycopg import Connection

from domain.shared.logins import LoginSealer
from domain.shared.sealing import Sealed
from projections.common import Page, Visibility, fetch_page, sealed_or_none


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
    user_id: Sealed | None
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
            sealed_or_none(r["user_id"]),
            r["action"],
            r["record_type"],
            r["record_id"],
            r["trust_id"],
            r["school_id"],
            AccessOutcome(r["outcome"]),
        )


def append(conn: Connection[Any], logins: LoginSealer, user_id: str, reads: Sequence[Read]) -> None:
    if not reads:
        return
    sealed, ix = logins.seal_login(user_id)
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO access_log (user_id, user_id_ix, action, record_type, record_id, "
            "trust_id, school_id, outcome, subject_ids) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    sealed,
                    ix,
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
    user_ix: bytes | None,
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

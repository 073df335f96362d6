"""Access queries: role grants as recorded, for ``me`` and for those who manage access."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import Connection

from projections.common import Page, Visibility, fetch_page


@dataclass(frozen=True)
class GrantRow:
    user_id: str
    role: str
    trust_id: UUID
    school_id: UUID | None
    granted_at: datetime
    granted_by: str
    revoked_at: datetime | None
    revoked_by: str | None

    @classmethod
    def of(cls, r: Any) -> GrantRow:
        return cls(
            r["user_id"],
            r["role"],
            r["trust_id"],
            r["school_id"],
            r["granted_at"],
            r["granted_by"],
            r["revoked_at"],
            r["revoked_by"],
        )


_GRANTS = "SELECT *, grant_seq AS seq FROM access_grants"


def grants_of(conn: Connection[Any], user_id: str) -> list[GrantRow]:
    rows = conn.execute(
        _GRANTS + " WHERE user_id = %s AND revoked_at IS NULL ORDER BY grant_seq", (user_id,)
    ).fetchall()
    return [GrantRow.of(r) for r in rows]


def grants(
    conn: Connection[Any], visible: Visibility, include_revoked: bool, first: int, after: int | None
) -> Page[GrantRow]:
    clause, params = visible.clause()
    where = [clause]
    if not include_revoked:
        where.append("revoked_at IS NULL")
    return fetch_page(
        conn, _GRANTS, where, params, GrantRow.of, first, after, seq_column="grant_seq"
    )

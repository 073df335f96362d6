"""Access queries: role grants as recorded, for ``me`` and for those who manage access."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID

from psycopg import Connection

from domain.shared.sealing import Sealed
from projections.common import Page, Visibility, fetch_page, from_row


@dataclass(frozen=True)
class GrantRow:
    """A grant; its logins sealed, each with its holder's own key."""

    user_id: Sealed | None
    role: str
    trust_id: UUID
    school_id: UUID | None
    granted_at: datetime
    granted_by: Sealed | None
    revoked_at: datetime | None
    revoked_by: Sealed | None


_GRANTS = "SELECT *, grant_seq AS seq FROM access_grants"


def grants(
    conn: Connection[Any], visible: Visibility, include_revoked: bool, first: int, after: int | None
) -> Page[GrantRow]:
    clause, params = visible.clause()
    where = [clause]
    if not include_revoked:
        where.append("revoked_at IS NULL")
    return fetch_page(
        conn,
        _GRANTS,
        where,
        params,
        partial(from_row, GrantRow),
        first,
        after,
        seq_column="grant_seq",
    )

"""Erasure queries: the erasures of a trust, newest first, as the DPO reviews them."""

from __future__ import annotations

from base64 import b64decode
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import Connection

from domain.shared.sealing import Sealed
from projections.common import Page, Visibility, fetch_page, from_row


@dataclass(frozen=True)
class SentExportRow:
    export_id: UUID
    allegation_id: UUID
    exported_at: datetime
    fingerprint: str
    recipient: Sealed | None


@dataclass(frozen=True)
class ErasureRow:
    erasure_id: UUID
    trust_id: UUID
    school_id: UUID | None
    status: str
    records: list[dict[str, Any]]
    about: tuple[UUID, ...]
    key_count: int
    reason: Sealed
    requested_by: Sealed | None
    requested_at: datetime
    settled_by: Sealed | None
    settled_at: datetime | None
    settled_reason: Sealed | None
    exports: tuple[SentExportRow, ...]


_ERASURES = (
    "SELECT e.*, (SELECT coalesce(json_agg(json_build_object('export_id', x.export_id, "
    "'allegation_id', x.allegation_id, 'exported_at', x.exported_at, "
    "'fingerprint', x.fingerprint, 'recipient', encode(x.recipient, 'base64')) "
    "ORDER BY x.exported_at), '[]') FROM er_exports x WHERE x.erasure_id = e.erasure_id) "
    "AS exports FROM er_erasures e"
)


def _row(row: Any) -> ErasureRow:
    sent = tuple(
        SentExportRow(
            UUID(x["export_id"]),
            UUID(x["allegation_id"]),
            datetime.fromisoformat(x["exported_at"]),
            x["fingerprint"],
            None if x["recipient"] is None else Sealed.from_bytes(b64decode(x["recipient"])),
        )
        for x in row["exports"]
    )
    return from_row(ErasureRow, row, exports=sent)


def erasures(
    conn: Connection[Any], visible: Visibility, first: int, after: int | None
) -> Page[ErasureRow]:
    """Oldest first, as the erasures were asked for; never one about the reader."""
    clause, params = visible.clause()
    where = [clause, "NOT (e.about && %s::uuid[])"]
    params = [*params, list(visible.exclude_ids)]
    return fetch_page(conn, _ERASURES, where, params, _row, first, after, seq_column="e.seq")


def erasure(conn: Connection[Any], erasure_id: UUID) -> ErasureRow | None:
    row = conn.execute(_ERASURES + " WHERE e.erasure_id = %s", (erasure_id,)).fetchone()
    return None if row is None else _row(row)

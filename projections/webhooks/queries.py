"""Reading the webhooks view: endpoints, their deliveries with each attempt, a replay, and the
changes feed of a school (docs/rules.md §14)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, LiteralString
from uuid import UUID

from psycopg import Connection

from projections.common import Page, fetch_page, from_row, rows_of


@dataclass(frozen=True)
class EndpointRow:
    endpoint_id: UUID
    trust_id: UUID
    school_id: UUID | None
    url: str
    kinds: tuple[str, ...]
    active: bool
    registered_at: datetime
    changed_at: datetime


_ENDPOINT = (
    "SELECT endpoint_id, trust_id, school_id, url, kinds, active, registered_at, changed_at "
    "FROM wh_endpoints"
)


def endpoint(conn: Connection[Any], endpoint_id: UUID) -> EndpointRow | None:
    rows = rows_of(conn, EndpointRow, _ENDPOINT + " WHERE endpoint_id = %s", (endpoint_id,))
    return rows[0] if rows else None


def endpoints(
    conn: Connection[Any], trust_id: UUID, schools: Collection[UUID] | None
) -> list[EndpointRow]:
    """The trust's active endpoints (``schools``: only those of these schools)."""
    where: LiteralString = " WHERE trust_id = %s AND active"
    params: list[Any] = [trust_id]
    if schools is not None:
        where += " AND school_id = ANY(%s)"
        params.append(list(schools))
    order: LiteralString = " ORDER BY registered_at, endpoint_id"
    return rows_of(conn, EndpointRow, _ENDPOINT + where + order, params)


@dataclass(frozen=True)
class AttemptRow:
    attempt: int
    attempted_at: datetime
    outcome: str
    status_code: int | None
    duration_ms: int


@dataclass(frozen=True)
class DeliveryRow:
    delivery_id: UUID
    endpoint_id: UUID
    kind: str
    record_id: UUID
    school_id: UUID | None
    position: int
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    created_at: datetime
    delivered_at: datetime | None
    attempt_list: tuple[AttemptRow, ...] = ()


def deliveries(
    conn: Connection[Any], endpoint_id: UUID, first: int, after: int | None
) -> Page[DeliveryRow]:
    """An endpoint's deliveries, oldest first, each with its attempts."""
    page = fetch_page(
        conn,
        "SELECT d.delivery_id, d.endpoint_id, c.kind, c.record_id, c.school_id, c.position, "
        "d.status, d.attempts, d.next_attempt_at, d.last_status_code, d.created_at, "
        "d.delivered_at, d.seq FROM wh_deliveries d JOIN wh_changes c ON c.seq = d.change_seq",
        ["d.endpoint_id = %s"],
        [endpoint_id],
        lambda r: from_row(DeliveryRow, r, attempt_list=()),
        first,
        after,
        seq_column="d.seq",
    )
    ids = [d.delivery_id for d in page.items]
    attempts: dict[UUID, list[AttemptRow]] = {}
    if ids:
        for r in conn.execute(
            "SELECT delivery_id, attempt, attempted_at, outcome, status_code, duration_ms "
            "FROM wh_attempts WHERE delivery_id = ANY(%s) ORDER BY delivery_id, attempt",
            (ids,),
        ).fetchall():
            attempts.setdefault(r["delivery_id"], []).append(from_row(AttemptRow, r))
    items = [
        DeliveryRow(**{**d.__dict__, "attempt_list": tuple(attempts.get(d.delivery_id, ()))})
        for d in page.items
    ]
    return Page(items, page.has_next, page.cursors)


def delivery_endpoint(conn: Connection[Any], delivery_id: UUID) -> UUID | None:
    row = conn.execute(
        "SELECT endpoint_id FROM wh_deliveries WHERE delivery_id = %s", (delivery_id,)
    ).fetchone()
    return None if row is None else row["endpoint_id"]


def replay(conn: Connection[Any], delivery_id: UUID) -> bool:
    """Send a delivery again, now, with a fresh bound on its attempts; False if its endpoint
    has been removed (nothing is sent to it any more)."""
    row = conn.execute(
        "UPDATE wh_deliveries d SET status = 'pending', next_attempt_at = now(), "
        "round_start = d.attempts FROM wh_endpoints e "
        "WHERE d.delivery_id = %s AND e.endpoint_id = d.endpoint_id AND e.active "
        "RETURNING d.delivery_id",
        (delivery_id,),
    ).fetchone()
    return row is not None


@dataclass(frozen=True)
class ChangeRow:
    position: int
    kind: str
    record_id: UUID
    school_id: UUID | None
    occurred_at: datetime


def changes(
    conn: Connection[Any],
    school_id: UUID,
    since: int,
    actions: Collection[str],
    excluded: Collection[UUID],
    login_ix: bytes,
    first: int,
    after: int | None,
) -> Page[ChangeRow]:
    """A school's changes after position ``since``, in order: only those of kinds whose
    reading ``actions`` allow, none about the reader (``excluded``: their records; their
    login's blind index, ``login_ix``)."""
    return fetch_page(
        conn,
        "SELECT seq, position, kind, record_id, school_id, occurred_at FROM wh_changes",
        [
            "school_id = %s",
            "position > %s",
            "action = ANY(%s)",
            "NOT (about && %s::uuid[])",
            "subject_ix IS DISTINCT FROM %s",
        ],
        [school_id, since, list(actions), list(excluded), login_ix],
        lambda r: from_row(ChangeRow, r),
        first,
        after,
    )

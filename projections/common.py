"""What every view's queries share: tenancy filtering and keyset pagination."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Generic, TypeVar
from uuid import UUID

from psycopg import Connection

from domain.shared.sealing import Sealed

T = TypeVar("T")


def sealed_or_none(value: Any) -> Sealed | None:
    """A sealed column as stored in a view (bytea), or None."""
    return None if value is None else Sealed.from_bytes(bytes(value))


MAX_PAGE = 100


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def from_row(cls: type[T], row: Mapping[str, Any], **values: Any) -> T:
    """A dataclass from a row: each field from the column of its name, unless given."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    return cls(**{n: values[n] if n in values else row[n] for n in names})


@dataclass(frozen=True)
class Visibility:
    """The trusts and schools a reader reaches, and record ids they must never see."""

    trust_ids: Collection[UUID] = field(default_factory=frozenset)
    school_ids: Collection[UUID] = field(default_factory=frozenset)
    exclude_ids: Collection[UUID] = field(default_factory=frozenset)

    @property
    def is_empty(self) -> bool:
        return not self.trust_ids and not self.school_ids

    def clause(self, id_column: str | None = None) -> tuple[str, list[Any]]:
        sql = "(trust_id = ANY(%s) OR school_id = ANY(%s))"
        params: list[Any] = [list(self.trust_ids), list(self.school_ids)]
        if id_column is not None and self.exclude_ids:
            sql += f" AND {id_column} <> ALL(%s)"
            params.append(list(self.exclude_ids))
        return sql, params


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    has_next: bool
    cursors: list[int]


def fetch_page(
    conn: Connection[Any],
    select: str,
    where: Sequence[str],
    params: Sequence[Any],
    make: Callable[[Any], T],
    first: int,
    after: int | None,
    seq_column: str = "seq",
) -> Page[T]:
    """Keyset pagination on a monotonic ``seq`` column: stable under concurrent inserts."""
    first = max(1, min(first, MAX_PAGE))
    conditions = list(where)
    values = list(params)
    if after is not None:
        conditions.append(f"{seq_column} > %s")
        values.append(after)
    sql = select
    if conditions:
        sql += " WHERE " + " AND ".join(conditions)
    sql += f" ORDER BY {seq_column} LIMIT %s"
    values.append(first + 1)
    rows = conn.execute(sql.encode(), values).fetchall()
    has_next = len(rows) > first
    rows = rows[:first]
    key = seq_column.split(".")[-1]
    return Page([make(r) for r in rows], has_next, [int(r[key]) for r in rows])


def positions(conn: Connection[Any], view_names: Collection[str]) -> dict[str, int]:
    rows = conn.execute(
        "SELECT application_name, notification_id FROM projection_tracking "
        "WHERE application_name = ANY(%s)",
        (list(view_names),),
    ).fetchall()
    return {r["application_name"]: int(r["notification_id"]) for r in rows}

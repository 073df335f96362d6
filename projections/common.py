"""What every view's queries share: tenancy filtering and keyset pagination."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Generic, LiteralString, TypeVar, get_args, get_origin, get_type_hints
from uuid import UUID

from psycopg import Connection

from domain.shared.sealing import Sealed

T = TypeVar("T")


def sealed_or_none(value: Any) -> Sealed | None:
    """A sealed column as stored in a view (bytea), or None."""
    return None if value is None else Sealed.from_bytes(bytes(value))


def sealed_column(value: Sealed | None) -> bytes | None:
    """A sealed value as a view stores it (bytea), or None: the inverse of ``sealed_or_none``."""
    return None if value is None else value.to_bytes()


MAX_PAGE = 100


def _decoder(annotation: Any) -> Callable[[Any], Any] | None:
    """How a column becomes the value a field is typed as: a field typed ``Sealed`` (or
    ``Sealed | None``) is decoded from its bytea, a ``tuple[...]`` from its array; any other
    column is taken as it is."""
    if annotation is Sealed or set(get_args(annotation)) == {Sealed, type(None)}:
        return sealed_or_none
    if get_origin(annotation) is tuple:
        return _tuple_or_none
    return None


def _tuple_or_none(value: Any) -> tuple[Any, ...] | None:
    return None if value is None else tuple(value)


_DECODERS: dict[type, tuple[tuple[str, Callable[[Any], Any] | None], ...]] = {}


def from_row(cls: type[T], row: Mapping[str, Any], **values: Any) -> T:
    """A dataclass from a row: each field from the column of its name, unless given, decoded
    by its annotation (:func:`_decoder`), so adding a sealed field to a view row is one line."""
    decoders = _DECODERS.get(cls)
    if decoders is None:
        hints = get_type_hints(cls)
        decoders = _DECODERS[cls] = tuple(
            (f.name, _decoder(hints[f.name]))
            for f in fields(cls)  # type: ignore[arg-type]
        )
    made: dict[str, Any] = {}
    for name, decode in decoders:
        if name in values:
            made[name] = values[name]
        else:
            made[name] = row[name] if decode is None else decode(row[name])
    return cls(**made)


def rows_of(
    conn: Connection[Any],
    cls: type[T],
    query: LiteralString,
    params: Sequence[Any] | Mapping[str, Any],
) -> list[T]:
    """Every row a query answers, each as a ``cls`` (:func:`from_row`)."""
    return [from_row(cls, r) for r in conn.execute(query, params).fetchall()]


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


def add_given(conditions: list[str], params: list[Any], *tests: tuple[str, Any]) -> None:
    """A filter's optional tests: each ``(condition, value)`` whose value was given (is not
    None) joins the conditions, its value the parameters."""
    for condition, value in tests:
        if value is not None:
            conditions.append(condition)
            params.append(value)


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

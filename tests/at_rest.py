"""Scanning the database for plaintext: what an attacker with a dump and no keys would see.

Each feature's at-rest test seeds unique markers through the public API into every login,
reference, link and free-text input it has (``Markers``), waits for the views
(``wait_for_views``), then asserts that no table holds any of them (``assert_no_plaintext``).
The scan reads every text, bytea, array and JSON column of every table, bytea as raw bytes, and
every row rendered as text (as a plain ``pg_dump`` would print it). The event store is scanned
too: its state is encrypted as a whole, so a marker found there is a defect as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import count
from typing import Any
from uuid import uuid4

import psycopg
from psycopg import sql

_SCANNED_TYPES = ("text", "character varying", "character", "bytea", "ARRAY", "json", "jsonb")


@dataclass
class Markers:
    """Distinct plaintext markers, one per input seeded, so that a find names its input."""

    run: str = field(default_factory=lambda: uuid4().hex[:6])
    seeded: dict[str, str] = field(default_factory=dict)
    _numbers: Any = field(default_factory=count)

    def __call__(self, what: str) -> str:
        """A marker for a free-text input (letters and digits only: survives any rendering)."""
        value = f"Mk{next(self._numbers)}{what}{self.run}Plaintext"
        self.seeded[what] = value
        return value

    def login(self, what: str) -> str:
        """A marker that is a login (a token's ``sub``)."""
        value = f"mk{next(self._numbers)}{what.lower()}{self.run}@marker.example"
        self.seeded[what] = value
        return value

    def values(self) -> list[str]:
        return list(self.seeded.values())


@dataclass(frozen=True)
class Found:
    table: str
    column: str  # "(row)" when found in a row rendered as text
    marker: str


def find_plaintext(conninfo: str, markers: Iterable[str]) -> list[Found]:
    """Every place a marker appears in plaintext, in any table of the public schema."""
    needles = list(markers)
    found: set[Found] = set()
    with psycopg.connect(conninfo) as conn:
        tables = [
            t
            for (t,) in conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            ).fetchall()
        ]
        for table in tables:
            rows = conn.execute(
                sql.SQL("SELECT t::text FROM {} t").format(sql.Identifier(table))
            ).fetchall()
            for (text,) in rows:
                found.update(Found(table, "(row)", n) for n in needles if n in text)
            columns = conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name = %s AND data_type = ANY(%s)",
                (table, list(_SCANNED_TYPES)),
            ).fetchall()
            for column, data_type in columns:
                select = sql.SQL("SELECT {c} FROM {t} WHERE {c} IS NOT NULL")
                if data_type not in ("bytea", "text", "character varying", "character"):
                    select = sql.SQL("SELECT {c}::text FROM {t} WHERE {c} IS NOT NULL")
                values = conn.execute(
                    select.format(c=sql.Identifier(column), t=sql.Identifier(table))
                ).fetchall()
                for (value,) in values:
                    haystack = bytes(value) if data_type == "bytea" else str(value).encode()
                    found.update(Found(table, column, n) for n in needles if n.encode() in haystack)
    return sorted(found, key=lambda f: (f.table, f.column, f.marker))


def wait_for_views(container: Any, position: int | str, timeout: float = 30) -> None:
    """Every view has applied ``position`` (a mutation's answer)."""
    container.wait_for(list(container.views), int(position), timeout=timeout)


def assert_no_plaintext(container: Any, markers: Markers | Iterable[str]) -> None:
    values = markers.values() if isinstance(markers, Markers) else list(markers)
    assert values, "seed some markers first"
    found = find_plaintext(container.database.conninfo, values)
    names = {v: k for k, v in markers.seeded.items()} if isinstance(markers, Markers) else {}
    shown = [(f.table, f.column, names.get(f.marker, f.marker)) for f in found]
    assert not shown, f"in plaintext at rest (table, column, input): {shown}"

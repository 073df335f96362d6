"""Directory queries: the only way ``api/`` reads the directory view.

Rows carry sealed fields as :class:`Sealed`; opening them is the reader's job, so that a
destroyed data key shows as erased wherever the row is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any, Generic
from uuid import UUID

from psycopg import Connection

from domain.shared.sealing import Sealed
from projections.common import (
    Page,
    T,
    Visibility,
    add_given,
    fetch_page,
    from_row,
    rows_of,
    sealed_or_none,
)


@dataclass(frozen=True)
class TrustRow:
    trust_id: UUID
    name: str


@dataclass(frozen=True)
class SchoolRow:
    school_id: UUID
    trust_id: UUID
    name: str
    urn: str
    registered_at: datetime


@dataclass(frozen=True)
class PupilRow:
    pupil_id: UUID
    trust_id: UUID
    school_id: UUID
    full_name: Sealed
    date_of_birth: Sealed
    year_group: int
    left_on: date | None
    destination: Sealed | None
    version: int


@dataclass(frozen=True)
class StaffRow:
    staff_id: UUID
    trust_id: UUID
    school_id: UUID
    full_name: Sealed
    staff_role: str
    user_id: Sealed | None  # the login, sealed with its holder's key
    started_on: date | None
    left_on: date | None
    leaving_reason: Sealed | None
    version: int


@dataclass(frozen=True)
class ParentLinkRow:
    parent_id: UUID
    pupil_id: UUID
    full_name: Sealed
    relationship: str
    parental_responsibility: bool


_SCHOOLS = "SELECT school_id, trust_id, name, urn, registered_at, seq FROM dir_schools"
_PUPILS = "SELECT * FROM dir_pupils"
_STAFF = "SELECT * FROM dir_staff"


def trust(conn: Connection[Any], trust_id: UUID) -> TrustRow | None:
    r = conn.execute(
        "SELECT trust_id, name FROM dir_trusts WHERE trust_id = %s", (trust_id,)
    ).fetchone()
    return None if r is None else from_row(TrustRow, r)


def school(conn: Connection[Any], school_id: UUID) -> SchoolRow | None:
    r = conn.execute(_SCHOOLS + " WHERE school_id = %s", (school_id,)).fetchone()
    return None if r is None else from_row(SchoolRow, r)


def schools(
    conn: Connection[Any], visible: Visibility, first: int, after: int | None
) -> Page[SchoolRow]:
    clause, params = visible.clause()
    return fetch_page(conn, _SCHOOLS, [clause], params, partial(from_row, SchoolRow), first, after)


def pupil(conn: Connection[Any], pupil_id: UUID) -> PupilRow | None:
    r = conn.execute(_PUPILS + " WHERE pupil_id = %s", (pupil_id,)).fetchone()
    return None if r is None else from_row(PupilRow, r)


@dataclass(frozen=True)
class _People(Generic[T]):
    """A page of people (pupils or staff) in reach, never the reader's own record."""

    select: str
    id_column: str
    row: type[T]

    def __call__(
        self,
        conn: Connection[Any],
        visible: Visibility,
        school_id: UUID | None,
        include_left: bool,
        first: int,
        after: int | None,
    ) -> Page[T]:
        clause, params = visible.clause(self.id_column)
        where = [clause]
        add_given(where, params, ("school_id = %s", school_id))
        if not include_left:
            where.append("left_on IS NULL")
        make = partial(from_row, self.row)
        return fetch_page(conn, self.select, where, params, make, first, after)


pupils = _People(_PUPILS, "pupil_id", PupilRow)


def staff_member(conn: Connection[Any], staff_id: UUID) -> StaffRow | None:
    r = conn.execute(_STAFF + " WHERE staff_id = %s", (staff_id,)).fetchone()
    return None if r is None else from_row(StaffRow, r)


staff_members = _People(_STAFF, "staff_id", StaffRow)


@dataclass(frozen=True)
class PupilOnRoll:
    """What a picker may offer of a pupil on roll: no date of birth, parents or records."""

    pupil_id: UUID
    full_name: Sealed | None  # None once erased
    year_group: int


@dataclass(frozen=True)
class StaffInPost:
    """What a picker may offer of a member of staff in post."""

    staff_id: UUID
    full_name: Sealed | None  # None once erased
    staff_role: str


def pupils_on_roll(conn: Connection[Any], school_id: UUID) -> list[PupilOnRoll]:
    """The school's pupils on roll, their names sealed (a picker opens them in memory)."""
    return rows_of(
        conn,
        PupilOnRoll,
        "SELECT pupil_id, full_name, year_group FROM dir_pupils "
        "WHERE school_id = %s AND left_on IS NULL",
        (school_id,),
    )


def staff_in_post(conn: Connection[Any], school_id: UUID) -> list[StaffInPost]:
    """The school's staff in post, their names sealed (a picker opens them in memory)."""
    return rows_of(
        conn,
        StaffInPost,
        "SELECT staff_id, full_name, staff_role FROM dir_staff "
        "WHERE school_id = %s AND left_on IS NULL",
        (school_id,),
    )


def parents_of(conn: Connection[Any], pupil_id: UUID) -> list[ParentLinkRow]:
    return rows_of(
        conn,
        ParentLinkRow,
        "SELECT l.parent_id, l.pupil_id, p.full_name, l.relationship, l.parental_responsibility "
        "FROM dir_parent_links l JOIN dir_parents p USING (parent_id) WHERE l.pupil_id = %s "
        "ORDER BY p.seq",
        (pupil_id,),
    )


def names_of(conn: Connection[Any], person_ids: list[UUID]) -> dict[UUID, Sealed | None]:
    """The sealed names of pupils, staff and parents/carers, by id; None for an erased one (a
    view empties a name whose key is destroyed)."""
    rows = conn.execute(
        "SELECT pupil_id AS id, full_name FROM dir_pupils WHERE pupil_id = ANY(%(ids)s) "
        "UNION ALL SELECT staff_id, full_name FROM dir_staff WHERE staff_id = ANY(%(ids)s) "
        "UNION ALL SELECT parent_id, full_name FROM dir_parents WHERE parent_id = ANY(%(ids)s)",
        {"ids": person_ids},
    ).fetchall()
    return {r["id"]: sealed_or_none(r["full_name"]) for r in rows}

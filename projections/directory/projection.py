"""Directory view: trusts, schools, pupils, staff and parents/carers per school."""

from __future__ import annotations

from typing import Any

from psycopg import Cursor

from domain.directory.aggregates import ParentCarer, Pupil, School, StaffMember, Trust
from domain.retention.erasure import Erasure
from projections.common import sealed_column
from projections.view import View, handles


class DirectoryView(View):
    name = "directory"
    tables = (
        "dir_trusts",
        "dir_schools",
        "dir_pupils",
        "dir_staff",
        "dir_parents",
        "dir_parent_links",
    )

    @handles(Trust.Created)
    def trust_created(self, curs: Cursor[Any], e: Trust.Created, position: int) -> None:
        curs.execute(
            "INSERT INTO dir_trusts (trust_id, name, created_at) VALUES (%s, %s, %s)",
            (e.originator_id, e.name, e.timestamp),
        )

    @handles(School.Registered)
    def school_registered(self, curs: Cursor[Any], e: School.Registered, position: int) -> None:
        curs.execute(
            "INSERT INTO dir_schools (school_id, trust_id, name, urn, registered_at, seq) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            (e.originator_id, e.trust_id, e.name, e.urn, e.timestamp, position),
        )

    @handles(Pupil.Registered)
    def pupil_registered(self, curs: Cursor[Any], e: Pupil.Registered, position: int) -> None:
        curs.execute(
            "INSERT INTO dir_pupils (pupil_id, trust_id, school_id, full_name, date_of_birth, "
            "year_group, version, registered_at, seq) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                e.originator_id,
                e.trust_id,
                e.school_id,
                sealed_column(e.full_name),
                sealed_column(e.date_of_birth),
                e.year_group,
                e.originator_version,
                e.timestamp,
                position,
            ),
        )

    @handles(Pupil.Left)
    def pupil_left(self, curs: Cursor[Any], e: Pupil.Left, position: int) -> None:
        curs.execute(
            "UPDATE dir_pupils SET left_on = %s, destination = %s, version = %s "
            "WHERE pupil_id = %s",
            (e.left_on, sealed_column(e.destination), e.originator_version, e.originator_id),
        )

    @handles(StaffMember.Registered)
    def staff_registered(self, curs: Cursor[Any], e: StaffMember.Registered, position: int) -> None:
        curs.execute(
            "INSERT INTO dir_staff (staff_id, trust_id, school_id, full_name, staff_role, user_id, "
            "user_id_ix, started_on, version, registered_at, seq) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                e.originator_id,
                e.trust_id,
                e.school_id,
                sealed_column(e.full_name),
                e.staff_role,
                *self.logins.seal_optional(e.user_id),
                e.started_on,
                e.originator_version,
                e.timestamp,
                position,
            ),
        )

    @handles(StaffMember.Left)
    def staff_left(self, curs: Cursor[Any], e: StaffMember.Left, position: int) -> None:
        curs.execute(
            "UPDATE dir_staff SET left_on = %s, leaving_reason = %s, version = %s "
            "WHERE staff_id = %s",
            (e.left_on, sealed_column(e.reason), e.originator_version, e.originator_id),
        )

    @handles(ParentCarer.Registered)
    def parent_registered(
        self, curs: Cursor[Any], e: ParentCarer.Registered, position: int
    ) -> None:
        curs.execute(
            "INSERT INTO dir_parents (parent_id, trust_id, school_id, full_name, version, seq) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            (
                e.originator_id,
                e.trust_id,
                e.school_id,
                sealed_column(e.full_name),
                e.originator_version,
                position,
            ),
        )

    @handles(ParentCarer.LinkedToPupil)
    def parent_linked(self, curs: Cursor[Any], e: ParentCarer.LinkedToPupil, position: int) -> None:
        if len(self.kept([e.originator_id, e.pupil_id])) == 2:  # neither erased
            self._link(curs, e)
        curs.execute(
            "UPDATE dir_parents SET version = %s WHERE parent_id = %s",
            (e.originator_version, e.originator_id),
        )

    @staticmethod
    def _link(curs: Cursor[Any], e: ParentCarer.LinkedToPupil) -> None:
        curs.execute(
            "INSERT INTO dir_parent_links "
            "(parent_id, pupil_id, relationship, parental_responsibility) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (parent_id, pupil_id) DO UPDATE SET "
            "relationship = EXCLUDED.relationship, "
            "parental_responsibility = EXCLUDED.parental_responsibility",
            (e.originator_id, e.pupil_id, e.relationship, e.parental_responsibility),
        )

    @handles(Erasure.CarriedOut)
    def erased(self, curs: Cursor[Any], e: Erasure.CarriedOut, position: int) -> None:
        """An erased pupil's or parent's links to each other go; their rows keep only what is
        plain (ids, year group, dates), their sealed names and the erased logins' indexes
        become NULL."""
        curs.execute(
            "DELETE FROM dir_parent_links WHERE pupil_id = ANY(%s) OR parent_id = ANY(%s)",
            (e.record_ids, e.record_ids),
        )
        self.purge(curs, e)

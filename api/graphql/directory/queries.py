"""The directory's queries: schools, pupils and staff in the reader's reach."""

from __future__ import annotations

from uuid import UUID

import strawberry
from strawberry.types import Info

from api.graphql.common import (
    Connection,
    ReadYourWrites,
    check_first,
    connection,
    decode_cursor,
    optional_uuid,
    parse_id,
)
from api.graphql.context import Context
from api.graphql.directory.types import Pupil, School, StaffMember, pupils_of, staff_of
from api.graphql.staff_cases import STAFF_CASES
from domain.directory.rules import person_target, school_target
from domain.shared.errors import NotFound
from domain.shared.policy import Action
from projections.directory import queries

DIRECTORY = "directory"


def _school_filter(ctx: Context, school_id: strawberry.ID | None, action: Action) -> UUID | None:
    """The school a listing is narrowed to, once the reader may do ``action`` there."""
    parsed = optional_uuid("schoolId", school_id)
    if parsed is not None:
        ctx.authorise(action, ctx.container.app.school_target(parsed))
    return parsed


@strawberry.type
class DirectoryQuery:
    @strawberry.field(
        description="Schools you hold a role in (trust roles: the trust's schools).",
        extensions=[ReadYourWrites(DIRECTORY)],
    )
    def schools(
        self, info: Info[Context, None], first: int = 20, after: str | None = None
    ) -> Connection[School]:
        ctx = info.context
        page = queries.schools(
            ctx.conn, ctx.visibility(Action.VIEW_SCHOOL), check_first(first), decode_cursor(after)
        )
        return connection(page, [School.from_row(r) for r in page.items])

    @strawberry.field(
        description="One school, if you hold a role that reaches it.",
        extensions=[ReadYourWrites(DIRECTORY)],
    )
    def school(self, info: Info[Context, None], id: strawberry.ID) -> School | None:
        ctx = info.context
        row = queries.school(ctx.conn, parse_id("id", id))
        if row is None:
            raise NotFound("School", id)
        ctx.authorise(Action.VIEW_SCHOOL, school_target(row.trust_id, row.school_id))
        return School.from_row(row)

    @strawberry.field(
        description="Pupils you may see, optionally of one school.",
        extensions=[ReadYourWrites(DIRECTORY)],
    )
    def pupils(
        self,
        info: Info[Context, None],
        school_id: strawberry.ID | None = None,
        include_left: bool = False,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Pupil]:
        ctx = info.context
        page = queries.pupils(
            ctx.conn,
            ctx.visibility(Action.VIEW_PUPIL),
            _school_filter(ctx, school_id, Action.VIEW_PUPIL),
            include_left,
            check_first(first),
            decode_cursor(after),
        )
        return connection(page, pupils_of(ctx, page.items, "list"))

    @strawberry.field(
        description="One pupil. The read is logged.", extensions=[ReadYourWrites(DIRECTORY)]
    )
    def pupil(self, info: Info[Context, None], id: strawberry.ID) -> Pupil | None:
        ctx = info.context
        row = queries.pupil(ctx.conn, parse_id("id", id))
        if row is None:
            raise NotFound("Pupil", id)
        target = person_target(row.trust_id, row.school_id, row.pupil_id)
        with ctx.reading("view", "pupil", row.pupil_id, target):
            ctx.authorise(Action.VIEW_PUPIL, target)
        return pupils_of(ctx, [row], "view")[0]

    @strawberry.field(
        description="Staff you may see (never your own record).",
        extensions=[ReadYourWrites(DIRECTORY)],
    )
    def staff_members(
        self,
        info: Info[Context, None],
        school_id: strawberry.ID | None = None,
        include_left: bool = False,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[StaffMember]:
        ctx = info.context
        page = queries.staff_members(
            ctx.conn,
            ctx.visibility(Action.VIEW_STAFF),
            _school_filter(ctx, school_id, Action.VIEW_STAFF),
            include_left,
            check_first(first),
            decode_cursor(after),
        )
        return connection(page, staff_of(ctx, page.items, "list"))

    @strawberry.field(
        description="One member of staff. The read is logged.",
        extensions=[ReadYourWrites(DIRECTORY, STAFF_CASES)],
    )
    def staff_member(self, info: Info[Context, None], id: strawberry.ID) -> StaffMember | None:
        ctx = info.context
        row = queries.staff_member(ctx.conn, parse_id("id", id))
        if row is None:
            raise NotFound("Staff member", id)
        target = person_target(row.trust_id, row.school_id, row.staff_id)
        with ctx.reading("view", "staff_member", row.staff_id, target):
            ctx.authorise(Action.VIEW_STAFF, target)
        return staff_of(ctx, [row], "view")[0]

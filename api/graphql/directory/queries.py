"""The directory's queries: schools, pupils and staff in the reader's reach."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

import strawberry
from strawberry.types import Info

from api.graphql.common import (
    Connection,
    ReadYourWrites,
    check_first,
    connection,
    decode_cursor,
    existing,
    optional_uuid,
    parse_id,
)
from api.graphql.context import Context
from api.graphql.directory.types import Pupil, School, StaffMember, pupils_of, staff_of
from api.graphql.staff_cases import STAFF_CASES
from domain.directory.rules import person_target, school_target
from domain.shared.policy import Action
from projections.common import Page, Visibility
from projections.directory import queries
from projections.directory.queries import PupilRow, StaffRow

DIRECTORY = "directory"
R = TypeVar("R")


def _school_filter(ctx: Context, school_id: strawberry.ID | None, action: Action) -> UUID | None:
    """The school a listing is narrowed to, once the reader may do ``action`` there."""
    parsed = optional_uuid("schoolId", school_id)
    if parsed is not None:
        ctx.authorise(action, ctx.container.app.school_target(parsed))
    return parsed


def _people(
    ctx: Context,
    fetch: Callable[[Any, Visibility, UUID | None, bool, int, int | None], Page[R]],
    action: Action,
    school_id: strawberry.ID | None,
    include_left: bool,
    first: int,
    after: str | None,
) -> Page[R]:
    """A page of the pupils or staff the reader may ``action``, optionally of one school."""
    return fetch(
        ctx.conn,
        ctx.visibility(action),
        _school_filter(ctx, school_id, action),
        include_left,
        check_first(first),
        decode_cursor(after),
    )


def _authorise_view(
    ctx: Context, action: Action, record_type: str, row: PupilRow | StaffRow, person_id: UUID
) -> None:
    """Authorise the view of one person, the read (or the refusal) written to the access log."""
    target = person_target(row.trust_id, row.school_id, person_id)
    with ctx.reading("view", record_type, person_id, target):
        ctx.authorise(action, target)


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
        row = existing(queries.school(ctx.conn, parse_id("id", id)), "School", id)
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
        page = _people(
            ctx, queries.pupils, Action.VIEW_PUPIL, school_id, include_left, first, after
        )
        return connection(page, pupils_of(ctx, page.items, "list"))

    @strawberry.field(
        description="One pupil. The read is logged.", extensions=[ReadYourWrites(DIRECTORY)]
    )
    def pupil(self, info: Info[Context, None], id: strawberry.ID) -> Pupil | None:
        ctx = info.context
        row = existing(queries.pupil(ctx.conn, parse_id("id", id)), "Pupil", id)
        _authorise_view(ctx, Action.VIEW_PUPIL, "pupil", row, row.pupil_id)
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
        page = _people(
            ctx, queries.staff_members, Action.VIEW_STAFF, school_id, include_left, first, after
        )
        return connection(page, staff_of(ctx, page.items, "list"))

    @strawberry.field(
        description="One member of staff. The read is logged.",
        extensions=[ReadYourWrites(DIRECTORY, STAFF_CASES)],
    )
    def staff_member(self, info: Info[Context, None], id: strawberry.ID) -> StaffMember | None:
        ctx = info.context
        row = existing(queries.staff_member(ctx.conn, parse_id("id", id)), "Staff member", id)
        _authorise_view(ctx, Action.VIEW_STAFF, "staff_member", row, row.staff_id)
        return staff_of(ctx, [row], "view")[0]

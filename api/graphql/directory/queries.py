"""The directory's queries: schools, pupils and staff in the reader's reach."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

import strawberry
from strawberry.types import Info

from api.graphql.common import (
    Connection,
    ReadYourWrites,
    connection,
    existing,
    open_rows,
    optional_uuid,
    page_args,
    parse_id,
    to_id,
)
from api.graphql.context import Context
from api.graphql.directory.types import (
    Pupil,
    PupilPick,
    School,
    StaffMember,
    StaffPick,
    pupils_of,
    staff_of,
)
from api.graphql.enums import StaffRole
from api.graphql.staff_cases import STAFF_CASES
from domain.directory.picker import DEFAULT_PICKS, MAX_PICKS, pick
from domain.directory.rules import person_target, school_target
from domain.shared.policy import Action
from projections.common import Page
from projections.directory import queries
from projections.directory.queries import PupilOnRoll, StaffInPost

R = TypeVar("R", PupilOnRoll, StaffInPost)

DIRECTORY = "directory"


def _school_filter(ctx: Context, school_id: strawberry.ID | None, action: Action) -> UUID | None:
    """The school a listing is narrowed to, once the reader may do ``action`` there."""
    parsed = optional_uuid("schoolId", school_id)
    if parsed is not None:
        ctx.authorise(action, ctx.container.app.school_target(parsed))
    return parsed


@dataclasses.dataclass(frozen=True)
class _People:
    """Pupils or staff: the directory reads and shows both kinds of person the same way."""

    page: str  # the names of the query functions, looked up when the field is resolved
    one: str
    node: type
    nodes_of: Callable[[Context, list[Any], str], list[Any]]
    action: Action
    record: str  # as NotFound names it
    record_type: str  # as the access log names it
    person_id: Callable[[Any], UUID]


_PUPILS = _People(
    "pupils",
    "pupil",
    Pupil,
    pupils_of,
    Action.VIEW_PUPIL,
    "Pupil",
    "pupil",
    lambda row: row.pupil_id,
)
_STAFF = _People(
    "staff_members",
    "staff_member",
    StaffMember,
    staff_of,
    Action.VIEW_STAFF,
    "Staff member",
    "staff_member",
    lambda row: row.staff_id,
)


def _listing(people: _People, description: str) -> Any:
    """The field listing the ``people`` the reader may see, optionally of one school; each
    read is written to the access log."""

    def resolve(
        info: Info[Context, None],
        school_id: strawberry.ID | None = None,
        include_left: bool = False,
        first: int = 20,
        after: str | None = None,
    ) -> Any:
        ctx = info.context
        fetch: Callable[..., Page[Any]] = getattr(queries, people.page)
        page = fetch(
            ctx.conn,
            ctx.visibility(people.action),
            _school_filter(ctx, school_id, people.action),
            include_left,
            *page_args(first, after),
        )
        return connection(page, people.nodes_of(ctx, page.items, "list"))

    resolve.__annotations__["return"] = Connection[people.node]  # type: ignore[name-defined]
    return strawberry.field(
        resolver=resolve, description=description, extensions=[ReadYourWrites(DIRECTORY)]
    )


def _one(people: _People, description: str, *views: str) -> Any:
    """The field showing one of the ``people``; the read, or the refusal, is logged."""

    def resolve(info: Info[Context, None], id: strawberry.ID) -> Any:
        ctx = info.context
        row = existing(
            getattr(queries, people.one)(ctx.conn, parse_id("id", id)), people.record, id
        )
        person_id = people.person_id(row)
        target = person_target(row.trust_id, row.school_id, person_id)
        with ctx.reading("view", people.record_type, person_id, target):
            ctx.authorise(people.action, target)
        return people.nodes_of(ctx, [row], "view")[0]

    resolve.__annotations__["return"] = people.node | None
    return strawberry.field(
        resolver=resolve, description=description, extensions=[ReadYourWrites(*views)]
    )


def _picked(
    ctx: Context,
    field: str,
    school_id: strawberry.ID,
    search: str,
    first: int,
    roll: Callable[[Any, UUID], list[R]],
    id_of: Callable[[R], UUID],
) -> list[tuple[R, str]]:
    """The people of one school whose names ``search`` matches (docs/rules.md §1.5), with their
    names opened, for anyone who may report there. The search is logged against the school
    (never its text); a caller with no role there gets the unknown-school answer, logged."""
    school = parse_id("schoolId", school_id)
    target = ctx.container.app.school_target(school)
    with ctx.reading(field, "school", school, target):
        ctx.authorise(Action.PICK_PERSON, target)
    ctx.log_read(field, "school", school, target)
    rows = roll(ctx.conn, school)
    opened = open_rows(ctx, rows)
    found = pick(
        rows, lambda r: opened.text(r.full_name), id_of, search, first, ctx.principal.subject_of
    )
    return [(row, opened.text(row.full_name) or "") for row in found]


_PICKER_ARGS = (
    f"`search` matches the start of any word of a name, ignoring case and accents; at most "
    f"{MAX_PICKS} (`first`, default {DEFAULT_PICKS}), in name order, never your own record. "
    "Each search is logged (not its text)."
)


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
            ctx.conn, ctx.visibility(Action.VIEW_SCHOOL), *page_args(first, after)
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

    pupils = _listing(_PUPILS, "Pupils you may see, optionally of one school.")
    pupil = _one(_PUPILS, "One pupil. The read is logged.", DIRECTORY)
    staff_members = _listing(_STAFF, "Staff you may see (never your own record).")
    staff_member = _one(_STAFF, "One member of staff. The read is logged.", DIRECTORY, STAFF_CASES)

    @strawberry.field(
        description="Pupils on roll at a school whose names `search` matches, to name in a "
        "report (anyone who may report there). " + _PICKER_ARGS,
        extensions=[ReadYourWrites(DIRECTORY)],
    )
    def pupil_picker(
        self,
        info: Info[Context, None],
        school_id: strawberry.ID,
        search: str,
        first: int = DEFAULT_PICKS,
    ) -> list[PupilPick]:
        found = _picked(
            info.context,
            "pupilPicker",
            school_id,
            search,
            first,
            queries.pupils_on_roll,
            lambda r: r.pupil_id,
        )
        return [
            PupilPick(id=to_id(row.pupil_id), display_name=name, year_group=row.year_group)
            for row, name in found
        ]

    @strawberry.field(
        description="Staff in post at a school whose names `search` matches, to name in a "
        "report (anyone who may report there). " + _PICKER_ARGS,
        extensions=[ReadYourWrites(DIRECTORY)],
    )
    def staff_picker(
        self,
        info: Info[Context, None],
        school_id: strawberry.ID,
        search: str,
        first: int = DEFAULT_PICKS,
    ) -> list[StaffPick]:
        found = _picked(
            info.context,
            "staffPicker",
            school_id,
            search,
            first,
            queries.staff_in_post,
            lambda r: r.staff_id,
        )
        return [
            StaffPick(id=to_id(row.staff_id), display_name=name, role=StaffRole(row.staff_role))
            for row, name in found
        ]

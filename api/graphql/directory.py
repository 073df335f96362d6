"""GraphQL for the directory: schools and the people in them."""

import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.graphql.common import (
    Connection,
    NotAuthorisedError,
    NotFoundError,
    Position,
    ReadYourWrites,
    SealedText,
    ValidationError,
    VersionConflictError,
    check_first,
    connection,
    decode_cursor,
    parse_id,
    run_command,
    text_or_null,
    to_id,
)
from api.graphql.context import Context
from api.graphql.enums import StaffRole
from api.graphql.incidents import ChronologyEntry, pupil_chronology
from api.graphql.staff_cases import (
    STAFF_CASES,
    ConcernHistory,
    ReferenceView,
    StaffPatternFlag,
    concern_history,
    reference_view,
    staff_pattern_flags,
)
from domain.access.policy import Action, Target
from domain.shared.errors import NotFound
from projections.directory import queries
from projections.directory.queries import PupilRow, SchoolRow, StaffRow

DIRECTORY = "directory"


@strawberry.type(
    description="A trust (a maintained school or single-academy trust is a trust of one)."
)
class Trust:
    id: strawberry.ID
    name: str


@strawberry.type(description="A school (academy) in a trust.")
class School:
    id: strawberry.ID
    trust_id: strawberry.ID
    name: str
    urn: str = strawberry.field(description="The school's Unique Reference Number.")
    registered_at: datetime.datetime

    @classmethod
    def of(cls, row: SchoolRow) -> "School":
        return cls(
            id=strawberry.ID(str(row.school_id)),
            trust_id=strawberry.ID(str(row.trust_id)),
            name=row.name,
            urn=row.urn,
            registered_at=row.registered_at,
        )


@strawberry.type(description="A parent or carer linked to a pupil.")
class ParentLink:
    parent_id: strawberry.ID
    full_name: SealedText
    relationship: str
    parental_responsibility: bool


@strawberry.type(description="A pupil. Reading one is written to the access log.")
class Pupil:
    id: strawberry.ID
    school_id: strawberry.ID
    full_name: SealedText
    date_of_birth: SealedText = strawberry.field(description="ISO date, sealed.")
    year_group: int = strawberry.field(description="-2 (N1), -1 (N2), 0 (Reception) to 13.")
    left_on: datetime.date | None
    destination: SealedText | None
    version: int = strawberry.field(description="Pass as `expectedVersion` to guard an update.")
    target: strawberry.Private[Target]

    @strawberry.field(description="Parents and carers linked to this pupil. Each read is logged.")
    def parents(self, info: Info[Context, None]) -> list[ParentLink]:
        ctx = info.context
        links = queries.parents_of(ctx.conn, parse_id("id", self.id))
        names = ctx.open_all([link.full_name for link in links])
        for link in links:
            ctx.log_read("view", "parent_carer", link.parent_id, self.target)
        return [
            ParentLink(
                parent_id=strawberry.ID(str(link.parent_id)),
                full_name=SealedText.of(name),  # type: ignore[arg-type]
                relationship=link.relationship,
                parental_responsibility=link.parental_responsibility,
            )
            for link, name in zip(links, names, strict=True)
        ]

    @strawberry.field(
        description="Every chronology entry of every incident this pupil appears in, oldest first "
        "(the school's DSL and deputies). The read is logged."
    )
    def chronology(self, info: Info[Context, None]) -> list[ChronologyEntry]:
        target = Target(
            self.target.trust_id, self.target.school_id, frozenset({parse_id("id", self.id)})
        )
        return pupil_chronology(info.context, parse_id("id", self.id), target)


@strawberry.type(description="An adult working in or for a school. Reading one is logged.")
class StaffMember:
    id: strawberry.ID
    school_id: strawberry.ID
    full_name: SealedText
    role: StaffRole
    user_id: str | None = strawberry.field(
        description="The login this person signs in with. Null if none, or erased."
    )
    started_on: datetime.date | None
    left_on: datetime.date | None
    leaving_reason: SealedText | None
    version: int
    target: strawberry.Private[Target]

    @strawberry.field(
        description="Allegations, low-level concerns and social-media records about this person: "
        "each part only as far as you may read it, with counts. Reads are logged."
    )
    def concern_history(self, info: Info[Context, None]) -> ConcernHistory:
        return concern_history(info.context, parse_id("id", self.id), self.target)

    @strawberry.field(
        description="Low-level concerns in a rolling 12 months at or over the threshold (the "
        "trust's setting unless given) and repeated contact attempts, each with its records."
    )
    def pattern_flags(
        self, info: Info[Context, None], threshold: int | None = None
    ) -> list[StaffPatternFlag]:
        return staff_pattern_flags(info.context, parse_id("id", self.id), self.target, threshold)

    @strawberry.field(
        description="The personnel record's allegations and what may appear in a reference "
        "(headteacher, trust safeguarding lead)."
    )
    def reference_view(self, info: Info[Context, None]) -> ReferenceView:
        return reference_view(info.context, parse_id("id", self.id), self.target)


def pupils_of(ctx: Context, rows: list[PupilRow], action: str) -> list[Pupil]:
    sealed = ctx.open_all([v for r in rows for v in (r.full_name, r.date_of_birth, r.destination)])
    result = []
    for i, row in enumerate(rows):
        name, dob, destination = sealed[3 * i : 3 * i + 3]
        target = Target(row.trust_id, row.school_id)
        ctx.log_read(action, "pupil", row.pupil_id, target)
        result.append(
            Pupil(
                id=strawberry.ID(str(row.pupil_id)),
                school_id=strawberry.ID(str(row.school_id)),
                full_name=SealedText.of(name),  # type: ignore[arg-type]
                date_of_birth=SealedText.of(dob),  # type: ignore[arg-type]
                year_group=row.year_group,
                left_on=row.left_on,
                destination=SealedText.of(destination),
                version=row.version,
                target=target,
            )
        )
    return result


def staff_of(ctx: Context, rows: list[StaffRow], action: str) -> list[StaffMember]:
    sealed = ctx.open_all([v for r in rows for v in (r.full_name, r.leaving_reason, r.user_id)])
    result = []
    for i, row in enumerate(rows):
        name, reason, login = sealed[3 * i : 3 * i + 3]
        ctx.log_read(action, "staff_member", row.staff_id, Target(row.trust_id, row.school_id))
        result.append(
            StaffMember(
                id=strawberry.ID(str(row.staff_id)),
                school_id=strawberry.ID(str(row.school_id)),
                full_name=SealedText.of(name),  # type: ignore[arg-type]
                role=StaffRole(row.staff_role),
                user_id=text_or_null(login),
                started_on=row.started_on,
                left_on=row.left_on,
                leaving_reason=SealedText.of(reason),
                version=row.version,
                target=Target(row.trust_id, row.school_id, frozenset({row.staff_id})),
            )
        )
    return result


def _school_filter(ctx: Context, school_id: strawberry.ID | None, action: Action) -> object:
    if school_id is None:
        return None
    parsed = parse_id("schoolId", school_id)
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
        return connection(page, [School.of(r) for r in page.items])

    @strawberry.field(
        description="One school, if you hold a role that reaches it.",
        extensions=[ReadYourWrites(DIRECTORY)],
    )
    def school(self, info: Info[Context, None], id: strawberry.ID) -> School | None:
        ctx = info.context
        row = queries.school(ctx.conn, parse_id("id", id))
        if row is None:
            raise NotFound("School", id)
        ctx.authorise(Action.VIEW_SCHOOL, Target(row.trust_id, row.school_id))
        return School.of(row)

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
            _school_filter(ctx, school_id, Action.VIEW_PUPIL),  # type: ignore[arg-type]
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
        ctx.authorise(
            Action.VIEW_PUPIL, Target(row.trust_id, row.school_id, frozenset({row.pupil_id}))
        )
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
            _school_filter(ctx, school_id, Action.VIEW_STAFF),  # type: ignore[arg-type]
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
        ctx.authorise(
            Action.VIEW_STAFF, Target(row.trust_id, row.school_id, frozenset({row.staff_id}))
        )
        return staff_of(ctx, [row], "view")[0]


# --- mutations ------------------------------------------------------------------------------


@strawberry.input
class RegisterSchoolInput:
    trust_id: strawberry.ID
    name: str
    urn: str = strawberry.field(description="6 or 7 digit Unique Reference Number.")


@strawberry.type
class RegisterSchoolSuccess:
    school_id: strawberry.ID
    position: Position


@strawberry.input
class RegisterPupilInput:
    school_id: strawberry.ID
    full_name: str
    date_of_birth: datetime.date
    year_group: int = strawberry.field(description="-2 (N1), -1 (N2), 0 (Reception) to 13.")


@strawberry.type
class RegisterPupilSuccess:
    pupil_id: strawberry.ID
    position: Position


@strawberry.input
class RegisterStaffMemberInput:
    school_id: strawberry.ID
    full_name: str
    role: StaffRole
    user_id: str | None = strawberry.field(
        default=None, description="Their login; they will never see records about themselves."
    )
    started_on: datetime.date | None = None


@strawberry.type
class RegisterStaffMemberSuccess:
    staff_member_id: strawberry.ID
    position: Position


@strawberry.input(
    description="Link an existing parent/carer (`parentId`) or a new one (`fullName`)."
)
class LinkParentInput:
    pupil_id: strawberry.ID
    relationship: str = strawberry.field(
        description="mother, father, parent, step-parent, grandparent, carer, foster carer, guardian, other"
    )
    parental_responsibility: bool
    parent_id: strawberry.ID | None = None
    full_name: str | None = None


@strawberry.type
class LinkParentSuccess:
    parent_id: strawberry.ID
    position: Position


@strawberry.input
class RecordPupilLeftInput:
    pupil_id: strawberry.ID
    left_on: datetime.date
    destination: str | None = None
    expected_version: int | None = None


@strawberry.type
class RecordPupilLeftSuccess:
    pupil_id: strawberry.ID
    position: Position


@strawberry.input
class RecordStaffLeftInput:
    staff_member_id: strawberry.ID
    left_on: datetime.date
    reason: str | None = None
    expected_version: int | None = None


@strawberry.type
class RecordStaffLeftSuccess:
    staff_member_id: strawberry.ID
    position: Position


RegisterSchoolResult = Annotated[
    RegisterSchoolSuccess
    | ValidationError
    | NotFoundError
    | NotAuthorisedError
    | VersionConflictError,
    strawberry.union("RegisterSchoolResult"),
]
RegisterPupilResult = Annotated[
    RegisterPupilSuccess
    | ValidationError
    | NotFoundError
    | NotAuthorisedError
    | VersionConflictError,
    strawberry.union("RegisterPupilResult"),
]
RegisterStaffMemberResult = Annotated[
    RegisterStaffMemberSuccess
    | ValidationError
    | NotFoundError
    | NotAuthorisedError
    | VersionConflictError,
    strawberry.union("RegisterStaffMemberResult"),
]
LinkParentResult = Annotated[
    LinkParentSuccess | ValidationError | NotFoundError | NotAuthorisedError | VersionConflictError,
    strawberry.union("LinkParentResult"),
]
RecordPupilLeftResult = Annotated[
    RecordPupilLeftSuccess
    | ValidationError
    | NotFoundError
    | NotAuthorisedError
    | VersionConflictError,
    strawberry.union("RecordPupilLeftResult"),
]
RecordStaffLeftResult = Annotated[
    RecordStaffLeftSuccess
    | ValidationError
    | NotFoundError
    | NotAuthorisedError
    | VersionConflictError,
    strawberry.union("RecordStaffLeftResult"),
]


@strawberry.type
class DirectoryMutation:
    @strawberry.mutation(description="Register a school in your trust (trust roles).")
    def register_school(
        self, info: Info[Context, None], input: RegisterSchoolInput
    ) -> RegisterSchoolResult:
        def command() -> RegisterSchoolSuccess:
            school_id, position = info.context.container.app.register_school(
                parse_id("trustId", input.trust_id), input.name, input.urn
            )
            return RegisterSchoolSuccess(school_id=to_id(school_id), position=Position(position))

        return run_command(info, command)

    @strawberry.mutation(description="Register a pupil; name and date of birth are sealed.")
    def register_pupil(
        self, info: Info[Context, None], input: RegisterPupilInput
    ) -> RegisterPupilResult:
        def command() -> RegisterPupilSuccess:
            pupil_id, position = info.context.container.app.register_pupil(
                parse_id("schoolId", input.school_id),
                input.full_name,
                input.date_of_birth,
                input.year_group,
            )
            return RegisterPupilSuccess(pupil_id=to_id(pupil_id), position=Position(position))

        return run_command(info, command)

    @strawberry.mutation(description="Register an adult working in or for the school.")
    def register_staff_member(
        self, info: Info[Context, None], input: RegisterStaffMemberInput
    ) -> RegisterStaffMemberResult:
        def command() -> RegisterStaffMemberSuccess:
            staff_id, position = info.context.container.app.register_staff_member(
                parse_id("schoolId", input.school_id),
                input.full_name,
                input.role.value,
                input.user_id,
                input.started_on,
            )
            return RegisterStaffMemberSuccess(
                staff_member_id=to_id(staff_id), position=Position(position)
            )

        return run_command(info, command)

    @strawberry.mutation(
        description="Link a parent or carer to a pupil, with or without parental responsibility."
    )
    def link_parent(self, info: Info[Context, None], input: LinkParentInput) -> LinkParentResult:
        def command() -> LinkParentSuccess:
            parent_id, position = info.context.container.app.link_parent(
                parse_id("pupilId", input.pupil_id),
                input.relationship,
                input.parental_responsibility,
                parse_id("parentId", input.parent_id) if input.parent_id is not None else None,
                input.full_name,
            )
            return LinkParentSuccess(parent_id=to_id(parent_id), position=Position(position))

        return run_command(info, command)

    @strawberry.mutation(description="Record that a pupil left the school.")
    def record_pupil_left(
        self, info: Info[Context, None], input: RecordPupilLeftInput
    ) -> RecordPupilLeftResult:
        def command() -> RecordPupilLeftSuccess:
            pupil_id, position = info.context.container.app.record_pupil_left(
                parse_id("pupilId", input.pupil_id),
                input.left_on,
                input.destination,
                input.expected_version,
            )
            return RecordPupilLeftSuccess(pupil_id=to_id(pupil_id), position=Position(position))

        return run_command(info, command)

    @strawberry.mutation(description="Record that a member of staff left employment.")
    def record_staff_left(
        self, info: Info[Context, None], input: RecordStaffLeftInput
    ) -> RecordStaffLeftResult:
        def command() -> RecordStaffLeftSuccess:
            staff_id, position = info.context.container.app.record_staff_left(
                parse_id("staffMemberId", input.staff_member_id),
                input.left_on,
                input.reason,
                input.expected_version,
            )
            return RecordStaffLeftSuccess(
                staff_member_id=to_id(staff_id), position=Position(position)
            )

        return run_command(info, command)

"""The staff-case queries: the allegations register, low-level concerns, LADO deadlines and the
per-school counts."""

import strawberry
from strawberry.types import Info

from api.graphql.common import (
    Connection,
    ReadYourWrites,
    connection,
    open_rows,
    optional_uuid,
    page_args,
    parse_id,
)
from api.graphql.context import Context
from api.graphql.enums import AllegationStatus, ConcernStatus
from api.graphql.staff_cases.reading import (
    STAFF_CASES,
    allegations_of,
    case_reader,
    case_target,
    concerns_of,
    readable_allegation,
    readable_concern,
)
from api.graphql.staff_cases.types import (
    Allegation,
    LadoDeadline,
    LowLevelConcern,
    SchoolCaseCounts,
)
from domain.shared import clock
from domain.shared.calendar import academic_year_start, london_today
from domain.shared.policy import Action
from projections.staff_cases import queries
from projections.staff_cases.queries import AllegationFilter, ConcernFilter


@strawberry.type
class StaffCaseQuery:
    @strawberry.field(
        description="The allegations register: the cases you manage or are on the team of (the "
        "trust safeguarding lead: all of the trust's), never one about you.",
        extensions=[ReadYourWrites(STAFF_CASES)],
    )
    def allegations(
        self,
        info: Info[Context, None],
        school_id: strawberry.ID | None = None,
        staff_member_id: strawberry.ID | None = None,
        status: AllegationStatus | None = None,
        awaiting_lado: bool = False,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Allegation]:
        ctx = info.context
        where = AllegationFilter(
            school_id=optional_uuid("schoolId", school_id),
            subject_id=optional_uuid("staffMemberId", staff_member_id),
            status=status.value if status else None,
            awaiting_lado=awaiting_lado,
        )
        page = queries.allegations(
            ctx.conn,
            case_reader(ctx, Action.OVERSEE_ALLEGATIONS),
            where,
            *page_args(first, after),
        )
        return connection(page, allegations_of(ctx, page.items, "list"))

    @strawberry.field(
        description="One allegation with its chronology. The read is logged.",
        extensions=[ReadYourWrites(STAFF_CASES)],
    )
    def allegation(self, info: Info[Context, None], id: strawberry.ID) -> Allegation | None:
        ctx = info.context
        return allegations_of(ctx, [readable_allegation(ctx, parse_id("id", id))], "view")[0]

    @strawberry.field(
        description="Low-level concerns you receive (headteacher, named person, trust "
        "safeguarding lead), never one about you.",
        extensions=[ReadYourWrites(STAFF_CASES)],
    )
    def low_level_concerns(
        self,
        info: Info[Context, None],
        school_id: strawberry.ID | None = None,
        staff_member_id: strawberry.ID | None = None,
        status: ConcernStatus | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[LowLevelConcern]:
        ctx = info.context
        where = ConcernFilter(
            school_id=optional_uuid("schoolId", school_id),
            subject_id=optional_uuid("staffMemberId", staff_member_id),
            status=status.value if status else None,
        )
        page = queries.concerns(
            ctx.conn,
            case_reader(ctx, Action.HANDLE_LOW_LEVEL_CONCERN),
            where,
            *page_args(first, after),
        )
        return connection(page, concerns_of(ctx, page.items, "list"))

    @strawberry.field(
        description="One low-level concern with its chronology. The read is logged.",
        extensions=[ReadYourWrites(STAFF_CASES)],
    )
    def low_level_concern(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> LowLevelConcern | None:
        ctx = info.context
        return concerns_of(ctx, [readable_concern(ctx, parse_id("id", id))], "view")[0]

    @strawberry.field(
        description="LADO consultations still to be made on the cases you may read, soonest "
        "first; `overdue` once the working-day deadline has passed.",
        extensions=[ReadYourWrites(STAFF_CASES)],
    )
    def deadlines(
        self, info: Info[Context, None], school_id: strawberry.ID | None = None
    ) -> list[LadoDeadline]:
        ctx = info.context
        page = queries.allegations(
            ctx.conn,
            case_reader(ctx, Action.OVERSEE_ALLEGATIONS),
            AllegationFilter(school_id=optional_uuid("schoolId", school_id), awaiting_lado=True),
            100,
            None,
        )
        now = clock.now()
        rows = sorted(page.items, key=lambda r: (r.lado_due_on, r.received_at))
        opened = open_rows(ctx, [r.case_manager for r in rows])
        result = []
        for row in rows:
            ctx.log_read("deadlines", "allegation", row.allegation_id, case_target(row))
            result.append(LadoDeadline.from_row(row, opened, now))
        return result

    @strawberry.field(
        description="Open staff cases per school, as counts (headteacher, DSLs, chair of "
        "governors, trust safeguarding lead, DPO). Cases about you are not counted.",
        extensions=[ReadYourWrites(STAFF_CASES)],
    )
    def staff_case_counts(
        self, info: Info[Context, None], trust_id: strawberry.ID
    ) -> list[SchoolCaseCounts]:
        ctx = info.context
        trust = parse_id("trustId", trust_id)
        schools = ctx.trust_schools(Action.VIEW_STAFF_CASE_COUNTS, trust)
        today = london_today()
        rows = queries.case_counts(
            ctx.conn,
            trust,
            schools,
            today,
            academic_year_start(today),
            ctx.principal.subject_of,
            ctx.login_ix,
        )
        return [SchoolCaseCounts.from_row(r) for r in rows]

"""The incidents' GraphQL queries: each authenticates, calls one query, and maps its rows."""

import datetime
from uuid import UUID

import strawberry
from strawberry.types import Info

from api.graphql.common import (
    Connection,
    ReadYourWrites,
    connection,
    existing,
    open_rows,
    page_args,
    parse_id,
)
from api.graphql.context import Context
from api.graphql.enums import Risk, Status
from api.graphql.incidents.types import (
    ChronologyEntry,
    Incident,
    IncidentCategory,
    PatternFlag,
    ReportStatus,
    SchoolDashboard,
    TrustOverviewRow,
    chronology_entries,
    incident_target,
    view_action,
)
from domain.incidents import rules
from domain.incidents.rules import PatternLimits, incident_action
from domain.shared import clock
from domain.shared.calendar import london_today
from domain.shared.errors import NotAuthorised
from domain.shared.policy import Action, Target, permits
from projections.incidents import queries
from projections.incidents.queries import IncidentFilter, IncidentRow

INCIDENTS = "incidents"


def incidents_of(ctx: Context, rows: list[IncidentRow], action: str) -> list[Incident]:
    """The page's incidents, each read written to the access log as ``action``."""
    opened = open_rows(ctx, rows)
    ctx.names_of([p.person_id for r in rows for p in r.people])  # the page's people, at once
    for row in rows:
        ctx.log_read(action, "incident", row.incident_id, incident_target(row))
    return [Incident.from_row(row, opened) for row in rows]


def readable_incident(ctx: Context, incident_id: UUID) -> IncidentRow:
    row = existing(queries.incident(ctx.conn, incident_id), "Incident", incident_id)
    with ctx.reading("view", "incident", row.incident_id, incident_target(row)):
        ctx.authorise(view_action(row), incident_target(row))
    return row


def _school(ctx: Context, school_id: strawberry.ID) -> Target:
    return ctx.container.app.school_target(parse_id("schoolId", school_id))


@strawberry.type
class IncidentQuery:
    @strawberry.field(
        description="Incidents of the schools where you are DSL or deputy "
        "(headteacher: `aboutStaffConduct: true`).",
        extensions=[ReadYourWrites(INCIDENTS)],
    )
    def incidents(
        self,
        info: Info[Context, None],
        school_id: strawberry.ID | None = None,
        status: Status | None = None,
        category: str | None = None,
        risk: Risk | None = None,
        occurred_from: datetime.datetime | None = None,
        occurred_to: datetime.datetime | None = None,
        pupil_id: strawberry.ID | None = None,
        about_staff_conduct: bool = False,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Incident]:
        ctx = info.context
        action = incident_action(about_staff_conduct, managing=False)
        if school_id is not None:
            ctx.authorise(action, _school(ctx, school_id))
        where = IncidentFilter(
            school_id=parse_id("schoolId", school_id) if school_id else None,
            staff_conduct=about_staff_conduct,
            status=status.value if status else None,
            category=category,
            risk=risk.value if risk else None,
            occurred_from=occurred_from,
            occurred_to=occurred_to,
            pupil_id=parse_id("pupilId", pupil_id) if pupil_id else None,
        )
        page = queries.incidents(ctx.conn, ctx.visibility(action), where, *page_args(first, after))
        return connection(page, incidents_of(ctx, page.items, "list"))

    @strawberry.field(
        description="One incident with its chronology. The read is logged.",
        extensions=[ReadYourWrites(INCIDENTS)],
    )
    def incident(self, info: Info[Context, None], id: strawberry.ID) -> Incident | None:
        ctx = info.context
        return incidents_of(ctx, [readable_incident(ctx, parse_id("id", id))], "view")[0]

    @strawberry.field(
        description="Open incidents by risk, triage waiting over one working day, overdue actions.",
        extensions=[ReadYourWrites(INCIDENTS)],
    )
    def school_dashboard(
        self, info: Info[Context, None], school_id: strawberry.ID
    ) -> SchoolDashboard:
        ctx = info.context
        ctx.authorise(Action.VIEW_INCIDENT, _school(ctx, school_id))
        now = clock.now()
        board = queries.dashboard(
            ctx.conn,
            parse_id("schoolId", school_id),
            london_today(now),
            ctx.visibility(Action.VIEW_INCIDENT).exclude_ids,
        )
        return SchoolDashboard.of(school_id, board, now)

    @strawberry.field(
        description="Patterns, each with the incidents behind it (thresholds adjustable).",
        extensions=[ReadYourWrites(INCIDENTS)],
    )
    def pattern_flags(
        self,
        info: Info[Context, None],
        school_id: strawberry.ID,
        pupil_threshold: int = rules.DEFAULT_PUPIL_THRESHOLD,
        pupil_window_days: int = rules.DEFAULT_PUPIL_WINDOW_DAYS,
        spike_window_days: int = rules.DEFAULT_SPIKE_WINDOW_DAYS,
        spike_baseline_weeks: int = rules.DEFAULT_SPIKE_BASELINE_WEEKS,
        spike_factor: float = rules.DEFAULT_SPIKE_FACTOR,
        spike_minimum: int = rules.DEFAULT_SPIKE_MINIMUM,
        group_threshold: int = rules.DEFAULT_GROUP_THRESHOLD,
        group_window_days: int = rules.DEFAULT_GROUP_WINDOW_DAYS,
    ) -> list[PatternFlag]:
        ctx = info.context
        ctx.authorise(Action.VIEW_INCIDENT, _school(ctx, school_id))
        limits = PatternLimits(
            pupil_threshold=pupil_threshold,
            pupil_window_days=pupil_window_days,
            spike_window_days=spike_window_days,
            spike_baseline_weeks=spike_baseline_weeks,
            spike_factor=spike_factor,
            spike_minimum=spike_minimum,
            group_threshold=group_threshold,
            group_window_days=group_window_days,
        )
        flags = queries.pattern_flags(
            ctx.conn,
            parse_id("schoolId", school_id),
            clock.now(),
            limits,
            ctx.visibility(Action.VIEW_INCIDENT).exclude_ids,
        )
        opened = open_rows(ctx, flags)
        return [PatternFlag.from_row(f, opened, limits) for f in flags]

    @strawberry.field(
        description="Incident counts by school, category and term, for trust roles. "
        "No pupil identities.",
        extensions=[ReadYourWrites(INCIDENTS)],
    )
    def trust_overview(
        self, info: Info[Context, None], trust_id: strawberry.ID
    ) -> list[TrustOverviewRow]:
        ctx = info.context
        trust = parse_id("trustId", trust_id)
        schools = ctx.trust_schools(Action.VIEW_INCIDENT_OVERVIEW, trust)
        return [
            TrustOverviewRow.from_row(r) for r in queries.trust_overview(ctx.conn, trust, schools)
        ]

    @strawberry.field(
        description="The status of the incidents you reported.",
        extensions=[ReadYourWrites(INCIDENTS)],
    )
    def my_reports(
        self, info: Info[Context, None], first: int = 20, after: str | None = None
    ) -> Connection[ReportStatus]:
        ctx = info.context
        page = queries.reports_by(ctx.conn, ctx.login_ix, *page_args(first, after))
        return connection(page, [ReportStatus.from_row(r) for r in page.items])

    @strawberry.field(
        description="The categories a school's incidents may take (built-in and the trust's own)."
    )
    def incident_categories(
        self, info: Info[Context, None], school_id: strawberry.ID
    ) -> list[IncidentCategory]:
        ctx = info.context
        target = _school(ctx, school_id)
        ctx.authorise(Action.REPORT_INCIDENT, target)
        categories = ctx.container.app.incident_categories(target.trust_id)
        return [IncidentCategory(code=c, label=label) for c, label in categories.items()]


def pupil_chronology(ctx: Context, pupil_id: UUID, target: Target) -> list[ChronologyEntry]:
    """A pupil's chronology across every incident they appear in that the reader may see."""
    if not permits(ctx.principal, Action.VIEW_INCIDENT, target):
        raise NotAuthorised("only the school's DSL and deputies read a chronology")
    entries = queries.pupil_chronology(
        ctx.conn, pupil_id, ctx.visibility(Action.VIEW_INCIDENT).exclude_ids
    )
    ctx.log_read("chronology", "pupil", pupil_id, target)
    for incident_id in dict.fromkeys(e.incident_id for e in entries):
        ctx.log_read("chronology", "incident", incident_id, target)
    return chronology_entries(ctx, entries)

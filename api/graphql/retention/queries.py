"""The retention queries (docs/rules.md §9): the schedule, what is due on a day and what blocks
it, legal holds, and a trust's configuration. The DPO's (legal holds also the trust
safeguarding lead's); anyone else, a school's DPO on another school, another trust, gets the
unknown-record answer, and the refused attempt is written to the access log."""

from __future__ import annotations

import datetime
from uuid import UUID

import strawberry
from strawberry.types import Info

from api.graphql.common import ReadYourWrites, from_rows, open_rows, optional_uuid, parse_id
from api.graphql.context import Context
from api.graphql.retention.types import (
    LegalHold,
    RetentionRuleSetting,
    ScheduledRecord,
)
from domain.retention import rules
from domain.shared.calendar import london_today
from domain.shared.errors import NotAuthorised
from domain.shared.policy import Action, Target
from projections.retention import queries
from projections.retention.queries import SCHEDULE_VIEWS, Scheduled

RETENTION = SCHEDULE_VIEWS[0]


def _schools(
    ctx: Context, field: str, action: Action, trust_id: UUID, school_id: UUID | None
) -> list[UUID] | None:
    """Where in the trust the caller reads (None: all of it), or a refusal, logged."""
    with ctx.reading(field, "retention_schedule", trust_id, Target(trust_id, school_id)):
        schools = ctx.trust_schools(action, trust_id)
        if school_id is None:
            return schools
        if schools is not None and school_id not in schools:
            raise NotAuthorised()
        return [school_id]


def _schedule(ctx: Context, field: str, trust: UUID, school: UUID | None) -> list[Scheduled]:
    schools = _schools(ctx, field, Action.MANAGE_RETENTION, trust, school)
    ctx.log_read(field, "retention_schedule", trust, Target(trust, school))
    keyring, excluded = ctx.container.keyring, ctx.principal.subject_of
    if schools is None:
        return queries.schedule(ctx.conn, keyring, trust, exclude_subjects=excluded)
    return [
        row
        for s in schools
        for row in queries.schedule(
            ctx.conn, keyring, trust, school_id=s, exclude_subjects=excluded
        )
    ]


def _records(ctx: Context, rows: list[Scheduled], as_of: datetime.date) -> list[ScheduledRecord]:
    opened = open_rows(ctx, rows)
    return [ScheduledRecord.from_row(r, opened, as_of) for r in rows]


@strawberry.type
class RetentionQuery:
    @strawberry.field(
        description="Every record of the trust (or of one school) with its retention rule, "
        "source, due date, review and legal holds, and what blocks its erasure today (DPO).",
        extensions=[ReadYourWrites(*SCHEDULE_VIEWS)],
    )
    def retention_schedule(
        self,
        info: Info[Context, None],
        trust_id: strawberry.ID,
        school_id: strawberry.ID | None = None,
    ) -> list[ScheduledRecord]:
        ctx = info.context
        trust, school = parse_id("trustId", trust_id), optional_uuid("schoolId", school_id)
        return _records(ctx, _schedule(ctx, "retentionSchedule", trust, school), london_today())

    @strawberry.field(
        description="The records due by `asOf`, each with its rule, source, due date, review "
        "state and what blocks its erasure on that day, legal holds included (DPO).",
        extensions=[ReadYourWrites(*SCHEDULE_VIEWS)],
    )
    def retention_due(
        self,
        info: Info[Context, None],
        trust_id: strawberry.ID,
        as_of: datetime.date,
        school_id: strawberry.ID | None = None,
    ) -> list[ScheduledRecord]:
        ctx = info.context
        trust, school = parse_id("trustId", trust_id), optional_uuid("schoolId", school_id)
        rows = queries.due(_schedule(ctx, "retentionDue", trust, school), as_of)
        return _records(ctx, rows, as_of)

    @strawberry.field(
        description="The trust's legal holds (a school's DPO: their school's), oldest first; "
        "`active` true: not lifted, false: lifted (DPO, trust safeguarding lead).",
        extensions=[ReadYourWrites(RETENTION)],
    )
    def legal_holds(
        self,
        info: Info[Context, None],
        trust_id: strawberry.ID,
        active: bool | None = None,
    ) -> list[LegalHold]:
        ctx = info.context
        trust = parse_id("trustId", trust_id)
        schools = _schools(ctx, "legalHolds", Action.PLACE_LEGAL_HOLD, trust, None)
        rows = queries.legal_holds(ctx.conn, trust, schools, active, ctx.principal.subject_of)
        for row in rows:
            target = Target(row.trust_id, row.school_id, frozenset(row.about))
            ctx.log_read("legalHolds", "legal_hold", row.hold_id, target)
        return from_rows(ctx, rows, LegalHold.from_row)

    @strawberry.field(
        description="Each configurable retention rule of the trust: its number now, the law's "
        "bounds and the last change (the trust's DPO).",
        extensions=[ReadYourWrites(RETENTION)],
    )
    def retention_configuration(
        self, info: Info[Context, None], trust_id: strawberry.ID
    ) -> list[RetentionRuleSetting]:
        ctx = info.context
        trust = parse_id("trustId", trust_id)
        with ctx.reading("retentionConfiguration", "retention_schedule", trust, Target(trust)):
            ctx.authorise(Action.MANAGE_RETENTION, Target(trust))  # the trust's DPO
        configured = {r.rule: r for r in queries.configuration(ctx.conn, trust)}
        opened = open_rows(ctx, list(configured.values()))
        return [
            RetentionRuleSetting.of(rule, configured.get(rule.value), opened)
            for rule in rules.BOUNDS
        ]

"""The staff-case fields of a member of staff: their concern history, the patterns in their
records, and what their personnel record holds."""

from uuid import UUID

from api.graphql.common import from_rows, open_rows, to_id
from api.graphql.context import Context
from api.graphql.staff_cases.reading import (
    allegations_of,
    case_reader,
    concerns_of,
    trust_reader,
)
from api.graphql.staff_cases.types import (
    ConcernHistory,
    PersonnelRecordEntry,
    ReferenceView,
    SocialMediaEntry,
    StaffPatternFlag,
)
from domain.shared import clock
from domain.shared.errors import ValidationFailed
from domain.shared.policy import Action, Target, permits
from domain.staff_cases import rules
from projections.staff_cases import queries
from projections.staff_cases.queries import AllegationFilter, ConcernFilter


def concern_history(ctx: Context, staff_id: UUID, target: Target) -> ConcernHistory:
    principal = ctx.principal
    if not permits(principal, Action.VIEW_STAFF_CASE_COUNTS, target):
        raise ValidationFailed("concernHistory", "not visible to you")
    everything = trust_reader(ctx, target.trust_id)
    about = AllegationFilter(subject_id=staff_id)
    all_allegations = queries.allegations(ctx.conn, everything, about, 100, None).items
    readable = queries.allegations(
        ctx.conn, case_reader(ctx, Action.OVERSEE_ALLEGATIONS), about, 100, None
    ).items
    concern_rows = queries.all_concerns(ctx.conn, everything, ConcernFilter(subject_id=staff_id))
    visible_concerns = queries.all_concerns(
        ctx.conn,
        case_reader(ctx, Action.HANDLE_LOW_LEVEL_CONCERN),
        ConcernFilter(subject_id=staff_id),
    )
    social = None
    if permits(principal, Action.HANDLE_SOCIAL_MEDIA, target):
        rows = queries.social_media(ctx.conn, staff_id)
        social = from_rows(ctx, rows, SocialMediaEntry.from_row)
        ctx.log_read("history", "staff_social_media", staff_id, target)
    return ConcernHistory(
        allegation_count=len(all_allegations),
        low_level_concern_count=len(concern_rows),
        allegations=allegations_of(ctx, readable, "history"),
        low_level_concerns=concerns_of(ctx, visible_concerns, "history"),
        social_media=social,
    )


def staff_pattern_flags(
    ctx: Context, staff_id: UUID, target: Target, threshold: int | None
) -> list[StaffPatternFlag]:
    settings = ctx.container.app.staff_case_settings(target.trust_id)
    limit = rules.pattern_threshold(settings.concern_threshold, threshold)
    since = rules.pattern_since(clock.now())
    # Only concerns this reader may see (as recipient, headteacher or trust lead) are counted.
    recent = queries.all_concerns(
        ctx.conn,
        case_reader(ctx, Action.HANDLE_LOW_LEVEL_CONCERN),
        ConcernFilter(subject_id=staff_id, raised_from=since),
    )
    attempts = None
    if permits(ctx.principal, Action.HANDLE_SOCIAL_MEDIA, target):
        attempts = [
            rules.ContactAttemptFact(r.record_id, r.at, r.from_person_id)
            for r in queries.social_media(ctx.conn, staff_id)
            if r.kind == "contact_attempt"
        ]
    flags = rules.staff_pattern_flags(since, limit, [c.concern_id for c in recent], attempts)
    ctx.log_read("patterns", "staff_member", staff_id, target)
    return [StaffPatternFlag.from_flag(f) for f in flags]


def reference_view(ctx: Context, staff_id: UUID, target: Target) -> ReferenceView:
    if not permits(ctx.principal, Action.VIEW_PERSONNEL_RECORD, target):
        raise ValidationFailed("referenceView", "not visible to you")
    rows = [
        r
        for r in queries.allegations(
            ctx.conn,
            trust_reader(ctx, target.trust_id),
            AllegationFilter(subject_id=staff_id),
            100,
            None,
        ).items
        if rules.on_personnel_record(r.outcome, r.retention_consent)
    ]
    opened = open_rows(ctx, [(r.outcome_summary, r.reference_declaration) for r in rows])
    entries = []
    for row in rows:
        ctx.log_read("personnel_record", "allegation", row.allegation_id, target)
        entries.append(PersonnelRecordEntry.from_row(row, opened))
    return ReferenceView(
        personnel_record=entries,
        citable_in_reference=[e for e in entries if e.may_be_cited_in_reference],
        undeclared_substantiated=[
            to_id(r.allegation_id)
            for r in rows
            if rules.awaits_reference_declaration(r.outcome, r.reference_will_cite)
        ],
    )

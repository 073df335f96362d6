"""How the staff-case resolvers read: who reads which cases, and every read written to the
access log (issue 4). The most sensitive records in the system: a case is read by its case
manager and case team (a concern by its recipient) and the trust safeguarding lead, never by
its subject; other roles see counts."""

from uuid import UUID

from api.graphql.common import existing, open_rows
from api.graphql.context import Context
from api.graphql.staff_cases.types import Allegation, LowLevelConcern
from domain.shared import clock
from domain.shared.policy import Action, Target, authorise_case, case_reach, reach
from projections.staff_cases import queries
from projections.staff_cases.queries import AllegationRow, CaseReader, ConcernRow

STAFF_CASES = "staff_cases"


def case_reader(ctx: Context, oversight: Action) -> CaseReader:
    """The cases the caller reads: where ``oversight`` reaches, and where they are named."""
    principal = ctx.principal
    oversee = reach(principal, oversight)
    member = case_reach(principal)
    return CaseReader(
        login_ix=ctx.login_ix,
        oversee_trusts=oversee.trust_ids,
        oversee_schools=oversee.school_ids,
        member_trusts=member.trust_ids,
        member_schools=member.school_ids,
        excluded_subjects=oversee.excluded_subjects | member.excluded_subjects,
    )


def trust_reader(ctx: Context, trust_id: UUID) -> CaseReader:
    """Every case in the trust but those about the caller: for counts and the personnel
    record, which the resolver authorises itself."""
    return CaseReader(
        login_ix=ctx.login_ix,
        oversee_trusts=[trust_id],
        excluded_subjects=ctx.principal.subject_of,
    )


def case_target(row: AllegationRow | ConcernRow) -> Target:
    return Target(row.trust_id, row.school_id, frozenset({row.subject_id}))


def allegations_of(ctx: Context, rows: list[AllegationRow], action: str) -> list[Allegation]:
    opened = open_rows(ctx, rows)
    now = clock.now()
    result = []
    for row in rows:
        ctx.log_read(action, "allegation", row.allegation_id, case_target(row))
        result.append(Allegation.from_row(row, opened, now))
    return result


def readable_allegation(ctx: Context, allegation_id: UUID) -> AllegationRow:
    row = existing(queries.allegation(ctx.conn, allegation_id), "Allegation", allegation_id)
    named = frozenset(m.user_ix for m in row.members)
    _authorise_read(ctx, row, "allegation", row.allegation_id, Action.OVERSEE_ALLEGATIONS, named)
    return row


def concerns_of(ctx: Context, rows: list[ConcernRow], action: str) -> list[LowLevelConcern]:
    opened = open_rows(ctx, rows)
    result = []
    for row in rows:
        ctx.log_read(action, "low_level_concern", row.concern_id, case_target(row))
        result.append(LowLevelConcern.from_row(row, opened))
    return result


def readable_concern(ctx: Context, concern_id: UUID) -> ConcernRow:
    row = existing(queries.concern(ctx.conn, concern_id), "Low-level concern", concern_id)
    action = Action.HANDLE_LOW_LEVEL_CONCERN
    named = frozenset({row.recipient_ix})
    _authorise_read(ctx, row, "low_level_concern", row.concern_id, action, named)
    return row


def _authorise_read(
    ctx: Context,
    row: AllegationRow | ConcernRow,
    record_type: str,
    record_id: UUID,
    oversight: Action,
    named: frozenset[bytes],
) -> None:
    """Authorise the view of one case (``named``: the case team, or the concern's recipient),
    the read (or the refusal) written to the access log."""
    target = case_target(row)
    with ctx.reading("view", record_type, record_id, target):
        authorise_case(
            ctx.principal, oversight, target, named, row.subject_user_ix, caller=ctx.login_ix
        )

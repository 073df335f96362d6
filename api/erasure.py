"""Erasure, composed: the records as the retention schedule gives them now, handed to the
domain's erasure commands (``domain/retention/erasure_handlers.py``).

Before a request or an approval is decided, every view the schedule reads must include the last
event written: a legal hold placed a moment ago is in the schedule, or nothing is decided
(``SCHEDULE_NOT_CURRENT``, ask again). Carrying an erasure out destroys the keys through the key
store, which writes them to the erasure fence first (``api/erasure_fence.py``); the access log's
own rule purges its entries past their period in the same request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from api.positions import PositionNotReached
from api.wiring import Container
from domain.retention.erasure_commands import (
    ApproveErasure,
    CancelErasure,
    PlanErasure,
    RequestErasure,
)
from domain.retention.erasure_handlers import ErasurePlan, Planned
from domain.retention.erasure_rules import Candidate, checked_record_ids
from domain.retention.rules import RecordType, access_log_cutoff
from domain.shared.actor import current_principal
from domain.shared.calendar import london_today
from domain.shared.errors import Concealed, NotAuthorised, NotFound, Refusal, ValidationFailed
from domain.shared.policy import Action, schools_in_trust
from projections.retention.queries import SCHEDULE_VIEWS, Scheduled, schedule
from projections.retention.queries import settings as retention_settings


class ScheduleNotCurrent(ValidationFailed):
    """The views behind the retention schedule had not caught up: nothing was decided."""

    code = "SCHEDULE_NOT_CURRENT"

    def __init__(self) -> None:
        super().__init__(
            "recordIds",
            "the retention schedule is still catching up with the latest records: ask again",
        )


def _current_schedule(
    container: Container, trust_id: UUID, action: Action
) -> dict[UUID, Scheduled]:
    """The trust's schedule as the caller may act on it: records of schools they do not reach
    are left out, as if unknown. Nobody without the action anywhere in the trust reads it."""
    principal = current_principal()
    try:
        schools = schools_in_trust(principal, action, trust_id)
    except NotAuthorised as refused:
        # Written to the access log as a refused attempt on the trust's schedule.
        refused.refusal = Refusal("retention_schedule", trust_id, trust_id, None, frozenset())
        raise
    try:
        container.wait_for(list(SCHEDULE_VIEWS), container.head())
    except PositionNotReached:
        raise ScheduleNotCurrent() from None
    with container.pool.connection() as conn:
        rows = schedule(conn, container.keyring, trust_id, exclude_subjects=principal.subject_of)
    return {row.record_id: row for row in rows if schools is None or row.school_id in schools}


def candidate(row: Scheduled, as_of: date) -> Candidate:
    return Candidate(
        record_type=row.record_type,
        record_id=row.record_id,
        school_id=row.school_id,
        rule=row.rule,
        source=row.source,
        due_on=row.due_on,
        subject_ids=tuple(row.subject_ids),
        blind_indexes=tuple(row.blind_indexes),
        blockers=tuple((b.kind.value, b.reason) for b in row.blockers(as_of)),
        about=frozenset(row.about),
    )


def candidates(
    container: Container,
    trust_id: UUID,
    record_ids: Sequence[UUID],
    action: Action = Action.ERASE_RECORDS,
    as_of: date | None = None,
) -> list[Candidate]:
    """The records named, as the schedule gives them now; an id the schedule does not hold (or
    holds for another trust, or for a school the caller does not reach) is answered as not
    found."""
    scheduled = _current_schedule(container, trust_id, action)
    today = as_of or london_today()
    found: list[Candidate] = []
    for record_id in checked_record_ids(record_ids):
        row = scheduled.get(record_id)
        if row is None:
            raise NotFound("Record", record_id)
        found.append(candidate(row, today))
    return found


def plan(container: Container, trust_id: UUID, record_ids: Sequence[UUID]) -> ErasurePlan:
    return container.app.plan_erasure(
        PlanErasure(trust_id, candidates(container, trust_id, record_ids))
    )


def request(
    container: Container, trust_id: UUID, record_ids: Sequence[UUID], reason: str
) -> Planned:
    return container.app.request_erasure(
        RequestErasure(trust_id, candidates(container, trust_id, record_ids), reason)
    )


@dataclass(frozen=True)
class CarriedOut:
    erasure_id: UUID
    keys_destroyed: int
    access_log_entries_purged: int
    position: int


def approve(container: Container, erasure_id: UUID) -> CarriedOut:
    # Its approver's, before the schedule is read: anyone else learns nothing of its records.
    erasure = container.app.pending_erasure(erasure_id)
    try:
        records = candidates(container, erasure.trust_id, erasure.record_ids, Action.VIEW_ERASURES)
    except NotFound:
        # A record it names is about the approver (or out of their reach): the erasure too.
        raise Concealed("Erasure", erasure_id) from None
    position = container.app.approve_erasure(ApproveErasure(erasure_id, records))
    purged = 0
    if any(c.record_type == RecordType.ACCESS_LOG for c in records):
        purged = purge_access_log(container, erasure.trust_id)
    return CarriedOut(erasure_id, len(erasure.key_ids), purged, position)


def cancel(container: Container, erasure_id: UUID, reason: str) -> int:
    return container.app.cancel_erasure(CancelErasure(erasure_id, reason))


def purge_access_log(container: Container, trust_id: UUID) -> int:
    """Delete the trust's access-log entries past the configured period today (London time):
    the only delete the access log allows (migration 0040)."""
    with container.pool.connection() as conn, conn.transaction():
        before = access_log_cutoff(london_today(), retention_settings(conn, trust_id))
        conn.execute("SET LOCAL casework.access_log_purge = 'on'")
        cursor = conn.execute(
            "DELETE FROM access_log WHERE trust_id = %s "
            "AND at < (%s::date::timestamp AT TIME ZONE 'Europe/London')",
            (trust_id, before),
        )
        return cursor.rowcount

"""The retention object types: a scheduled record with what blocks its erasure, a legal hold,
and a rule's configuration. Reasons are opened for the reader (the DPO; a hold's also for the
trust safeguarding lead)."""

from __future__ import annotations

import datetime

import strawberry

from api.graphql.common import ERASED_LOGIN, Opened, SealedText, optional_id, to_id
from api.graphql.enums import BlockerKind, Decision, HoldAuthority, HoldScope, RecordType, Rule
from domain.retention import rules
from domain.retention.rules import Blocker
from projections.retention.queries import ConfigRow, HoldRow, LegalHoldRow, Scheduled


@strawberry.type(description="One reason a record may not be erased on the day asked about.")
class RetentionBlocker:
    kind: BlockerKind
    reason: str
    until: datetime.date | None = strawberry.field(
        description="Not yet due or kept: the day it lasts until."
    )
    hold_id: strawberry.ID | None = strawberry.field(description="The legal hold, if one.")

    @classmethod
    def of(cls, blocker: Blocker) -> RetentionBlocker:
        return cls(
            kind=blocker.kind,
            reason=blocker.reason,
            until=blocker.until,
            hold_id=optional_id(blocker.hold_id),
        )


@strawberry.type(description="An active legal hold covering a scheduled record.")
class RecordHold:
    hold_id: strawberry.ID
    scope: HoldScope
    target_id: strawberry.ID
    authority: HoldAuthority
    placed_at: datetime.datetime
    reason: SealedText | None

    @classmethod
    def from_row(cls, row: HoldRow, opened: Opened) -> RecordHold:
        return cls(
            hold_id=to_id(row.hold_id),
            scope=HoldScope(row.scope),
            target_id=to_id(row.target_id),
            authority=HoldAuthority(row.authority),
            placed_at=row.placed_at,
            reason=opened.sealed(row.reason),
        )


@strawberry.type(
    description="A record on the retention schedule: its rule and source, when it is due (null "
    "while not yet known, with why), whether it is reviewed then, the latest review, the legal "
    "holds covering it, and what blocks its erasure on the day asked about."
)
class ScheduledRecord:
    record_type: RecordType
    record_id: strawberry.ID
    school_id: strawberry.ID | None
    rule: Rule
    source: str
    due_on: datetime.date | None
    why: str = strawberry.field(description="What the due date is, or what it waits for.")
    review: bool = strawberry.field(description="Whether the due date starts a review.")
    decision: Decision | None
    decided_on: datetime.date | None
    keep_until: datetime.date | None
    review_reason: SealedText | None
    holds: list[RecordHold]
    blockers: list[RetentionBlocker] = strawberry.field(
        description="Empty: erasable on the day asked about."
    )

    @classmethod
    def from_row(cls, row: Scheduled, opened: Opened, as_of: datetime.date) -> ScheduledRecord:
        return cls(
            record_type=RecordType(row.record_type),
            record_id=to_id(row.record_id),
            school_id=optional_id(row.school_id),
            rule=Rule(row.rule),
            source=row.source,
            due_on=row.due_on,
            why=row.why,
            review=row.review,
            decision=None if row.decision is None else Decision(row.decision),
            decided_on=row.decided_on,
            keep_until=row.keep_until,
            review_reason=opened.sealed(row.review_reason),
            holds=[RecordHold.from_row(h, opened) for h in row.holds],
            blockers=[RetentionBlocker.of(b) for b in row.blockers(as_of)],
        )


@strawberry.type(description="A legal hold: while active, nothing it covers is erased.")
class LegalHold:
    id: strawberry.ID
    trust_id: strawberry.ID
    school_id: strawberry.ID | None
    scope: HoldScope
    target_id: strawberry.ID
    authority: HoldAuthority
    reason: SealedText | None
    placed_at: datetime.datetime
    placed_by: str | None = strawberry.field(description="Who placed it. " + ERASED_LOGIN)
    active: bool
    lifted_at: datetime.datetime | None
    lifted_by: str | None = strawberry.field(description="Who lifted it. " + ERASED_LOGIN)
    lift_reason: SealedText | None

    @classmethod
    def from_row(cls, row: LegalHoldRow, opened: Opened) -> LegalHold:
        return cls(
            id=to_id(row.hold_id),
            trust_id=to_id(row.trust_id),
            school_id=optional_id(row.school_id),
            scope=HoldScope(row.scope),
            target_id=to_id(row.target_id),
            authority=HoldAuthority(row.authority),
            reason=opened.sealed(row.reason),
            placed_at=row.placed_at,
            placed_by=opened.text(row.placed_by),
            active=row.lifted_at is None,
            lifted_at=row.lifted_at,
            lifted_by=opened.text(row.lifted_by),
            lift_reason=opened.sealed(row.lift_reason),
        )


@strawberry.type(
    description="One configurable retention rule of a trust: its number now, the law's bounds, "
    "and the last change (null while the default applies)."
)
class RetentionRuleSetting:
    rule: Rule
    value: int
    default: int
    minimum: int
    maximum: int
    meaning: str = strawberry.field(description="What the number is, e.g. years from receipt.")
    source: str
    configured_at: datetime.datetime | None
    configured_by: str | None = strawberry.field(description=ERASED_LOGIN)
    reason: SealedText | None

    @classmethod
    def of(cls, rule: rules.Rule, row: ConfigRow | None, opened: Opened) -> RetentionRuleSetting:
        bound = rules.BOUNDS[rule]
        return cls(
            rule=rule,
            value=bound.default if row is None else row.value,
            default=bound.default,
            minimum=bound.minimum,
            maximum=bound.maximum,
            meaning=bound.meaning,
            source=rules.SOURCES[rule],
            configured_at=None if row is None else row.configured_at,
            configured_by=None if row is None else opened.text(row.configured_by),
            reason=None if row is None else opened.sealed(row.reason),
        )

"""The erasure's GraphQL types."""

from __future__ import annotations

import datetime
from enum import Enum
from uuid import UUID

import strawberry

from api.graphql.common import ERASED_LOGIN, Opened, Position, optional_id, parse_id, to_id
from domain.retention.erasure_handlers import ErasurePlan, SentExport
from domain.retention.erasure_rules import Candidate
from projections.erasure.queries import ErasureRow, SentExportRow


@strawberry.input(
    description="Records of one trust to erase, by id as `retentionSchedule` gives them. A dry "
    "run (the default) lists what would be destroyed and what blocks it, and records nothing; "
    "with `dryRun: false` the erasure is requested, to be carried out by a second approver "
    "(`approveErasure`)."
)
class EraseRecordsInput:
    trust_id: strawberry.ID
    record_ids: list[strawberry.ID]
    dry_run: bool = True
    reason: str | None = strawberry.field(
        default=None, description="Why they are erased (required unless a dry run)."
    )

    def trust(self) -> UUID:
        return parse_id("trustId", self.trust_id)

    def records(self) -> list[UUID]:
        return [parse_id("recordIds", r) for r in self.record_ids]


@strawberry.input(description="Carry out a requested erasure, as a second approver.")
class ApproveErasureInput:
    erasure_id: strawberry.ID

    def erasure(self) -> UUID:
        return parse_id("erasureId", self.erasure_id)


@strawberry.input(description="Withdraw a requested erasure before it is carried out.")
class CancelErasureInput:
    erasure_id: strawberry.ID
    reason: str

    def erasure(self) -> UUID:
        return parse_id("erasureId", self.erasure_id)


@strawberry.type(description="What stops a record being erased now.")
class ErasureBlocker:
    kind: str = strawberry.field(
        description="`legal_hold`, `not_due`, `awaiting_review`, `kept_by_review`, ..."
    )
    reason: str


@strawberry.type(description="A record an erasure names, as the retention schedule gives it.")
class ErasureRecord:
    record_type: str
    record_id: strawberry.ID
    school_id: strawberry.ID | None
    rule: str
    source: str
    due_on: datetime.date | None
    blockers: list[ErasureBlocker] = strawberry.field(description="Empty: erasable now.")

    @classmethod
    def of(cls, c: Candidate) -> ErasureRecord:
        return cls(
            record_type=c.record_type,
            record_id=to_id(c.record_id),
            school_id=optional_id(c.school_id),
            rule=c.rule,
            source=c.source,
            due_on=c.due_on,
            blockers=[ErasureBlocker(kind=k, reason=r) for k, r in c.blockers],
        )


@strawberry.type(
    description="A LADO export of an erased allegation: already sent, it cannot be recalled."
)
class SentExportType:
    export_id: strawberry.ID
    allegation_id: strawberry.ID
    exported_at: datetime.datetime
    fingerprint: str
    recipient: str | None = strawberry.field(description="Null if it was already erased.")

    @classmethod
    def of(cls, e: SentExport) -> SentExportType:
        return cls(
            export_id=to_id(e.export_id),
            allegation_id=to_id(e.allegation_id),
            exported_at=e.exported_at,
            fingerprint=e.fingerprint,
            recipient=e.recipient,
        )

    @classmethod
    def from_row(cls, e: SentExportRow, opened: Opened) -> SentExportType:
        return cls(
            export_id=to_id(e.export_id),
            allegation_id=to_id(e.allegation_id),
            exported_at=e.exported_at,
            fingerprint=e.fingerprint,
            recipient=opened.text(e.recipient),
        )


@strawberry.type(
    description="An erasure's dry run, or its request: the records, how many data keys it "
    "destroys, and the exports it cannot recall. `erasureId` is set once requested."
)
class ErasurePlanType:
    dry_run: bool
    erasure_id: strawberry.ID | None
    erasable: bool = strawberry.field(description="Whether nothing blocks any record now.")
    records: list[ErasureRecord]
    keys_to_destroy: int
    exports_sent: list[SentExportType]
    position: Position | None

    @classmethod
    def of(
        cls, plan: ErasurePlan, erasure_id: UUID | None = None, position: int | None = None
    ) -> ErasurePlanType:
        return cls(
            dry_run=erasure_id is None,
            erasure_id=optional_id(erasure_id),
            erasable=plan.erasable,
            records=[ErasureRecord.of(c) for c in plan.records],
            keys_to_destroy=len(plan.keys),
            exports_sent=[SentExportType.of(e) for e in plan.exports],
            position=None if position is None else Position(position),
        )


@strawberry.type(description="A carried-out erasure: its keys are destroyed.")
class ErasureCarriedOutType:
    erasure_id: strawberry.ID
    keys_destroyed: int
    access_log_entries_purged: int
    position: Position


@strawberry.type(description="A cancelled erasure request.")
class ErasureCancelledType:
    erasure_id: strawberry.ID
    position: Position


@strawberry.enum
class ErasureStatus(Enum):
    REQUESTED = "requested"
    CARRIED_OUT = "carried_out"
    CANCELLED = "cancelled"


@strawberry.type(description="A record an erasure named (its due date is not kept here).")
class ErasedRecord:
    record_type: str
    record_id: strawberry.ID
    school_id: strawberry.ID | None
    rule: str


@strawberry.type(
    description="An erasure as recorded: what was asked and why, by whom, who carried it out "
    "or cancelled it and when, and the LADO exports it could not recall."
)
class ErasureEntry:
    id: strawberry.ID
    status: ErasureStatus
    records: list[ErasedRecord]
    keys_destroyed: int
    reason: str | None
    requested_by: str | None = strawberry.field(description=ERASED_LOGIN)
    requested_at: datetime.datetime
    settled_by: str | None = strawberry.field(
        description="Who approved or cancelled it. " + ERASED_LOGIN
    )
    settled_at: datetime.datetime | None
    cancel_reason: str | None
    exports_sent: list[SentExportType]

    @classmethod
    def from_row(cls, row: ErasureRow, opened: Opened) -> ErasureEntry:
        return cls(
            id=to_id(row.erasure_id),
            status=ErasureStatus(row.status),
            records=[
                ErasedRecord(
                    record_type=r["record_type"],
                    record_id=to_id(r["record_id"]),
                    school_id=optional_id(r["school_id"]),
                    rule=r["rule"],
                )
                for r in row.records
            ],
            keys_destroyed=row.key_count if row.status == "carried_out" else 0,
            reason=opened.text(row.reason),
            requested_by=opened.text(row.requested_by),
            requested_at=row.requested_at,
            settled_by=opened.text(row.settled_by),
            settled_at=row.settled_at,
            cancel_reason=opened.text(row.settled_reason),
            exports_sent=[SentExportType.from_row(e, opened) for e in row.exports],
        )

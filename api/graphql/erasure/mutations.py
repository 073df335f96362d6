"""Erasure's mutations: thin; the flow is in ``api.erasure`` and the domain's handlers."""

import strawberry
from strawberry.types import Info

from api import erasure
from api.graphql.common import Position, result_union, run_command, to_id
from api.graphql.context import Context
from api.graphql.erasure.types import (
    ApproveErasureInput,
    CancelErasureInput,
    EraseRecordsInput,
    ErasureCancelledType,
    ErasureCarriedOutType,
    ErasurePlanType,
)
from domain.shared.errors import ValidationFailed

EraseRecordsResult = result_union("EraseRecordsResult", ErasurePlanType)
ApproveErasureResult = result_union("ApproveErasureResult", ErasureCarriedOutType)
CancelErasureResult = result_union("CancelErasureResult", ErasureCancelledType)


def _erase(info: Info[Context, None], input: EraseRecordsInput) -> EraseRecordsResult:  # type: ignore[valid-type]
    container = info.context.container

    def erase() -> ErasurePlanType:
        trust_id, records = input.trust(), input.records()
        planned = erasure.plan(container, trust_id, records)
        if input.dry_run:
            return ErasurePlanType.of(planned)
        if input.reason is None:
            raise ValidationFailed("reason", "say why the records are erased")
        requested = erasure.request(container, trust_id, records, input.reason)
        return ErasurePlanType.of(planned, requested.erasure_id, requested.position)

    return run_command(info, erase)


def _approve(info: Info[Context, None], input: ApproveErasureInput) -> ApproveErasureResult:  # type: ignore[valid-type]
    def approve() -> ErasureCarriedOutType:
        done = erasure.approve(info.context.container, input.erasure())
        return ErasureCarriedOutType(
            erasure_id=to_id(done.erasure_id),
            keys_destroyed=done.keys_destroyed,
            access_log_entries_purged=done.access_log_entries_purged,
            position=Position(done.position),
        )

    return run_command(info, approve)


def _cancel(info: Info[Context, None], input: CancelErasureInput) -> CancelErasureResult:  # type: ignore[valid-type]
    def cancel() -> ErasureCancelledType:
        position = erasure.cancel(info.context.container, input.erasure(), input.reason)
        return ErasureCancelledType(erasure_id=input.erasure_id, position=Position(position))

    return run_command(info, cancel)


@strawberry.type
class ErasureMutation:
    erase_records: EraseRecordsResult = strawberry.mutation(  # type: ignore[valid-type]
        resolver=_erase,
        description="Erase records whose retention has run out (DPO only). A dry run by "
        "default: it lists exactly what would be destroyed, what blocks each record (a legal "
        "hold, not yet due, awaiting review) and the LADO exports already sent, and records "
        "nothing. With `dryRun: false` and a reason, the erasure is requested; a second "
        "approver carries it out. A held record is refused (`LEGAL_HOLD`), one not erasable "
        "now too (`NOT_ERASABLE`).",
    )
    approve_erasure: ApproveErasureResult = strawberry.mutation(  # type: ignore[valid-type]
        resolver=_approve,
        description="Carry out a requested erasure, as its second approver: a DPO or a "
        "trust-wide role, never the person who asked (`SECOND_APPROVER_REQUIRED`). The records "
        "are checked again as scheduled now; their data keys are destroyed, so every sealed "
        "field of them reads as erased everywhere, and every view purges its copies.",
    )
    cancel_erasure: CancelErasureResult = strawberry.mutation(  # type: ignore[valid-type]
        resolver=_cancel,
        description="Withdraw a requested erasure, with a reason, before it is carried out.",
    )

"""The ledger's queries: a record's proof, authorised as a read of that record, and the
ledger's health, for operators and trust-wide safeguarding leads and DPOs."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.graphql.common import Position
from api.graphql.context import Context
from api.graphql.ledger.types import LedgerProof, LedgerStatus
from api.ledger_proofs import NoProof, prove
from domain.ledger.readers import authorise_status, read_rule
from domain.shared.aggregate import CaseworkAggregate
from domain.shared.errors import NotAuthorised, NotFound
from projections.ledger.status import health

RECORD = "Ledger entry"
ACTION = "ledger_proof"


def proved_record(ctx: Context, position: int) -> LedgerProof:
    """The proof, once the caller may read the record it proves. An unknown position, one the
    log has not reached or no checkpoint covers, a record the caller may not read and one about
    the caller all answer the same NotFound; refusals on restricted records are logged."""
    try:
        proof = prove(ctx.conn, position)
        record = ctx.container.app.get(
            CaseworkAggregate, proof.aggregate_id, RECORD, read_only=True
        )
    except (NoProof, NotFound):
        raise NotFound(RECORD, str(position)) from None
    rule = read_rule(record)
    if rule is None:
        raise NotFound(RECORD, str(position))
    try:
        if rule.record_type is None:
            rule.authorise(ctx.principal)
        else:
            with ctx.reading(ACTION, rule.record_type, rule.record_id, rule.target):
                rule.authorise(ctx.principal)
    except NotAuthorised:
        raise NotFound(RECORD, str(position)) from None
    if rule.record_type is not None:
        ctx.log_read(ACTION, rule.record_type, rule.record_id, rule.target)
    return LedgerProof.of(proof)


@strawberry.type
class LedgerQuery:
    @strawberry.field(
        description=(
            "The proof that the event at `position` is in the ledger, against the newest "
            "checkpoint that covers it, for anyone who may read the record it belongs to. "
            "The read is logged."
        )
    )
    def ledger_proof(self, info: Info[Context, None], position: Position) -> LedgerProof:
        return proved_record(info.context, int(position))

    @strawberry.field(
        description=(
            "The ledger's health: newest checkpoint, integration lag, each witness's last "
            "answer and the last audit (operators, trust safeguarding leads and DPOs)."
        )
    )
    def ledger_status(self, info: Info[Context, None]) -> LedgerStatus:
        ctx = info.context
        authorise_status(ctx.principal)
        head = ctx.container.head()
        return LedgerStatus.of(health(ctx.conn), head)

"""The ledger's queries: a record's proof, authorised as a read of that record, the ledger's
health, for operators and trust-wide safeguarding leads and DPOs, and a trust's public signing
keys, for its staff."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.graphql.common import Position, parse_id
from api.graphql.context import Context
from api.graphql.ledger.types import LedgerProof, LedgerStatus, TrustSigningKey
from api.ledger_proofs import NoProof, prove
from domain.directory.aggregates import Trust
from domain.ledger.readers import authorise_status, read_rule
from domain.shared.aggregate import CaseworkAggregate
from domain.shared.errors import NotAuthorised, NotFound
from domain.shared.policy import Action
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


def trust_signing_key(ctx: Context, trust_id: strawberry.ID) -> TrustSigningKey:
    """The trust's public keys, made on first use, for anyone holding a role in the trust (a
    trust-scoped read, as ``trustOverview``); an unknown trust and another trust answer the
    same NotFound."""
    trust = parse_id("trustId", trust_id)
    try:
        ctx.trust_schools(Action.VIEW_TRUST_SIGNING_KEY, trust)
        record = ctx.container.app.get(Trust, trust, "Trust", read_only=True)
    except (NotAuthorised, NotFound):
        raise NotFound("Trust", trust) from None
    return TrustSigningKey.of(ctx.container.trust_keys.get_or_create(trust, record.name).public())


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

    @strawberry.field(
        description=(
            "A trust's public signing keys, to verify its evidence bundles (Ed25519) and its "
            "signed PDFs (the certificate), for staff of the trust."
        )
    )
    def trust_signing_key(
        self, info: Info[Context, None], trust_id: strawberry.ID
    ) -> TrustSigningKey:
        return trust_signing_key(info.context, trust_id)

"""The ledger's GraphQL types: a proof to check offline, the ledger's health, and a trust's
public signing keys."""

from __future__ import annotations

import datetime

import strawberry

from api.graphql.common import Position
from api.ledger_proofs import Proof
from api.trust_keys import TrustPublicKeys
from domain.ledger.note import b64
from projections.ledger.status import CheckpointRow, LedgerHealth, VerificationRow, WitnessRow


@strawberry.type(
    description=(
        "The proof that an event is in the ledger: save `proof` as a file and check it with "
        "`casework verify-proof FILE --log-key KEY`, with no database and no service."
    )
)
class LedgerProof:
    position: Position = strawberry.field(description="The event's position in the store.")
    leaf_index: int = strawberry.field(description="Its leaf in the log (dense, from 0).")
    tree_size: int = strawberry.field(description="The size of the checkpoint proved against.")
    entry: str = strawberry.field(
        description="The entry as hashed into the leaf: canonical JSON (RFC 8785) of ids, the "
        "topic, times, the stored state's hash and salted digests of the fields."
    )
    proof: str = strawberry.field(
        description="The c2sp.org/tlog-proof@v1 text; its `extra` line carries the entry."
    )
    checkpoint: str = strawberry.field(
        description="The checkpoint (a C2SP signed note) with the log's and witnesses' signatures."
    )

    @classmethod
    def of(cls, proof: Proof) -> LedgerProof:
        return cls(
            position=Position(proof.position),
            leaf_index=proof.leaf_index,
            tree_size=proof.tree_size,
            entry=proof.entry.decode("utf-8"),
            proof=proof.text,
            checkpoint=proof.checkpoint_note,
        )


@strawberry.type(description="The newest checkpoint the log signed.")
class LedgerCheckpoint:
    size: int
    root: str = strawberry.field(description="The tree's root hash, base64.")
    signed_at: datetime.datetime

    @classmethod
    def of(cls, row: CheckpointRow) -> LedgerCheckpoint:
        return cls(size=row.size, root=b64(row.root), signed_at=row.created_at)


@strawberry.type(description="How a witness last answered the checkpoints pushed to it.")
class LedgerWitness:
    name: str
    url: str
    state: str = strawberry.field(description="cosigning, refusing or unreachable.")
    cosigned_size: int | None = strawberry.field(description="The last size it co-signed.")
    http_status: int | None
    last_error: str | None
    updated_at: datetime.datetime

    @classmethod
    def of(cls, row: WitnessRow) -> LedgerWitness:
        return cls(
            name=row.witness,
            url=row.url,
            state=row.state,
            cosigned_size=row.cosigned_size,
            http_status=row.http_status,
            last_error=row.error,
            updated_at=row.updated_at,
        )


@strawberry.type(description="A run of `casework verify`, the audit of the whole store.")
class LedgerVerification:
    started_at: datetime.datetime
    finished_at: datetime.datetime
    ok: bool
    events_checked: int
    tree_size: int
    checkpoints_checked: int
    fields_checked: bool = strawberry.field(
        description="Whether field digests were recomputed from the decrypted events."
    )
    fields_checked_from: int | None = strawberry.field(
        description=(
            "The first leaf whose field digests this run recomputed. Those of the leaves before "
            "it had been recomputed by an earlier run that found the store intact, and this run "
            "checked that the tree still has the root that run sealed at that size. 0: every "
            "leaf's were recomputed; null: none were."
        )
    )
    failure_kind: str | None = strawberry.field(
        description="altered, removed, inserted, or a checkpoint failure."
    )
    failure_position: Position | None = strawberry.field(
        description="The first position where the audit found the store changed."
    )
    failure: str | None

    @classmethod
    def of(cls, row: VerificationRow) -> LedgerVerification:
        failed = row.first_failure_position
        return cls(
            started_at=row.started_at,
            finished_at=row.finished_at,
            ok=row.ok,
            events_checked=row.events_checked,
            tree_size=row.tree_size,
            checkpoints_checked=row.checkpoints_checked,
            fields_checked=row.fields_checked,
            fields_checked_from=row.fields_from,
            failure_kind=row.failure_kind,
            failure_position=None if failed is None else Position(failed),
            failure=row.failure,
        )


@strawberry.type(description="The ledger's health: checkpoint, integration lag, witnesses, audit.")
class LedgerStatus:
    checkpoint: LedgerCheckpoint | None
    size: int = strawberry.field(description="Leaves in the log.")
    head: Position = strawberry.field(description="The event store's last position.")
    integrated_position: Position = strawberry.field(
        description="The last position the integrator has made a leaf of."
    )
    lag: int = strawberry.field(description="Positions written but not yet in the log.")
    witnesses: list[LedgerWitness]
    last_verification: LedgerVerification | None

    @classmethod
    def of(cls, health: LedgerHealth, head: int) -> LedgerStatus:
        verification = health.last_verification
        return cls(
            checkpoint=None
            if health.checkpoint is None
            else LedgerCheckpoint.of(health.checkpoint),
            size=health.size,
            head=Position(head),
            integrated_position=Position(health.integrated_position),
            lag=max(head - health.integrated_position, 0),
            witnesses=[LedgerWitness.of(w) for w in health.witnesses],
            last_verification=None if verification is None else LedgerVerification.of(verification),
        )


@strawberry.type(
    description=(
        "A trust's public signing keys (created on first use): the Ed25519 key its evidence "
        "bundles are signed with, and the certificate of the ECDSA P-256 key its PDFs are "
        "signed with (PAdES)."
    )
)
class TrustSigningKey:
    trust_id: strawberry.ID
    ed25519_public_key: str = strawberry.field(
        description="Base64 of the raw 32-byte Ed25519 public key: what `--trust-key` takes."
    )
    ed25519_fingerprint: str = strawberry.field(
        description="SHA-256 of the raw 32-byte public key, lowercase hex."
    )
    certificate: str = strawberry.field(
        description="The self-signed X.509 certificate (PEM) naming the trust, for PDF readers."
    )
    certificate_fingerprint: str = strawberry.field(
        description="SHA-256 of the certificate's DER, lowercase hex, as certificate viewers show."
    )
    created_at: datetime.datetime

    @classmethod
    def of(cls, keys: TrustPublicKeys) -> TrustSigningKey:
        return cls(
            trust_id=strawberry.ID(str(keys.trust_id)),
            ed25519_public_key=keys.ed25519_base64,
            ed25519_fingerprint=keys.ed25519_fingerprint,
            certificate=keys.certificate_pem,
            certificate_fingerprint=keys.certificate_fingerprint,
            created_at=keys.created_at,
        )

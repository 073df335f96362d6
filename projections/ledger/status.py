"""Reads of the ledger's health for ``ledgerStatus``: the newest checkpoint, the log's size and
how far the integrator has come, each witness's last answer, and the last audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import Connection

from projections.common import from_row


@dataclass(frozen=True)
class CheckpointRow:
    size: int
    root: bytes
    created_at: datetime


@dataclass(frozen=True)
class WitnessRow:
    witness: str
    url: str
    state: str
    cosigned_size: int | None
    http_status: int | None
    error: str | None
    updated_at: datetime


@dataclass(frozen=True)
class VerificationRow:
    run_id: int
    started_at: datetime
    finished_at: datetime
    ok: bool
    events_checked: int
    tree_size: int
    checkpoints_checked: int
    fields_checked: bool
    fields_from: int | None
    first_failure_position: int | None
    failure_kind: str | None
    failure: str | None


@dataclass(frozen=True)
class LedgerHealth:
    checkpoint: CheckpointRow | None
    size: int  # leaves in the log
    integrated_position: int  # the last store position the integrator has made a leaf of
    witnesses: list[WitnessRow]
    last_verification: VerificationRow | None


def health(conn: Connection[Any]) -> LedgerHealth:
    checkpoint = conn.execute(
        "SELECT size, root, created_at FROM ledger_checkpoints ORDER BY size DESC LIMIT 1"
    ).fetchone()
    head = conn.execute("SELECT size FROM ledger_head WHERE log = 1").fetchone()
    tracked = conn.execute(
        "SELECT max(notification_id) AS position FROM projection_tracking "
        "WHERE application_name = 'ledger'"
    ).fetchone()
    witnesses = conn.execute(
        "SELECT witness, url, state, cosigned_size, http_status, error, updated_at "
        "FROM ledger_witness_status ORDER BY witness"
    ).fetchall()
    verification = conn.execute(
        "SELECT * FROM ledger_verifications ORDER BY run_id DESC LIMIT 1"
    ).fetchone()
    return LedgerHealth(
        checkpoint=None
        if checkpoint is None
        else from_row(CheckpointRow, checkpoint, root=bytes(checkpoint["root"])),
        size=int(head["size"]) if head else 0,
        integrated_position=int(tracked["position"] or 0) if tracked else 0,
        witnesses=[from_row(WitnessRow, w) for w in witnesses],
        last_verification=None if verification is None else from_row(VerificationRow, verification),
    )

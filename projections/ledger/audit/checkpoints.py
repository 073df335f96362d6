"""Stored checkpoints, checked at the moment the rebuilt tree reaches their size: the root,
the log's signature, and each known witness's cosignature, which must sign the rebuilt root."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.ledger.note import (
    Checkpoint,
    NoteMalformed,
    NoteRejected,
    Verifier,
    parse_checkpoint,
    parse_note,
    verify_cosignature,
    verify_note,
)
from projections.ledger.audit.findings import Kind, fail

CHECKPOINTS_QUERY = (
    "SELECT c.size, c.root, c.note, s.witnesses, s.signatures FROM ledger_checkpoints c "
    "LEFT JOIN LATERAL (SELECT array_agg(witness ORDER BY witness) AS witnesses, "
    "array_agg(signature ORDER BY witness) AS signatures FROM ledger_cosignatures w "
    "WHERE w.size = c.size) s ON true ORDER BY c.size"
)


@dataclass(frozen=True)
class Trust:
    """The public keys checkpoints are checked with: the log's (type 0x01) and the
    witnesses' (type 0x04), by key name. Without a log key, only roots are compared."""

    log: Verifier | None = None
    witnesses: Mapping[str, Verifier] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str
    cosignatures: tuple[tuple[str, str], ...]  # (witness key name, signature line)


def checkpoints_of(rows: Iterable[Any]) -> Iterator[StoredCheckpoint]:
    """The rows of ``CHECKPOINTS_QUERY`` as checkpoints, smallest first."""
    for row in rows:
        cosigned = tuple(zip(row[3] or (), row[4] or (), strict=True))
        yield StoredCheckpoint(int(row[0]), bytes(row[1]), row[2], cosigned)


def check_checkpoint(
    trust: Trust, checkpoint: StoredCheckpoint, root: bytes, position: int
) -> None:
    """``checkpoint`` against ``root``, the rebuilt tree's at its size; ``position`` is the
    event of its last leaf, where a failure is reported."""
    size = checkpoint.size
    where = f"the checkpoint of size {size}"
    try:
        note = (
            parse_note(checkpoint.note)
            if trust.log is None
            else verify_note(checkpoint.note, [trust.log])
        )
        body = parse_checkpoint(note.body)
    except (NoteMalformed, NoteRejected) as e:
        raise fail(Kind.CHECKPOINT, position, f"{where} does not verify: {e}") from e
    if body.size != size or body.root != checkpoint.root:
        raise fail(Kind.CHECKPOINT, position, f"{where} signs another size or root")
    if body.root != root:
        # A witness that cosigned this root holds, independently, a history the rebuilt
        # tree contradicts: the stronger finding, so it is the one reported.
        for witness, line in checkpoint.cosignatures:
            verifier = trust.witnesses.get(witness)
            if verifier is not None and cosigns(verifier, note.body, line):
                raise fail(
                    Kind.WITNESS_INCONSISTENT,
                    position,
                    f"witness {witness} cosigned size {size} with root {body.root.hex()}; "
                    f"the rebuilt tree's is {root.hex()}",
                )
        raise fail(
            Kind.CHECKPOINT,
            position,
            f"{where} signs root {body.root.hex()}; the rebuilt tree's is {root.hex()}",
        )
    for witness, line in checkpoint.cosignatures:
        verifier = trust.witnesses.get(witness)
        if verifier is None:
            continue  # a witness no longer configured: its key is not known here
        rebuilt = Checkpoint(body.origin, size, root, body.extensions).body()
        if not cosigns(verifier, rebuilt, line):
            raise fail(
                Kind.WITNESS_INCONSISTENT,
                position,
                f"witness {witness} cosigned a tree of size {size} whose root is not "
                f"the rebuilt tree's {root.hex()}",
            )


def cosigns(verifier: Verifier, body: str, line: str) -> bool:
    try:
        verify_cosignature(body, line, verifier)
    except (NoteMalformed, NoteRejected):
        return False
    return True

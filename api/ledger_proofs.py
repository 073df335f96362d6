"""A record's proof, as the command line and GraphQL hand it out: the tlog-proof of the event at
a store position against the newest checkpoint that covers it, with every co-signature."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from psycopg import Connection

from domain.ledger.proof_format import format_proof
from projections.ledger.queries import Checkpoint, inclusion_hashes, latest_checkpoint, leaf_at


class NoProof(LookupError):
    """No proof of that position can be given yet (or ever): why, for the operator."""


@dataclass(frozen=True)
class Proof:
    position: int
    leaf_index: int
    tree_size: int
    aggregate_id: UUID
    version: int
    entry: bytes  # canonical JSON, as hashed into the leaf
    text: str  # the c2sp.org/tlog-proof@v1 file; its extra line carries the entry
    checkpoint_note: str


def prove(conn: Connection[Any], position: int, checkpoint: Checkpoint | None = None) -> Proof:
    """The proof of the event at ``position`` against ``checkpoint`` (by default the newest),
    or :class:`NoProof` saying why there is none."""
    leaf = leaf_at(conn, position)
    if leaf is None:
        raise NoProof(f"no event at position {position} is in the ledger (yet)")
    checkpoint = checkpoint or latest_checkpoint(conn)
    if checkpoint is None or checkpoint.size <= leaf.leaf_index:
        raise NoProof(
            f"no checkpoint covers position {position} yet (it is leaf {leaf.leaf_index})"
        )
    hashes = inclusion_hashes(conn, leaf.leaf_index, checkpoint.size)
    return Proof(
        position=position,
        leaf_index=leaf.leaf_index,
        tree_size=checkpoint.size,
        aggregate_id=leaf.aggregate_id,
        version=leaf.version,
        entry=leaf.entry,
        text=format_proof(leaf.leaf_index, hashes, checkpoint.note, leaf.entry),
        checkpoint_note=checkpoint.note,
    )

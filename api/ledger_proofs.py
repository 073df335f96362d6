"""A record's proof, as the command line and GraphQL hand it out: the tlog-proof of the event at
a store position against the newest checkpoint that covers it, with every co-signature."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from psycopg import Connection

from domain.ledger.proof_format import format_proof
from projections.ledger.queries import inclusion_proof, latest_checkpoint


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


def leaf_of(conn: Connection[Any], position: int) -> tuple[int, UUID, int] | None:
    """(leaf index, aggregate id, version) of the event at ``position``, once it is a leaf."""
    row = conn.execute(
        "SELECT leaf_index, originator_id, originator_version FROM ledger_entries "
        "WHERE position = %s",
        (position,),
    ).fetchone()
    if row is None:
        return None
    return int(row["leaf_index"]), row["originator_id"], int(row["originator_version"])


def prove(conn: Connection[Any], position: int) -> Proof:
    """The proof of the event at ``position``, or :class:`NoProof` saying why there is none."""
    leaf = leaf_of(conn, position)
    if leaf is None:
        raise NoProof(f"no event at position {position} is in the ledger (yet)")
    index, aggregate_id, version = leaf
    checkpoint = latest_checkpoint(conn)
    if checkpoint is None or checkpoint.size <= index:
        raise NoProof(f"no checkpoint covers position {position} yet (it is leaf {index})")
    included = inclusion_proof(conn, position, checkpoint.size)
    if included is None:  # the entry was found above, and entries are never removed
        raise NoProof(f"the ledger holds no leaf for position {position}")
    text = format_proof(included.leaf_index, included.hashes, checkpoint.note, included.entry)
    return Proof(
        position=position,
        leaf_index=included.leaf_index,
        tree_size=checkpoint.size,
        aggregate_id=aggregate_id,
        version=version,
        entry=included.entry,
        text=text,
        checkpoint_note=checkpoint.note,
    )

"""Reads of the ledger: the head, entries, and proofs answered from the stored tiles with one
indexed read each (every perfect subtree a proof needs lies in a tile it names)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from psycopg import Connection

from domain.ledger import merkle
from domain.ledger.tiles import TileNodes, tiles_for
from projections.ledger.integrator import read_head, read_tiles

__all__ = [
    "Checkpoint",
    "Included",
    "consistency_proof",
    "inclusion_proof",
    "latest_checkpoint",
    "read_head",
]


def nodes_for(conn: Connection[Any], ranges: Iterable[tuple[int, int]]) -> TileNodes:
    """The tiles holding every perfect subtree the ranges fold from, in one query."""
    keys = sorted(tiles_for(merkle.needed_nodes(ranges)))
    with conn.cursor() as curs:
        return TileNodes(read_tiles(curs, keys))


@dataclass(frozen=True)
class Included:
    leaf_index: int
    entry: bytes
    hashes: list[bytes]


def inclusion_proof(conn: Connection[Any], position: int, size: int) -> Included | None:
    """The entry of the event at ``position`` and its inclusion proof in the tree of ``size``
    leaves; None if no leaf below ``size`` holds that event."""
    row = conn.execute(
        "SELECT leaf_index, entry FROM ledger_entries WHERE position = %s", (position,)
    ).fetchone()
    if row is None or row["leaf_index"] >= size:
        return None
    index = int(row["leaf_index"])
    ranges = merkle.inclusion_ranges(index, size)
    nodes = nodes_for(conn, ranges)
    return Included(index, bytes(row["entry"]), [merkle.range_hash(nodes, s, e) for s, e in ranges])


def consistency_proof(conn: Connection[Any], old: int, new: int) -> list[bytes]:
    ranges = merkle.consistency_ranges(old, new)
    nodes = nodes_for(conn, ranges)
    return [merkle.range_hash(nodes, s, e) for s, e in ranges]


@dataclass(frozen=True)
class Checkpoint:
    size: int
    root: bytes
    note: str  # the log's signed note, with every co-signature received appended


def _with_cosignatures(conn: Connection[Any], size: int, note: str) -> str:
    rows = conn.execute(
        "SELECT signature FROM ledger_cosignatures WHERE size = %s ORDER BY witness", (size,)
    ).fetchall()
    return note + "".join(r["signature"] for r in rows)


def latest_checkpoint(conn: Connection[Any], at_most: int | None = None) -> Checkpoint | None:
    """The newest checkpoint (of at most ``at_most`` leaves), with its co-signatures."""
    row = conn.execute(
        "SELECT size, root, note FROM ledger_checkpoints WHERE %(at_most)s::bigint IS NULL "
        "OR size <= %(at_most)s ORDER BY size DESC LIMIT 1",
        {"at_most": at_most},
    ).fetchone()
    if row is None:
        return None
    size = int(row["size"])
    return Checkpoint(size, bytes(row["root"]), _with_cosignatures(conn, size, row["note"]))

"""Reads of the ledger: the head, entries, and proofs answered from the stored tiles with one
indexed read each (every perfect subtree a proof needs lies in a tile it names)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from psycopg import Connection

from domain.ledger import merkle
from domain.ledger.tiles import TileNodes, tiles_for
from projections.ledger.integrator import read_head, read_tiles

__all__ = [
    "Checkpoint",
    "Included",
    "Leaf",
    "consistency_proof",
    "inclusion_hashes",
    "inclusion_proof",
    "latest_checkpoint",
    "leaf_at",
    "read_head",
]


def nodes_for(conn: Connection[Any], ranges: Iterable[tuple[int, int]]) -> TileNodes:
    """The tiles holding every perfect subtree the ranges fold from, in one query."""
    keys = sorted(tiles_for(merkle.needed_nodes(ranges)))
    with conn.cursor() as curs:
        return TileNodes(read_tiles(curs, keys))


def _hashes(conn: Connection[Any], ranges: list[tuple[int, int]]) -> list[bytes]:
    nodes = nodes_for(conn, ranges)
    return [merkle.range_hash(nodes, s, e) for s, e in ranges]


@dataclass(frozen=True)
class Leaf:
    """The leaf the event at a position became: its index, its record and the entry."""

    leaf_index: int
    aggregate_id: UUID
    version: int
    entry: bytes


def leaf_at(conn: Connection[Any], position: int) -> Leaf | None:
    """The leaf of the event at ``position``; None until the integrator has made one."""
    row = conn.execute(
        "SELECT leaf_index, originator_id, originator_version, entry FROM ledger_entries "
        "WHERE position = %s",
        (position,),
    ).fetchone()
    if row is None:
        return None
    return Leaf(
        int(row["leaf_index"]),
        row["originator_id"],
        int(row["originator_version"]),
        bytes(row["entry"]),
    )


def inclusion_hashes(conn: Connection[Any], index: int, size: int) -> list[bytes]:
    """The inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""
    return _hashes(conn, merkle.inclusion_ranges(index, size))


@dataclass(frozen=True)
class Included:
    leaf_index: int
    entry: bytes
    hashes: list[bytes]


def inclusion_proof(conn: Connection[Any], position: int, size: int) -> Included | None:
    """The entry of the event at ``position`` and its inclusion proof in the tree of ``size``
    leaves; None if no leaf below ``size`` holds that event."""
    leaf = leaf_at(conn, position)
    if leaf is None or leaf.leaf_index >= size:
        return None
    return Included(leaf.leaf_index, leaf.entry, inclusion_hashes(conn, leaf.leaf_index, size))


def consistency_proof(conn: Connection[Any], old: int, new: int) -> list[bytes]:
    return _hashes(conn, merkle.consistency_ranges(old, new))


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

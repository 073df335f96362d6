"""Reads of the ledger: what the proof that one event is in the log is made of.

A proof needs two indexed reads, whatever the size of the log: the event's leaf index (by its
position), then every tile the proof's hashes are folded from, in one query. ``ledgerProof``
and ``casework ledger proof`` build on :func:`inclusion_proof`; the benchmark times it.
"""

from __future__ import annotations

from typing import Any

from psycopg import Connection

from domain.ledger import merkle
from domain.ledger.tiles import TileNodes, tiles_for
from projections.ledger.integrator import read_tiles


class NotInLedger(LookupError):
    """No leaf of the log is the event at this position (not yet integrated, or no event)."""

    def __init__(self, position: int) -> None:
        super().__init__(f"no leaf of the ledger is the event at position {position}")
        self.position = position


def leaf_index(conn: Connection[Any], position: int) -> int:
    """The leaf index of the event at ``position``; :class:`NotInLedger` if it has none."""
    row = conn.execute(
        "SELECT leaf_index FROM ledger_entries WHERE position = %s", (position,)
    ).fetchone()
    if row is None:
        raise NotInLedger(position)
    return int(row["leaf_index"])


def inclusion_proof(conn: Connection[Any], position: int, size: int) -> tuple[int, list[bytes]]:
    """(leaf index, audit path) proving that the event at ``position`` is in the tree of the
    first ``size`` leaves (RFC 6962 §2.1.1; leaf upwards). ``size`` must be one the log has
    reached: a stored checkpoint's, or the head's. Raises :class:`NotInLedger`, ``ValueError``
    if the leaf is not within ``size``, ``LookupError`` if the tiles do not reach ``size``."""
    index = leaf_index(conn, position)
    ranges = merkle.inclusion_ranges(index, size)
    keys = sorted(tiles_for(merkle.needed_nodes(ranges)))
    with conn.cursor() as curs:
        tiles = read_tiles(curs, keys)
    return index, merkle.inclusion_proof(TileNodes(tiles), index, size)

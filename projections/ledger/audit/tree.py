"""The tile arithmetic the audit compares stored tiles with (the rebuilt tree itself is an
:class:`~domain.ledger.tiles.Edge`, extended a batch of leaves at a time)."""

from __future__ import annotations

from domain.ledger.merkle import HASH_SIZE
from domain.ledger.tiles import TILE_HEIGHT, TILE_WIDTH


def expected_tile_count(size: int) -> int:
    """How many tiles a tree of ``size`` leaves is stored in: every tile level with at least
    one node, each in tiles of 256."""
    total, nodes = 0, size
    while nodes:
        total += -(-nodes // TILE_WIDTH)
        nodes >>= TILE_HEIGHT
    return total


def first_difference(theirs: bytes, ours: bytes) -> int:
    """The offset, in hashes, of the first hash in which two tiles differ (0 if none does)."""
    for i in range(0, len(ours), HASH_SIZE):
        if theirs[i : i + HASH_SIZE] != ours[i : i + HASH_SIZE]:
            return i // HASH_SIZE
    return 0

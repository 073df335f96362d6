"""The rebuilt tree: leaves appended a tile at a time, and the tile arithmetic the audit
compares stored tiles with."""

from __future__ import annotations

from collections.abc import Sequence

from domain.ledger.merkle import HASH_SIZE, root_of
from domain.ledger.tiles import TILE_HEIGHT, TILE_WIDTH, Edge


def expected_tile_count(size: int) -> int:
    """How many tiles a tree of ``size`` leaves is stored in: every tile level with at least
    one node, each in tiles of 256."""
    total, nodes = 0, size
    while nodes:
        total += -(-nodes // TILE_WIDTH)
        nodes >>= TILE_HEIGHT
    return total


def extend(edge: Edge, leaves: Sequence[bytes]) -> None:
    """Append ``leaves`` to ``edge`` exactly as :meth:`Edge.append` would one by one (the same
    ``partial`` and ``changed``), but joining each tile's hashes once per call rather than
    once per leaf: per leaf, the audit then pays only for the hashes themselves."""
    done = 0
    while done < len(leaves):
        hashes = edge.partial.setdefault(0, [])
        take = leaves[done : done + TILE_WIDTH - len(hashes)]
        first = edge.size
        hashes.extend(take)
        edge.size += len(take)
        done += len(take)
        edge.changed[(0, first >> TILE_HEIGHT)] = b"".join(hashes)
        if len(hashes) == TILE_WIDTH:
            del edge.partial[0]
            _carry(edge, root_of(hashes), first >> TILE_HEIGHT)


def _carry(edge: Edge, value: bytes, index: int) -> None:
    """A full tile's root into the tile level above (node ``index`` there), and so on up."""
    level = 1
    while True:
        hashes = edge.partial.setdefault(level, [])
        hashes.append(value)
        edge.changed[(level, index >> TILE_HEIGHT)] = b"".join(hashes)
        if len(hashes) < TILE_WIDTH:
            return
        value = root_of(hashes)
        del edge.partial[level]
        level, index = level + 1, index >> TILE_HEIGHT


def first_difference(theirs: bytes, ours: bytes) -> int:
    """The offset, in hashes, of the first hash in which two tiles differ (0 if none does)."""
    for i in range(0, len(ours), HASH_SIZE):
        if theirs[i : i + HASH_SIZE] != ours[i : i + HASH_SIZE]:
            return i // HASH_SIZE
    return 0

"""The tree stored as C2SP tlog-tiles: tile (level L, index N) holds up to 256 consecutive
hashes of tree level 8L, from node N * 256. Any perfect subtree is one tile read plus at most 127
hashes, so a proof is a few indexed reads; a partial tile (the right edge) grows in place and a
full one never changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from domain.ledger.merkle import EMPTY_ROOT, HASH_SIZE, node_hash, root_of

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT

TileKey = tuple[int, int]  # (tile level, tile index)


def tile_of(level: int, index: int) -> tuple[TileKey, int, int]:
    """Where perfect node (level, index) is read from: its tile, the offset of its first
    tile-level hash there, and how many of them it spans."""
    tile_level, below = divmod(level, TILE_HEIGHT)
    first = index << below
    return (tile_level, first >> TILE_HEIGHT), first & (TILE_WIDTH - 1), 1 << below


def tiles_for(nodes: Iterable[tuple[int, int]]) -> set[TileKey]:
    return {tile_of(level, index)[0] for level, index in nodes}


def split_hashes(data: bytes) -> list[bytes]:
    return [bytes(data[i : i + HASH_SIZE]) for i in range(0, len(data), HASH_SIZE)]


class TileNodes:
    """:class:`~domain.ledger.merkle.Nodes` read from tiles (as stored: concatenated hashes)."""

    def __init__(self, tiles: Mapping[TileKey, bytes]) -> None:
        self.tiles = tiles

    def node(self, level: int, index: int) -> bytes:
        key, offset, count = tile_of(level, index)
        data = self.tiles.get(key)
        if data is None or len(data) < (offset + count) * HASH_SIZE:
            raise LookupError(f"node ({level}, {index}) is not in the stored tiles")
        if count == 1:
            return bytes(data[offset * HASH_SIZE : (offset + 1) * HASH_SIZE])
        return root_of(split_hashes(data[offset * HASH_SIZE : (offset + count) * HASH_SIZE]))


def edge_keys(size: int) -> list[TileKey]:
    """The partial tiles of a tree of ``size`` leaves: the right edge, one per tile level."""
    keys = []
    level, count = 0, size
    while count:
        if count % TILE_WIDTH:
            keys.append((level, count // TILE_WIDTH))
        level, count = level + 1, count // TILE_WIDTH
    return keys


@dataclass
class Edge:
    """The right edge of the tree: the partial tile of each level, in memory. Appending leaves
    completes tiles bottom-up; ``changed`` names the tiles to write (full ones once, the
    partial ones as they grow). Beside each partial tile it keeps the roots of the perfect
    subtrees its hashes make (``peaks``, largest first, as (height, root)), merged as hashes
    arrive: a full tile's root and the tree's root then cost a few hashes, not a tile's worth
    each time (the integrator asks for the root with every batch)."""

    size: int = 0
    partial: dict[int, list[bytes]] = field(default_factory=dict)  # tile level -> hashes
    changed: dict[TileKey, bytes] = field(default_factory=dict)
    peaks: dict[int, list[tuple[int, bytes]]] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        for level, hashes in self.partial.items():
            if level not in self.peaks:
                self.peaks[level] = []
                for value in hashes:
                    self._push(level, value)

    @classmethod
    def load(cls, size: int, tiles: Mapping[TileKey, bytes]) -> Edge:
        partial = {}
        for level, index in edge_keys(size):
            width = (size >> (TILE_HEIGHT * level)) % TILE_WIDTH
            data = tiles.get((level, index))
            if data is None or len(data) != width * HASH_SIZE:
                raise LookupError(f"tile ({level}, {index}) is not the edge of a tree of {size}")
            partial[level] = split_hashes(data)
        return cls(size, partial)

    def copy(self) -> Edge:
        return Edge(
            self.size,
            {k: list(v) for k, v in self.partial.items()},
            peaks={k: list(v) for k, v in self.peaks.items()},
        )

    def append(self, leaf: bytes) -> None:
        self.extend([leaf])

    def extend(self, leaves: Sequence[bytes]) -> None:
        """Append ``leaves`` in order, joining each changed tile's hashes once per call rather
        than once per leaf (a batch of leaves fills a tile at a time)."""
        done = 0
        while done < len(leaves):
            hashes = self.partial.setdefault(0, [])
            take = leaves[done : done + TILE_WIDTH - len(hashes)]
            index = self.size >> TILE_HEIGHT
            hashes.extend(take)
            for leaf in take:
                self._push(0, leaf)
            self.size += len(take)
            done += len(take)
            self.changed[(0, index)] = b"".join(hashes)
            if len(hashes) == TILE_WIDTH:
                self._carry(self._complete(0), index)

    def _push(self, level: int, value: bytes) -> None:
        """One more hash in level ``level``'s partial tile: merge the perfect subtrees it
        completes."""
        peaks = self.peaks.setdefault(level, [])
        height = 0
        while peaks and peaks[-1][0] == height:
            value = node_hash(peaks.pop()[1], value)
            height += 1
        peaks.append((height, value))

    def _complete(self, level: int) -> bytes:
        """The root of level ``level``'s tile, now full, which leaves the edge."""
        ((_, value),) = self.peaks.pop(level)
        del self.partial[level]
        return value

    def _carry(self, value: bytes, index: int) -> None:
        """A full tile's root into the tile level above (node ``index`` there), and so on up."""
        level = 1
        while True:
            hashes = self.partial.setdefault(level, [])
            hashes.append(value)
            self._push(level, value)
            self.changed[(level, index >> TILE_HEIGHT)] = b"".join(hashes)
            if len(hashes) < TILE_WIDTH:
                return
            value = self._complete(level)
            level, index = level + 1, index >> TILE_HEIGHT

    def root(self) -> bytes:
        """MTH of the whole tree, from the edge alone: every perfect subtree of the root's
        decomposition is one of a partial tile's peaks, folded from the right."""
        result: bytes | None = None
        for level in sorted(self.peaks):
            for _, piece in reversed(self.peaks[level]):
                result = piece if result is None else node_hash(piece, result)
        return EMPTY_ROOT if result is None else result

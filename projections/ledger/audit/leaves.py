"""The leaf-by-leaf check: for a batch the batch check did not clear, each leaf is taken
apart against its row to say what differs, and so which kind of failure it is and where."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from domain.ledger.merkle import HASH_SIZE, leaf_hash
from domain.ledger.tiles import TILE_WIDTH
from projections.ledger.audit.findings import Kind, fail
from projections.ledger.audit.rows import Event, EventRows, Header, canonical_header


@dataclass(frozen=True, slots=True)
class Leaf:
    index: int
    position: int
    aggregate: str
    version: int
    previous: bytes | None  # the entry hash of the aggregate's previous version
    canonical: bytes
    leaf: bytes


def inserted(event: Event) -> str:
    return (
        f"the row at position {event.position} ({event.aggregate} version "
        f"{event.version}) is named by no leaf of the log"
    )


class LeafByLeaf:
    """The checks of one leaf at a time, over the state the run keeps."""

    last: dict[str, tuple[int, bytes]]  # aggregate -> (version, entry hash)
    last_position: int
    leaf_tiles: Iterator[Any]
    tile: tuple[int, bytes]

    def tile_at(self, tile_index: int) -> bytes:
        """The stored leaf tile ``tile_index`` (b"" if there is none), read in order."""
        while self.tile[0] < tile_index:
            row = next(self.leaf_tiles, None)
            if row is None:
                break
            self.tile = (int(row[0]), bytes(row[1]))
        return self.tile[1] if self.tile[0] == tile_index else b""

    def check_leaf(self, index: int, row: Any, events: EventRows) -> tuple[Leaf, Event]:
        """One leaf against its row; raises the first failure."""
        stored_index, position, aggregate, version, data, stored_leaf = row
        if stored_index != index:
            raise fail(
                Kind.LEDGER_ALTERED, None, f"leaf {index} is missing from the ledger's entries"
            )
        leaf = leaf_hash(data)
        if leaf != stored_leaf:
            raise fail(
                Kind.LEDGER_ALTERED, position, f"leaf {index}'s stored hash is not its entry's"
            )
        previous = self._diagnose(index, row, events)  # raises unless the entry is sound
        event = events.head
        if event is None:  # _diagnose has raised
            raise RuntimeError(f"leaf {index} was matched to no row")
        events.pop()
        tile_index, offset = divmod(index, TILE_WIDTH)
        if self.tile_at(tile_index)[offset * HASH_SIZE : (offset + 1) * HASH_SIZE] != leaf:
            raise fail(
                Kind.LEDGER_ALTERED,
                position,
                f"the stored tiles hold another hash for leaf {index} than its entry's",
            )
        self.last.pop(aggregate, None)
        self.last[aggregate] = (version, leaf)
        self.last_position = position
        return Leaf(index, position, aggregate, version, previous, data, leaf), event

    def _diagnose(self, index: int, row: Any, events: EventRows) -> bytes | None:
        """Take apart a leaf against its row: raise the failure that says what differs (the
        ledger itself, the store's order, or the row); return its previous entry hash if it
        is sound."""
        _, position, aggregate, version, data, _ = row
        try:
            entry = canonical_header(data)
        except (ValueError, KeyError, TypeError) as e:
            raise fail(
                Kind.LEDGER_ALTERED, position, f"leaf {index}'s entry is not one: {e}"
            ) from e
        if (entry.index, entry.position, entry.aggregate, entry.version) != (
            index,
            position,
            aggregate,
            version,
        ):
            raise fail(
                Kind.LEDGER_ALTERED,
                position,
                f"leaf {index}'s entry names a place other than its row in the ledger",
            )
        if position <= self.last_position:
            raise fail(
                Kind.LEDGER_ALTERED, position, f"leaf {index} does not follow the store's order"
            )
        event = events.head
        if event is not None and event.position < position:
            raise fail(Kind.INSERTED, event.position, inserted(event))
        if event is None or event.position > position:
            raise fail(
                Kind.REMOVED,
                position,
                f"leaf {index} names position {position} ({aggregate} version {version}), "
                "which has no row",
            )
        self._compare(index, entry, event)
        return self._previous(index, aggregate, entry)

    def _compare(self, index: int, entry: Header, event: Event) -> None:
        differ = [
            what
            for what, same in (
                ("aggregate id", event.aggregate == entry.aggregate),
                ("version", event.version == entry.version),
                ("topic", event.topic == entry.topic),
                ("state bytes", event.state_sha256.hex() == entry.state_sha256),
            )
            if not same
        ]
        if differ:
            raise fail(
                Kind.ALTERED,
                event.position,
                f"the row at position {event.position} differs from leaf {index} in its "
                + ", ".join(differ),
            )

    def _previous(self, index: int, aggregate: str, entry: Header) -> bytes | None:
        version = entry.version
        known = self.last.get(aggregate)
        if version == 1:
            expected = None
            if known is not None:
                raise fail(
                    Kind.LEDGER_ALTERED,
                    entry.position,
                    f"leaf {index} starts {aggregate} again after version {known[0]}",
                )
        elif known is None or known[0] != version - 1:
            had = "no earlier version" if known is None else f"version {known[0]} last"
            raise fail(
                Kind.LEDGER_ALTERED,
                entry.position,
                f"leaf {index} is version {version} of {aggregate}, whose log holds {had}",
            )
        else:
            expected = known[1].hex()
        if entry.previous != expected:
            raise fail(
                Kind.LEDGER_ALTERED,
                entry.position,
                f"leaf {index} does not name the entry hash of {aggregate}'s previous version",
            )
        return None if expected is None else bytes.fromhex(expected)

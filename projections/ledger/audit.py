"""The audit behind ``casework verify``: the whole event store checked against the ledger.

Every leaf is recomputed from the row it names and the tree is rebuilt from those leaves, so
the audit trusts nothing the ledger stores about itself: a row changed, removed or inserted
after the log committed to it is reported at its position, and so is a ledger entry, tile or
head that no longer matches the rows. Stored checkpoints are checked as the rebuild passes
their sizes, so a rewritten history is caught even when the ledger was rebuilt to match it.

The audit streams three ordered reads in step (events by position, entries by leaf index,
leaf tiles by index) through server-side cursors, so memory stays flat whatever the size of
the store; hashing costs about a microsecond a leaf, reading the rows dominates.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from itertools import islice
from typing import Any, Literal
from uuid import UUID

from eventsourcing.persistence import Mapper, Notification
from psycopg import Connection
from psycopg.pq import TransactionStatus
from psycopg.rows import tuple_row

from domain.ledger.entry import Entry
from domain.ledger.merkle import EMPTY_ROOT, HASH_SIZE, leaf_hash
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
from domain.ledger.tiles import TILE_HEIGHT, TILE_WIDTH, Edge, TileKey, edge_keys
from projections.ledger.entries import EntryMaker, Stored

_SAFE_INT = 2**53 - 1  # the largest integer RFC 8785 writes as itself
BATCH = 2048  # leaves per step: a multiple of the tile width, so leaf tiles end inside a step
AGGREGATE_CACHE = 1_000_000  # aggregates whose last entry hash is kept; older ones are re-read


class Kind(StrEnum):
    """What the first failure is: the names ``ledger_verifications.failure_kind`` holds."""

    ALTERED = "altered"  # a row's bytes, topic or ids differ from what the log committed to
    REMOVED = "removed"  # the log names a position that has no row
    INSERTED = "inserted"  # a row at or below the log's head position that no leaf names
    LEDGER_ALTERED = "ledger-altered"  # an entry, a tile or the head no longer fits the rows
    CHECKPOINT = "checkpoint"  # a stored checkpoint's root or log signature does not hold
    WITNESS_INCONSISTENT = "witness-inconsistent"  # a witness cosigned a root the tree lacks


@dataclass(frozen=True)
class Failure:
    kind: Kind
    position: int | None  # the event position it concerns (None: no position names it)
    what: str  # for the operator: positions, sizes and hashes, never a field's value


@dataclass
class Report:
    started_at: datetime
    fields_checked: bool
    finished_at: datetime | None = None
    events_checked: int = 0
    tree_size: int = 0
    checkpoints_checked: int = 0
    failure: Failure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def seconds(self) -> float:
        end = self.finished_at or datetime.now(UTC)
        return (end - self.started_at).total_seconds()


@dataclass(frozen=True)
class Keys:
    """What field recomputation needs: the entry maker (holding the keyring) and the mapper
    that decrypts and decodes a stored event."""

    maker: EntryMaker
    mapper: Mapper[UUID]


@dataclass(frozen=True)
class Trust:
    """The public keys checkpoints are checked with: the log's (type 0x01) and the
    witnesses' (type 0x04), by key name. Without a log key, only roots are compared."""

    log: Verifier | None = None
    witnesses: Mapping[str, Verifier] = field(default_factory=dict)


class Found(Exception):
    """Raised inside the audit at the first failure; the run stops there."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.what)
        self.failure = failure


@dataclass(frozen=True, slots=True)
class _Event:
    position: int
    aggregate: UUID
    version: int
    topic: str
    state_sha256: bytes
    state: bytes | None = None  # read only to recompute fields


@dataclass(frozen=True, slots=True)
class _Leaf:
    index: int
    position: int
    aggregate: UUID
    version: int
    previous: bytes | None  # the entry hash of the aggregate's previous version
    canonical: bytes
    leaf: bytes


@dataclass(frozen=True)
class _Checkpoint:
    size: int
    root: bytes
    note: str
    cosignatures: tuple[tuple[str, str], ...]  # (witness key name, signature line)


class _Peekable:
    """The events stream, read one ahead so that it can be merged with the leaves."""

    def __init__(self, items: Iterator[_Event]) -> None:
        self.items = items
        self.head: _Event | None = next(items, None)

    def pop(self) -> None:
        self.head = next(self.items, None)


def _stream(
    conn: Connection[Any], name: str, query: str, params: Sequence[Any]
) -> Generator[Any, None, None]:
    """Rows of ``query`` through a server-side cursor, fetched ``BATCH`` at a time."""
    with conn.cursor(name, row_factory=tuple_row, binary=True) as curs:
        curs.itersize = BATCH
        curs.execute(query, params)
        yield from curs


def _fail(kind: Kind, position: int | None, what: str) -> Found:
    return Found(Failure(kind, position, what))


def expected_tile_count(size: int) -> int:
    """How many tiles a tree of ``size`` leaves is stored in: every tile level with at least
    one node, each in tiles of 256."""
    total, nodes = 0, size
    while nodes:
        total += -(-nodes // TILE_WIDTH)
        nodes >>= TILE_HEIGHT
    return total


@dataclass(frozen=True, slots=True)
class Header:
    """What the audit reads from an entry without field recomputation: all but its fields
    and its time (both covered by the leaf hash, and recomputed only with keys)."""

    index: int
    position: int
    aggregate: str
    version: int
    topic: str
    state_sha256: str
    previous: str | None


_TEXT = rb'"[\x20\x21\x23-\x5b\x5d-\x7e]*"'  # printable ASCII but " and \: JCS writes it as is
_ITEM = _TEXT + rb":(?:" + _TEXT + rb"|null)"
_INTEGER = rb"(0|[1-9][0-9]{0,15})"
_CANONICAL = re.compile(
    rb'\{"aggregate":"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})",'
    rb'"fields":\{((?:' + _ITEM + rb"(?:," + _ITEM + rb")*)?)\},"
    rb'"index":' + _INTEGER + rb',"position":' + _INTEGER + rb","
    rb'"previous":(?:"([0-9a-f]{64})"|null),"recorded_at":' + _TEXT + rb","
    rb'"state_sha256":"([0-9a-f]{64})","topic":('
    + _TEXT
    + rb'),"v":1,"version":'
    + _INTEGER
    + rb"\}"
)
_BASE64URL = rb'"[A-Za-z0-9_-]*"'
_DIGEST = _BASE64URL + rb":(?:" + _BASE64URL + rb"|null)"
_DIGEST_VALUE = re.compile(rb':(?:"[A-Za-z0-9_-]*"|null)')
_FIELDS = re.compile(rb"(?:" + _DIGEST + rb"(?:," + _DIGEST + rb")*)?")
_PLAIN = re.compile(rb"[\x20\x21\x23-\x5b\x5d-\x7e]*")
_NAME = re.compile(rb'"([^"]*)":(?:"[^"]*"|null)')


def _json_text(text: str) -> bytes:
    """``text`` as RFC 8785 writes it, if it is printable ASCII without quotes or backslashes
    (written as is); else b"" (left to the full check)."""
    data = text.encode("utf-8")
    return b'"' + data + b'"' if _PLAIN.fullmatch(data) else b""


def canonical_header(data: bytes) -> Header:
    """The header of the entry ``data`` holds, if it is an entry in canonical form (RFC 8785);
    else ValueError.

    RFC 8785 in pure Python costs some 60 µs an entry, more than reading the row. For an
    entry whose strings are printable ASCII without quotes or backslashes and whose numbers
    are safe integers (every entry the integrator writes), canonical JSON is exactly the
    pattern above with field names in increasing order, which is checked in C; anything else
    takes the full check."""
    match = _CANONICAL.fullmatch(data)
    if match is not None:
        names = _NAME.findall(match[2])
        index, position, version = int(match[3]), int(match[4]), int(match[8])
        if sorted(set(names)) == names and max(index, position, version) <= _SAFE_INT:
            return Header(
                index=index,
                position=position,
                aggregate=match[1].decode(),
                version=version,
                topic=match[7][1:-1].decode(),
                state_sha256=match[6].decode(),
                previous=None if match[5] is None else match[5].decode(),
            )
    entry = Entry.from_bytes(data)
    if entry.canonical() != data:
        raise ValueError("its bytes are not its canonical JSON (RFC 8785)")
    return Header(
        entry.index,
        entry.position,
        str(entry.aggregate_id),
        entry.version,
        entry.topic,
        entry.state_sha256,
        entry.previous,
    )


class _Audit:
    def __init__(
        self,
        conn: Connection[Any],
        keys: Keys | None,
        trust: Trust,
        report: Report,
        aggregate_cache: int,
    ) -> None:
        self.conn, self.keys, self.trust, self.report = conn, keys, trust, report
        self.cache_limit = aggregate_cache
        self.last: dict[UUID, tuple[int, bytes]] = {}  # aggregate -> (version, entry hash)
        self.edge = Edge()
        self.leaf_positions: dict[int, int] = {}  # leaf index -> position, this batch only
        self.last_position = 0
        self.streams: list[Generator[Any, None, None]] = []
        self._topics: dict[str, bytes] = {}  # topic -> as JSON, b"" when not plain text
        self._ordered: dict[bytes, bool] = {}  # quoted field names -> in canonical order

    # -- reading ---------------------------------------------------------------------------

    def _open(self, name: str, query: str, params: Sequence[Any]) -> Generator[Any, None, None]:
        stream = _stream(self.conn, name, query, params)
        self.streams.append(stream)
        return stream

    def close(self) -> None:
        """Close the server-side cursors while their transaction is still open."""
        for stream in reversed(self.streams):
            stream.close()

    def _one(self, query: str, params: Sequence[Any] = ()) -> Any:
        with self.conn.cursor(row_factory=tuple_row, binary=True) as curs:
            return curs.execute(query, params).fetchone()

    def _tiles(self, keys: Sequence[TileKey]) -> dict[TileKey, bytes]:
        if not keys:
            return {}
        with self.conn.cursor(row_factory=tuple_row, binary=True) as curs:
            curs.execute(
                "SELECT level, tile_index, hashes FROM ledger_tiles WHERE (level, tile_index) "
                "IN (SELECT * FROM unnest(%s::smallint[], %s::bigint[]))",
                ([k[0] for k in keys], [k[1] for k in keys]),
            )
            return {(int(r[0]), int(r[1])): bytes(r[2]) for r in curs}

    def _position_of_leaf(self, index: int) -> int | None:
        if index in self.leaf_positions:
            return self.leaf_positions[index]
        row = self._one("SELECT position FROM ledger_entries WHERE leaf_index = %s", (index,))
        return None if row is None else int(row[0])

    # -- the run ---------------------------------------------------------------------------

    def run(self) -> None:
        row = self._one("SELECT size, root FROM ledger_head WHERE log = 1")
        size, root = (0, EMPTY_ROOT) if row is None else (int(row[0]), bytes(row[1]))
        self.report.tree_size = size
        row = self._one("SELECT max(position) FROM ledger_entries WHERE leaf_index < %s", (size,))
        head_position = 0 if row is None or row[0] is None else int(row[0])
        events = _Peekable(self._events(head_position))
        entries = self._open(
            "audit_entries",
            "SELECT leaf_index, position, originator_id, originator_version, entry, leaf_hash "
            "FROM ledger_entries WHERE leaf_index < %s ORDER BY leaf_index",
            (size,),
        )
        leaf_tiles = self._open(
            "audit_leaf_tiles",
            "SELECT tile_index, hashes FROM ledger_tiles WHERE level = 0 ORDER BY tile_index",
            (),
        )
        self.checkpoints = self._checkpoints()
        self.next_checkpoint = next(self.checkpoints, None)
        self.leaf_tiles = leaf_tiles
        self.tile: tuple[int, bytes] = (-1, b"")
        while True:
            batch = list(islice(entries, BATCH))
            if not batch:
                break
            self._batch(batch, events)
        if events.head is not None:
            raise _fail(Kind.INSERTED, events.head.position, self._inserted(events.head))
        if self.edge.size != size:
            raise _fail(
                Kind.LEDGER_ALTERED,
                None,
                f"the log's head names {size} leaves but the ledger holds {self.edge.size}",
            )
        self._finish(size, root)

    def _events(self, head_position: int) -> Iterator[_Event]:
        # The server hashes the state: without field recomputation the bytes themselves need
        # not cross the wire (the audit trusts the server for the rows it returns anyway).
        state = ", state" if self.keys is not None else ""
        for row in self._open(
            "audit_events",
            "SELECT notification_id, originator_id, originator_version, topic, "
            "coalesce(sha256(state), '')"
            f"{state} FROM casework_events WHERE notification_id <= %s ORDER BY notification_id",
            (head_position,),
        ):
            yield _Event(*row)  # binary rows: int, UUID, int, str, bytes as they are

    def _checkpoints(self) -> Iterator[_Checkpoint]:
        for row in self._open(
            "audit_checkpoints",
            "SELECT c.size, c.root, c.note, s.witnesses, s.signatures FROM ledger_checkpoints c "
            "LEFT JOIN LATERAL (SELECT array_agg(witness ORDER BY witness) AS witnesses, "
            "array_agg(signature ORDER BY witness) AS signatures FROM ledger_cosignatures w "
            "WHERE w.size = c.size) s ON true ORDER BY c.size",
            (),
        ):
            cosigned = tuple(zip(row[3] or (), row[4] or (), strict=True))
            yield _Checkpoint(int(row[0]), bytes(row[1]), row[2], cosigned)

    def _batch(self, batch: list[Any], events: _Peekable) -> None:
        """Check one run of leaves: first each leaf against its row (cheaply), then the field
        digests of those that passed, then the tree they grow. The earliest failure wins."""
        first = self.edge.size
        self.leaf_positions = {int(r[0]): int(r[1]) for r in batch}
        self._fetch_missing_predecessors(batch, first)
        checked: list[tuple[_Leaf, _Event]] = []
        found: Found | None = None
        for offset, row in enumerate(batch):
            try:
                checked.append(self._leaf(first + offset, row, events))
            except Found as stop:
                found = stop
                break
        if self.keys is not None and checked:
            failed = self._fields(self.keys, checked)
            if failed is not None:  # earlier than any failure of the cheap checks
                offset, found = failed
                checked = checked[:offset]
        try:
            for leaf, _ in checked:
                self._grow(leaf)
            self._check_full_tiles()
        finally:
            self.report.events_checked = self.edge.size
        if len(self.last) > self.cache_limit:
            # Between batches only: the next batch re-reads what it needs before it starts.
            for old in list(islice(self.last, len(self.last) - self.cache_limit // 2)):
                del self.last[old]
        if found is not None:
            raise found

    def _inserted(self, event: _Event) -> str:
        return (
            f"the row at position {event.position} ({event.aggregate} version "
            f"{event.version}) is named by no leaf of the log"
        )

    def _leaf(self, index: int, row: Any, events: _Peekable) -> tuple[_Leaf, _Event]:
        """One leaf against its row. The entry is first compared with the bytes its row and
        the chain imply (fast, and what every intact leaf is); only a leaf that differs is
        taken apart, to say what differs and so which kind of failure it is."""
        stored_index, position, aggregate, version, data, stored_leaf = row
        if stored_index != index:
            raise _fail(
                Kind.LEDGER_ALTERED, None, f"leaf {index} is missing from the ledger's entries"
            )
        leaf = leaf_hash(data)
        if leaf != stored_leaf:
            raise _fail(
                Kind.LEDGER_ALTERED, position, f"leaf {index}'s stored hash is not its entry's"
            )
        event = events.head
        implied = self._expected_previous(aggregate, version)
        if (
            implied is not False
            and event is not None
            and event.position == position
            and self._as_implied(index, position, aggregate, version, implied, event, data)
        ):
            previous = implied
        else:
            previous = self._diagnose(index, row, events)  # raises unless the entry is sound
            event = events.head
        if event is None:  # _diagnose has raised
            raise RuntimeError(f"leaf {index} was matched to no row")
        events.pop()
        self._stored_leaf(index, position, leaf)
        self.last.pop(aggregate, None)
        self.last[aggregate] = (version, leaf)
        self.last_position = position
        return _Leaf(index, position, aggregate, version, previous, data, leaf), event

    def _expected_previous(self, aggregate: UUID, version: int) -> bytes | Literal[False] | None:
        """The entry hash version ``version`` of ``aggregate`` must name (None for a first
        version); False when the chain so far does not allow that version."""
        known = self.last.get(aggregate)
        if version == 1:
            return None if known is None else False
        if known is None or known[0] != version - 1:
            return False
        return known[1]

    def _as_implied(
        self,
        index: int,
        position: int,
        aggregate: UUID,
        version: int,
        previous: bytes | None,
        event: _Event,
        data: bytes,
    ) -> bool:
        """Whether ``data`` is, byte for byte, the canonical entry that the row, its place
        and the chain imply, with some time and some field digests (of printable ASCII
        names and base64url values: what the integrator writes)."""
        topic = self._topics.get(event.topic)
        if topic is None:
            topic = self._topics[event.topic] = _json_text(event.topic)
        if (
            not topic
            or event.aggregate != aggregate
            or event.version != version
            or max(index, position, version) > _SAFE_INT
        ):
            return False
        head = b'{"aggregate":"' + str(aggregate).encode() + b'","fields":{'
        prior = b"null" if previous is None else b'"' + previous.hex().encode() + b'"'
        middle = b'},"index":%d,"position":%d,"previous":%s,"recorded_at":"' % (
            index,
            position,
            prior,
        )
        tail = b'","state_sha256":"%s","topic":%s,"v":1,"version":%d}' % (
            event.state_sha256.hex().encode(),
            topic,
            version,
        )
        if not (data.startswith(head) and data.endswith(tail)):
            return False
        cut = data.find(middle, len(head))  # fields hold no brace: the first is the end
        if cut < 0:
            return False
        fields = data[len(head) : cut]
        if (
            _FIELDS.fullmatch(fields) is None
            or _PLAIN.fullmatch(data, cut + len(middle), len(data) - len(tail)) is None
        ):
            return False
        names = _DIGEST_VALUE.sub(b"", fields)  # the quoted names, comma-separated
        ordered = self._ordered.get(names)
        if ordered is None:
            # '"' sorts before every base64url character, so the byte order of quoted names
            # is RFC 8785's order of the names. An event class has one set of names: cached.
            listed = names.split(b",") if names else []
            ordered = self._ordered[names] = sorted(set(listed)) == listed
        return ordered

    def _diagnose(self, index: int, row: Any, events: _Peekable) -> bytes | None:
        """Take apart a leaf that is not what its row implies: raise the failure that says
        what differs (the ledger itself, the store's order, or the row). An entry found
        sound after all (canonical but outside the fast form) returns its previous hash."""
        _, position, aggregate, version, data, _ = row
        try:
            entry = canonical_header(data)
        except (ValueError, KeyError, TypeError) as e:
            raise _fail(
                Kind.LEDGER_ALTERED, position, f"leaf {index}'s entry is not one: {e}"
            ) from e
        if (entry.index, entry.position, entry.aggregate, entry.version) != (
            index,
            position,
            str(aggregate),
            version,
        ):
            raise _fail(
                Kind.LEDGER_ALTERED,
                position,
                f"leaf {index}'s entry names a place other than its row in the ledger",
            )
        if position <= self.last_position:
            raise _fail(
                Kind.LEDGER_ALTERED, position, f"leaf {index} does not follow the store's order"
            )
        event = events.head
        if event is not None and event.position < position:
            raise _fail(Kind.INSERTED, event.position, self._inserted(event))
        if event is None or event.position > position:
            raise _fail(
                Kind.REMOVED,
                position,
                f"leaf {index} names position {position} ({aggregate} version {version}), "
                "which has no row",
            )
        self._compare(index, entry, event)
        return self._previous(index, aggregate, entry)

    def _compare(self, index: int, entry: Header, event: _Event) -> None:
        differ = [
            what
            for what, same in (
                ("aggregate id", str(event.aggregate) == entry.aggregate),
                ("version", event.version == entry.version),
                ("topic", event.topic == entry.topic),
                ("state bytes", event.state_sha256.hex() == entry.state_sha256),
            )
            if not same
        ]
        if differ:
            raise _fail(
                Kind.ALTERED,
                event.position,
                f"the row at position {event.position} differs from leaf {index} in its "
                + ", ".join(differ),
            )

    def _previous(self, index: int, aggregate: UUID, entry: Header) -> bytes | None:
        version = entry.version
        known = self.last.get(aggregate)
        if version == 1:
            expected = None
            if known is not None:
                raise _fail(
                    Kind.LEDGER_ALTERED,
                    entry.position,
                    f"leaf {index} starts {aggregate} again after version {known[0]}",
                )
        elif known is None or known[0] != version - 1:
            had = "no earlier version" if known is None else f"version {known[0]} last"
            raise _fail(
                Kind.LEDGER_ALTERED,
                entry.position,
                f"leaf {index} is version {version} of {aggregate}, whose log holds {had}",
            )
        else:
            expected = known[1].hex()
        if entry.previous != expected:
            raise _fail(
                Kind.LEDGER_ALTERED,
                entry.position,
                f"leaf {index} does not name the entry hash of {aggregate}'s previous version",
            )
        return None if expected is None else bytes.fromhex(expected)

    def _fetch_missing_predecessors(self, batch: list[Any], first: int) -> None:
        """Re-read the entry hashes of aggregates that fell out of the cache: from entries
        before this batch, which were checked already."""
        in_batch: set[tuple[UUID, int]] = set()
        wanted: list[tuple[UUID, int]] = []
        for row in batch:
            aggregate, version = row[2], int(row[3])
            in_batch.add((aggregate, version))
            if (
                version > 1
                and aggregate not in self.last
                and (aggregate, version - 1) not in in_batch
            ):
                wanted.append((aggregate, version - 1))
        if not wanted:
            return
        with self.conn.cursor(row_factory=tuple_row, binary=True) as curs:
            curs.execute(
                "SELECT originator_id, originator_version, leaf_hash FROM ledger_entries "
                "WHERE leaf_index < %s AND (originator_id, originator_version) IN "
                "(SELECT * FROM unnest(%s::uuid[], %s::bigint[]))",
                (first, [w[0] for w in wanted], [w[1] for w in wanted]),
            )
            for aggregate, version, stored in curs:
                self.last[aggregate] = (int(version), bytes(stored))

    def _stored_leaf(self, index: int, position: int, leaf: bytes) -> None:
        """The leaf as the tiles hold it: proofs are served from them."""
        tile_index, offset = divmod(index, TILE_WIDTH)
        while self.tile[0] < tile_index:
            row = next(self.leaf_tiles, None)
            if row is None:
                break
            self.tile = (int(row[0]), bytes(row[1]))
        data = self.tile[1] if self.tile[0] == tile_index else b""
        if data[offset * HASH_SIZE : (offset + 1) * HASH_SIZE] != leaf:
            raise _fail(
                Kind.LEDGER_ALTERED,
                position,
                f"the stored tiles hold another hash for leaf {index} than its entry's",
            )

    def _fields(self, keys: Keys, checked: list[tuple[_Leaf, _Event]]) -> tuple[int, Found] | None:
        """Recompute each entry, field digests and all, from the decrypted event, with the
        same maker the integrator used: a digest changed in the ledger shows here. Returns
        the first failure and the offset of its leaf in ``checked``."""
        stored: list[Stored] = []
        for offset, (_, event) in enumerate(checked):
            notification = Notification(
                originator_id=event.aggregate,
                originator_version=event.version,
                topic=event.topic,
                state=event.state or b"",
                id=event.position,
            )
            try:
                stored.append(
                    Stored(
                        event.position,
                        event.topic,
                        event.state or b"",
                        keys.mapper.to_domain_event(notification),
                    )
                )
            except Exception as e:  # whatever the mapper raises, the row no longer is what it was
                what = f"the row at position {event.position} does not decode: {type(e).__name__}"
                return offset, _fail(Kind.ALTERED, event.position, what)
        previous = {
            (leaf.aggregate, leaf.version - 1): leaf.previous
            for leaf, _ in checked
            if leaf.previous is not None
        }
        made = keys.maker.make(stored, checked[0][0].index, previous)
        for offset, ((leaf, _), remade) in enumerate(zip(checked, made, strict=True)):
            if remade.canonical == leaf.canonical:
                continue
            differ = _differing_fields(Entry.from_bytes(leaf.canonical), remade.entry)
            if differ is None:
                continue  # only digests whose keys are gone differ: nothing left to check
            what = f"leaf {leaf.index}'s entry differs from the one its row makes in {differ}"
            return offset, _fail(Kind.LEDGER_ALTERED, leaf.position, what)
        return None

    def _grow(self, leaf: _Leaf) -> None:
        self.edge.append(leaf.leaf)
        checkpoint = self.next_checkpoint
        while checkpoint is not None and checkpoint.size <= self.edge.size:
            if checkpoint.size == self.edge.size:
                self._checkpoint(checkpoint, leaf.position)
            self.next_checkpoint = checkpoint = next(self.checkpoints, None)

    def _checkpoint(self, checkpoint: _Checkpoint, position: int) -> None:
        """A stored checkpoint, at the moment the rebuilt tree has its size: its root, the
        log's signature on it, and each witness's cosignature, which must sign the root the
        rebuilt tree has (whatever the stored checkpoint says)."""
        size, root = checkpoint.size, self.edge.root()
        where = f"the checkpoint of size {size}"
        try:
            note = (
                parse_note(checkpoint.note)
                if self.trust.log is None
                else verify_note(checkpoint.note, [self.trust.log])
            )
            body = parse_checkpoint(note.body)
        except (NoteMalformed, NoteRejected) as e:
            raise _fail(Kind.CHECKPOINT, position, f"{where} does not verify: {e}") from e
        if body.size != size or body.root != checkpoint.root:
            raise _fail(Kind.CHECKPOINT, position, f"{where} signs another size or root")
        if body.root != root:
            # A witness that cosigned this root holds, independently, a history the rebuilt
            # tree contradicts: the stronger finding, so it is the one reported.
            for witness, line in checkpoint.cosignatures:
                verifier = self.trust.witnesses.get(witness)
                if verifier is not None and _cosigns(verifier, note.body, line):
                    raise _fail(
                        Kind.WITNESS_INCONSISTENT,
                        position,
                        f"witness {witness} cosigned size {size} with root {body.root.hex()}; "
                        f"the rebuilt tree's is {root.hex()}",
                    )
            raise _fail(
                Kind.CHECKPOINT,
                position,
                f"{where} signs root {body.root.hex()}; the rebuilt tree's is {root.hex()}",
            )
        for witness, line in checkpoint.cosignatures:
            verifier = self.trust.witnesses.get(witness)
            if verifier is None:
                continue  # a witness no longer configured: its key is not known here
            rebuilt = Checkpoint(body.origin, size, root, body.extensions).body()
            if not _cosigns(verifier, rebuilt, line):
                raise _fail(
                    Kind.WITNESS_INCONSISTENT,
                    position,
                    f"witness {witness} cosigned a tree of size {size} whose root is not "
                    f"the rebuilt tree's {root.hex()}",
                )
        self.report.checkpoints_checked += 1

    def _check_full_tiles(self) -> None:
        """Tiles above the leaves that this batch completed, against the stored ones."""
        full = [k for k, data in self.edge.changed.items() if len(data) == TILE_WIDTH * HASH_SIZE]
        self._compare_tiles({k: self.edge.changed[k] for k in full if k[0] > 0})
        self.edge.changed = {}

    def _compare_tiles(self, rebuilt: Mapping[TileKey, bytes]) -> None:
        stored = self._tiles(sorted(rebuilt))
        for key in sorted(rebuilt):
            theirs, ours = stored.get(key, b""), rebuilt[key]
            if theirs != ours:
                level, index = key
                # The first hash that differs names the subtree, and so the first leaf, at fault.
                offset = (
                    next(
                        (
                            i
                            for i in range(0, len(ours), HASH_SIZE)
                            if theirs[i : i + HASH_SIZE] != ours[i : i + HASH_SIZE]
                        ),
                        0,
                    )
                    // HASH_SIZE
                )
                first_leaf = (index * TILE_WIDTH + offset) << (TILE_HEIGHT * level)
                raise _fail(
                    Kind.LEDGER_ALTERED,
                    self._position_of_leaf(first_leaf),
                    f"stored tile {level}/{index} differs from the rebuilt tree's",
                )

    def _finish(self, size: int, root: bytes) -> None:
        rebuilt = self.edge.root()
        if rebuilt != root:
            raise _fail(
                Kind.LEDGER_ALTERED,
                None,
                f"the log's head root {root.hex()} is not the rebuilt tree's {rebuilt.hex()}",
            )
        partial = {
            (level, index): b"".join(self.edge.partial[level]) for level, index in edge_keys(size)
        }
        self._compare_tiles(partial)
        row = self._one("SELECT count(*) FROM ledger_tiles")
        if int(row[0]) != expected_tile_count(size):
            raise _fail(
                Kind.LEDGER_ALTERED,
                None,
                f"the ledger stores {row[0]} tiles; a tree of {size} leaves has "
                f"{expected_tile_count(size)}",
            )
        with self.conn.cursor(row_factory=tuple_row, binary=True) as curs:
            curs.execute(
                "SELECT witness, cosigned_size FROM ledger_witness_status "
                "WHERE cosigned_size > %s ORDER BY witness",
                (size,),
            )
            ahead = curs.fetchone()
        if ahead is not None:
            raise _fail(
                Kind.WITNESS_INCONSISTENT,
                None,
                f"witness {ahead[0]} cosigned size {ahead[1]}; the log holds only {size} leaves",
            )
        if self.next_checkpoint is not None:
            raise _fail(
                Kind.CHECKPOINT,
                None,
                f"a checkpoint of size {self.next_checkpoint.size} is beyond the log's head "
                f"({size})",
            )


def _cosigns(verifier: Verifier, body: str, line: str) -> bool:
    try:
        verify_cosignature(body, line, verifier)
    except (NoteMalformed, NoteRejected):
        return False
    return True


def _differing_fields(stored: Entry, remade: Entry) -> str | None:
    """What differs between a stored entry and the one recomputed; None when the only
    differences are digests that can no longer be computed (their data keys are destroyed)."""
    outside = [
        name
        for name, value in stored.to_json().items()
        if name != "fields" and remade.to_json()[name] != value
    ]
    names = set(stored.fields) | set(remade.fields)
    fields = sorted(
        name
        for name in names
        if stored.fields.get(name) != remade.fields.get(name)
        and not (name in remade.fields and remade.fields[name] is None and name in stored.fields)
    )
    if not outside and not fields:
        return None
    parts = outside + [f"the digest of field {name!r}" for name in fields]
    return ", ".join(parts)


def audit(
    conn: Connection[Any],
    keys: Keys | None = None,
    trust: Trust | None = None,
    aggregate_cache: int = AGGREGATE_CACHE,
) -> Report:
    """Audit the store on ``conn`` and return what was found (the first failure, if any).

    Outside a transaction, the audit runs in one read-only snapshot (REPEATABLE READ), so a
    running integrator cannot make it see half a batch; inside one (a test that tampers and
    rolls back), it reads what that transaction sees. ``keys`` adds field recomputation."""
    report = Report(started_at=datetime.now(UTC), fields_checked=keys is not None)
    own = conn.info.transaction_status == TransactionStatus.IDLE
    run = _Audit(conn, keys, trust or Trust(), report, aggregate_cache)
    with conn.transaction(force_rollback=True):
        if own:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        try:
            run.run()
        except Found as found:
            report.failure = found.failure
        finally:
            run.close()
    report.finished_at = datetime.now(UTC)
    return report


def record(conn: Connection[Any], report: Report) -> int:
    """Append the run to ``ledger_verifications`` (for ``ledgerStatus``) and commit it on
    ``conn``, which should not be the one audited: a run is recorded even when the audited
    transaction is rolled back. Returns the run's id."""
    failure = report.failure
    with conn.transaction(), conn.cursor(row_factory=tuple_row) as curs:
        curs.execute(
            "INSERT INTO ledger_verifications (started_at, finished_at, ok, events_checked, "
            "tree_size, checkpoints_checked, fields_checked, first_failure_position, "
            "failure_kind, failure) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "RETURNING run_id",
            (
                report.started_at,
                report.finished_at or datetime.now(UTC),
                report.ok,
                report.events_checked,
                report.tree_size,
                report.checkpoints_checked,
                report.fields_checked,
                None if failure is None else failure.position,
                None if failure is None else failure.kind.value,
                None if failure is None else failure.what,
            ),
        )
        row = curs.fetchone()
    if row is None:  # INSERT ... RETURNING always returns the row
        raise RuntimeError("the verification run was not recorded")
    return int(row[0])

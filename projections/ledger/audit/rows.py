"""Reading the store for the audit, and the batch check of entries against their rows.

Rows arrive a batch at a time from server-side cursors (binary, tuples: nothing is built per
row but the tuple itself). :func:`implied` checks a whole batch of entries against the rows
they name with a few C-level operations per entry; a batch it does not clear is checked leaf
by leaf (``projections.ledger.audit.leaves``), which says what differs and where.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from hashlib import sha256
from queue import Full, Queue
from typing import Any

from psycopg import Connection
from psycopg.rows import tuple_row

from domain.ledger.entry import Entry

SAFE_INT = 2**53 - 1  # the largest integer RFC 8785 writes as itself
BATCH = 2048  # leaves per step: a multiple of the tile width, so leaf tiles end inside a step

# The rows the audit reads: each event's own columns, the state bytes included (hashed here,
# never by the server), and each entry as the ledger stores it. Ids come as their text.
EVENTS_QUERY = (
    "SELECT notification_id, originator_id::text, originator_version, topic, state "
    "FROM casework_events WHERE notification_id <= %s ORDER BY notification_id"
)
ENTRIES_QUERY = (
    "SELECT leaf_index, position, originator_id::text, originator_version, entry, leaf_hash "
    "FROM ledger_entries WHERE leaf_index < %s ORDER BY leaf_index"
)


def batches(
    conn: Connection[Any], name: str, query: str, params: Sequence[Any]
) -> Generator[list[Any], None, None]:
    """Rows of ``query`` through a server-side cursor, ``BATCH`` at a time."""
    with conn.cursor(name, row_factory=tuple_row, binary=True) as curs:
        curs.itersize = BATCH
        curs.execute(query, params)
        while rows := curs.fetchmany(BATCH):
            yield rows


class Prefetched:
    """A stream of batches read one step ahead in a thread of its own, so that the server
    produces (and the network carries) the next batch while this one is checked. The
    connection serialises the fetches; the batches arrive in order, and an error in the
    reader is raised here, where the batch would have been."""

    _END = object()

    def __init__(self, source: Generator[list[Any], None, None], depth: int = 2) -> None:
        self.source = source
        self.queue: Queue[Any] = Queue(maxsize=depth)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._read, name="audit-prefetch", daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            for batch in self.source:
                if not self._put(batch):
                    return
            self._put(self._END)
        except BaseException as e:  # handed to the reader, who raises it
            self._put(e)

    def _put(self, item: Any) -> bool:
        while not self.stopped.is_set():
            try:
                self.queue.put(item, timeout=0.05)
                return True
            except Full:
                continue
        return False

    def __iter__(self) -> Iterator[list[Any]]:
        return self

    def __next__(self) -> list[Any]:
        item = self.queue.get()
        if item is self._END:
            self.queue.put(item)  # stays at the end for a later call
            raise StopIteration
        if isinstance(item, BaseException):
            raise item
        return item  # type: ignore[no-any-return]

    def close(self) -> None:
        """Stop the reader and close its cursor (in this thread, once the reader is done)."""
        self.stopped.set()
        self.thread.join()
        self.source.close()


@dataclass(frozen=True, slots=True)
class Event:
    """One event row, as the leaf-by-leaf check looks at it."""

    position: int
    aggregate: str
    version: int
    topic: str
    state_sha256: bytes  # b"" for a state that is NULL
    state: bytes | None = None  # kept only to recompute fields


class EventRows:
    """The events stream, looked at ahead of use: a batch of entries takes as many rows at
    once (:meth:`ahead`), and the leaf-by-leaf check one at a time (:attr:`head`)."""

    def __init__(self, rows: Iterator[list[Any]], keep_state: bool) -> None:
        self.rows = rows
        self.keep_state = keep_state
        self.buffer: list[Any] = []
        self.at = 0
        self.head: Event | None = None
        self._set_head()

    def ahead(self, count: int) -> list[Any]:
        """The next ``count`` rows (fewer at the end), not yet taken."""
        while len(self.buffer) - self.at < count:
            more = next(self.rows, None)
            if more is None:
                break
            self.buffer = self.buffer[self.at :] + more
            self.at = 0
        return self.buffer[self.at : self.at + count]

    def take(self, count: int) -> None:
        self.at += count
        self._set_head()

    def pop(self) -> None:
        self.take(1)

    def _set_head(self) -> None:
        rows = self.ahead(1)
        if not rows:
            self.head = None
            return
        position, aggregate, version, topic, state = rows[0]
        self.head = Event(
            position,
            aggregate,
            version,
            topic,
            b"" if state is None else sha256(state).digest(),
            state if self.keep_state else None,
        )


_PLAIN_BYTES = bytes(b for b in range(0x20, 0x7F) if b not in b'"\\')
_BASE64URL_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_HEAD = b'{"aggregate":"'
_FIELDS_AT = len(_HEAD) + 36 + len(b'","fields":{')  # where an entry's fields begin
_INDEX = b'},"index":'


def plain_text(text: str) -> bytes:
    """``text`` as RFC 8785 writes it, if it is printable ASCII without quotes or backslashes
    (written as is); else b"" (left to the full check)."""
    data = text.encode("utf-8")
    return b'"' + data + b'"' if not data.translate(None, _PLAIN_BYTES) else b""


def implied(
    entries: Sequence[bytes],
    rows: Sequence[Any],
    first: int,
    previous: Sequence[bytes | None],
    topics: dict[str, bytes],
    orders: dict[bytes, bool],
) -> bool:
    """Whether each of ``entries`` is, byte for byte, the canonical entry (RFC 8785) that its
    event row, its leaf index (from ``first``) and its aggregate's previous entry hash imply,
    with some time and some field digests of the form the integrator writes (printable ASCII
    names and base64url values, the names in order). False says only "not cleared here".

    Each entry must be the bytes its row gives, around the two parts the row cannot give (its
    fields and its time): it starts with its head, ends with its tail, and holds the middle
    where its fields end, the three not overlapping. The two parts left are then checked to
    be of the fast form, the whole batch at once. ``topics`` and ``orders`` are caches kept
    by the caller."""
    for topic in {row[3] for row in rows}:
        if topic not in topics:
            topics[topic] = plain_text(topic)
        if not topics[topic]:
            return False
    heads = '","fields":{{"aggregate":"'.join([row[1] for row in rows])
    if b"".join([entry[:_FIELDS_AT] for entry in entries]) != (
        b'{"aggregate":"' + heads.encode() + b'","fields":{'
    ):
        return False
    try:
        hexed = b"".join([sha256(row[4]).digest() for row in rows]).hex().encode()
    except TypeError:  # a state that is NULL
        return False
    digests = [hexed[at : at + 64] for at in range(0, len(hexed), 64)]
    priors = [b"null" if p is None else b'"' + p.hex().encode() + b'"' for p in previous]
    fields: list[bytes] = []
    times: list[bytes] = []
    for entry, row, prior, index, digest in zip(
        entries, rows, priors, range(first, first + len(entries)), digests, strict=True
    ):
        cut = entry.find(_INDEX, _FIELDS_AT)  # -1 (not found) fails the middle's test
        middle = b'},"index":%d,"position":%d,"previous":%s,"recorded_at":"' % (
            index,
            row[0],
            prior,
        )
        tail = b'","state_sha256":"%s","topic":%s,"v":1,"version":%d}' % (
            digest,
            topics[row[3]],
            row[2],
        )
        start, end = cut + len(middle), len(entry) - len(tail)
        if start > end or not entry.startswith(middle, cut) or not entry.endswith(tail):
            return False
        fields.append(entry[_FIELDS_AT:cut])
        times.append(entry[start:end])
    return not b"".join(times).translate(None, _PLAIN_BYTES) and fields_in_form(fields, orders)


def fields_in_form(fields: Sequence[bytes], orders: dict[bytes, bool]) -> bool:
    """Whether each of ``fields`` (an entry's fields object without its braces) is
    ``"name":"value"`` or ``"name":null`` items, names and values base64url, separated by
    commas, the names strictly increasing (RFC 8785's order for such names).

    The batch is checked at once, joined by newlines. With each ``null`` that ends an item
    written as ``""``, and the base64url deleted, every object must read ``"":""`` once per
    item, comma-separated; the names are then every fourth piece between quotes, and a
    newline among the separators marks where one object's names end."""
    if not fields or not all(fields):
        return all(fields_in_form([part], orders) for part in fields if part)
    joined = (
        (b"\n".join(fields) + b"\n")
        .replace(b'":null,', b'":"",')
        .replace(b'":null\n', b'":""\n')[:-1]
    )
    for shape in set(joined.translate(None, _BASE64URL_BYTES).split(b"\n")):
        if shape not in _SHAPES:
            items = shape.split(b",")
            if items.count(b'"":""') != len(items):
                return False
            _SHAPES.add(shape)
    items = joined.split(b'"')
    listed: list[bytes] = [b""] * (2 * (len(items) // 4) - 1)
    listed[0::2] = items[1::4]  # the names
    listed[1::2] = items[4:-1:4]  # what separates them: "," or, between objects, "\n"
    for key in set(b"".join(listed).split(b"\n")):
        ordered = orders.get(key)
        if ordered is None:
            each = key.split(b",")
            ordered = orders[key] = sorted(set(each)) == each
        if not ordered:
            return False
    return True


_SHAPES: set[bytes] = set()  # shapes of fields objects found well formed (a few dozen)


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
_NAME = re.compile(rb'"([^"]*)":(?:"[^"]*"|null)')


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
        if sorted(set(names)) == names and max(index, position, version) <= SAFE_INT:
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

"""One audit run: the three ordered reads in step, a batch of leaves at a time, the tree
rebuilt as they pass, and the ledger's head, tiles and checkpoints checked against it."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Generator, Iterator, Mapping, Sequence
from concurrent.futures import BrokenExecutor, Future
from hashlib import sha256
from itertools import chain, islice
from typing import Any

from psycopg import Connection
from psycopg.rows import tuple_row

from domain.ledger.merkle import EMPTY_ROOT, HASH_SIZE
from domain.ledger.tiles import TILE_HEIGHT, TILE_WIDTH, Edge, TileKey, edge_keys
from projections.ledger.audit.checkpoints import (
    CHECKPOINTS_QUERY,
    StoredCheckpoint,
    Trust,
    check_checkpoint,
    checkpoints_of,
)
from projections.ledger.audit.fields import (
    FieldResult,
    FieldsSealed,
    Keys,
    field_result,
    first_field_failure,
)
from projections.ledger.audit.findings import Found, Kind, fail
from projections.ledger.audit.leaves import Leaf, LeafByLeaf, inserted
from projections.ledger.audit.rows import (
    ENTRIES_QUERY,
    EVENTS_QUERY,
    SAFE_INT,
    Event,
    EventRows,
    Prefetched,
    batches,
    implied,
)
from projections.ledger.audit.tree import expected_tile_count, first_difference

log = logging.getLogger("casework.ledger")


class Run(LeafByLeaf):
    """The state of one run; :meth:`run` raises :class:`Found` at the first failure."""

    def __init__(
        self,
        conn: Connection[Any],
        keys: Keys | None,
        trust: Trust,
        aggregate_cache: int,
        since: FieldsSealed | None = None,
    ) -> None:
        self.conn, self.keys, self.trust = conn, keys, trust
        # With keys: fields are recomputed from leaf ``fields_from`` on, those before it having
        # been recomputed by the sealed run ``since``, whose root the tree must still have at
        # that size (checked as the tree passes it, then ``seal_due`` is None).
        self.since = since if keys is not None else None
        self.seal_due = self.since
        self.cache_limit = aggregate_cache
        self.events_checked = 0
        self.tree_size = 0
        self.checkpoints_checked = 0
        self.fields_erased = 0  # digests skipped: their keys were destroyed by an erasure
        self.last = {}
        self.last_position = 0
        self.edge = Edge()
        self.batch: list[Any] = []
        self.streams: list[Generator[Any, None, None] | Prefetched] = []
        self.tile = (-1, b"")
        self.recent: dict[int, bytes] = {}
        self._topics: dict[str, bytes] = {}  # topic -> as JSON, b"" when not plain text
        self._orders: dict[bytes, bool] = {}  # field names -> in canonical order
        # Fields recomputed elsewhere (``Keys.submit``): each batch's first leaf whose fields
        # were sent, with the answer to come, oldest first; and the sizes of the checkpoints
        # checked meanwhile, for a failure among those fields to be reported as here.
        self.parallel = False
        self.pending: deque[tuple[int, list[tuple[Leaf, Event]], Future[FieldResult]]] = deque()
        self.checkpoint_sizes: deque[int] = deque()

    @property
    def fields_from(self) -> int:
        return 0 if self.since is None else self.since.size

    # -- reading ---------------------------------------------------------------------------

    def _open(self, name: str, query: str, params: Sequence[Any]) -> Iterator[list[Any]]:
        stream = batches(self.conn, name, query, params)
        self.streams.append(stream)
        return stream

    def _ahead(self, name: str, query: str, params: Sequence[Any]) -> Iterator[list[Any]]:
        stream = Prefetched(batches(self.conn, name, query, params))
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
        first = self.batch[0][0] if self.batch else 0
        if 0 <= index - first < len(self.batch):
            return int(self.batch[index - first][1])
        row = self._one("SELECT position FROM ledger_entries WHERE leaf_index = %s", (index,))
        return None if row is None else int(row[0])

    def tile_at(self, tile_index: int) -> bytes:
        """The stored leaf tile ``tile_index`` (b"" if there is none), read in order; the
        tiles of the current batch are kept, so that a batch can be read twice."""
        while self.tile[0] < tile_index:
            row = next(self.leaf_tiles, None)
            if row is None:
                break
            self.tile = (int(row[0]), bytes(row[1]))
            self.recent[self.tile[0]] = self.tile[1]
        return self.recent.get(tile_index, b"")

    # -- the run ---------------------------------------------------------------------------

    def run(self) -> None:
        row = self._one("SELECT size, root FROM ledger_head WHERE log = 1")
        size, root = (0, EMPTY_ROOT) if row is None else (int(row[0]), bytes(row[1]))
        self.tree_size = size
        keys = self.keys
        self.parallel = (
            keys is not None
            and keys.submit is not None
            and size - self.fields_from >= max(keys.from_leaves, 1)
        )
        row = self._one("SELECT max(position) FROM ledger_entries WHERE leaf_index < %s", (size,))
        head_position = 0 if row is None or row[0] is None else int(row[0])
        events = EventRows(
            self._ahead("audit_events", EVENTS_QUERY, (head_position,)), self.keys is not None
        )
        entries = self._ahead("audit_entries", ENTRIES_QUERY, (size,))
        self.leaf_tiles = chain.from_iterable(
            self._open(
                "audit_leaf_tiles",
                "SELECT tile_index, hashes FROM ledger_tiles WHERE level = 0 ORDER BY tile_index",
                (),
            )
        )
        self.checkpoints: Iterator[StoredCheckpoint] = checkpoints_of(
            chain.from_iterable(self._open("audit_checkpoints", CHECKPOINTS_QUERY, ()))
        )
        self.next_checkpoint = next(self.checkpoints, None)
        try:
            for batch in entries:
                self._batch(batch, events)
        except Found:
            self._settle(before=self.edge.size)  # a failure of fields before it comes first
            raise
        self._settle()
        if events.head is not None:
            raise fail(Kind.INSERTED, events.head.position, inserted(events.head))
        if self.seal_due is not None:
            raise fail(
                Kind.LEDGER_ALTERED,
                None,
                f"the log holds {self.edge.size} leaves; audit run {self.seal_due.run_id} "
                f"recomputed the fields of {self.seal_due.size}",
            )
        if self.edge.size != size:
            raise fail(
                Kind.LEDGER_ALTERED,
                None,
                f"the log's head names {size} leaves but the ledger holds {self.edge.size}",
            )
        self._finish(size, root)

    def _batch(self, batch: list[Any], events: EventRows) -> None:
        """Check one run of leaves: each against its row (the whole batch at once, or leaf by
        leaf if that does not clear it), then the field digests of those that passed, then
        the tree they grow. The earliest failure wins."""
        first = self.edge.size
        self.batch = batch
        self.recent = {self.tile[0]: self.tile[1]}
        self._fetch_missing_predecessors(batch, first)
        found: Found | None = None
        cleared = self._cleared(batch, events, first)
        checked: list[tuple[Leaf, Event]] | None = None
        if cleared is None:
            checked = []
            for offset, row in enumerate(batch):
                try:
                    checked.append(self.check_leaf(first + offset, row, events))
                except Found as stop:
                    found = stop
                    break
        elif self.keys is not None and first + len(batch) > self.fields_from:
            checked = [
                (
                    Leaf(first + offset, r[1], r[2], r[3], prior, r[4], leaf),
                    Event(e[0], e[1], e[2], e[3], b"", e[4]),
                )
                for offset, (r, e, prior, leaf) in enumerate(zip(batch, *cleared, strict=True))
            ]
        # The leaves of ``checked`` are those from ``first`` on; fields of those before
        # ``fields_from`` were recomputed by the sealed run.
        skip = max(0, self.fields_from - first)
        if self.keys is not None and checked and skip < len(checked):
            if self.parallel and found is None and self.keys.submit is not None:
                # Sent off; the tree grows as if they passed (``_settle`` says if not).
                part = checked[skip:]
                self.pending.append((first + skip, part, self.keys.submit(part)))
                if cleared is not None:
                    checked = None
            else:
                self._settle()  # the batches sent off before this one first
                failed = first_field_failure(self.keys, checked[skip:], self._count_erased)
                if failed is not None:  # earlier than any failure of the other checks
                    offset, found = failed
                    checked = checked[: skip + offset]
        if checked is None and cleared is not None:
            leaves, positions = cleared[2], [r[1] for r in batch]
        else:
            leaves = [leaf.leaf for leaf, _ in checked or ()]
            positions = [leaf.position for leaf, _ in checked or ()]
        try:
            self._grow(leaves, positions)
            self._check_full_tiles()
        finally:
            self.events_checked = self.edge.size
        if len(self.last) > self.cache_limit:
            # Between batches only: the next batch re-reads what it needs before it starts.
            for old in list(islice(self.last, len(self.last) - self.cache_limit // 2)):
                del self.last[old]
        if found is not None:
            raise found
        while self.keys is not None and len(self.pending) > self.keys.ahead:
            self._settle(1)

    def _settle(self, count: int | None = None, before: int | None = None) -> None:
        """Take the answers for the fields sent off (``count`` of them, or all), oldest first,
        and raise the first failure among them as a run recomputing them here would have: its
        leaf the last one checked, the checkpoints past it unchecked. ``before``: another
        check failed once the tree had that size, and only a failure of fields before it
        comes first."""
        while self.pending and (count is None or count > 0):
            count = None if count is None else count - 1
            start, part, answer = self.pending.popleft()
            failed, erased = self._answer(part, answer)
            self.fields_erased += erased
            if failed is None:
                # A failure still to come is past the checkpoints up to its batch: let them go.
                oldest = self.pending[0][0] if self.pending else self.edge.size
                while self.checkpoint_sizes and self.checkpoint_sizes[0] <= oldest:
                    self.checkpoint_sizes.popleft()
                continue
            for _, _, later in self.pending:
                later.cancel()
            self.pending.clear()
            offset, failure = failed
            leaf = start + offset
            if before is not None and leaf >= before:
                return
            self.events_checked = leaf
            self.checkpoints_checked -= sum(size > leaf for size in self.checkpoint_sizes)
            raise Found(failure)

    def _answer(self, part: list[tuple[Leaf, Event]], answer: Future[FieldResult]) -> FieldResult:
        """The answer for fields sent off; recomputed here if the processes are gone (one was
        killed, say), and no more are sent: the run goes on, in this process."""
        try:
            return answer.result()
        except BrokenExecutor as error:
            if self.parallel:
                log.warning(
                    "the audit's field processes stopped (%s): recomputing fields here",
                    type(error).__name__,
                )
                self.parallel = False
            if self.keys is None:  # fields are only ever sent with keys
                raise
            return field_result(self.keys, part)

    def _count_erased(self, count: int) -> None:
        self.fields_erased += count

    def _cleared(
        self, batch: list[Any], events: EventRows, first: int
    ) -> tuple[list[Any], list[bytes | None], list[bytes]] | None:
        """If the whole batch is what its rows imply: its rows (then taken), each leaf's
        previous entry hash and the leaf hashes; else None, having taken nothing. Every
        check here is made in Python on the bytes as read: the leaf hashes, the state
        hashes, the chain, the entries' bytes."""
        count = len(batch)
        rows = events.ahead(count)
        if len(rows) != count or [r[0] for r in batch] != list(range(first, first + count)):
            return None
        positions = [r[1] for r in batch]
        versions = [r[3] for r in batch]
        if (
            positions != [r[0] for r in rows]
            or positions[0] <= self.last_position
            or [r[2] for r in batch] != [r[1] for r in rows]
            or versions != [r[2] for r in rows]
            or max(positions[-1], first + count - 1, max(versions)) > SAFE_INT
        ):
            return None
        entries = [r[4] for r in batch]
        leaves = [sha256(b"\x00" + e).digest() for e in entries]
        if leaves != [r[5] for r in batch]:
            return None
        chained = self._chain(batch, leaves)
        if chained is None:
            return None
        previous, latest = chained
        if not implied(entries, rows, first, previous, self._topics, self._orders):
            return None
        joined = b"".join(leaves)
        for tile_index in range(first >> TILE_HEIGHT, ((first + count - 1) >> TILE_HEIGHT) + 1):
            start = max(tile_index * TILE_WIDTH, first)
            end = min((tile_index + 1) * TILE_WIDTH, first + count)
            at = start - tile_index * TILE_WIDTH
            stored = self.tile_at(tile_index)[at * HASH_SIZE : (at + end - start) * HASH_SIZE]
            if stored != joined[(start - first) * HASH_SIZE : (end - first) * HASH_SIZE]:
                return None
        events.take(count)
        for aggregate, value in latest.items():
            self.last.pop(aggregate, None)
            self.last[aggregate] = value
        self.last_position = positions[-1]
        return rows, previous, leaves

    def _chain(
        self, batch: list[Any], leaves: list[bytes]
    ) -> tuple[list[bytes | None], dict[str, tuple[int, bytes]]] | None:
        """Each leaf's previous entry hash as its aggregate's chain implies (versions 1..k
        contiguous), and each aggregate's latest (version, entry hash); None if a version
        does not follow."""
        last = self.last
        latest: dict[str, tuple[int, bytes]] = {}
        previous: list[bytes | None] = []
        for row, leaf in zip(batch, leaves, strict=True):
            aggregate, version = row[2], row[3]
            known = latest.get(aggregate) or last.get(aggregate)
            if version == 1:
                if known is not None:
                    return None
                previous.append(None)
            elif known is None or known[0] != version - 1:
                return None
            else:
                previous.append(known[1])
            latest[aggregate] = (version, leaf)
        return previous, latest

    def _fetch_missing_predecessors(self, batch: list[Any], first: int) -> None:
        """Re-read the entry hashes of aggregates that fell out of the cache: from entries
        before this batch, which were checked already."""
        last = self.last
        missing = [r for r in batch if r[3] > 1 and r[2] not in last]
        if not missing:
            return
        in_batch = set(zip([r[2] for r in batch], [r[3] for r in batch], strict=True))
        wanted = [(r[2], r[3] - 1) for r in missing if (r[2], r[3] - 1) not in in_batch]
        if not wanted:
            return
        with self.conn.cursor(row_factory=tuple_row, binary=True) as curs:
            curs.execute(
                "SELECT originator_id::text, originator_version, leaf_hash FROM ledger_entries "
                "WHERE leaf_index < %s AND (originator_id, originator_version) IN "
                "(SELECT * FROM unnest(%s::uuid[], %s::bigint[]))",
                (first, [w[0] for w in wanted], [w[1] for w in wanted]),
            )
            for aggregate, version, stored in curs:
                last[aggregate] = (int(version), bytes(stored))

    def _grow(self, leaves: list[bytes], positions: list[int]) -> None:
        """The checked leaves into the tree, each stored checkpoint checked as the tree
        reaches its size (at the position of its last leaf), and so is the sealed run's root."""
        done = 0
        while done < len(leaves):
            checkpoint, sealed = self.next_checkpoint, self.seal_due
            step = len(leaves) - done
            if checkpoint is not None:
                step = min(step, max(checkpoint.size - self.edge.size, 1))
            if sealed is not None:
                step = min(step, max(sealed.size - self.edge.size, 1))
            self.edge.extend(leaves[done : done + step])
            done += step
            if sealed is not None and sealed.size == self.edge.size:
                if self.edge.root() != sealed.root:
                    raise fail(
                        Kind.LEDGER_ALTERED,
                        positions[done - 1],
                        f"the first {sealed.size} leaves no longer make the root that audit run "
                        f"{sealed.run_id} sealed when it recomputed their fields",
                    )
                self.seal_due = None
            while checkpoint is not None and checkpoint.size <= self.edge.size:
                if checkpoint.size == self.edge.size:
                    check_checkpoint(self.trust, checkpoint, self.edge.root(), positions[done - 1])
                    self.checkpoints_checked += 1
                    if self.pending:
                        self.checkpoint_sizes.append(checkpoint.size)
                self.next_checkpoint = checkpoint = next(self.checkpoints, None)

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
                offset = first_difference(theirs, ours)
                first_leaf = (index * TILE_WIDTH + offset) << (TILE_HEIGHT * level)
                raise fail(
                    Kind.LEDGER_ALTERED,
                    self._position_of_leaf(first_leaf),
                    f"stored tile {level}/{index} differs from the rebuilt tree's",
                )

    def _finish(self, size: int, root: bytes) -> None:
        rebuilt = self.edge.root()
        if rebuilt != root:
            raise fail(
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
            raise fail(
                Kind.LEDGER_ALTERED,
                None,
                f"the ledger stores {row[0]} tiles; a tree of {size} leaves has "
                f"{expected_tile_count(size)}",
            )
        ahead = self._one(
            "SELECT witness, cosigned_size FROM ledger_witness_status "
            "WHERE cosigned_size > %s ORDER BY witness",
            (size,),
        )
        if ahead is not None:
            raise fail(
                Kind.WITNESS_INCONSISTENT,
                None,
                f"witness {ahead[0]} cosigned size {ahead[1]}; the log holds only {size} leaves",
            )
        if self.next_checkpoint is not None:
            raise fail(
                Kind.CHECKPOINT,
                None,
                f"a checkpoint of size {self.next_checkpoint.size} is beyond the log's head "
                f"({size})",
            )

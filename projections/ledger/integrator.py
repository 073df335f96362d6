"""The integrator: every stored event becomes the next leaf of the ledger, exactly once.

It runs as a view (``ledger``) beside the others, so it has their machinery: batches, catch-up then
the live subscription, the tracking row written in the same transaction, the guard lock on it, a
failing event stopping it loudly. What it adds: it reads every event (not a topic list), it hashes
the stored state bytes as they are in the row, it takes the field digests the writer stored with an
event (``ledger_fields``, docs/rules.md §12.6) rather than decoding it, and it compares and swaps
the log's head (size, root) in the transaction that adds leaves, so that a second integrator, or
one that resumes after being killed, can never fork the log. Leaf indexes are dense: the store's
positions can have gaps, the log's cannot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification
from psycopg import Cursor, pq
from psycopg.rows import tuple_row

from domain.ledger.merkle import EMPTY_ROOT
from domain.ledger.tiles import Edge, TileKey, edge_keys
from projections.ledger.entries import EntryMaker, Stored, Written
from projections.runner import ProjectionWorker
from projections.view import View


class LedgerView(View):
    """The ledger's tables, fed by :class:`LedgerWorker` (it has no per-topic handlers)."""

    name = "ledger"
    tables = ("ledger_entries", "ledger_tiles", "ledger_head")
    # The log is never emptied and replayed: digests of fields whose keys were destroyed since
    # could not be computed again, and a checkpoint already signed would be contradicted.
    rebuildable = False


def read_head(curs: Cursor[Any], lock: bool = False) -> tuple[int, bytes]:
    """The log's (size, root); (0, the empty root) before its first leaf."""
    curs.execute(
        "SELECT size, root FROM ledger_head WHERE log = 1" + (" FOR UPDATE" if lock else "")
    )
    row = curs.fetchone()
    if row is None:
        return 0, EMPTY_ROOT
    return int(row["size"]), bytes(row["root"])


def read_tiles(curs: Cursor[Any], keys: Sequence[TileKey]) -> dict[TileKey, bytes]:
    if not keys:
        return {}
    curs.execute(
        "SELECT level, tile_index, hashes FROM ledger_tiles "
        "WHERE (level, tile_index) IN (SELECT * FROM unnest(%s::smallint[], %s::bigint[]))",
        ([k[0] for k in keys], [k[1] for k in keys]),
    )
    return {(int(r["level"]), int(r["tile_index"])): bytes(r["hashes"]) for r in curs.fetchall()}


@dataclass(frozen=True)
class WithFields(Notification):
    """A stored event read with the field digests its writer stored, as
    :meth:`LedgerWorker.select_after` reads it."""

    fields: tuple[UUID, int, str, str] | None = None


class LedgerWorker(ProjectionWorker):
    view: LedgerView
    # Caught up alone, a batch's entries go in by COPY, which pipeline mode cannot run; fed
    # with the other views (live), the group's pipeline sends them as one statement of arrays.
    pipelined = False
    # Fed with the other views, it takes part in their batches at most every 0.25 s (the
    # group keeps the events in between for it): a live batch costs the ledger far more than
    # its events do (its statements, its tiles rewritten), and nobody reads their own writes
    # from it. Its lag stays well under the second it is allowed (about 0.3 s at p95).
    defer_seconds = 0.25

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.maker = EntryMaker(self.view.logins.keyring, self.mapper)
        # The edge as the last transaction known to have committed left it, and as the last
        # transaction left it if it committed; each with the position it was built to.
        self._committed: tuple[Edge, int] | None = None
        self._pending: tuple[Edge, int] | None = None

    def _edge_now(self, curs: Cursor[Any]) -> Edge:
        """The right edge of the log as the database holds it now (a copy, to extend). The
        position this worker locked (its tracking row, which only moves with the head, in one
        transaction) says which of its own last two edges that is, with no read; an edge it
        does not know is read from the head and the tiles. Were it wrong, the swap would fail
        and no leaf would be added."""
        for known in (self._pending, self._committed):
            if known is not None and known[1] == self.position:
                self._committed, self._pending = known, None
                return known[0].copy()
        with curs.connection.cursor() as own:  # not on ``curs``: its reads get their results
            own.execute(
                "INSERT INTO ledger_head (log, size, root) VALUES (1, 0, %s) "
                "ON CONFLICT DO NOTHING",
                (EMPTY_ROOT,),
            )
        size, root = read_head(curs, lock=True)
        edge = Edge.load(size, read_tiles(curs, edge_keys(size)))
        if edge.root() != root:
            raise RuntimeError(f"the stored tiles do not make the log's root at size {size}")
        self._committed, self._pending = (edge, self.position), None
        return edge.copy()

    def select_after(self, position: int, limit: int) -> Sequence[Notification]:
        """The next events, each with the field digests its writer stored (one read, in one
        snapshot: an event's digests were committed with it)."""
        with (
            self.view.datastore.transaction(commit=False) as outer,
            outer.connection.cursor(row_factory=tuple_row) as curs,
        ):
            curs.execute(SELECT_WITH_FIELDS, (position, limit), prepare=True)
            rows = curs.fetchall()
        return [
            WithFields(
                originator_id=r[1],
                originator_version=r[2],
                topic=r[3],
                state=r[4],
                id=r[0],
                fields=None if r[5] is None else (r[5], r[6], r[7], r[8]),
            )
            for r in rows
        ]

    def apply_in(
        self, curs: Cursor[Any], notifications: Sequence[Notification], decoded: dict[int, Any]
    ) -> None:
        edge = self._edge_now(curs)
        size, root = edge.size, edge.root()  # what the compare-and-swap expects
        first, last = notifications[0].id, notifications[-1].id
        read_with = [n for n in notifications if isinstance(n, WithFields)]
        caught_up = len(read_with) == len(notifications)
        wanted = self.maker.wanted_predecessors(
            [(n.originator_id, n.originator_version) for n in notifications]
        )
        with (
            curs.connection.cursor(row_factory=tuple_row) as hashes,
            curs.connection.cursor(row_factory=tuple_row) as taken,
        ):
            # Both sent before either is read: in a pipeline, one round trip for the two.
            select_entry_hashes(hashes, wanted)
            if caught_up:  # read with their events
                written = {n.id: n.fields for n in read_with if n.fields is not None}
            else:  # live: as the subscription delivers them, the digests taken as they are read
                written = take_written(taken, first, last)
            previous = {(r[0], int(r[1])): bytes(r[2]) for r in hashes.fetchall()} if wanted else {}
        stored: list[Stored | Written] = []
        for n in notifications:
            row = written.get(n.id)
            if row is not None and row[0] == n.originator_id and row[1] == n.originator_version:
                stored.append(Written(n.id, row[0], row[1], n.topic, n.state, row[2], row[3]))
                continue
            event = decoded.get(n.id)
            if event is None:
                event = decoded[n.id] = self.mapper.to_domain_event(n)
            stored.append(self.maker.read(n, event))
        made = self.maker.make(stored, edge.size, previous)
        edge.extend([item.leaf for item in made])
        rows = [m.row() for m in made]
        copied = copy_entries(curs, rows)
        # The rest in one statement: the entries not copied, the tiles, the digests read with
        # the events (deleted now), and the swap, which refuses a head it does not find (0046).
        extend_log(
            curs,
            None if copied else rows,
            edge.changed,
            (first, last) if caught_up and written else None,
            (size, root, edge.size, edge.root()),
        )
        edge.changed = {}
        self._pending = edge, last

    def forget(self) -> None:
        self._committed = self._pending = None  # read the head again next time


SELECT_WITH_FIELDS = (
    "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state, "
    "f.originator_id, f.originator_version, f.recorded_at, f.fields "
    "FROM casework_events e LEFT JOIN ledger_fields f ON f.position = e.notification_id "
    "WHERE e.notification_id > %s ORDER BY e.notification_id LIMIT %s"
)
ENTRY_COLUMNS = "leaf_index, position, originator_id, originator_version, entry, leaf_hash"


def copy_entries(curs: Cursor[Any], rows: Sequence[EntryRow]) -> bool:
    """Add entries to ``ledger_entries`` by COPY, the fastest way in for a batch of thousands
    (catching up), unless ``curs``'s connection is in pipeline mode, which cannot run a COPY
    (live, in the views' group: :func:`extend_log` sends them). Whether they were added."""
    if curs.connection.pgconn.pipeline_status != pq.PipelineStatus.OFF:
        return False
    with curs.copy(f"COPY ledger_entries ({ENTRY_COLUMNS}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    return True


def extend_log(
    curs: Cursor[Any],
    rows: Sequence[EntryRow] | None,
    changed: Mapping[TileKey, bytes],
    taken: tuple[int, int] | None,
    head: tuple[int, bytes, int, bytes],
) -> None:
    """What a batch writes to the log but entries already copied, as one statement of arrays
    in binary (a statement costs a live batch of a few events more than its rows do): the
    entries ``rows``, unless None; the tiles the batch ``changed`` (new, or a partial tile
    grown); the writer's digests of the positions ``taken`` (first, last) deleted, unless
    None; and the compare-and-swap of the ``head`` (old size, old root, new size, new root),
    which raises (SQLSTATE ``CW409``) if the head is not the old one."""
    parts: list[str] = []
    params: list[object] = []
    if rows is not None:
        parts.append(INSERT_ENTRIES)
        params += [list(column) for column in zip(*rows, strict=True)]
    keys = sorted(changed)
    parts.append(WRITE_TILES)
    params += [[k[0] for k in keys], [k[1] for k in keys], [changed[k] for k in keys]]
    if taken is not None:
        parts.append(DELETE_TAKEN)
        params += taken
    with curs.connection.cursor() as writes:  # see projections.view.execute_many
        writes.execute(
            "WITH " + ", ".join(parts) + " SELECT ledger_swap_head(%b, %b, %b, %b)",
            [*params, *head],
            prepare=True,
        )


EntryRow = tuple[int, int, UUID, int, bytes, bytes]
# The parts of extend_log's statement: data-modifying WITH clauses, each run once, whether or not
# the statement reads it; all or none of them take effect with the swap.
INSERT_ENTRIES = (
    f"entries AS (INSERT INTO ledger_entries ({ENTRY_COLUMNS}) SELECT * FROM unnest("
    "%b::bigint[], %b::bigint[], %b::uuid[], %b::bigint[], %b::bytea[], %b::bytea[]))"
)
WRITE_TILES = (
    "tiles AS (INSERT INTO ledger_tiles (level, tile_index, hashes) "
    "SELECT * FROM unnest(%b::smallint[], %b::bigint[], %b::bytea[]) "
    "ON CONFLICT (level, tile_index) DO UPDATE SET hashes = EXCLUDED.hashes)"
)
DELETE_TAKEN = "taken AS (DELETE FROM ledger_fields WHERE position BETWEEN %b AND %b)"


def take_written(
    reads: Cursor[Any], first: int, last: int
) -> dict[int, tuple[UUID, int, str, str]]:
    """The field digests their writers stored for the events at positions ``first`` to
    ``last`` (``ledger_fields``), deleted as they are read, on ``reads`` (a cursor of tuple
    rows, in the batch's transaction): position to (aggregate, version, recorded-at, fields).
    The integrator takes a row only for the event it names."""
    reads.execute(
        "DELETE FROM ledger_fields WHERE position BETWEEN %s AND %s "
        "RETURNING position, originator_id, originator_version, recorded_at, fields",
        (first, last),
        prepare=True,
    )
    return {row[0]: row[1:] for row in reads.fetchall()}


def select_entry_hashes(reads: Cursor[Any], wanted: Sequence[tuple[UUID | str, int]]) -> None:
    """Ask for the entry hashes of the given (aggregate, version)s, from the log, on
    ``reads`` (a cursor of tuple rows): its rows are (aggregate, version, entry hash). Nothing
    is asked for none."""
    if wanted:
        reads.execute(
            "SELECT originator_id, originator_version, leaf_hash FROM ledger_entries "
            "WHERE (originator_id, originator_version) IN "
            "(SELECT * FROM unnest(%s::uuid[], %s::bigint[]))",
            ([w[0] for w in wanted], [w[1] for w in wanted]),
            prepare=True,
        )

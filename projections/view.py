"""What a read model is: its tables, and one handler per event class it reads
(:class:`View`); the statement batching its handlers write through. ``projections.runner``
feeds views their events."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.utils import get_topic
from psycopg import Cursor, sql

from domain.retention.erasure import Erasure
from domain.shared.logins import LoginSealer
from domain.shared.sealing import Sealed
from projections.classification import Kind, data_map

TRACKING_TABLE = "projection_tracking"
Handler = Callable[[Any, Cursor[Any], Any, int], None]


def handles(*event_classes: type) -> Callable[[Handler], Handler]:
    """Mark a view method as the handler of the given event classes."""

    def mark(method: Handler) -> Handler:
        method._handles = event_classes  # type: ignore[attr-defined]
        return method

    return mark


class View(PostgresTrackingRecorder):
    """A read model: its tables, and one handler per event class it reads."""

    name: ClassVar[str]
    tables: ClassVar[tuple[str, ...]]
    # Whether the view may be emptied and replayed from the events (``rebuild``).
    rebuildable: ClassVar[bool] = True
    _handlers: ClassVar[dict[str, str]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._handlers = {
            get_topic(event_class): attr
            for attr, member in vars(cls).items()
            for event_class in getattr(member, "_handles", ())
        }

    def __init__(self, datastore: PostgresDatastore, logins: LoginSealer) -> None:
        super().__init__(datastore, tracking_table_name=TRACKING_TABLE)
        # Events carry logins in plain; views store them sealed and blind-indexed.
        self.logins = logins

    def seal_text(self, subject_id: UUID, value: Sealed | str | None) -> bytes | None:
        """A sealed column's value: as the event sealed it or, from an event recorded before
        the domain sealed this field, sealed now with the subject's key (None once erased)."""
        if isinstance(value, str):
            value = self.logins.keyring.seal_if_kept(subject_id, value)
        return None if value is None else value.to_bytes()

    def open_text(self, value: Sealed | str | None) -> str | None:
        """The plaintext of a value an event carries (sealed, or plain from an older event), to
        compute its blind index; None if absent or erased."""
        if isinstance(value, Sealed):
            return self.logins.keyring.text_of(value)
        return value

    def kept(self, person_ids: Iterable[UUID]) -> list[UUID]:
        """Those of ``person_ids`` not erased (their keys not destroyed), in order: a row that
        would only link a record to an erased person is not written, whenever its event
        arrives (so a rebuild, and an event recorded after the erasure, agree with the purge)."""
        wanted = list(person_ids)
        gone = self.logins.keyring.destroyed(wanted)
        return [p for p in wanted if p not in gone]

    @classmethod
    def topics(cls) -> frozenset[str]:
        return frozenset(cls._handlers)

    def keys_needed(self, event: Any) -> Iterable[UUID]:
        """The subjects whose data keys applying ``event`` opens or seals with: fetched for a
        whole batch at once, rather than one look-up per event."""
        return ()

    def apply(self, curs: Cursor[Any], event: Any, position: int) -> None:
        getattr(self, self._handlers[get_topic(type(event))])(curs, event, position)

    def purge(
        self, curs: Cursor[Any], e: Erasure.CarriedOut, tables: Iterable[str] | None = None
    ) -> None:
        """What every view does on an erasure, for each of its tables (``tables``, if given),
        driven by the data map (``projections/<feature>/columns.py``): each sealed column
        holding a value of a destroyed key, and each blind index of a login that is one of the
        erased logins', becomes NULL. The rows that belong only to the erased records are the
        view's own to delete (before this runs, so that no row is kept only to be emptied).

        Safe to run again (a rebuild replays it): a value sealed with a key destroyed before the
        view sealed it is NULL already, and a NULL matches nothing."""
        subjects = [subject.bytes for subject in e.subject_ids]
        indexes = [bytes.fromhex(ix) for ix in e.blind_indexes]
        classified = data_map()
        for table in self.tables if tables is None else tables:
            columns = classified[table]
            sealed = [n for n, c in columns.items() if c.kind is Kind.SEALED]
            logins = [
                n for n, c in columns.items() if c.kind is Kind.BLIND_INDEX and c.key == "login"
            ]
            if sealed and subjects:
                _null_where(curs, table, sealed, "substring({c} FROM 2 FOR 16) = ANY(%s)", subjects)
            if logins and indexes:
                _null_where(curs, table, logins, "{c} = ANY(%s)", indexes)


def _null_where(
    curs: Cursor[Any], table: str, columns: list[str], test: str, values: list[bytes]
) -> None:
    """``UPDATE table``: each of ``columns`` for which ``test`` holds (``{c}``: the column,
    ``%s``: ``values``) becomes NULL, in the rows where it holds for any of them."""
    tests = {c: sql.SQL(test).format(c=sql.Identifier(c)) for c in columns}  # type: ignore[arg-type]
    sets = sql.SQL(", ").join(
        sql.SQL("{c} = CASE WHEN {t} THEN NULL ELSE {c} END").format(
            c=sql.Identifier(c), t=tests[c]
        )
        for c in columns
    )
    statement = sql.SQL("UPDATE {table} SET {sets} WHERE {where}").format(
        table=sql.Identifier(table), sets=sets, where=sql.SQL(" OR ").join(tests.values())
    )
    curs.execute(statement, [values] * (2 * len(columns)))


def execute_many(curs: Cursor[Any], query: Any, rows: Any) -> None:
    """``curs.executemany``, but on a cursor of its own in ``curs``'s transaction (and
    pipeline): in pipeline mode, a fetch from the cursor that ran an executemany can be handed
    that executemany's last result instead of its own statement's, so the batch's cursor,
    which handlers read from and the tracking insert reads back from, never runs one."""
    with curs.connection.cursor() as writes:
        writes.executemany(query, rows)


class StatementBatcher:
    """A cursor for view handlers that sends runs of the same statement as one executemany:
    a rebuild applies thousands of identical inserts, and one call each cost more than the
    decoding. Reads (``fetchone``) first send what is pending, so handlers see their writes.
    Each statement sent alone runs on a cursor of its own, which reads then fetch from: in
    pipeline mode a cursor that ran a write and then a read can be handed the write's result
    (see :func:`execute_many`)."""

    def __init__(self, curs: Cursor[Any]) -> None:
        self._curs = curs
        self._sql: Any = None
        self._rows: list[Any] = []
        self._last: Cursor[Any] | None = None  # the cursor of the last statement sent alone

    def execute(self, query: Any, params: Any = None) -> None:
        if self._rows and query != self._sql:
            self.flush()
        self._sql = query
        self._rows.append(params)

    def executemany(self, query: Any, rows: Any) -> None:
        self.flush()
        execute_many(self._curs, query, rows)

    def fetchone(self) -> Any:
        return self._reader().fetchone()

    def fetchall(self) -> list[Any]:
        return self._reader().fetchall()

    def _reader(self) -> Cursor[Any]:
        self.flush()
        if self._last is None:
            raise RuntimeError("nothing was executed to fetch from")
        return self._last

    def flush(self) -> None:
        if self._rows:
            rows, self._rows = self._rows, []
            if len(rows) == 1:
                if self._last is not None:
                    self._last.close()
                self._last = self._curs.connection.cursor()
                self._last.execute(self._sql, rows[0])
            else:
                execute_many(self._curs, self._sql, rows)


def begin_view_transaction(curs: Cursor[Any]) -> None:
    # A view is derived data: a crash may lose its last commits, never half of one, and they
    # are re-applied from the event store. So it need not wait for the disk, leaving that to
    # the appends that must be durable.
    curs.execute("SET LOCAL synchronous_commit = off")

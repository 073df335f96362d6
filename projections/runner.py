"""Running read models: batched, restart-safe, never applied twice, never skipped.

Built on the eventsourcing library's machinery: a view *is* a ``PostgresTrackingRecorder`` (its
tracking row is written in the same transaction as the view's rows), events come from the
application recorder's notification log and, once caught up, from its LISTEN/NOTIFY subscription.

What this adds to the library's ``ProjectionRunner``:
- many events per transaction (catch-up, rebuild and live bursts), in pipeline mode;
- a guard row lock on the tracking row, so two workers (or a worker and a rebuild) never apply the
  same events twice: the loser sees the position move and resynchronises;
- a rebuild holds its view (an advisory lock per view) from the moment it empties it until it has
  replayed to the head: workers leave that view alone meanwhile, and carry on from where the
  rebuild got, while the other views keep being fed;
- a failing event stops its view loudly: the event's position and error go to
  ``projection_status``; the supervisor retries with back-off, and a restart resumes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.persistence import Mapper, Notification, Tracking
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresSubscription,
    PostgresTrackingRecorder,
)
from eventsourcing.utils import get_topic
from psycopg import Cursor

from domain.shared.logins import LoginSealer
from domain.shared.sealing import Erased, Sealed

log = logging.getLogger(__name__)

TRACKING_TABLE = "projection_tracking"
ANALYZE_AFTER = 10_000  # events caught up in one go
# The advisory-lock space of rebuilds (a view's lock is this and the hash of its name): a
# rebuild holds it exclusively, and every batch a worker applies holds it shared.
REBUILD_LOCKS = 0x63617365
REBUILD_POLL_SECONDS = 0.5  # how often a worker kept off a view looks again
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
            opened = self.logins.keyring.open(value)
            return None if isinstance(opened, Erased) else opened
        return value

    @classmethod
    def topics(cls) -> frozenset[str]:
        return frozenset(cls._handlers)

    def keys_needed(self, event: Any) -> Iterable[UUID]:
        """The subjects whose data keys applying ``event`` opens or seals with: fetched for a
        whole batch at once, rather than one look-up per event."""
        return ()

    def apply(self, curs: Cursor[Any], event: Any, position: int) -> None:
        getattr(self, self._handlers[get_topic(type(event))])(curs, event, position)

    def insert_tracking_in(self, curs: Cursor[Any], position: int) -> None:
        self._insert_tracking(curs, Tracking(self.name, position))  # type: ignore[arg-type]


class StatementBatcher:
    """A cursor for view handlers that sends runs of the same statement as one executemany:
    a rebuild applies thousands of identical inserts, and one call each cost more than the
    decoding. Reads (``fetchone``) first send what is pending, so handlers see their writes."""

    def __init__(self, curs: Cursor[Any]) -> None:
        self._curs = curs
        self._sql: Any = None
        self._rows: list[Any] = []

    def execute(self, query: Any, params: Any = None) -> None:
        if self._rows and query != self._sql:
            self.flush()
        self._sql = query
        self._rows.append(params)

    def executemany(self, query: Any, rows: Any) -> None:
        self.flush()
        self._curs.executemany(query, rows)

    def fetchone(self) -> Any:
        self.flush()
        return self._curs.fetchone()

    def flush(self) -> None:
        if self._rows:
            rows, self._rows = self._rows, []
            if len(rows) == 1:
                self._curs.execute(self._sql, rows[0])
            else:
                self._curs.executemany(self._sql, rows)


def begin_view_transaction(curs: Cursor[Any]) -> None:
    # A view is derived data: a crash may lose its last commits, never half of one, and they
    # are re-applied from the event store. So it need not wait for the disk, leaving that to
    # the appends that must be durable.
    curs.execute("SET LOCAL synchronous_commit = off")


def follow(
    subscription: BufferedSubscription,
    stopping: threading.Event,
    linger: float,
    batch_size: int,
    process: Callable[[Sequence[Notification]], None],
) -> None:
    """Feed new events to ``process`` in batches until ``stopping`` is set."""
    with subscription:
        if stopping.is_set():
            return
        for first in subscription:
            batch = [first]
            if not subscription.buffered() and linger:
                # Let a burst gather: one transaction for many events costs far less than one
                # each, for a few milliseconds more before a write is readable.
                stopping.wait(linger)
            while len(batch) < batch_size and subscription.buffered():
                batch.append(next(subscription))
            process(batch)
            if stopping.is_set():
                return


class PositionMoved(RuntimeError):
    """Another worker or a rebuild moved this view's position; re-read it and carry on."""


class ViewRebuilding(PositionMoved):
    """A rebuild holds this view: leave it alone until the rebuild lets go, then re-read its
    position (where the rebuild got) and carry on from there."""


def _share_rebuild_lock(curs: Cursor[Any], view_name: str) -> bool:
    """Hold ``view_name``'s rebuild lock shared until the transaction ends; False (at once,
    without waiting) while a rebuild holds it or waits for it."""
    curs.execute(
        "SELECT pg_try_advisory_xact_lock_shared(%s, hashtext(%s)) AS free",
        (REBUILD_LOCKS, view_name),
    )
    row = curs.fetchone()
    if row is None:
        raise RuntimeError(f"the rebuild lock of view {view_name} answered no row")
    return bool(row["free"])


class ProjectionFailed(RuntimeError):
    def __init__(self, view: str, position: int, error: BaseException) -> None:
        super().__init__(f"view {view} failed at event {position}: {error!r}")
        self.view = view
        self.position = position


class BufferedSubscription(PostgresSubscription):
    """The library's subscription, able to tell whether more notifications are already pulled."""

    def buffered(self) -> bool:
        return self._notifications_index < len(self._notifications) or (
            not self._notifications_queue.empty()
        )


class ProjectionWorker:
    def __init__(
        self,
        view: View,
        recorder: PostgresApplicationRecorder,
        mapper: Mapper[Any],
        batch_size: int = 2000,
        linger: float = 0.02,
    ) -> None:
        self.view = view
        self.linger = linger
        self.recorder = recorder
        self.mapper = mapper
        self.batch_size = batch_size
        self._topics = view.topics()
        self._subscription: BufferedSubscription | None = None
        self.holds_view = False  # this worker is the rebuild: it holds the rebuild lock
        self.position = self._read_position()

    @property
    def name(self) -> str:
        return self.view.name

    def _read_position(self) -> int:
        with self.view.datastore.transaction(commit=True) as curs:
            curs.execute(
                f"INSERT INTO {TRACKING_TABLE} (application_name, notification_id) "
                "VALUES (%s, 0) ON CONFLICT DO NOTHING",
                (self.name,),
            )
            curs.execute(
                f"SELECT notification_id FROM {TRACKING_TABLE} WHERE application_name = %s",
                (self.name,),
            )
            row = curs.fetchone()
        if row is None:
            raise RuntimeError(f"view {self.name} has no tracking row, though one was just made")
        return int(row["notification_id"])

    def resync(self) -> None:
        self.position = self._read_position()

    def being_rebuilt(self) -> bool:
        """Whether a rebuild holds this view (or waits to)."""
        with self.view.datastore.transaction(commit=False) as curs:
            return not _share_rebuild_lock(curs, self.name)

    def process(self, notifications: Sequence[Notification]) -> None:
        """Apply a batch in one transaction; on failure, find and report the failing event."""
        if not notifications:
            return
        try:
            self._apply(notifications)
        except PositionMoved:
            raise
        except Exception:
            if len(notifications) == 1:
                error = self._last_error
                self._record_failure(notifications[0].id, error)
                raise ProjectionFailed(self.name, notifications[0].id, error) from error
            for notification in notifications:  # find the culprit; apply those before it
                self.process([notification])
        else:
            self._record_running()

    _last_error: BaseException = RuntimeError("unknown")

    def _apply(self, notifications: Sequence[Notification]) -> None:
        try:
            with self.view.datastore.transaction(commit=True) as curs:
                begin_view_transaction(curs)
                self.lock_position(curs)
                with curs.connection.pipeline():
                    self.apply_in(curs, notifications, {})
        except PositionMoved:
            raise
        except Exception as error:
            self._last_error = error
            raise
        self.position = notifications[-1].id

    def lock_position(self, curs: Cursor[Any]) -> None:
        """Lock this view's tracking row; refuse while a rebuild holds the view, or if another
        worker or a rebuild moved it."""
        if not self.holds_view and not _share_rebuild_lock(curs, self.name):
            raise ViewRebuilding(self.name)
        curs.execute(
            f"SELECT notification_id FROM {TRACKING_TABLE} WHERE application_name = %s FOR UPDATE",
            (self.name,),
        )
        row = curs.fetchone()
        if row is None or row["notification_id"] != self.position:
            raise PositionMoved(self.name)

    def apply_in(
        self, curs: Cursor[Any], notifications: Sequence[Notification], decoded: dict[int, Any]
    ) -> None:
        """Apply the events this view reads, then its new position, inside ``curs``'s
        transaction. ``decoded`` shares decoded events between views in one transaction."""
        batcher = StatementBatcher(curs)
        mine = []
        for notification in notifications:
            if notification.topic in self._topics:
                event = decoded.get(notification.id)
                if event is None:
                    event = decoded[notification.id] = self.mapper.to_domain_event(notification)
                mine.append((event, notification.id))
        self.view.logins.keyring.prefetch(s for e, _ in mine for s in self.view.keys_needed(e))
        for event, position in mine:
            self.view.apply(batcher, event, position)  # type: ignore[arg-type]
        batcher.flush()
        self.view.insert_tracking_in(curs, notifications[-1].id)

    def _record_failure(self, position: int, error: BaseException) -> None:
        log.error("projection %s failed at event %s: %r", self.name, position, error)
        with self.view.datastore.transaction(commit=True) as curs:
            curs.execute(
                "INSERT INTO projection_status (name, state, failed_position, error, updated_at) "
                "VALUES (%s, 'failed', %s, %s, now()) ON CONFLICT (name) DO UPDATE SET "
                "state = 'failed', failed_position = EXCLUDED.failed_position, "
                "error = EXCLUDED.error, updated_at = now()",
                (self.name, position, repr(error)[:2000]),
            )

    _running_recorded = False

    def report_running(self) -> None:
        """Caught up (even with nothing to apply): record the view as healthy again."""
        self._running_recorded = False
        self._record_running()

    def _record_running(self) -> None:
        if self._running_recorded:
            return
        with self.view.datastore.transaction(commit=True) as curs:
            curs.execute(
                "INSERT INTO projection_status (name, state, updated_at) "
                "VALUES (%s, 'running', now()) "
                "ON CONFLICT (name) DO UPDATE SET state = 'running', failed_position = NULL, "
                "error = NULL, updated_at = now()",
                (self.name,),
            )
        self._running_recorded = True

    def catch_up(self, on_batch: Callable[[int], None] | None = None) -> int:
        """Apply everything recorded so far, a batch per transaction; return how many."""
        count = 0
        while True:
            notifications = self.recorder.select_notifications(
                start=self.position, limit=self.batch_size, inclusive_of_start=False
            )
            if notifications:
                self.process(notifications)
                count += len(notifications)
                if on_batch is not None:
                    on_batch(len(notifications))
            if len(notifications) < self.batch_size:
                break
        if count >= ANALYZE_AFTER:
            self.analyze()
        return count

    def analyze(self) -> None:
        """Refresh the planner's statistics after a bulk load, rather than wait for autovacuum
        (or for ever, where it is off): plans made for empty tables are slow on full ones."""
        with self.view.datastore.get_connection() as conn:
            conn.execute("ANALYZE " + ", ".join(self.view.tables))

    def run(self, stopping: threading.Event) -> None:
        """Catch up, then follow new events until ``stopping`` is set."""
        self.catch_up()
        self.report_running()
        self._subscription = BufferedSubscription(self.recorder, gt=self.position)
        follow(self._subscription, stopping, self.linger, self.batch_size, self.process)

    def interrupt(self) -> None:
        if self._subscription is not None:
            self._subscription.stop()


class ViewGroup:
    """Several views fed as one: each event is read and decoded once, and each batch is applied
    to every view in one transaction. Used while the views stand at the same position; any
    failure sends the supervisor back to one worker per view, which isolates the failing view.
    """

    def __init__(self, workers: Sequence[ProjectionWorker]) -> None:
        self.workers = list(workers)
        first = self.workers[0]
        self.recorder, self.datastore = first.recorder, first.view.datastore
        self.linger, self.batch_size = first.linger, first.batch_size
        self._subscription: BufferedSubscription | None = None

    @property
    def name(self) -> str:
        return "+".join(w.name for w in self.workers)

    def align(self) -> int:
        """Catch every view up, then bring the laggards to the same position."""
        for worker in self.workers:
            worker.catch_up()
        target = max(w.position for w in self.workers)
        for worker in self.workers:
            while worker.position < target:
                worker.process(
                    self.recorder.select_notifications(
                        start=worker.position,
                        stop=target,
                        limit=self.batch_size,
                        inclusive_of_start=False,
                    )
                )
        return target

    def process(self, notifications: Sequence[Notification]) -> None:
        with self.datastore.transaction(commit=True) as curs:
            begin_view_transaction(curs)
            for worker in self.workers:
                worker.lock_position(curs)
            decoded: dict[int, Any] = {}
            with curs.connection.pipeline():
                for worker in self.workers:
                    worker.apply_in(curs, notifications, decoded)
        for worker in self.workers:
            worker.position = notifications[-1].id

    def run(self, stopping: threading.Event) -> None:
        position = self.align()
        for worker in self.workers:
            worker.report_running()
        self._subscription = BufferedSubscription(self.recorder, gt=position)
        follow(self._subscription, stopping, self.linger, self.batch_size, self.process)

    def interrupt(self) -> None:
        if self._subscription is not None:
            self._subscription.stop()


class Supervisor:
    """Runs the views as one group while all is well; after any failure, runs each view in its
    own thread and restarts a failed one with back-off. A view a rebuild holds is left out of
    the group until the rebuild lets go; then the group takes it back from where it got."""

    def __init__(
        self, workers: Sequence[ProjectionWorker], max_backoff: float = 60.0, grouped: bool = True
    ) -> None:
        self.workers = list(workers)
        self.max_backoff = max_backoff
        self.grouped = grouped and len(self.workers) > 1
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._group: ViewGroup | None = None
        self._round_over = threading.Event()

    def start(self) -> None:
        target = self._run_group if self.grouped else self._run_each
        thread = threading.Thread(target=target, name="projections", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _run_group(self) -> None:
        while not self._stopping.is_set():
            try:
                held = [w for w in self.workers if w.being_rebuilt()]
                for worker in self.workers:
                    worker.resync()
                self._run_round([w for w in self.workers if w not in held], held)
            except PositionMoved:
                # A rebuild took a view, or moved it between two batches: group again, each
                # view from the position it has now.
                continue
            except Exception:
                if self._stopping.is_set():
                    return
                log.exception(
                    "the grouped projection run stopped; continuing with a worker per view"
                )
                break
            finally:
                self._group = None
        else:
            return
        for worker in self.workers:
            try:
                worker.resync()
            except Exception:
                log.exception("projection %s could not re-read its position", worker.name)
        self._run_each()

    def _run_round(self, members: list[ProjectionWorker], held: list[ProjectionWorker]) -> None:
        """Feed ``members`` as one group until the supervisor stops or every rebuild holding
        one of ``held`` has let go."""
        over = self._round_over = threading.Event()
        if self._stopping.is_set():
            over.set()
        group = self._group = ViewGroup(members) if members else None
        watcher = None
        if held:
            watcher = threading.Thread(
                target=self._await_rebuilds, args=(held, over, group), name="projections-rebuilds"
            )
            watcher.start()
        try:
            if group is not None:
                group.run(over)
            else:
                over.wait()
        finally:
            over.set()
            if watcher is not None:
                watcher.join()

    def _await_rebuilds(
        self, held: list[ProjectionWorker], over: threading.Event, group: ViewGroup | None
    ) -> None:
        try:
            while any(w.being_rebuilt() for w in held):
                if over.wait(REBUILD_POLL_SECONDS):
                    return
        except Exception:
            log.exception("could not tell whether a rebuild still holds a view; grouping again")
        over.set()
        if group is not None:
            group.interrupt()

    def _run_each(self) -> None:
        for worker in self.workers:
            thread = threading.Thread(
                target=self._supervise,
                args=(worker,),
                name=f"projection-{worker.name}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def _supervise(self, worker: ProjectionWorker) -> None:
        backoff = 0.5
        while not self._stopping.is_set():
            try:
                if not self._outwait_rebuild(worker):
                    return
                worker.run(self._stopping)
                backoff = 0.5
            except PositionMoved:
                worker.resync()
            except Exception:
                if self._stopping.is_set():
                    return
                log.exception("projection %s stopped; retrying in %.1fs", worker.name, backoff)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                try:
                    worker.resync()
                except Exception:
                    log.exception("projection %s could not re-read its position", worker.name)

    def _outwait_rebuild(self, worker: ProjectionWorker) -> bool:
        """Wait while a rebuild holds the worker's view, then take its position from where the
        rebuild got; False if the supervisor stops meanwhile."""
        if not worker.being_rebuilt():
            return True
        while worker.being_rebuilt():
            if self._stopping.wait(REBUILD_POLL_SECONDS):
                return False
        worker.resync()
        return True

    def stop(self) -> None:
        self._stopping.set()
        self._round_over.set()
        if self._group is not None:
            self._group.interrupt()
        for worker in self.workers:
            worker.interrupt()
        for thread in list(self._threads):
            thread.join(timeout=10)


@contextmanager
def holding_for_rebuild(view: View) -> Iterator[None]:
    """Hold ``view`` for a rebuild: wait for any batch a worker is applying to it to commit,
    then keep every worker off it until the block ends (or this process dies)."""
    with view.datastore.get_connection() as conn:
        key = (REBUILD_LOCKS, view.name)
        conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", key)
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", key)


def rebuild(worker: ProjectionWorker, on_batch: Callable[[int], None] | None = None) -> int:
    """Empty the worker's view and replay every event into it, while the service may be
    running: its workers leave the view alone until the replay has reached the head, then
    carry on from there. Returns how many events were read."""
    with holding_for_rebuild(worker.view):
        reset(worker.view)
        worker.resync()
        worker.holds_view = True
        try:
            return worker.catch_up(on_batch)
        finally:
            worker.holds_view = False


def reset(view: View) -> None:
    """Empty a view and set its position to zero, in one transaction, for a rebuild."""
    with view.datastore.transaction(commit=True) as curs:
        curs.execute(
            f"SELECT notification_id FROM {TRACKING_TABLE} WHERE application_name = %s FOR UPDATE",
            (view.name,),
        )
        curs.execute("TRUNCATE " + ", ".join(view.tables))
        curs.execute(
            f"INSERT INTO {TRACKING_TABLE} (application_name, notification_id) VALUES (%s, 0) "
            "ON CONFLICT (application_name) DO UPDATE SET notification_id = 0",
            (view.name,),
        )
        curs.execute("DELETE FROM projection_status WHERE name = %s", (view.name,))

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
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any

import psycopg
from eventsourcing.persistence import Mapper, Notification, PersistenceError, ShutDown
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresSubscription,
)
from psycopg import Cursor

from projections.view import (
    TRACKING_TABLE,
    StatementBatcher,
    View,
    begin_view_transaction,
)

log = logging.getLogger(__name__)

ANALYZE_AFTER = 10_000  # events caught up in one go
# The advisory-lock space of rebuilds (a view's lock is this and the hash of its name): a
# rebuild holds it exclusively, and every batch a worker applies holds it shared.
REBUILD_LOCKS = 0x63617365
REBUILD_POLL_SECONDS = 0.5  # how often a worker kept off a view looks again


def follow(
    subscription: BufferedSubscription,
    stopping: threading.Event,
    linger: float,
    batch_size: int,
    process: Callable[[Sequence[Notification]], None],
    due: Callable[[], float | None] = lambda: None,
) -> None:
    """Feed new events to ``process`` in batches until ``stopping`` is set. ``due``: the
    seconds until views left out of the batches (:attr:`ProjectionWorker.defer_seconds`) must
    take their events, or None; if nothing comes by then, ``process`` is given no events."""
    with subscription:
        while not stopping.is_set():
            wait = due()
            if wait is not None and not subscription.arrives_within(wait):
                process([])
                continue
            first = next(subscription, None)
            if first is None:  # stopped
                return
            batch = [first]
            if not subscription.buffered() and linger:
                # Let a burst gather: one transaction for many events costs far less than one
                # each, for a few milliseconds more before a write is readable.
                stopping.wait(linger)
            while len(batch) < batch_size and subscription.buffered():
                batch.append(next(subscription))
            process(batch)


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


class NotRebuildable(ValueError):
    def __init__(self, view: str) -> None:
        super().__init__(f"view {view} is never rebuilt: it is a record, not derived data")


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

    def arrives_within(self, timeout: float) -> bool:
        """Whether a notification is pulled already or arrives within ``timeout`` seconds (or
        the subscription stops: the next ``next`` then ends the iteration); what arrives is
        kept for ``next``, as the library's own ``__next__`` keeps it."""
        if self._notifications_index < len(self._notifications) or self._has_been_stopped:
            return True
        try:
            pulled = self._notifications_queue.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return False
        except ShutDown:
            return True
        self._notifications_queue.task_done()
        self._notifications, self._notifications_index = pulled, 0
        return True


class ProjectionWorker:
    # A batch applied alone is sent in pipeline mode (its statements without a round trip
    # each); a worker whose writes are better sent another way (COPY) turns it off.
    pipelined = True
    # Fed in a group, how long this view may be left out of the group's batches, to take the
    # events it missed in one batch later: a view whose batches cost more than their events
    # (the ledger's). 0: never, for a view that people read their writes from.
    defer_seconds = 0.0

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
            log.warning(
                "projection %s: a batch of %d events (positions %d to %d) failed (%s); "
                "applying them one at a time to find the failing one",
                self.name,
                len(notifications),
                notifications[0].id,
                notifications[-1].id,
                type(self._last_error).__name__,
            )
            for notification in notifications:  # find the culprit; apply those before it
                self.process([notification])
        else:
            self._record_running()

    _last_error: BaseException = RuntimeError("unknown")

    def _apply(self, notifications: Sequence[Notification]) -> None:
        try:
            apply_together([self], notifications, self.pipelined)
        except PositionMoved:
            raise
        except Exception as error:
            self._last_error = error
            raise

    def forget(self) -> None:
        """Drop whatever this worker knows of its view's rows beyond its position: a batch it
        applied was refused, so what it learned from it is not what the database holds."""

    def apply_in(
        self, curs: Cursor[Any], notifications: Sequence[Notification], decoded: dict[int, Any]
    ) -> None:
        """Apply the events this view reads inside ``curs``'s transaction (its new position is
        written after, by :func:`write_positions`). ``decoded`` shares decoded events between
        views in one transaction."""
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
            notifications = self.select_after(self.position, self.batch_size)
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

    def select_after(self, position: int, limit: int) -> Sequence[Notification]:
        """The next ``limit`` stored events after ``position``, for :meth:`catch_up`."""
        return self.recorder.select_notifications(
            start=position, limit=limit, inclusive_of_start=False
        )

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

    A view that may be deferred (:attr:`ProjectionWorker.defer_seconds`) is left out of the
    batches that come sooner than that after its last: the group keeps the events it missed
    and gives them to it with the next batch it takes part in, or on their own when no batch
    comes in time, with the other views' decodings of them. At most a batch's worth are kept.
    """

    def __init__(self, workers: Sequence[ProjectionWorker]) -> None:
        self.workers = list(workers)
        first = self.workers[0]
        self.recorder = first.recorder
        self.linger, self.batch_size = first.linger, first.batch_size
        self._subscription: BufferedSubscription | None = None
        self.deferred = [w for w in self.workers if w.defer_seconds > 0]
        self._defer = min((w.defer_seconds for w in self.deferred), default=0.0)
        self._due = 0.0  # when the deferred views next take part (time.monotonic)
        self._missed: list[Notification] = []  # the events they have been left out of
        self._missed_from = 0  # the position they stood at when the first was left out
        self._decoded: dict[int, Any] = {}  # those events as the other views decoded them

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
        """Apply a batch to every view but those deferred until later; none (nothing came in
        time): give the deferred views the events they missed."""
        if not notifications:
            if self._missed:
                self._apply(self.deferred, ())
            return
        now = time.monotonic()
        if (
            self.deferred
            and now < self._due
            and len(self._missed) + len(notifications) <= self.batch_size
        ):
            taking = [w for w in self.workers if w not in self.deferred]
            if taking:
                apply_together(taking, notifications, pipelined=True, decoded=self._decoded)
            if not self._missed:
                self._missed_from = self.deferred[0].position
            self._missed.extend(notifications)
            return
        self._apply(self.workers, notifications)

    def _apply(
        self, workers: Sequence[ProjectionWorker], notifications: Sequence[Notification]
    ) -> None:
        missed = self._missed
        if missed:
            for worker in self.deferred:  # the missed events begin where it stood
                if worker.position != self._missed_from:
                    raise PositionMoved(worker.name)
        apply_together(workers, notifications, pipelined=True, missed=missed, decoded=self._decoded)
        self._decoded = {}
        if self.deferred:
            self._missed = []
            self._due = time.monotonic() + self._defer

    def due(self) -> float | None:
        """Seconds until the deferred views must take the events they missed; None if none."""
        return max(self._due - time.monotonic(), 0.0) if self._missed else None

    def run(self, stopping: threading.Event) -> None:
        position = self.align()
        for worker in self.workers:
            worker.report_running()
        self._subscription = BufferedSubscription(self.recorder, gt=position)
        follow(self._subscription, stopping, self.linger, self.batch_size, self.process, self.due)

    def interrupt(self) -> None:
        if self._subscription is not None:
            self._subscription.stop()


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
    if not worker.view.rebuildable:
        raise NotRebuildable(worker.view.name)
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


def apply_together(
    workers: Sequence[ProjectionWorker],
    notifications: Sequence[Notification],
    pipelined: bool,
    missed: Sequence[Notification] = (),
    decoded: dict[int, Any] | None = None,
) -> None:
    """Apply a batch to every worker's view in one transaction (in pipeline mode if
    ``pipelined``): their positions locked, each view's rows, their new positions; then move
    the workers on. ``missed``: the events just before the batch, which a worker standing
    before them (a deferred view, :class:`ViewGroup`) is given first. ``decoded``: the events
    decoded already, by position (the views' decodings are added to it). A view's statement
    that finds its view moved (``refused_as_moved``) is raised as :class:`PositionMoved`."""
    last = (notifications or missed)[-1].id
    try:
        with (
            workers[0].view.datastore.transaction(commit=True) as curs,
            curs.connection.pipeline() if pipelined else nullcontext(),
        ):
            begin_view_transaction(curs)
            lock_positions(curs, workers)
            decoded = {} if decoded is None else decoded
            for worker in workers:
                mine = notifications
                if missed and worker.position < missed[-1].id:
                    mine = [*(n for n in missed if n.id > worker.position), *notifications]
                worker.apply_in(curs, mine, decoded)
            write_positions(curs, workers, last)
    except PositionMoved:
        raise
    except Exception as error:
        refused_as_moved(error, workers)
        raise
    for worker in workers:
        worker.position = last


# What a view's statement raises when it finds its view moved under it (the ledger's compare
# and swap of its head, migration 0046): in a pipeline it arrives at the batch's commit, with
# no round trip spent reading the statement's result back.
POSITION_MOVED_SQLSTATE = "CW409"


def refused_as_moved(error: BaseException, workers: Sequence[ProjectionWorker]) -> None:
    """Raise :class:`PositionMoved` if ``error`` is a view's statement finding its view moved
    (each worker forgets what it learned from the refused batch); else return."""
    cause = error.__cause__ if isinstance(error, PersistenceError) else error  # as the datastore
    if isinstance(cause, psycopg.Error) and cause.sqlstate == POSITION_MOVED_SQLSTATE:  # wraps it
        for worker in workers:
            worker.forget()
        raise PositionMoved("+".join(w.name for w in workers)) from error


def lock_positions(curs: Cursor[Any], workers: Sequence[ProjectionWorker]) -> None:
    """Lock the workers' tracking rows (in name order, as every batch does, so that two batches
    never deadlock) and hold each view's rebuild lock shared, in one statement; refuse
    while a rebuild holds a view (but the rebuild's own worker, which holds it), or if another
    worker or a rebuild moved a view's position from the worker's."""
    curs.execute(
        "SELECT application_name AS name, notification_id AS position, "
        "CASE WHEN application_name = ANY(%s::text[]) "
        "THEN pg_try_advisory_xact_lock_shared(%s, hashtext(application_name)) "
        "ELSE true END AS free "
        f"FROM {TRACKING_TABLE} WHERE application_name = ANY(%s::text[]) "
        "ORDER BY application_name FOR UPDATE",
        (
            [w.name for w in workers if not w.holds_view],
            REBUILD_LOCKS,
            [w.name for w in workers],
        ),
        prepare=True,
    )
    rows = {row["name"]: row for row in curs.fetchall()}
    for worker in workers:
        row = rows.get(worker.name)
        if row is not None and not row["free"]:
            raise ViewRebuilding(worker.name)
        if row is None or row["position"] != worker.position:
            raise PositionMoved(worker.name)


def write_positions(curs: Cursor[Any], workers: Sequence[ProjectionWorker], position: int) -> None:
    """The workers' views' new position, in ``curs``'s transaction (and pipeline), whose
    :func:`lock_positions` locked their tracking rows: nothing else can have moved them, so
    nothing is read back. On a cursor of its own (see ``projections.view.execute_many``)."""
    with curs.connection.cursor() as own:
        own.execute(
            f"UPDATE {TRACKING_TABLE} SET notification_id = %s "
            "WHERE application_name = ANY(%s::text[])",
            (position, [w.name for w in workers]),
            prepare=True,
        )

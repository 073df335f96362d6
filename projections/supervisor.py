"""Keeping views fed: one thread per view group, restarted with back-off when a view fails,
standing aside while a view is rebuilt (``projections.runner`` does the feeding)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from projections.runner import (
    REBUILD_POLL_SECONDS,
    PositionMoved,
    ProjectionWorker,
    ViewGroup,
)

log = logging.getLogger(__name__)


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

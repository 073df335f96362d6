"""Where the projection workers run: threads in this process, or a supervised child process.

`casework serve` runs them in a child process so that applying events never competes with the
API for the interpreter lock; `casework project` runs them on their own; tests use threads.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from typing import Any, Protocol

from api.database import Database
from api.ledger import WITNESS_TIMEOUT_SECONDS, Checkpointer
from api.settings import Settings
from api.webhooks import SenderThread
from api.wiring import Container, build
from projections.supervisor import Supervisor

log = logging.getLogger(__name__)


class Workers(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


class NoWorkers:
    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


class StopRequest:
    """A request to stop that a signal handler may make safely, and a wait for it.

    ``request`` only writes a byte to a pipe of this process's own: a handler takes no lock, so
    it can never deadlock with the code it interrupted (a lock-based event set from a handler
    can), nor with another process. A child also passes ``parent``, the reading end of a pipe
    whose only writer is its parent: that pipe reaches end of file when the parent closes it to
    ask the child to stop, and when the parent dies, however it dies.
    """

    def __init__(self, parent: Connection | None = None) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        self._parent = parent

    def request(self, *_: object) -> None:
        with contextlib.suppress(BlockingIOError):  # full: a stop was requested already
            os.write(self._write, b"\0")

    def wait(self, timeout: float | None = None) -> bool:
        """Whether a stop was requested (or the parent is gone), waiting at most ``timeout``."""
        sources: list[Any] = [self._read] if self._parent is None else [self._read, self._parent]
        return bool(wait(sources, timeout))

    def on_signals(self, *signals: signal.Signals) -> None:
        for signum in signals:
            signal.signal(signum, self.request)


def run_until(stopping: StopRequest, settings: Settings, database: Database) -> None:
    """Run every view's worker until a stop is requested."""
    container = build(settings, apply_migrations=False, database=database)
    supervisor = Supervisor(container.workers())
    supervisor.start()
    checkpoints = CheckpointThread(container)
    sender = SenderThread(container.pool, container.keyring, container.settings)
    try:
        stopping.wait()
    finally:
        sender.stop()
        checkpoints.stop()
        supervisor.stop()
        container.close()


def _child(parent: Connection, settings: Settings, database: Database) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops us
    stopping = StopRequest(parent)
    stopping.on_signals(signal.SIGTERM)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    run_until(stopping, settings, database)


class Backoff:
    """The delay before restarting a process that exited: ``initial`` after its first crash,
    doubling while it keeps crashing, up to ``maximum``; a run of ``healthy_after`` seconds or
    more counts as healthy, and the next crash starts again from ``initial``."""

    def __init__(
        self,
        *,
        initial: float = 1.0,
        maximum: float = 60.0,
        healthy_after: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._initial = initial
        self._maximum = maximum
        self._healthy_after = healthy_after
        self._clock = clock
        self._next = initial
        self._started_at = clock()

    def started(self) -> None:
        self._started_at = self._clock()

    def delay(self) -> float:
        """The delay before the next start, the process having just exited."""
        if self._clock() - self._started_at >= self._healthy_after:
            self._next = self._initial
        delay = self._next
        self._next = min(delay * 2, self._maximum)
        return delay


class WorkerProcess:
    """The workers in a child process, restarted with back-off if it dies.

    The child stops when the pipe from this process reaches end of file: when ``stop`` closes
    it, or when this process dies (even by SIGKILL), so no orphan keeps applying events."""

    STOP_GRACE_SECONDS = 5.0

    def __init__(self, container: Container) -> None:
        self._settings = container.settings
        self._database = container.database
        self._context = multiprocessing.get_context("spawn")
        self._to_child, self._from_parent = self._pipe()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._backoff = Backoff()
        self._process: Any = None
        self._monitor = threading.Thread(
            target=self._supervise, name="projection-process", daemon=True
        )

    def _pipe(self) -> tuple[Connection, Connection]:
        reader, writer = self._context.Pipe(duplex=False)
        return writer, reader

    def _spawn(self) -> None:
        with self._lock:
            if self._closing.is_set():
                return
            self._process = self._context.Process(
                target=_child,
                args=(self._from_parent, self._settings, self._database),
                name="casework-projections",
            )
            self._process.start()
            self._backoff.started()

    def start(self) -> None:
        self._spawn()
        self._monitor.start()

    def _supervise(self) -> None:
        while not self._closing.is_set():
            self._process.join(timeout=1)
            if self._process.is_alive() or self._closing.is_set():
                continue
            delay = self._backoff.delay()
            log.error(
                "projection process exited with %s; restarting in %.0fs",
                self._process.exitcode,
                delay,
            )
            if self._closing.wait(delay):
                return
            self._spawn()

    def stop(self) -> None:
        with self._lock:
            self._closing.set()
            self._to_child.close()  # end of file: the child stops
        if self._process is not None:
            self._process.join(timeout=self.STOP_GRACE_SECONDS)
            if self._process.is_alive():
                log.error("projection process did not stop in time; killing it")
                self._process.kill()
                self._process.join(timeout=5)


class CheckpointThread:
    """The ledger's checkpointer, beside the workers that feed the ledger (``api.ledger``)."""

    def __init__(self, container: Container) -> None:
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=Checkpointer(container.pool, container.keyring, container.settings).run,
            args=(self._stopping,),
            name="ledger-checkpoints",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=WITNESS_TIMEOUT_SECONDS + 5)


class WorkerThreads:
    def __init__(self, container: Container) -> None:
        self._container = container
        self._supervisor = Supervisor(container.workers())
        self._checkpoints: CheckpointThread | None = None
        self._sender: SenderThread | None = None

    def start(self) -> None:
        self._supervisor.start()
        self._checkpoints = CheckpointThread(self._container)
        container = self._container
        self._sender = SenderThread(container.pool, container.keyring, container.settings)

    def stop(self) -> None:
        if self._sender is not None:
            self._sender.stop()
        if self._checkpoints is not None:
            self._checkpoints.stop()
        self._supervisor.stop()

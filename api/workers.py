"""Where the projection workers run: threads in this process, or a supervised child process.

`casework serve` runs them in a child process so that applying events never competes with the
API for the interpreter lock; `casework project` runs them on their own; tests use threads.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
from typing import Any, Protocol

from api.database import Database
from api.settings import Settings
from api.wiring import Container, build
from projections.runner import Supervisor

log = logging.getLogger(__name__)


class Workers(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


class NoWorkers:
    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


def run_until(stopping: Any, settings: Settings, database: Database) -> None:
    """Run every view's worker until ``stopping`` is set."""
    container = build(settings, apply_migrations=False, database=database)
    supervisor = Supervisor(container.workers())
    supervisor.start()
    try:
        while not stopping.wait(1):
            pass
    finally:
        supervisor.stop()
        container.close()


def _child(stopping: Any, settings: Settings, database: Database) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    run_until(stopping, settings, database)


class WorkerProcess:
    """The workers in a child process, restarted with back-off if it dies."""

    def __init__(self, container: Container) -> None:
        self._settings = container.settings
        self._database = container.database
        self._context = multiprocessing.get_context("spawn")
        self._stopping = self._context.Event()
        self._closing = threading.Event()
        self._process: Any = None
        self._monitor = threading.Thread(
            target=self._supervise, name="projection-process", daemon=True
        )

    def _spawn(self) -> None:
        self._process = self._context.Process(
            target=_child,
            args=(self._stopping, self._settings, self._database),
            name="casework-projections",
        )
        self._process.start()

    def start(self) -> None:
        self._spawn()
        self._monitor.start()

    def _supervise(self) -> None:
        backoff = 1.0
        while not self._closing.is_set():
            self._process.join(timeout=1)
            if self._process.is_alive() or self._closing.is_set():
                continue
            log.error(
                "projection process exited with %s; restarting in %.0fs",
                self._process.exitcode,
                backoff,
            )
            if self._closing.wait(backoff):
                return
            backoff = min(backoff * 2, 60)
            self._spawn()

    def stop(self) -> None:
        self._closing.set()
        self._stopping.set()
        if self._process is not None:
            self._process.join(timeout=20)
            if self._process.is_alive():
                self._process.terminate()
                self._process.join(timeout=5)


class WorkerThreads:
    def __init__(self, container: Container) -> None:
        self._supervisor = Supervisor(container.workers())

    def start(self) -> None:
        self._supervisor.start()

    def stop(self) -> None:
        self._supervisor.stop()

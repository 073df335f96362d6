"""What the benchmarks share: a fresh database, the real HTTP server, an HTTP load generator,
raw commits as a baseline, and the arithmetic of the figures.

A load phase is a :class:`LoadSpec`: request bodies (cycled over, each client starting at its
own offset), the bearer token, and a :class:`ResponseCheck` every response must pass. The load
generator is picklable, so it can run in a separate process (:class:`LoadRunner`) and keep its
Python work off the server's interpreter lock.
"""

from __future__ import annotations

import atexit
import json
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any
from uuid import uuid4

import httpx
import psycopg
import uvicorn
from psycopg import sql
from psycopg.conninfo import make_conninfo

from api.database import Database, ensure_database, start_embedded
from api.http import create_app
from api.wiring import Container

DATABASE_URL_ENV = "CASEWORK_BENCH_DATABASE_URL"

# --- arithmetic ----------------------------------------------------------------------------------


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation): the value ``pct`` % of samples do not exceed."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def meets(op: str, limit: float, value: float) -> bool:
    """Whether ``value`` meets a target stated as ``op`` (">=" or "<=") ``limit``."""
    return value >= limit if op == ">=" else value <= limit


def timed(function: Callable[[], int]) -> tuple[int, float]:
    started = time.perf_counter()
    count = function()
    return count, time.perf_counter() - started


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def count_events(container: Container, topic: str | None = None) -> int:
    with container.pool.connection() as conn:
        if topic is None:
            row = conn.execute("SELECT count(*) AS n FROM casework_events").fetchone()
        else:
            row = conn.execute(
                "SELECT count(*) AS n FROM casework_events WHERE topic = %s", (topic,)
            ).fetchone()
    assert row is not None
    return int(row["n"])


# --- a fresh database ----------------------------------------------------------------------------


def work_directory() -> Path:
    """A temporary directory for the run (embedded server, development keys), removed at exit."""
    work_dir = Path(tempfile.mkdtemp(prefix="casework-bench-"))
    # registered first, so it runs last: after an embedded server has been stopped
    atexit.register(shutil.rmtree, work_dir, ignore_errors=True)
    return work_dir


def _terminate(signum: int, _frame: FrameType | None) -> None:
    signal.signal(signum, signal.SIG_IGN)  # a second signal must not interrupt the clean-up
    raise SystemExit(128 + signum)


@contextmanager
def fresh_database(database_url: str | None, work_dir: Path) -> Iterator[Database]:
    """A new database ``casework_bench_<random>`` on the given server (else on an embedded server
    in ``work_dir``), dropped when the block ends, however it ends: an exception, Ctrl-C, or a
    SIGTERM (turned into ``SystemExit`` while the block runs)."""
    if database_url:
        server = Database(make_conninfo(database_url))
    else:
        print("no --database-url: starting the embedded PostgreSQL in a temporary directory")
        server = start_embedded(work_dir / "embedded")
    name = f"casework_bench_{uuid4().hex[:10]}"
    ensure_database(server, name)
    print(f"benchmark database: {name}")
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    try:
        yield server.with_dbname(name)
    finally:
        try:
            with psycopg.connect(server.conninfo, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
        except psycopg.Error as error:
            print(f"could not drop {name} ({error}); drop it by hand", file=sys.stderr)
            raise
        print(f"dropped {name}", file=sys.stderr)
        if in_main_thread and previous is not None:
            signal.signal(signal.SIGTERM, previous)


# --- the pieces under test -----------------------------------------------------------------------


@contextmanager
def http_server(container: Container) -> Iterator[str]:
    """The real ASGI app (with its projection workers) served by uvicorn on a free local port."""
    port = free_port()
    config = uvicorn.Config(
        create_app(container, projections="process"),  # as `casework serve` runs
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the HTTP server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def raw_commits(conninfo: str, rows: int, payload_size: int) -> float:
    """(a): rows/s of one-row INSERT + commit on one autocommit connection."""
    payload = os.urandom(payload_size)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_raw (id bigserial, payload bytea)")
        insert = "INSERT INTO bench_raw (payload) VALUES (%s)"
        for _ in range(min(100, rows)):  # warm up (and let psycopg prepare the statement)
            conn.execute(insert, (payload,))
        started = time.perf_counter()
        for _ in range(rows):
            conn.execute(insert, (payload,))
        return rows / (time.perf_counter() - started)


def average_event_size(container: Container, default: int = 256) -> int:
    """The average encrypted event state in the store, in bytes: the raw baseline's payload."""
    with container.pool.connection() as conn:
        row = conn.execute("SELECT avg(octet_length(state))::int AS n FROM casework_events")
        return int((row.fetchone() or {}).get("n") or default)


# --- the HTTP load generator (picklable: it may run in a child process) --------------------------


@dataclass(frozen=True)
class ResponseCheck:
    """What every response of a phase must be: HTTP 200, no ``errors``, and a value at ``path``
    under ``data`` (equal to ``equals`` if given; a non-empty list or object if ``non_empty``)."""

    path: tuple[str, ...]
    equals: Any = None
    non_empty: bool = False

    def problem(self, response: httpx.Response) -> str | None:
        """None if the response is what the phase expects, else a description of what came back."""
        if response.status_code != 200:
            return f"HTTP {response.status_code}: {response.text[:300]}"
        body = response.json()
        data = body.get("data") or {}
        if body.get("errors"):
            return f"errors: {json.dumps(body['errors'])[:300]}"
        parent: Any = data
        value: Any = data
        for step in self.path:
            parent = value
            value = value.get(step) if isinstance(value, dict) else None
        if self.equals is not None:
            if value != self.equals:
                return f"not {self.equals}: {json.dumps(parent or {})[:300]}"
            return None
        if value is None or (self.non_empty and not value):
            return f"unexpected: {str(body)[:300]}"
        return None


@dataclass(frozen=True)
class LoadSpec:
    name: str  # the phase, as reported
    url: str
    token: str
    bodies: tuple[dict[str, Any], ...]  # JSON request bodies; client i sends i*per_client+n, cycled
    check: ResponseCheck
    clients: int
    requests: int  # per client, measured
    warmup: int  # per client, before the clock starts
    max_seconds: float  # time bound of the measured part

    @property
    def per_client(self) -> int:
        return self.warmup + self.requests


@dataclass
class LoadResult:
    kind: str
    completed: int
    failures: int
    first_failure: str | None
    wall_seconds: float
    latencies_ms: list[float] = field(repr=False)

    @property
    def rate(self) -> float:
        return self.completed / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p95(self) -> float:
        return percentile(self.latencies_ms, 95)


@dataclass
class _ClientOutcome:
    latencies_ms: list[float] = field(default_factory=list)
    failures: int = 0
    first_failure: str | None = None

    def failed(self, what: str) -> None:
        self.failures += 1
        self.first_failure = self.first_failure or what


def _client(spec: LoadSpec, index: int, start: threading.Barrier, out: _ClientOutcome) -> None:
    headers = {"Authorization": f"Bearer {spec.token}"}
    with httpx.Client(base_url=spec.url, headers=headers, timeout=60.0) as client:

        def send(number: int) -> float:
            body = spec.bodies[(index * spec.per_client + number) % len(spec.bodies)]
            began = time.perf_counter()
            try:
                response = client.post("/graphql", json=body)
                elapsed = time.perf_counter() - began
                problem = spec.check.problem(response)
            except (httpx.HTTPError, ValueError) as error:
                elapsed, problem = time.perf_counter() - began, repr(error)
            if problem is not None:
                out.failed(problem)
            return elapsed

        for number in range(spec.warmup):
            send(number)
        start.wait(timeout=300)
        deadline = time.perf_counter() + spec.max_seconds
        for number in range(spec.warmup, spec.per_client):
            out.latencies_ms.append(send(number) * 1000)
            if time.perf_counter() >= deadline:
                break


def run_load(spec: LoadSpec) -> LoadResult:
    """``spec.clients`` threads, each with its own keep-alive client, started together."""
    start = threading.Barrier(spec.clients + 1)
    outcomes = [_ClientOutcome() for _ in range(spec.clients)]
    threads = [
        threading.Thread(target=_client, args=(spec, i, start, outcomes[i]), daemon=True)
        for i in range(spec.clients)
    ]
    for thread in threads:
        thread.start()
    start.wait(timeout=300)  # every client has warmed up
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    latencies = [ms for o in outcomes for ms in o.latencies_ms]
    failures = sum(o.failures for o in outcomes)
    first = next((o.first_failure for o in outcomes if o.first_failure), None)
    return LoadResult(spec.name, len(latencies), failures, first, wall, latencies)


class LoadFailed(RuntimeError):
    pass


class LoadRunner:
    """Runs load phases in a separate (spawned) process, or in this one if ``in_process``;
    raises :class:`LoadFailed` if any response of a phase failed its check."""

    def __init__(self, in_process: bool = False) -> None:
        context = multiprocessing.get_context("spawn")
        self._pool = None if in_process else ProcessPoolExecutor(1, mp_context=context)

    def run(self, spec: LoadSpec) -> LoadResult:
        result = (
            run_load(spec) if self._pool is None else self._pool.submit(run_load, spec).result()
        )
        if result.failures:
            raise LoadFailed(
                f"{result.failures} {spec.name} requests failed; first: {result.first_failure}"
            )
        return result

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()

    def __enter__(self) -> LoadRunner:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

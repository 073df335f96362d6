"""What the benchmarks share: a fresh database, the real HTTP server, an HTTP load generator,
raw commits as a baseline, and the arithmetic of the figures; for the benchmarks on a generated
data set (``ops/generate``), their options, the generation, alternating rounds of load
phases, their figures and the EXPLAIN of the SQL a read issues.

A load phase is a :class:`LoadSpec`: request bodies (cycled over, each client starting at its
own offset), the bearer token, and a :class:`ResponseCheck` every response must pass. The load
generator is picklable, so it can run in a separate process (:class:`LoadRunner`) and keep its
Python work off the server's interpreter lock.
"""

from __future__ import annotations

import argparse
import atexit
import json
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar
from uuid import uuid4

import httpx
import psycopg
import uvicorn
from psycopg import sql
from psycopg.conninfo import make_conninfo

from api.database import Database, ensure_database, start_embedded
from api.http import create_app
from api.settings import Environment, Settings
from api.wiring import Container, build
from api.workers import StopRequest
from ops.generate import Generated, Options, analyze, catch_up, generate
from projections.supervisor import Supervisor

DATABASE_URL_ENV = "CASEWORK_BENCH_DATABASE_URL"
PAGE = 2000  # notifications per read of the log, as the projection workers read it

# --- arithmetic ----------------------------------------------------------------------------------


T = TypeVar("T")


def present(value: T | None, what: str) -> T:
    """``value``, which the data set must hold; a benchmark without it measures nothing."""
    if value is None:
        raise RuntimeError(f"the data set has no {what}: generate it afresh")
    return value


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
    return int(present(row, "count")["n"])


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
def http_server(container: Container, projections: str = "process") -> Iterator[str]:
    """The real ASGI app served by uvicorn on a free local port; with its projection workers in
    a child process as `casework serve` runs them, unless ``projections`` says otherwise
    (``"none"``: the caller runs them, e.g. :func:`worker_process`)."""
    port = free_port()
    config = uvicorn.Config(
        create_app(container, projections=projections),
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


def read_and_decode(container: Container) -> int:
    """(c), the baseline of every rate of reading the store: read every notification in pages
    of :data:`PAGE` and decode each into a domain event (decrypt + deserialise)."""
    recorder, mapper = container.app.recorder, container.app.mapper
    position, count = 0, 0
    while True:
        page = recorder.select_notifications(start=position, limit=PAGE, inclusive_of_start=False)
        for notification in page:
            mapper.to_domain_event(notification)
        count += len(page)
        if len(page) < PAGE:
            return count
        position = page[-1].id


def _run_views(
    parent: Connection, settings: Settings, database: Database, views: list[str]
) -> None:
    """The child of :func:`worker_process`: as ``api.workers`` runs every view, these only."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops us
    stopping = StopRequest(parent)
    stopping.on_signals(signal.SIGTERM)
    container = build(settings, apply_migrations=False, database=database)
    supervisor = Supervisor(container.workers(views))
    supervisor.start()
    try:
        stopping.wait()
    finally:
        supervisor.stop()
        container.close()


@contextmanager
def worker_process(container: Container, views: list[str]) -> Iterator[None]:
    """The projection workers of ``views`` only, in a child process run the way `casework
    serve` runs every view's (one supervisor, the views fed as one group): to compare the
    service with and without a view. Stopped, as the service stops its child, at the end."""
    context = multiprocessing.get_context("spawn")
    reader, writer = context.Pipe(duplex=False)
    process = context.Process(
        target=_run_views,
        args=(reader, container.settings, container.database, views),
        name="bench-projections",
    )
    process.start()
    reader.close()
    try:
        yield
    finally:
        writer.close()  # end of file: the child stops
        process.join(timeout=30)
        if process.is_alive():
            process.terminate()
            process.join()


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
    under ``data`` (equal to ``equals`` if given; a non-empty list or object if ``non_empty``;
    one of ``one_of`` if given; a list of ``length`` items if given; an object whose lists hold
    ``total_length`` items between them if given)."""

    path: tuple[str, ...]
    equals: Any = None
    non_empty: bool = False
    one_of: tuple[Any, ...] = ()
    length: int | None = None
    total_length: int | None = None

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
        if self.one_of and value not in self.one_of:
            return f"not one of {self.one_of}: {json.dumps(parent or {})[:300]}"
        if self.length is not None and (not isinstance(value, list) or len(value) != self.length):
            return f"not {self.length} items: {json.dumps(parent or {})[:300]}"
        if self.total_length is not None and (
            not isinstance(value, dict)
            or sum(len(v) for v in value.values() if isinstance(v, list)) != self.total_length
        ):
            return f"not {self.total_length} items in all: {json.dumps(value)[:300]}"
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
    # a path under ``data`` whose value each measured response keeps, with the monotonic time
    # it arrived (the clock every process of the machine shares): what a write returned
    keep: tuple[str, ...] = ()

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
    # CPU milliseconds per completed request, by process group (``cpu_by_process``)
    cpu_ms: dict[str, float] = field(default_factory=dict)
    # (time.monotonic() on arrival, the value at ``LoadSpec.keep``) per measured response
    kept: list[tuple[float, Any]] = field(default_factory=list, repr=False)

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
    kept: list[tuple[float, Any]] = field(default_factory=list)
    failures: int = 0
    first_failure: str | None = None

    def failed(self, what: str) -> None:
        self.failures += 1
        self.first_failure = self.first_failure or what


def _at(value: Any, path: tuple[str, ...]) -> Any:
    for step in path:
        value = value.get(step) if isinstance(value, dict) else None
    return value


def _client(spec: LoadSpec, index: int, start: threading.Barrier, out: _ClientOutcome) -> None:
    headers = {"Authorization": f"Bearer {spec.token}"}
    with httpx.Client(base_url=spec.url, headers=headers, timeout=60.0) as client:

        def send(number: int, measured: bool = False) -> float:
            body = spec.bodies[(index * spec.per_client + number) % len(spec.bodies)]
            began = time.perf_counter()
            try:
                response = client.post("/graphql", json=body)
                elapsed = time.perf_counter() - began
                arrived = time.monotonic()
                problem = spec.check.problem(response)
                if measured and spec.keep and problem is None:
                    out.kept.append((arrived, _at(response.json().get("data"), spec.keep)))
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
            out.latencies_ms.append(send(number, measured=True) * 1000)
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
    kept = [item for o in outcomes for item in o.kept]
    return LoadResult(spec.name, len(latencies), failures, first, wall, latencies, kept=kept)


class LoadFailed(RuntimeError):
    pass


def _cpu_seconds(pid: str) -> tuple[str, int, float] | None:
    """A process's name, parent and CPU seconds so far (user + system), from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            text = stat.read()
    except OSError:
        return None
    name = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    return name, int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_by_process(clients: set[int]) -> dict[str, float]:
    """CPU seconds so far of this machine's processes that take part in a load phase: "server"
    (this process: the API, every thread), "clients" (the load generator's process, when it
    has its own), "workers" (this process's other children: the projection workers) and
    "postgres" (local PostgreSQL processes; none when the server is elsewhere). Empty where
    there is no /proc. A phase's figures are the differences, per request: on a machine of few
    cores they show which process a read's cost lands in."""
    if not os.path.isdir("/proc"):
        return {}
    me = os.getpid()
    groups = dict.fromkeys(("server", "clients", "workers", "postgres"), 0.0)
    for pid in filter(str.isdigit, os.listdir("/proc")):
        found = _cpu_seconds(pid)
        if found is None:
            continue
        name, parent, seconds = found
        if int(pid) == me:
            groups["server"] += seconds
        elif int(pid) in clients:
            groups["clients"] += seconds
        elif parent == me:
            groups["workers"] += seconds
        elif name.startswith("postgres"):
            groups["postgres"] += seconds
    return groups


class LoadRunner:
    """Runs load phases in a separate (spawned) process, or in this one if ``in_process``;
    raises :class:`LoadFailed` if any response of a phase failed its check. Each result
    carries the CPU per request of the processes taking part (:func:`cpu_by_process`)."""

    def __init__(self, in_process: bool = False) -> None:
        context = multiprocessing.get_context("spawn")
        self._pool = None if in_process else ProcessPoolExecutor(1, mp_context=context)
        self._clients: set[int] | None = None

    def clients(self) -> set[int]:
        """The load generator's process ids (none when it runs in this process)."""
        if self._clients is None:
            self._clients = set()
            if self._pool is not None:
                self._pool.submit(int).result()  # its process is started on first use
                self._clients = set(getattr(self._pool, "_processes", {}))
        return self._clients

    def run(self, spec: LoadSpec) -> LoadResult:
        before = cpu_by_process(self.clients())
        result = (
            run_load(spec) if self._pool is None else self._pool.submit(run_load, spec).result()
        )
        after = cpu_by_process(self.clients())
        if result.completed:
            result.cpu_ms = {
                group: round((after[group] - before[group]) / result.completed * 1000, 3)
                for group in after
            }
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


def load_arguments(parser: argparse.ArgumentParser, requests: int, rounds: str) -> None:
    """The options every benchmark takes: the server, and the HTTP load (``rounds``: what a
    round holds, for the help)."""
    parser.add_argument(
        "--database-url",
        default=os.environ.get(DATABASE_URL_ENV),
        help="a PostgreSQL server (a fresh database is created on it and dropped); "
        f"default: ${DATABASE_URL_ENV}, else an embedded server in a temp dir",
    )
    parser.add_argument(
        "--requests", type=int, default=requests, help="measured requests per client per run"
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--rounds", type=int, default=2, help=f"alternating rounds of {rounds}")
    parser.add_argument(
        "--max-seconds", type=float, default=120.0, help="time bound of each measured HTTP run"
    )
    parser.add_argument(
        "--clients-in-process",
        action="store_true",
        help="run the client threads in the server's process (default: a separate process)",
    )


# --- benchmarks on a generated data set (``ops/generate``) ---------------------------------------


def data_set_parser(doc: str | None, explain: str) -> argparse.ArgumentParser:
    """The options of a benchmark on a generated data set (``doc``: the module's docstring,
    whose first paragraph describes it; ``explain``: what ``--explain`` prints)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0] if doc else None)
    load_arguments(parser, 300, "every phase")
    parser.add_argument("--schools", type=int, default=200, help="schools to generate")
    parser.add_argument(
        "--events", type=int, default=Options.min_events, help="at least this many events"
    )
    parser.add_argument("--seed", type=int, default=Options.seed, help="the generator's seed")
    parser.add_argument(
        "--no-analyze",
        dest="analyze",
        action="store_false",
        help="skip the ANALYZE after generating (as on a server whose autovacuum has not run)",
    )
    parser.add_argument("--explain", action="store_true", help=explain)
    return parser


def data_set_config(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "schools": args.schools,
        "min_events": args.events,
        "seed": args.seed,
        "analyze": args.analyze,
        "clients": args.clients,
        "requests_per_client": args.requests,
        "rounds": args.rounds,
        "clients_in_process": args.clients_in_process,
        "cpus": os.cpu_count(),
    }


def generate_data_set(
    args: argparse.Namespace,
    container: Container,
    generated_hook: Callable[[Container], None] | None = None,
) -> Generated:
    """Generate, catch every view up and (unless ``--no-analyze``) ANALYZE; all timed.
    ``generated_hook`` is called between generating and catching up, untimed."""
    options = Options(schools=args.schools, min_events=args.events, seed=args.seed)
    print(
        f"generating {options.schools} schools, at least {options.min_events:,} events "
        f"(seed {options.seed})",
        flush=True,
    )
    generated = generate(container, options)
    made = generated.counts["events_generated"]
    print(
        f"generated {made:,} events in {generated.seconds:.1f} s "
        f"({made / generated.seconds:,.0f} events/s, {generated.counts['commands']:,} commands, "
        f"{generated.counts['transactions']:,} transactions); "
        f"{generated.events:,} events in the store",
        flush=True,
    )
    if generated_hook is not None:
        generated_hook(container)
    generated.catch_up_seconds = catch_up(container)
    print(f"views caught up in {sum(generated.catch_up_seconds.values()):.1f} s", flush=True)
    if args.analyze:
        generated.analyze_seconds = analyze(container)
        print(f"statistics refreshed (ANALYZE) in {generated.analyze_seconds:.1f} s", flush=True)
    else:
        print("--no-analyze: the planner keeps the statistics of the empty tables", flush=True)
    return generated


def generation_figures(generated: Generated) -> dict[str, Any]:
    return {
        "seconds": round(generated.seconds, 1),
        "events_generated": generated.counts["events_generated"],
        "events_in_store": generated.events,
        "events_per_s": round(generated.counts["events_generated"] / generated.seconds, 1),
        "catch_up_seconds": {k: round(v, 1) for k, v in generated.catch_up_seconds.items()},
        "analyze_seconds": None
        if generated.analyze_seconds is None
        else round(generated.analyze_seconds, 1),
        "counts": generated.counts,
    }


def phase_spec(
    args: argparse.Namespace,
    name: str,
    url: str,
    token: str,
    bodies: tuple[dict[str, Any], ...],
    check: ResponseCheck,
) -> LoadSpec:
    """A phase with the run's clients, requests and time bound (and a warm-up of 5 %)."""
    return LoadSpec(
        name=name,
        url=url,
        token=token,
        bodies=bodies,
        check=check,
        clients=args.clients,
        requests=args.requests,
        warmup=warmup_requests(args),
        max_seconds=args.max_seconds,
    )


def warmup_requests(args: argparse.Namespace) -> int:
    return max(5, args.requests // 20)


def run_rounds(
    args: argparse.Namespace,
    container: Container,
    runner: LoadRunner,
    phases: Sequence[str],
    spec: Callable[[str, int], LoadSpec],
    before_round: Callable[[], str] | None = None,
) -> dict[str, list[LoadResult]]:
    """``--rounds`` rounds of every phase in turn (``spec(phase, round)``), each round starting
    with the views caught up, after ``before_round`` (which says what it measured)."""
    runs: dict[str, list[LoadResult]] = {kind: [] for kind in phases}
    for round_number in range(1, args.rounds + 1):
        # start each round quiet: the live projection workers have caught up
        container.wait_for(list(container.views), container.head(), timeout=300)
        line = [before_round()] if before_round is not None else []
        for kind in phases:
            result = runner.run(spec(kind, round_number))
            runs[kind].append(result)
            line.append(f"({kind}) {result.rate:.1f}/s p95 {result.p95:.1f} ms")
        print(f"round {round_number}/{args.rounds}: " + " | ".join(line), flush=True)
    # let the live projection workers finish before the server (and they) stop
    container.wait_for(list(container.views), container.head(), timeout=300)
    return runs


def median_cpu(results: Sequence[LoadResult]) -> dict[str, float]:
    """Per process group, the median over the rounds of its CPU ms per request (none where
    there is no /proc)."""
    if not results or not all(r.cpu_ms for r in results):
        return {}
    return {
        group: round(statistics.median(r.cpu_ms[group] for r in results), 3)
        for group in results[0].cpu_ms
    }


def cpu_text(cpu_ms: Mapping[str, float]) -> str:
    return ", ".join(f"{group} {ms:.2f}" for group, ms in cpu_ms.items())


def phase_figures(
    runs: dict[str, list[LoadResult]],
    ratios: Sequence[str],
    targets: dict[str, tuple[str, float]],
) -> dict[str, Any]:
    """Per phase the median over the rounds of its rate, p50 and p95; for each of ``ratios``
    its p95 over (b0)'s, named ``<phase>_over_b0_p95``; whether each of ``targets`` (a ratio's
    name: op and limit) is met; and every round's [rate, p95, completed]."""
    median = statistics.median
    p95 = {k: median(r.p95 for r in v) for k, v in runs.items()}
    values = {f"{k}_over_b0_p95": p95[k] / p95["b0"] for k in ratios}
    return {
        **{f"{k}_per_s": round(median(r.rate for r in v), 1) for k, v in runs.items()},
        **{f"{k}_p50_ms": round(median(r.p50 for r in v), 2) for k, v in runs.items()},
        **{f"{k}_p95_ms": round(p95[k], 2) for k in runs},
        **{name: round(value, 3) for name, value in values.items()},
        "targets": {
            name: "met" if meets(op, limit, values[name]) else "NOT MET"
            for name, (op, limit) in targets.items()
        },
        "runs": {
            k: [[round(r.rate, 1), round(r.p95, 2), r.completed] for r in v]
            for k, v in runs.items()
        },
        "cpu_ms_per_request": {k: cpu for k, v in runs.items() if (cpu := median_cpu(v))},
    }


def print_data_set(summary: dict[str, Any]) -> None:
    g = summary["generation"]
    config = summary["config"]
    print()
    print(
        f"Data set: {config['schools']} schools, {g['events_in_store']:,} events in the store "
        f"(generated {g['events_generated']:,} in {g['seconds']:.1f} s, "
        f"{g['events_per_s']:,.0f} events/s); views caught up in "
        f"{sum(g['catch_up_seconds'].values()):.1f} s {g['catch_up_seconds']}"
    )
    print(
        f"Figures (median of {config['rounds']} rounds; {config['clients']} clients x "
        f"{config['requests_per_client']} requests)"
    )


def print_phase(summary: dict[str, Any], kind: str, label: str, unit: str = "req/s") -> None:
    s = summary
    cpu = s.get("cpu_ms_per_request", {}).get(kind)
    per_process = "; CPU ms per request: " + cpu_text(cpu) if cpu else ""
    print(
        f"  {label:<34} {s[f'{kind}_per_s']:>12.1f} {unit}   "
        f"p50 {s[f'{kind}_p50_ms']:6.1f} ms, p95 {s[f'{kind}_p95_ms']:6.1f} ms{per_process}"
    )


def finish_report(
    summary: dict[str, Any],
    ratios: dict[str, tuple[str, float] | None],
    notes: Sequence[str] = (),
) -> None:
    """The targets (each phase's p95 over (b0)'s, with its target and whether it is met, or
    informational), any ``notes``, then every figure as one JSON object: the last line."""
    print()
    print("Targets")
    for kind, target in ratios.items():
        name = f"{kind}_over_b0_p95"
        if target is None:
            verdict = "informational"
        else:
            op, limit = target
            verdict = f"target {op} {limit:g}   {summary['targets'][name]}"
        print(f"  ({kind}) p95 / (b0) p95 {summary[name]:>8.2f}   {verdict}")
    for note in notes:
        print(f"  {note}")
    print()
    print(json.dumps(summary, sort_keys=True))


# --- EXPLAIN of the SQL a read issues ------------------------------------------------------------


class Recording:
    """A connection stand-in that notes each statement the query functions run."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.statements: list[tuple[str, Any]] = []

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        text = query.decode() if isinstance(query, bytes) else str(query)
        self.statements.append((text, params))
        return self.conn.execute(query, params, **kwargs)


def explain(
    container: Container, steps: dict[str, Callable[[Any], Any]], width: int = 26
) -> dict[str, list[float]]:
    """Run each step (a read through the real query functions) on a recording connection, then
    EXPLAIN (ANALYZE, BUFFERS) every statement it issued; prints the plans, returns execution
    ms per statement."""
    timings: dict[str, list[float]] = {}
    with container.pool.connection() as conn:
        for name, step in steps.items():
            recording = Recording(conn)
            step(recording)
            timings[name] = []
            for text, params in recording.statements:
                plan = conn.execute(
                    ("EXPLAIN (ANALYZE, BUFFERS) " + text).encode(), params
                ).fetchall()
                lines = [next(iter(row.values())) for row in plan]
                ms = next(
                    (float(x.split()[2]) for x in lines if x.startswith("Execution Time")), 0.0
                )
                timings[name].append(ms)
                print(f"\n--- {name}: {' '.join(text.split())[:160]}...")
                print("\n".join(lines))
    print()
    for name, values in timings.items():
        print(f"  {name:<{width}} SQL execution {sum(values):7.2f} ms ({len(values)} statements)")
    return timings


# --- the run -------------------------------------------------------------------------------------


def run_benchmark(
    args: argparse.Namespace,
    measure: Callable[[Container], dict[str, Any]],
    report: Callable[[dict[str, Any]], None],
) -> int:
    """In a fresh database: ``measure`` (which returns the summary), its total time, ``report``.
    Exit status 0, or 1 if a request failed its check."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    started = time.perf_counter()
    work_dir = work_directory()
    with fresh_database(args.database_url, work_dir) as database:
        # No query budget: the benchmarks send as fast as they can as a handful of users.
        settings = Settings(
            environment=Environment.TEST, data_dir=work_dir / "data", query_cost_per_minute=0
        )
        container: Container | None = None
        try:
            container = build(settings, database=database)
            summary = measure(container)
            summary["seconds"] = round(time.perf_counter() - started, 1)
            report(summary)
            return 0
        except LoadFailed as error:
            print(f"BENCHMARK FAILED: {error}", file=sys.stderr)
            return 1
        finally:
            if container is not None:
                container.close()


def run_on_data_set(
    args: argparse.Namespace,
    measure: Callable[[Container, Generated], dict[str, Any]],
    report: Callable[[dict[str, Any]], None],
    generated_hook: Callable[[Container], None] | None = None,
) -> int:
    """:func:`run_benchmark` on a data set generated first (:func:`generate_data_set`, given
    ``generated_hook``); the summary ``measure`` returns gains the generation's figures and the
    run's configuration."""

    def measured(container: Container) -> dict[str, Any]:
        generated = generate_data_set(args, container, generated_hook)
        summary = measure(container, generated)
        config = data_set_config(args) | summary.get("config", {})
        return summary | {"generation": generation_figures(generated), "config": config}

    return run_benchmark(args, measured, report)

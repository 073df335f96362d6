"""Platform benchmark: what the write path, the GraphQL door and the read models cost.

Everything is measured in one run, on one machine, against one PostgreSQL server, in a fresh
database (``casework_bench_<random>``) that is created at the start and dropped at the end:

(a)  raw psycopg single-row commits/s: ``INSERT INTO bench_raw`` + commit, one row at a time,
     autocommit, one connection. The floor every durable write stands on: the baseline.
(b0) ``{ __typename }`` GraphQL queries/s over real HTTP (uvicorn in this process, keep-alive
     clients, the same bearer token as (b)), and their p95 latency: the cost of the door alone.
(b)  ``registerPupil`` GraphQL mutations/s over real HTTP, the same clients, and p95 latency.
     Every response must be ``RegisterPupilSuccess``; any failure aborts the benchmark.
(c)  raw event read + decode rate: page through the notification log 2,000 at a time and turn
     each notification into a domain event (decrypt + deserialise); events/s.
(d)  projection rebuild rate: for each view, reset it and catch it up from event 1; events/s
     (events in the store / elapsed). The directory view is the headline figure; every view's
     rate and the combined rate (events x views / total elapsed) are printed too.

(b0) and (b) alternate (b0, b, b0, b, ...), one raw (a) run before each pair, and the median
of the rounds is reported, to damp the noise of a small shared machine. Before (c) and (d) the
HTTP server is stopped (and with it its projection workers) and pupils are registered directly
through the application until the store holds at least ``--events`` events.

Targets (one not met is printed as NOT MET; exit status 0, or 1 if any request failed):
    (b) / (b0)        >= 0.50   a mutation costs at most twice an empty request
    mutation p95      <= 100 ms
    (d) / (c)         >= 0.25   rebuilding costs at most 4x reading the events
    (b) / (a)         informational: event-sourced mutations vs bare commits

By default the load generator (8 threads, one ``httpx.Client`` each) runs in a separate
process, so that its Python work does not compete for the server's GIL; ``--clients-in-process``
runs the threads inside the server's process instead.

Run it from the repository root:

    python ops/bench/platform_bench.py
    python ops/bench/platform_bench.py --database-url postgresql://USER@HOST:5432/postgres
    python ops/bench/platform_bench.py --requests 200 --events 10000

Without ``--database-url`` (or ``CASEWORK_BENCH_DATABASE_URL``) it starts the embedded PostgreSQL
in a temporary directory. The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from eventsourcing.utils import get_topic

if __package__ in (None, ""):  # run as a script: make the project importable from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from api.auth import issue_dev_token
from api.seed import seed_demo
from api.wiring import Container
from domain.directory.aggregates import Pupil
from domain.directory.commands import RegisterPupil
from domain.shared.actor import acting_as
from ops.bench.common import (
    LoadResult,
    LoadRunner,
    ResponseCheck,
    average_event_size,
    count_events,
    http_server,
    load_arguments,
    meets,
    phase_spec,
    raw_commits,
    read_and_decode,
    run_benchmark,
    timed,
    warmup_requests,
)
from projections.runner import reset

DATA_LEAD = "datalead@primary.demo"
TYPENAME_QUERY = "{ __typename }"
REGISTER_PUPIL = (
    "mutation($i: RegisterPupilInput!) { registerPupil(input: $i) { __typename "
    "... on RegisterPupilSuccess { pupilId position } ... on Error { message } } }"
)
TARGETS = {
    "b_over_b0": (">=", 0.5),
    "mutation_p95_ms": ("<=", 100.0),
    "d_over_c": (">=", 0.25),
}

# --- (b0) / (b): what the clients send ------------------------------------------------------------

TYPENAME_CHECK = ResponseCheck(("__typename",))
REGISTER_CHECK = ResponseCheck(("registerPupil", "__typename"), equals="RegisterPupilSuccess")


def register_bodies(school_id: str, first_number: int, count: int) -> tuple[dict[str, Any], ...]:
    """``registerPupil`` requests for pupils "Pupil N", N unique over the whole run."""
    return tuple(
        {
            "query": REGISTER_PUPIL,
            "variables": {
                "i": {
                    "schoolId": school_id,
                    "fullName": f"Pupil {number}",
                    "dateOfBirth": "2015-03-14",
                    "yearGroup": 4,
                }
            },
        }
        for number in range(first_number, first_number + count)
    )


# --- (c), (d), and filling the store for them ----------------------------------------------------


def fill_store(container: Container, school_id: Any, target: int, threads: int = 4) -> float:
    """Register pupils directly (no HTTP) until the store holds ``target`` events; pupils/s."""
    missing = target - count_events(container)
    if missing <= 0:
        return 0.0
    principal = container.app.principal_for(DATA_LEAD)
    lock = threading.Lock()
    claimed = 0
    errors: list[BaseException] = []

    def claim() -> int | None:
        nonlocal claimed
        with lock:
            if claimed >= missing or errors:
                return None
            claimed += 1
            return claimed

    def work() -> None:
        try:
            with acting_as(principal):
                while (number := claim()) is not None:
                    container.app.register_pupil(
                        RegisterPupil(
                            school_id=school_id,
                            full_name=f"Filler {number}",
                            date_of_birth=date(2015, 3, 14),
                            year_group=4,
                        )
                    )
        except BaseException as error:
            errors.append(error)

    workers = [threading.Thread(target=work, name=f"fill-{i}") for i in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError("filling the event store failed") from errors[0]
    return missing / elapsed


def rebuild(container: Container, name: str) -> int:
    """(d): empty one view and replay every event into it."""
    reset(container.views[name])
    (worker,) = container.workers([name])
    return worker.catch_up()


# --- the run -------------------------------------------------------------------------------------


@dataclass
class Figures:
    raw: list[float] = field(default_factory=list)
    typename: list[LoadResult] = field(default_factory=list)
    register: list[LoadResult] = field(default_factory=list)
    fill_rate: float = 0.0
    events: int = 0
    decode: list[tuple[int, float]] = field(default_factory=list)
    rebuilds: dict[str, tuple[int, float]] = field(default_factory=dict)


def run_http_phase(args: argparse.Namespace, container: Container, figures: Figures) -> Any:
    settings = container.settings
    _, schools, _, _ = seed_demo(container)
    school_id = schools["primary"]
    token = issue_dev_token(settings, DATA_LEAD)
    payload_size = average_event_size(container)
    print(f"raw payload: {payload_size} bytes (the average event state so far)")

    per_run = args.clients * (warmup_requests(args) + args.requests)

    def load(runner: LoadRunner, url: str, kind: str, offset: int) -> LoadResult:
        if kind == "typename":
            bodies: tuple[dict[str, Any], ...] = ({"query": TYPENAME_QUERY},)
            check = TYPENAME_CHECK
        else:
            bodies, check = register_bodies(str(school_id), offset, per_run), REGISTER_CHECK
        return runner.run(phase_spec(args, kind, url, token, bodies, check))

    with LoadRunner(in_process=args.clients_in_process) as runner, http_server(container) as url:
        offset = 0
        for round_number in range(1, args.rounds + 1):
            # start each round quiet: the live projection workers have caught up
            container.wait_for(list(container.views), container.head(), timeout=120)
            figures.raw.append(
                raw_commits(container.database.conninfo, args.raw_rows, payload_size)
            )
            b0 = load(runner, url, "typename", 0)
            figures.typename.append(b0)
            b = load(runner, url, "register", offset)
            offset += per_run
            figures.register.append(b)
            print(
                f"round {round_number}/{args.rounds}: "
                f"(a) {figures.raw[-1]:8.1f} commits/s | "
                f"(b0) {b0.rate:7.1f} req/s p95 {b0.p95:6.1f} ms | "
                f"(b) {b.rate:7.1f} mut/s p95 {b.p95:6.1f} ms",
                flush=True,
            )
        # let the live projection workers finish before the server (and they) stop
        container.wait_for(list(container.views), container.head(), timeout=120)
    return school_id


def run_store_phase(
    args: argparse.Namespace, container: Container, figures: Figures, school_id: Any
) -> None:
    before = count_events(container)
    figures.fill_rate = fill_store(container, school_id, args.events)
    figures.events = count_events(container)
    if figures.fill_rate:
        print(
            f"filled the store from {before} to {figures.events} events "
            f"({figures.fill_rate:.1f} direct register_pupil commands/s, 4 threads)"
        )
    for _ in range(args.decode_runs):
        figures.decode.append(timed(partial(read_and_decode, container)))
    for name in container.views:
        figures.rebuilds[name] = timed(partial(rebuild, container, name))
    with container.pool.connection() as conn:
        row = conn.execute("SELECT count(*) AS n FROM dir_pupils").fetchone()
    pupils = int(row["n"]) if row else -1
    expected = count_events(container, get_topic(Pupil.Registered))
    if pupils != expected or expected == 0:
        raise RuntimeError(f"the rebuilt directory holds {pupils} pupils, the store {expected}")


def summarise(args: argparse.Namespace, figures: Figures) -> dict[str, Any]:
    median = statistics.median
    decode_rates = [n / s for n, s in figures.decode]
    view_rates = {name: n / s for name, (n, s) in figures.rebuilds.items()}
    total_events = sum(n for n, _ in figures.rebuilds.values())
    total_seconds = sum(s for _, s in figures.rebuilds.values())
    a = median(figures.raw)
    b0 = median(r.rate for r in figures.typename)
    b = median(r.rate for r in figures.register)
    c = median(decode_rates)
    d = view_rates.get("directory", total_events / total_seconds)
    return {
        "a_raw_commits_per_s": round(a, 1),
        "b0_typename_per_s": round(b0, 1),
        "b0_p50_ms": round(median(r.p50 for r in figures.typename), 2),
        "b0_p95_ms": round(median(r.p95 for r in figures.typename), 2),
        "b_mutations_per_s": round(b, 1),
        "b_p50_ms": round(median(r.p50 for r in figures.register), 2),
        "mutation_p95_ms": round(median(r.p95 for r in figures.register), 2),
        "c_decode_events_per_s": round(c, 1),
        "d_rebuild_events_per_s": round(d, 1),
        "d_rebuild_by_view_events_per_s": {k: round(v, 1) for k, v in view_rates.items()},
        "d_rebuild_all_views_events_per_s": round(total_events / total_seconds, 1),
        "b_over_b0": round(b / b0, 3),
        "d_over_c": round(d / c, 3),
        "b_over_a": round(b / a, 3),
        "targets": {
            name: "met" if met(name, value) else "NOT MET"
            for name, value in (
                ("b_over_b0", b / b0),
                ("mutation_p95_ms", median(r.p95 for r in figures.register)),
                ("d_over_c", d / c),
            )
        },
        "events_in_store": figures.events,
        "direct_commands_per_s": round(figures.fill_rate, 1),
        "runs": {
            "a": [round(x, 1) for x in figures.raw],
            "b0": [[round(r.rate, 1), round(r.p95, 2), r.completed] for r in figures.typename],
            "b": [[round(r.rate, 1), round(r.p95, 2), r.completed] for r in figures.register],
            "c": [round(x, 1) for x in decode_rates],
        },
        "config": {
            "clients": args.clients,
            "requests_per_client": args.requests,
            "rounds": args.rounds,
            "raw_rows": args.raw_rows,
            "clients_in_process": args.clients_in_process,
            "cpus": os.cpu_count(),
        },
    }


def met(name: str, value: float) -> bool:
    op, limit = TARGETS[name]
    return meets(op, limit, value)


def report(summary: dict[str, Any]) -> None:
    s = summary
    rows = [
        ("(a)  raw psycopg commit, 1 row", f"{s['a_raw_commits_per_s']:.1f} rows/s", ""),
        (
            "(b0) { __typename } over HTTP",
            f"{s['b0_typename_per_s']:.1f} req/s",
            f"p50 {s['b0_p50_ms']:.1f} ms, p95 {s['b0_p95_ms']:.1f} ms",
        ),
        (
            "(b)  registerPupil over HTTP",
            f"{s['b_mutations_per_s']:.1f} mut/s",
            f"p50 {s['b_p50_ms']:.1f} ms, p95 {s['mutation_p95_ms']:.1f} ms",
        ),
        ("(c)  event read + decode", f"{s['c_decode_events_per_s']:.1f} events/s", ""),
        ("(d)  rebuild directory (headline)", f"{s['d_rebuild_events_per_s']:.1f} events/s", ""),
    ]
    for name, rate in s["d_rebuild_by_view_events_per_s"].items():
        rows.append((f"     rebuild {name}", f"{rate:.1f} events/s", ""))
    rows.append(
        (
            "     rebuild all views, combined",
            f"{s['d_rebuild_all_views_events_per_s']:.1f} events/s",
            "events x views / total time",
        )
    )
    rows.append(
        (
            "     direct register_pupil (fill)",
            f"{s['direct_commands_per_s']:.1f} cmd/s",
            "4 threads, no HTTP",
        )
    )
    config = s["config"]
    print()
    print(
        f"Figures (median of {config['rounds']} rounds; {config['clients']} clients x "
        f"{config['requests_per_client']} requests; {s['events_in_store']} events in the store)"
    )
    for label, value, note in rows:
        print(f"  {label:<36} {value:>20}   {note}")
    print()
    print("Targets")
    checks = [
        ("(b) / (b0)", "b_over_b0", f"{s['b_over_b0']:.3f}"),
        ("mutation p95", "mutation_p95_ms", f"{s['mutation_p95_ms']:.1f} ms"),
        ("(d) / (c)", "d_over_c", f"{s['d_over_c']:.3f}"),
    ]
    for label, name, value in checks:
        op, limit = TARGETS[name]
        print(f"  {label:<14} {value:>12}   target {op} {limit:g}   {s['targets'][name]}")
    print(f"  {'(b) / (a)':<14} {s['b_over_a']:>12.3f}   informational")
    print()
    print(json.dumps(s, sort_keys=True))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    load_arguments(parser, 400, "(a), (b0), (b)")
    parser.add_argument(
        "--events", type=int, default=20_000, help="events in the store for (c), (d)"
    )
    parser.add_argument("--raw-rows", type=int, default=2000, help="rows per raw (a) run")
    parser.add_argument("--decode-runs", type=int, default=3, help="(c) repetitions")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def measure(container: Container) -> dict[str, Any]:
        figures = Figures()
        school_id = run_http_phase(args, container, figures)
        run_store_phase(args, container, figures, school_id)
        return summarise(args, figures)

    return run_benchmark(args, measure, report)


if __name__ == "__main__":
    sys.exit(main())

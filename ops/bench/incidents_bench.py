"""Incidents benchmark (issue 3): the DSL's reads and reports on a realistic data set.

Everything is measured in one run, on one machine, against one PostgreSQL server, in a fresh
database (``casework_bench_<random>``) that is created at the start and dropped at the end,
whatever happens:

generation  ``ops/generate.py``: by default 200 schools in ~20 trusts and at least 500,000 real
            domain events (people, role grants, two years of incidents and their lifecycles),
            then every view caught up and the database analysed (``ANALYZE``, as autovacuum
            would in time; ``--no-analyze`` measures without it). All timed and reported.
(a)   raw psycopg single-row commits/s (``INSERT`` + commit, autocommit, one connection): the
      floor every durable write stands on.
(b0)  ``{ __typename }`` over real HTTP: the cost of the door alone.
(r1)  ``schoolDashboard(schoolId)`` selecting ``openByRisk``, ``awaitingTriageOverOneWorkingDay``
      and ``overdueActions``, for a school with a typical (median) number of incidents.
(r2)  ``incidents(schoolId, first: 20)`` selecting id, status, category, risk, occurredAt,
      ``description { value }`` and ``people { part }``: the first page of that school's list.
(r3)  ``pupil(id) { chronology { at actor summary decision { value } } }`` cycling over the
      school's pupils in the most incidents (each in several; the heaviest chronologies a DSL
      opens).
(w)   ``reportIncident`` mutations (valid input: 1 to 3 of the school's pupils with their parts,
      a category, a platform, times with offsets); every response must be ``IncidentChanged``.
      Reports go to a second typical school, so that the schools read stay as generated.

The HTTP server is the real app as ``casework serve`` runs it (uvicorn, projection workers in a
child process, ``create_app(container, projections="process")``). Every HTTP phase has 8 keep-alive
clients (``--clients``) in a separate process, and uses the bearer token of the school's DSL (for
(w), the second school's DSL), issued with ``issue_dev_token`` for the run's settings. Every
response is checked; any failure aborts the benchmark. A round is (a), (b0), (r1), (r2), (r3),
(w), starting with the views caught up; ``--rounds`` (2) rounds alternate, and the median of the
rounds is reported, to damp the noise of a small shared machine.

Targets (one missed is printed as NOT MET; exit status 0, or 1 if any request failed):
    (r1) p95 / (b0) p95   <= 3.0
    (r2) p95 / (b0) p95   <= 3.0
    (r3) p95 / (b0) p95   <= 3.0
    (w) / (a)             informational: event-sourced reports vs bare commits

``--explain`` afterwards runs each SQL statement the reads issue (captured from the real query
functions in ``projections/``) under ``EXPLAIN (ANALYZE, BUFFERS)`` on the generated data, and
prints the plans.

Run it from the repository root:

    python ops/bench/incidents_bench.py
    python ops/bench/incidents_bench.py --database-url postgresql://USER@HOST:5432/postgres
    python ops/bench/incidents_bench.py --schools 20 --events 50000 --requests 100 --rounds 1

Without ``--database-url`` (or ``CASEWORK_BENCH_DATABASE_URL``) it starts the embedded PostgreSQL
in a temporary directory. The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

if __package__ in (None, ""):  # run as a script: make the project importable from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from api.auth import issue_dev_token
from api.settings import Environment, Settings
from api.wiring import Container, build
from domain.shared.calendar import LONDON, london_today
from ops.bench.common import (
    DATABASE_URL_ENV,
    LoadFailed,
    LoadResult,
    LoadRunner,
    LoadSpec,
    ResponseCheck,
    average_event_size,
    fresh_database,
    http_server,
    meets,
    raw_commits,
    work_directory,
)
from ops.generate import Generated, Options, SchoolSample, analyze, catch_up, generate
from projections.common import Visibility
from projections.incidents import queries
from projections.incidents.queries import IncidentFilter

TYPENAME_QUERY = "{ __typename }"
DASHBOARD_QUERY = (
    "query($s: ID!) { schoolDashboard(schoolId: $s) { "
    "openByRisk { risk openIncidents } "
    "awaitingTriageOverOneWorkingDay { incidentId reportedAt triageDueAt } "
    "overdueActions { actionId incidentId kind dueOn } } }"
)
INCIDENTS_QUERY = (
    "query($s: ID!) { incidents(schoolId: $s, first: 20) { edges { node { "
    "id status category risk occurredAt description { value } people { part } } } } }"
)
CHRONOLOGY_QUERY = (
    "query($p: ID!) { pupil(id: $p) { chronology { at actor summary decision { value } } } }"
)
REPORT_INCIDENT = (
    "mutation($i: ReportIncidentInput!) { reportIncident(input: $i) { __typename "
    "... on IncidentChanged { incidentId position } ... on Error { message } } }"
)
PHASES = ("b0", "r1", "r2", "r3", "w")
READS = ("r1", "r2", "r3")
LABELS = {
    "a": "(a)  raw psycopg commit, 1 row",
    "b0": "(b0) { __typename }",
    "r1": "(r1) schoolDashboard",
    "r2": "(r2) incidents(first: 20)",
    "r3": "(r3) pupil chronology",
    "w": "(w)  reportIncident",
}
CHECKS = {
    "b0": ResponseCheck(("__typename",)),
    "r1": ResponseCheck(("schoolDashboard", "openByRisk"), non_empty=True),
    "r2": ResponseCheck(("incidents", "edges"), non_empty=True),
    "r3": ResponseCheck(("pupil", "chronology"), non_empty=True),
    "w": ResponseCheck(("reportIncident", "__typename"), equals="IncidentChanged"),
}
READ_TARGET = ("<=", 3.0)  # each read's p95 over the trivial query's p95
REPORTS = (  # category, platform, parts named, description
    ("cyberbullying", "WhatsApp", ("PUPIL_HARMED", "PUPIL_ALLEGED"), "Unkind messages in a group."),
    ("cyberbullying", "Snapchat", ("PUPIL_HARMED", "PUPIL_ALLEGED", "PUPIL_WITNESS"), "Mocking."),
    ("inappropriate_content", "YouTube", ("PUPIL_HARMED",), "Violent video seen in a lesson."),
    ("filtering_breach", None, ("PUPIL_ALLEGED",), "Proxy site used to get round the filter."),
    ("underage_social_media", "TikTok", ("PUPIL_HARMED",), "Under-age account disclosed."),
    ("inappropriate_contact", "Instagram", ("PUPIL_ALLEGED",), "Follow request to a teacher."),
    ("online_references", "Facebook", ("PUPIL_ALLEGED", "PUPIL_WITNESS"), "Post naming staff."),
    ("nudes_sharing", "Snapchat", ("PUPIL_HARMED", "PUPIL_ALLEGED"), "Image shared; not viewed."),
)


# --- what the clients send -----------------------------------------------------------------------


def read_bodies(kind: str, school: SchoolSample) -> tuple[dict[str, Any], ...]:
    if kind == "b0":
        return ({"query": TYPENAME_QUERY},)
    if kind == "r1":
        return ({"query": DASHBOARD_QUERY, "variables": {"s": school.school_id}},)
    if kind == "r2":
        return ({"query": INCIDENTS_QUERY, "variables": {"s": school.school_id}},)
    return tuple(
        {"query": CHRONOLOGY_QUERY, "variables": {"p": pupil}} for pupil in school.repeat_pupil_ids
    )


def report_bodies(school: SchoolSample, count: int, seed: int) -> tuple[dict[str, Any], ...]:
    """Valid ``reportIncident`` inputs for ``school``: its pupils, times with offsets."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    bodies = []
    for _ in range(count):
        category, platform, parts, description = rng.choice(REPORTS)
        pupils = rng.sample(school.pupil_ids, len(parts))
        occurred = now - timedelta(days=rng.uniform(0.2, 6), minutes=rng.uniform(0, 600))
        reported = occurred + timedelta(minutes=rng.uniform(5, 600))
        reported = min(reported, now - timedelta(minutes=1))
        variables = {
            "schoolId": school.school_id,
            "occurredAt": occurred.astimezone(LONDON).isoformat(timespec="seconds"),
            "reportedAt": reported.astimezone(LONDON).isoformat(timespec="seconds"),
            "category": category,
            "description": description,
            "people": [
                {"personId": pupil, "part": part} for pupil, part in zip(pupils, parts, strict=True)
            ],
            "platform": platform,
            "source": rng.choice(("STAFF_OBSERVATION", "PUPIL_DISCLOSURE", "PARENT_DISCLOSURE")),
            "onSite": rng.random() < 0.3,
            "device": rng.choice(("PERSONAL", "UNKNOWN")),
        }
        bodies.append({"query": REPORT_INCIDENT, "variables": {"i": variables}})
    return tuple(bodies)


# --- the run -------------------------------------------------------------------------------------


@dataclass
class Figures:
    generated: Generated | None = None
    raw: list[float] = field(default_factory=list)
    runs: dict[str, list[LoadResult]] = field(default_factory=lambda: {k: [] for k in PHASES})
    shape: dict[str, Any] = field(default_factory=dict)


def run_generation(args: argparse.Namespace, container: Container, figures: Figures) -> None:
    options = Options(schools=args.schools, min_events=args.events, seed=args.seed)
    print(
        f"generating {options.schools} schools, at least {options.min_events:,} events "
        f"(seed {options.seed})",
        flush=True,
    )
    generated = generate(container, options)
    print(
        f"generated {generated.counts['events_generated']:,} events in "
        f"{generated.seconds:.1f} s ({generated.counts['events_generated'] / generated.seconds:,.0f}"
        f" events/s, {generated.counts['transactions']:,} transactions); "
        f"{generated.events:,} events in the store",
        flush=True,
    )
    generated.catch_up_seconds = catch_up(container)
    print(f"views caught up in {sum(generated.catch_up_seconds.values()):.1f} s", flush=True)
    if args.analyze:
        generated.analyze_seconds = analyze(container)
        print(f"statistics refreshed (ANALYZE) in {generated.analyze_seconds:.1f} s", flush=True)
    else:
        print("--no-analyze: the planner keeps the statistics of the empty tables", flush=True)
    figures.generated = generated


def describe_reads(container: Container, read: SchoolSample, figures: Figures) -> None:
    """What the measured reads return on this data set (through the real query functions)."""
    school = UUID(read.school_id)
    with container.pool.connection() as conn:
        board = queries.dashboard(conn, school, london_today(), frozenset())
        page = queries.incidents(
            conn,
            Visibility(school_ids=frozenset({school})),
            IncidentFilter(school_id=school),
            20,
            None,
        )
        entries = [
            len(queries.pupil_chronology(conn, UUID(p), frozenset())) for p in read.repeat_pupil_ids
        ]
    figures.shape = {
        "school": read.school_name,
        "school_incidents": read.incidents,
        "open_by_risk": dict(sorted(board.open_by_risk.items())),
        "untriaged": len(board.untriaged),
        "overdue_actions": len(board.overdue_actions),
        "incidents_page": len(page.items),
        "chronology_pupils_incidents": read.repeat_pupil_incidents,
        "chronology_entries": entries,
    }
    print(
        f"read school: {read.school_name} ({read.incidents} incidents, "
        f"{sum(board.open_by_risk.values())} open by risk {figures.shape['open_by_risk']}, "
        f"{len(board.untriaged)} untriaged, {len(board.overdue_actions)} overdue actions); "
        f"chronology pupils in {read.repeat_pupil_incidents} incidents, {entries} entries",
        flush=True,
    )


def run_http_phases(
    args: argparse.Namespace,
    container: Container,
    figures: Figures,
    read: SchoolSample,
    write: SchoolSample,
) -> None:
    settings = container.settings
    read_token = issue_dev_token(settings, read.dsl_user_id)
    write_token = issue_dev_token(settings, write.dsl_user_id)
    print(f"reads as {read.dsl_user_id}; reports as {write.dsl_user_id} ({write.school_name})")
    payload_size = average_event_size(container)
    print(f"raw payload: {payload_size} bytes (the average event state)")
    warmup = max(5, args.requests // 20)
    per_run = args.clients * (warmup + args.requests)

    def spec(url: str, kind: str, round_number: int) -> LoadSpec:
        if kind == "w":
            bodies = report_bodies(write, min(per_run, 500), args.seed + round_number)
        else:
            bodies = read_bodies(kind, read)
        return LoadSpec(
            name=kind,
            url=url,
            token=write_token if kind == "w" else read_token,
            bodies=bodies,
            check=CHECKS[kind],
            clients=args.clients,
            requests=args.requests,
            warmup=warmup,
            max_seconds=args.max_seconds,
        )

    with LoadRunner(in_process=args.clients_in_process) as runner, http_server(container) as url:
        for round_number in range(1, args.rounds + 1):
            # start each round quiet: the live projection workers have caught up
            container.wait_for(list(container.views), container.head(), timeout=300)
            figures.raw.append(
                raw_commits(container.database.conninfo, args.raw_rows, payload_size)
            )
            line = [f"round {round_number}/{args.rounds}: (a) {figures.raw[-1]:.1f} commits/s"]
            for kind in PHASES:
                result = runner.run(spec(url, kind, round_number))
                figures.runs[kind].append(result)
                line.append(f"({kind}) {result.rate:.1f}/s p95 {result.p95:.1f} ms")
            print(" | ".join(line), flush=True)
        # let the live projection workers finish before the server (and they) stop
        container.wait_for(list(container.views), container.head(), timeout=300)


class Recording:
    """A connection stand-in that notes each statement the query functions run."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.statements: list[tuple[str, Any]] = []

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        text = query.decode() if isinstance(query, bytes) else str(query)
        self.statements.append((text, params))
        return self.conn.execute(query, params, **kwargs)


def explain_reads(container: Container, read: SchoolSample) -> dict[str, list[float]]:
    """EXPLAIN (ANALYZE, BUFFERS) every statement the three reads issue; execution ms each."""
    school = UUID(read.school_id)
    principal = container.app.principal_for(read.dsl_user_id)
    pupil = UUID(read.repeat_pupil_ids[0])
    steps: dict[str, Callable[[Any], Any]] = {
        "r1 schoolDashboard": lambda c: queries.dashboard(
            c, school, london_today(), principal.subject_of
        ),
        "r2 incidents(first: 20)": lambda c: queries.incidents(
            c,
            Visibility(school_ids=frozenset({school}), exclude_ids=principal.subject_of),
            IncidentFilter(school_id=school),
            20,
            None,
        ),
        "r3 pupil chronology": lambda c: queries.pupil_chronology(
            c, pupil, [r.incident_id for r in queries.incidents_of_person(c, pupil)]
        ),
    }
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
        print(f"  {name:<26} SQL execution {sum(values):7.2f} ms ({len(values)} statements)")
    return timings


def summarise(args: argparse.Namespace, figures: Figures) -> dict[str, Any]:
    median = statistics.median
    generated = figures.generated
    assert generated is not None
    rates = {k: median(r.rate for r in v) for k, v in figures.runs.items()}
    p50 = {k: median(r.p50 for r in v) for k, v in figures.runs.items()}
    p95 = {k: median(r.p95 for r in v) for k, v in figures.runs.items()}
    a = median(figures.raw)
    ratios = {f"{k}_over_b0_p95": p95[k] / p95["b0"] for k in READS}
    op, limit = READ_TARGET
    return {
        "a_raw_commits_per_s": round(a, 1),
        **{f"{k}_per_s": round(rates[k], 1) for k in PHASES},
        **{f"{k}_p50_ms": round(p50[k], 2) for k in PHASES},
        **{f"{k}_p95_ms": round(p95[k], 2) for k in PHASES},
        **{name: round(value, 3) for name, value in ratios.items()},
        "w_over_a": round(rates["w"] / a, 3),
        "targets": {
            name: "met" if meets(op, limit, value) else "NOT MET" for name, value in ratios.items()
        },
        "generation": {
            "seconds": round(generated.seconds, 1),
            "events_generated": generated.counts["events_generated"],
            "events_in_store": generated.events,
            "events_per_s": round(generated.counts["events_generated"] / generated.seconds, 1),
            "catch_up_seconds": {k: round(v, 1) for k, v in generated.catch_up_seconds.items()},
            "analyze_seconds": None
            if generated.analyze_seconds is None
            else round(generated.analyze_seconds, 1),
            "counts": generated.counts,
        },
        "read_school": figures.shape,
        "runs": {
            "a": [round(x, 1) for x in figures.raw],
            **{
                k: [[round(r.rate, 1), round(r.p95, 2), r.completed] for r in v]
                for k, v in figures.runs.items()
            },
        },
        "config": {
            "schools": args.schools,
            "min_events": args.events,
            "seed": args.seed,
            "analyze": args.analyze,
            "clients": args.clients,
            "requests_per_client": args.requests,
            "rounds": args.rounds,
            "raw_rows": args.raw_rows,
            "clients_in_process": args.clients_in_process,
            "cpus": os.cpu_count(),
        },
    }


def report(summary: dict[str, Any]) -> None:
    s = summary
    g = s["generation"]
    config = s["config"]
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
    print(f"  {LABELS['a']:<34} {s['a_raw_commits_per_s']:>12.1f} rows/s")
    for kind in PHASES:
        unit = "mut/s" if kind == "w" else "req/s"
        print(
            f"  {LABELS[kind]:<34} {s[f'{kind}_per_s']:>12.1f} {unit}   "
            f"p50 {s[f'{kind}_p50_ms']:6.1f} ms, p95 {s[f'{kind}_p95_ms']:6.1f} ms"
        )
    print()
    print("Targets")
    op, limit = READ_TARGET
    for kind in READS:
        name = f"{kind}_over_b0_p95"
        print(
            f"  ({kind}) p95 / (b0) p95 {s[name]:>8.2f}   target {op} {limit:g}   "
            f"{s['targets'][name]}"
        )
    print(f"  (w) / (a)           {s['w_over_a']:>8.3f}   informational")
    print()
    print(json.dumps(s, sort_keys=True))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(DATABASE_URL_ENV),
        help="a PostgreSQL server (a fresh database is created on it and dropped); "
        f"default: ${DATABASE_URL_ENV}, else an embedded server in a temp dir",
    )
    parser.add_argument("--schools", type=int, default=200, help="schools to generate")
    parser.add_argument(
        "--events", type=int, default=Options.min_events, help="at least this many events"
    )
    parser.add_argument("--seed", type=int, default=Options.seed, help="the generator's seed")
    parser.add_argument(
        "--requests", type=int, default=300, help="measured requests per client per run"
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of every phase")
    parser.add_argument("--raw-rows", type=int, default=2000, help="rows per raw (a) run")
    parser.add_argument(
        "--max-seconds", type=float, default=120.0, help="time bound of each measured HTTP run"
    )
    parser.add_argument(
        "--clients-in-process",
        action="store_true",
        help="run the client threads in the server's process (default: a separate process)",
    )
    parser.add_argument(
        "--no-analyze",
        dest="analyze",
        action="store_false",
        help="skip the ANALYZE after generating (as on a server whose autovacuum has not run)",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="afterwards, EXPLAIN ANALYZE each SQL statement of the three reads",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    started = time.perf_counter()
    work_dir = work_directory()
    with fresh_database(args.database_url, work_dir) as database:
        settings = Settings(environment=Environment.TEST, data_dir=work_dir / "data")
        container: Container | None = None
        figures = Figures()
        try:
            container = build(settings, database=database)
            run_generation(args, container, figures)
            assert figures.generated is not None
            read, write = figures.generated.typical(2)
            if read.dsl_user_id == write.dsl_user_id or not read.repeat_pupil_ids:
                raise RuntimeError("the generated data set has no school to read")
            if not container.app.principal_for(read.dsl_user_id).grants:
                raise RuntimeError(f"{read.dsl_user_id} holds no role")
            describe_reads(container, read, figures)
            run_http_phases(args, container, figures, read, write)
            summary = summarise(args, figures)
            if args.explain:
                summary["explain_ms"] = explain_reads(container, read)
            summary["seconds"] = round(time.perf_counter() - started, 1)
            report(summary)
            return 0
        except LoadFailed as error:
            print(f"BENCHMARK FAILED: {error}", file=sys.stderr)
            return 1
        finally:
            if container is not None:
                container.close()


if __name__ == "__main__":
    sys.exit(main())

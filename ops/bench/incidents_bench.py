"""Incidents benchmark (issue 3): the DSL's reads and reports on a realistic data set.

Everything is measured in one run, on one machine, against one PostgreSQL server, in a fresh
database (``casework_bench_<random>``) that is created at the start and dropped at the end,
whatever happens:

generation  ``ops/generate``: by default 200 schools in ~20 trusts and at least 500,000 real
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
import random
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

if __package__ in (None, ""):  # run as a script: make the project importable from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from api.auth import issue_dev_token
from api.wiring import Container
from domain.shared.calendar import LONDON, london_today
from ops.bench.common import (
    LoadResult,
    LoadRunner,
    LoadSpec,
    ResponseCheck,
    average_event_size,
    data_set_parser,
    explain,
    finish_report,
    http_server,
    phase_figures,
    phase_spec,
    print_data_set,
    print_phase,
    raw_commits,
    run_on_data_set,
    run_rounds,
    warmup_requests,
)
from ops.generate import Generated, SchoolSample
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
    raw: list[float] = field(default_factory=list)
    runs: dict[str, list[LoadResult]] = field(default_factory=dict)
    shape: dict[str, Any] = field(default_factory=dict)


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
    per_run = args.clients * (warmup_requests(args) + args.requests)

    def raw() -> str:
        figures.raw.append(raw_commits(container.database.conninfo, args.raw_rows, payload_size))
        return f"(a) {figures.raw[-1]:.1f} commits/s"

    with LoadRunner(in_process=args.clients_in_process) as runner, http_server(container) as url:

        def spec(kind: str, round_number: int) -> LoadSpec:
            if kind == "w":
                bodies = report_bodies(write, min(per_run, 500), args.seed + round_number)
                return phase_spec(args, kind, url, write_token, bodies, CHECKS[kind])
            return phase_spec(args, kind, url, read_token, read_bodies(kind, read), CHECKS[kind])

        figures.runs = run_rounds(args, container, runner, PHASES, spec, before_round=raw)


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
        "r3 pupil chronology": lambda c: queries.pupil_chronology(c, pupil, principal.subject_of),
    }
    return explain(container, steps)


def summarise(args: argparse.Namespace, figures: Figures) -> dict[str, Any]:
    a = statistics.median(figures.raw)
    loads = phase_figures(figures.runs, READS, {f"{k}_over_b0_p95": READ_TARGET for k in READS})
    return {
        "a_raw_commits_per_s": round(a, 1),
        **loads,
        "w_over_a": round(statistics.median(r.rate for r in figures.runs["w"]) / a, 3),
        "read_school": figures.shape,
        "runs": {"a": [round(x, 1) for x in figures.raw], **loads["runs"]},
        "config": {"raw_rows": args.raw_rows},
    }


def report(summary: dict[str, Any]) -> None:
    s = summary
    print_data_set(s)
    print(f"  {LABELS['a']:<34} {s['a_raw_commits_per_s']:>12.1f} rows/s")
    for kind in PHASES:
        print_phase(s, kind, LABELS[kind], "mut/s" if kind == "w" else "req/s")
    note = f"(w) / (a)           {s['w_over_a']:>8.3f}   informational"
    finish_report(s, dict.fromkeys(READS, READ_TARGET), [note])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = data_set_parser(
        __doc__, "afterwards, EXPLAIN ANALYZE each SQL statement of the three reads"
    )
    parser.add_argument("--raw-rows", type=int, default=2000, help="rows per raw (a) run")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def measure(container: Container, generated: Generated) -> dict[str, Any]:
        figures = Figures()
        read, write = generated.typical(2)
        if read.dsl_user_id == write.dsl_user_id or not read.repeat_pupil_ids:
            raise RuntimeError("the generated data set has no school to read")
        if not container.app.principal_for(read.dsl_user_id).grants:
            raise RuntimeError(f"{read.dsl_user_id} holds no role")
        describe_reads(container, read, figures)
        run_http_phases(args, container, figures, read, write)
        summary = summarise(args, figures)
        if args.explain:
            summary["explain_ms"] = explain_reads(container, read)
        return summary

    return run_on_data_set(args, measure, report)


if __name__ == "__main__":
    sys.exit(main())

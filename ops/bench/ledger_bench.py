"""Ledger benchmark (issue 17): what the tamper-evident ledger costs to build, audit, prove from
and keep live.

Everything is measured in one run, on one machine, against one PostgreSQL server, in a fresh
database (``casework_bench_<random>``) that is created at the start and dropped at the end,
whatever happens:

generation  ``ops/generate`` (``--schools`` 200, at least ``--events`` 500,000 events with the
            consent data on top; the directory of 200 schools alone is ~250,000), every view
            caught up (the ledger too) and ``ANALYZE``; all timed and reported.
(c)   raw read + decode: page through the notification log 2,000 at a time and decode each
      notification into a domain event (decrypt + deserialise); events/s. The baseline of (i),
      the same code as the platform benchmark's (c) (``ops.bench.common.read_and_decode``).
(i)   integration catch-up: the ledger reset in the benchmark's own database (its three tables
      truncated, its tracking row set to 0, and ``ledger_fields`` holding again the field
      digests the writer stored with each generated event, as it did when they were recorded:
      a copy is kept before the generation's catch-up consumes them), then
      ``LedgerWorker.catch_up()`` alone, timed; events/s. The rebuilt log's root must equal the
      root before the reset: the entries are byte-identical. ``--profile`` repeats it under
      cProfile and prints where the time goes. (i-) the same once with no writer's digests
      (the integrator decodes every event), informational; the root must be the same again.
(r)   raw read of the rows an audit reads: every ``casework_events`` row and every
      ``ledger_entries`` row, in pages of 2,000, undecoded; rows/s of events. The baseline of
      (v).
(v)   ``casework verify --all-fields`` over the whole store, as the command runs it (every
      field digest recomputed from the decrypted events, in ``--jobs`` processes, by default
      what the command takes: ``api.audit_jobs.default_jobs``; the run recorded, and sealed);
      events/s. The store must be found intact. (v1) the same in one process, just before
      (the same run with ``--jobs 1``), and (v)'s own process's CPU seconds over (v1)'s
      seconds: the share of the work the processes cannot take over, 1 / it the bound of what
      more CPUs can give; (v-) the same with ``--no-fields``; informational.
(w)   the platform benchmark's write load: ``registerPupil`` mutations over real HTTP (uvicorn
      in this process, 8 keep-alive clients in a separate process, the demo school's data
      lead), with every view's projection worker in a child process run as `casework serve`
      runs them; mutations/s and p95. Every response must be ``RegisterPupilSuccess``. Before
      the clock starts, probe pupils are registered until one reaches every view within
      0.5 s: the worker process has started and follows the store live. As in the service,
      the writer leaves the field digests to the ledger while it follows the store
      (``api.ledger_following``, docs/rules.md §12.6); each round says whether it was seen
      following at the end.
(w0)  the same, with the ledger left out: out of the workers, and the writer computing no
      field digests for it (``digests_at_write`` off). (w) and (w0) alternate over
      ``--rounds`` rounds (w, w0, then w0, w, ...), each starting with its views caught up, and
      the median of the rounds is reported.
(l)   live lag, during (w): for each mutation, from the moment its response arrived (it carries
      the event's position) until the ledger's tracking position covers it, as seen by a
      poller in its own process on its own connection, every 2 ms (``--poll-ms``); p50, p95,
      max over every (w) mutation. The poller runs in (w0) too, so both carry its load; it
      also notes the directory view's lag in both, to tell the ledger's own lag from the
      workers' (the views are fed as one group, so the ledger slows the batches it takes part
      in; it takes part at most every 0.25 s, ``LedgerWorker.defer_seconds``, which its lag
      includes).
(n)   the nightly ``casework verify``, after (w) and (w0) have added events and the ledger has
      caught up over them: fields recomputed only for the leaves past the size (v) sealed
      (docs/rules.md §12.5; in ``--jobs`` processes when there are 20,000 or more), the rest
      of the audit over the whole store; events/s over the whole store, and how many leaves'
      fields it recomputed.
(p)   proof latency: the store topped up to ``--proof-events`` (default 1,000,000) events with
      ``ops/generate`` (at least 500 schools, of a seed whose schools are not in the store
      yet, no consent data) and the ledger alone caught up over it
      (timed); then ``--proofs`` (1,000) inclusion proofs, each for the event at a random leaf,
      against the head: ``projections.ledger.queries.inclusion_proof`` (the entry and leaf
      index by position, the tiles in one query, the hashes folded), timed one by one on one
      connection after a warm-up; p50, p95, max. Every proof is then checked with
      ``merkle.verify_inclusion`` against the head's root, its leaf recomputed from the entry
      it returned (correctness, not timing).

Targets (one missed is printed as NOT MET; exit status 0, or 1 if a request failed):
    (i) / (c)             >= 0.5      integrating costs at most twice reading the events
    (v) / (r)             >= 0.5      a nightly audit of a year's national volume fits a night
    (n) / (r)             >= 0.5      the same, for the nightly run as it is made
    (p) p95               <= 10 ms    server-side, in a store of >= 1,000,000 events
    (l) p95               <= 1,000 ms commit to leaf, under the write load
    (w) / (w0) mut/s      >= 0.95     "no worse" with the ledger, within 5 % (the noise of
    (w) / (w0) p95        <= 1.05       alternating rounds on a small shared machine)

Run it from the repository root:

    python ops/bench/ledger_bench.py
    python ops/bench/ledger_bench.py --database-url postgresql://USER@HOST:5432/postgres
    python ops/bench/ledger_bench.py --schools 20 --events 20000 --proof-events 50000 \
        --requests 200

(the last is the quick mode: a few minutes; ``--schools 20`` keeps the directory, which the
events come on top of, small). Without ``--database-url`` (or
``CASEWORK_BENCH_DATABASE_URL``) it starts the embedded PostgreSQL in a temporary directory.
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import bisect
import cProfile
import json
import multiprocessing
import pstats
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg

if __package__ in (None, ""):  # run as a script: make the project importable from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from api.audit_cli import run_verification
from api.audit_jobs import default_jobs
from api.auth import issue_dev_token
from api.seed import seed_demo
from api.wiring import Container
from domain.directory.commands import RegisterPupil
from domain.ledger import merkle
from domain.shared.actor import acting_as
from ops.bench.common import (
    PAGE,
    LoadResult,
    LoadRunner,
    LoadSpec,
    count_events,
    cpu_text,
    data_set_parser,
    http_server,
    median_cpu,
    meets,
    percentile,
    print_data_set,
    read_and_decode,
    run_on_data_set,
    timed,
    warmup_requests,
    worker_process,
)
from ops.bench.platform_bench import DATA_LEAD, REGISTER_CHECK, register_bodies
from ops.generate import Generated, Options, generate
from ops.generate.runner import school_urns
from projections.ledger.integrator import LedgerWorker, read_head
from projections.ledger.queries import inclusion_proof
from projections.view import TRACKING_TABLE

LEDGER = "ledger"
REFERENCE = "directory"  # a view whose lag shows what the workers' group costs without the ledger
POLLED = [LEDGER, REFERENCE]
BENCH_DATABASE_PREFIX = "casework_bench_"
TARGETS: dict[str, tuple[str, float]] = {
    "i_over_c": (">=", 0.5),
    "v_over_r": (">=", 0.5),
    "n_over_r": (">=", 0.5),
    "p_proof_p95_ms": ("<=", 10.0),
    "l_lag_p95_ms": ("<=", 1000.0),
    "w_over_w0_rate": (">=", 0.95),
    "w_over_w0_p95": ("<=", 1.05),
}
# Where catch-up time goes: the functions whose inclusive time (cProfile's cumulative) is
# reported, by (label, file the function is in, function name). Some include others.
PROFILE_POINTS = (
    ("catch-up, all", "projections/runner.py", "catch_up"),
    (
        "reading events with their writer's digests (select_after)",
        "projections/ledger/integrator.py",
        "select_after",
    ),
    ("decoding events (AES-GCM + JSON)", "eventsourcing/persistence.py", "to_domain_event"),
    ("fields and their subjects (EntryMaker.read)", "projections/ledger/entries.py", "read"),
    ("making entries (EntryMaker.make)", "projections/ledger/entries.py", "make"),
    ("  batch keys (Keyring.keys_of)", "domain/shared/sealing.py", "keys_of"),
    ("  field digests (FieldDigests.of)", "domain/ledger/digests.py", "of"),
    ("    fields to plain values (FieldDigests._field)", "domain/ledger/digests.py", "_field"),
    ("      general path (Opener.field)", "domain/ledger/entry.py", "field"),
    ("      opening sealed fields (AES-GCM)", "domain/shared/sealing.py", "open_with"),
    ("    salt and digest (FieldHasher.digest)", "domain/ledger/entry.py", "digest"),
    ("      salts (HMAC-SHA-256)", "domain/ledger/entry.py", "_salt"),
    ("  entries' canonical JSON (Entry.canonical)", "domain/ledger/entry.py", "canonical"),
    ("RFC 8785 (rfc8785.dumps), wherever called", "rfc8785/_impl.py", "dumps"),
    ("writing entries and tiles (executemany)", "psycopg/cursor.py", "executemany"),
    ("tree (Edge.append)", "domain/ledger/tiles.py", "append"),
)


# --- (i): the ledger's integration, from nothing ------------------------------------------------


KEPT_WRITTEN = "bench_ledger_fields"  # the writer's digests of the generated events, kept


def _bench_connection(conn: Any) -> None:
    row = conn.execute("SELECT current_database() AS name").fetchone()
    name = str(row["name"]) if row else ""
    if not name.startswith(BENCH_DATABASE_PREFIX):
        raise RuntimeError(f"refusing to touch the ledger of {name!r}: not a bench database")


def keep_written(container: Container) -> None:
    """After generation, before the ledger first catches up (and deletes them): keep a copy of
    the field digests the writer stored with every generated event, for (i) to start from."""
    with container.pool.connection() as conn:
        _bench_connection(conn)
        conn.execute(f"CREATE TABLE {KEPT_WRITTEN} AS SELECT * FROM ledger_fields")


def reset_ledger(container: Container, written: bool = True) -> None:
    """Empty the ledger and set its position to 0: in the benchmark's own database only. With
    ``written``, the writer's field digests of the generated events are back in
    ``ledger_fields``, as they were when the events were recorded; without, there are none
    (the integrator decodes every event)."""
    with container.pool.connection() as conn:
        _bench_connection(conn)
        with conn.transaction():
            conn.execute("TRUNCATE ledger_entries, ledger_tiles, ledger_head, ledger_fields")
            if written:
                conn.execute(f"INSERT INTO ledger_fields SELECT * FROM {KEPT_WRITTEN}")
            conn.execute(
                f"UPDATE {TRACKING_TABLE} SET notification_id = 0 WHERE application_name = %s",
                (LEDGER,),
            )
        if written:
            conn.execute("VACUUM ANALYZE ledger_fields")


def ledger_worker(container: Container) -> LedgerWorker:
    (worker,) = container.workers([LEDGER])
    if not isinstance(worker, LedgerWorker):
        raise RuntimeError("the ledger view is not fed by a LedgerWorker")
    return worker


def head(container: Container) -> tuple[int, bytes]:
    with container.pool.connection() as conn, conn.cursor() as curs:
        return read_head(curs)


def integrate(container: Container, written: bool = True) -> tuple[int, float]:
    """(i): reset the ledger (untimed), then catch it up alone, timed: (events read, seconds).
    ``written``: from the writer's field digests (else (i-), decoding every event)."""
    reset_ledger(container, written)
    return timed(ledger_worker(container).catch_up)


def profile_integration(container: Container, top: int = 25) -> dict[str, float]:
    """(i) again under cProfile: prints the heaviest functions by own time, and returns the
    inclusive seconds of each of :data:`PROFILE_POINTS`."""
    reset_ledger(container)
    worker = ledger_worker(container)
    profiler = cProfile.Profile()
    profiler.enable()
    worker.catch_up()
    profiler.disable()
    stats = pstats.Stats(profiler)
    print("\n(i) under cProfile, heaviest by own time:")
    stats.sort_stats("tottime").print_stats(top)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    inclusive = dict.fromkeys([label for label, _, _ in PROFILE_POINTS], 0.0)
    for (filename, _line, function), (_cc, _nc, _tt, cumulative, _callers) in raw.items():
        for label, where, name in PROFILE_POINTS:
            if function == name and filename.endswith(where):
                inclusive[label] += cumulative
    total = inclusive["catch-up, all"] or 1.0
    print("(i) under cProfile, inclusive time (profiling inflates pure-Python work):")
    for label, seconds in inclusive.items():
        print(f"  {label:<46} {seconds:8.2f} s  {100 * seconds / total:5.1f} %")
    return {label.strip(): round(seconds, 2) for label, seconds in inclusive.items()}


# --- (r), (v): the audit and its baseline --------------------------------------------------------


def read_rows(container: Container) -> int:
    """(r): every stored event row and every ledger entry row, in pages, undecoded: what an
    audit must read at the least. Returns the events read."""
    count = 0
    with container.pool.connection() as conn:
        position = 0
        while True:
            rows = conn.execute(
                "SELECT notification_id, originator_id, originator_version, topic, state "
                "FROM casework_events WHERE notification_id > %s "
                "ORDER BY notification_id LIMIT %s",
                (position, PAGE),
            ).fetchall()
            count += len(rows)
            if len(rows) < PAGE:
                break
            position = rows[-1]["notification_id"]
        index = -1
        while True:
            rows = conn.execute(
                "SELECT leaf_index, position, originator_id, originator_version, entry, "
                "leaf_hash FROM ledger_entries WHERE leaf_index > %s "
                "ORDER BY leaf_index LIMIT %s",
                (index, PAGE),
            ).fetchall()
            if len(rows) < PAGE:
                break
            index = rows[-1]["leaf_index"]
    return count


def verify(container: Container, fields: bool = True, jobs: int = 1) -> tuple[int, float, float]:
    """(v): ``casework verify`` over the whole store, as the command runs it: with ``fields``,
    ``--all-fields`` (each field digest recomputed from the decrypted event, in ``jobs``
    processes), recorded and so sealed; else ``--no-fields``, not recorded. (events checked,
    seconds, CPU seconds of this process). The store must be found intact."""
    cpu = time.process_time()
    report = run_verification(container, fields=fields, keep=fields, all_fields=True, jobs=jobs)
    cpu = time.process_time() - cpu
    if not report.ok:
        raise RuntimeError(f"the audit found the benchmark's own store altered: {report.failure}")
    label = "-" if not fields else "" if jobs > 1 else "1"
    print(
        f"(v{label}) {report.events_checked / report.seconds:,.0f} events/s "
        f"({report.events_checked:,} events in {report.seconds:.1f} s, fields "
        f"{f'recomputed in {jobs} processes' if fields else 'not recomputed'}; "
        f"this process's CPU {cpu:.1f} s)",
        flush=True,
    )
    return report.events_checked, report.seconds, cpu


def nightly(container: Container, jobs: int) -> dict[str, Any]:
    """(n): the ledger caught up over what the write phases added, then ``casework verify`` as
    a nightly job runs it (fields past the last sealed run), not recorded."""
    ledger_worker(container).catch_up()
    report = run_verification(container, keep=False, jobs=jobs)
    if not report.ok or report.sealed_by is None or report.fields_from is None:
        raise RuntimeError(f"the nightly audit did not start from (v)'s seal: {report}")
    recomputed = report.tree_size - report.fields_from
    print(
        f"(n) {report.events_checked / report.seconds:,.0f} events/s ({report.events_checked:,} "
        f"events in {report.seconds:.1f} s, fields recomputed for the last {recomputed:,})",
        flush=True,
    )
    return {
        "events": report.events_checked,
        "seconds": report.seconds,
        "fields_recomputed": recomputed,
    }


# --- (w), (w0), (l): the write path with and without the ledger ----------------------------------


def _poll(conninfo: str, views: list[str], interval: float, parent: Connection) -> None:
    """The poller's process: note (monotonic time, position) each time one of ``views``'s
    tracking position moves, every ``interval`` s, until the parent asks; then send the
    notes back, by view."""
    seen: dict[str, list[tuple[float, int]]] = {view: [] for view in views}
    query = (
        f"SELECT application_name, notification_id FROM {TRACKING_TABLE} "
        "WHERE application_name = ANY(%s)"
    )
    with psycopg.connect(conninfo, autocommit=True) as conn:
        first = True
        while True:
            stop = False if first else parent.poll(interval)
            rows = conn.execute(query, (views,)).fetchall()
            now = time.monotonic()
            for view, position in rows:
                notes = seen[view]
                if not notes or notes[-1][1] != position:
                    notes.append((now, int(position)))
            if first:  # polling from now on: the parent may start its clock
                parent.send("ready")
                first = False
            if stop:  # after one last look: the parent saw the views reach its last write
                break
    parent.recv()
    parent.send(seen)


class Poller:
    """:func:`_poll` in a child process of its own, so that it takes no time from the server
    or the clients; ``stop()`` returns what it saw."""

    def __init__(self, conninfo: str, views: list[str], interval: float) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(
            target=_poll, args=(conninfo, views, interval, child), name="bench-poller"
        )
        self._process.start()
        # Wait until it polls: a poller still starting would see early writes late.
        if self._pipe.recv() != "ready":
            raise RuntimeError("the poller did not start")

    def stop(self) -> dict[str, list[tuple[float, int]]]:
        self._pipe.send("stop")
        seen: dict[str, list[tuple[float, int]]] = self._pipe.recv()
        self._process.join(timeout=30)
        return seen


def lags_ms(answered: list[tuple[float, Any]], seen: list[tuple[float, int]]) -> list[float]:
    """For each (arrival time, position) of a response, the ms until the poller first saw the
    position covered (0 if it was covered before the response arrived)."""
    times = [t for t, _ in seen]
    positions = [p for _, p in seen]  # never decreasing: a view's position only moves on
    lags = []
    for arrived, position in answered:
        i = bisect.bisect_left(positions, int(position))
        if i == len(positions):
            lags.append(float("inf"))
        else:
            lags.append(max(0.0, times[i] - arrived) * 1000)
    return lags


TOP_UP_SCHOOLS = 500  # at least, for (p): each school no denser in incidents than generated ones
LIVE_WITHIN = 0.5  # s: a probe applied this soon after its commit shows the workers follow live


def until_live(container: Container, views: list[str], school_id: UUID) -> tuple[int, float]:
    """Register probe pupils (directly, as the data lead) until one reaches every view within
    :data:`LIVE_WITHIN`: the worker process has started, caught up and follows the store, so
    its start-up is neither measured as lag nor competes with the load. (probes, seconds)."""
    principal = container.app.principal_for(DATA_LEAD)
    began = time.perf_counter()
    for probe in range(1, 200):
        with acting_as(principal):
            _, position = container.app.register_pupil(
                RegisterPupil(
                    school_id=school_id,
                    full_name=f"Probe {uuid4().hex[:8]}",
                    date_of_birth=date(2015, 3, 14),
                    year_group=4,
                )
            )
        written = time.perf_counter()
        container.wait_for(views, position, timeout=600)
        if time.perf_counter() - written <= LIVE_WITHIN:
            return probe, time.perf_counter() - began
        time.sleep(0.1)
    raise RuntimeError(f"the workers of {', '.join(views)} do not follow the store live")


def by_tenth(answered: list[tuple[float, Any]], lags: list[float]) -> list[int]:
    """The largest lag (ms) in each tenth of a run, in the order the responses arrived: when
    in the run the lag builds up."""
    ordered = [lag for _, lag in sorted(zip((t for t, _ in answered), lags, strict=True))]
    size = max(1, len(ordered) // 10)
    return [round(max(ordered[i : i + size])) for i in range(0, len(ordered), size)][:10]


@dataclass
class Figures:
    decode: list[tuple[int, float]] = field(default_factory=list)
    integration: list[tuple[int, float]] = field(default_factory=list)
    integration_decoding: tuple[int, float] | None = None
    identical: bool = False
    profile: dict[str, float] | None = None
    rows: list[tuple[int, float]] = field(default_factory=list)
    verified: tuple[int, float, float] | None = None
    verified_one: tuple[int, float, float] | None = None
    verified_plain: tuple[int, float, float] | None = None
    nightly: dict[str, Any] = field(default_factory=dict)
    writes: dict[str, list[LoadResult]] = field(default_factory=dict)
    lags: list[list[float]] = field(default_factory=list)
    reference_lags: dict[str, list[list[float]]] = field(
        default_factory=lambda: {"w": [], "w0": []}
    )
    proof: dict[str, Any] = field(default_factory=dict)


def run_write_phases(args: argparse.Namespace, container: Container, figures: Figures) -> None:
    _, schools, _, _ = seed_demo(container)
    school_id = str(schools["primary"])
    token = issue_dev_token(container.settings, DATA_LEAD)
    every = list(container.views)
    without = [name for name in every if name != LEDGER]
    per_run = args.clients * (warmup_requests(args) + args.requests)
    figures.writes = {"w": [], "w0": []}
    offset = 0
    with (
        LoadRunner(in_process=args.clients_in_process) as runner,
        http_server(container, projections="none") as url,
    ):
        for round_number in range(1, args.rounds + 1):
            order = ("w", "w0") if round_number % 2 else ("w0", "w")
            line = []
            for kind in order:
                views = every if kind == "w" else without
                spec = LoadSpec(
                    name=kind,
                    url=url,
                    token=token,
                    bodies=register_bodies(school_id, offset, per_run),
                    check=REGISTER_CHECK,
                    clients=args.clients,
                    requests=args.requests,
                    warmup=warmup_requests(args),
                    max_seconds=args.max_seconds,
                    keep=("registerPupil", "position"),
                )
                offset += per_run
                container.app.digests_at_write = kind == "w"
                with worker_process(container, views):
                    probes, seconds = until_live(container, views, UUID(school_id))
                    poller = Poller(container.database.conninfo, POLLED, args.poll_ms / 1000)
                    try:
                        result = runner.run(spec)
                        last = max(int(p) for _, p in result.kept)
                        container.wait_for([v for v in POLLED if v in views], last, timeout=120)
                    finally:
                        seen = poller.stop()
                figures.writes[kind].append(result)
                text = f"({kind}) {result.rate:.1f} mut/s p95 {result.p95:.1f} ms"
                text += f" (CPU ms/mut {cpu_text(result.cpu_ms)})"
                text += f" (live after {seconds:.1f} s, {probes} probes)"
                reference = lags_ms(result.kept, seen[REFERENCE])
                figures.reference_lags[kind].append(reference)
                if kind == "w":
                    text += f", ledger following: {container.app.ledger_follows()}"
                    lags = lags_ms(result.kept, seen[LEDGER])
                    figures.lags.append(lags)
                    text += f", (l) p95 {percentile(lags, 95):.1f} ms"
                text += f", {REFERENCE} lag p95 {percentile(reference, 95):.1f} ms"
                text += f" (max by tenth of the run: {by_tenth(result.kept, reference)})"
                line.append(text)
            print(f"round {round_number}/{args.rounds}: " + " | ".join(line), flush=True)
    container.app.digests_at_write = True


# --- (p): proofs in a store of a million events --------------------------------------------------


def top_up(args: argparse.Namespace, container: Container) -> dict[str, Any]:
    """Generate more (another seed, no consent) until the store holds ``--proof-events``
    events; then catch the ledger alone up over them. Timed."""
    before = count_events(container)
    figures: dict[str, Any] = {"events_before": before}
    missing = args.proof_events - before
    if missing > 0:
        schools = max(args.schools, TOP_UP_SCHOOLS)
        taken = set(school_urns(Options(schools=args.schools, seed=args.seed)))
        seed = args.seed + 1
        while taken & set(school_urns(Options(schools=schools, seed=seed))):
            seed += 1  # a seed whose schools' URNs (and so ids) are not in the store yet
        options = Options(schools=schools, min_events=missing, seed=seed, consent=False)
        print(f"(p) topping the store up from {before:,} to {args.proof_events:,} events")
        generated = generate(container, options)
        figures["generated"] = generated.counts["events_generated"]
        figures["generation_seconds"] = round(generated.seconds, 1)
    count, seconds = timed(ledger_worker(container).catch_up)
    figures["ledger_catch_up_events"] = count
    figures["ledger_catch_up_seconds"] = round(seconds, 1)
    figures["ledger_catch_up_events_per_s"] = round(count / seconds, 1) if seconds else None
    with container.pool.connection() as conn:
        conn.execute("ANALYZE ledger_entries, ledger_tiles")
    print(f"(p) ledger caught up over {count:,} more events in {seconds:.1f} s", flush=True)
    return figures


def measure_proofs(args: argparse.Namespace, container: Container) -> dict[str, Any]:
    size, root = head(container)
    if size < args.proof_events:
        raise RuntimeError(f"the ledger holds {size:,} leaves, not {args.proof_events:,}")
    rng = random.Random(args.seed)
    indexes = [rng.randrange(size) for _ in range(args.proofs + args.proof_warmup)]
    with container.pool.connection() as conn:
        rows = conn.execute(
            "SELECT leaf_index, position FROM ledger_entries WHERE leaf_index = ANY(%s)",
            (indexes,),
        ).fetchall()
        position_of = {int(r["leaf_index"]): int(r["position"]) for r in rows}
        positions = [position_of[i] for i in indexes]
        proofs = []
        millis = []
        for number, position in enumerate(positions):
            began = time.perf_counter()
            proof = inclusion_proof(conn, position, size)
            elapsed = (time.perf_counter() - began) * 1000
            if proof is None:
                raise RuntimeError(f"no proof for the event at {position}, a leaf of the log")
            if number >= args.proof_warmup:
                millis.append(elapsed)
                proofs.append((position, proof))
    for position, proof in proofs:
        leaf = merkle.leaf_hash(proof.entry)
        merkle.verify_inclusion(proof.leaf_index, size, leaf, proof.hashes, root)
        if json.loads(proof.entry)["position"] != position:
            raise RuntimeError(f"the proof for position {position} is of another entry")
    return {
        "tree_size": size,
        "proofs": len(millis),
        "verified": len(proofs),
        "hashes_per_proof": round(statistics.mean(len(p.hashes) for _, p in proofs), 1),
        "p50_ms": round(percentile(millis, 50), 3),
        "p95_ms": round(percentile(millis, 95), 3),
        "max_ms": round(max(millis), 3),
    }


# --- the run -------------------------------------------------------------------------------------


def run_store_phases(args: argparse.Namespace, container: Container, figures: Figures) -> None:
    for _ in range(args.decode_runs):
        figures.decode.append(timed(lambda: read_and_decode(container)))
        print(f"(c) {figures.decode[-1][0] / figures.decode[-1][1]:,.0f} events/s", flush=True)
    before = head(container)
    for _ in range(args.integration_runs):
        figures.integration.append(integrate(container))
        n, s = figures.integration[-1]
        print(f"(i) {n / s:,.0f} events/s ({n:,} events in {s:.1f} s)", flush=True)
    figures.identical = head(container) == before
    if not figures.identical:
        raise RuntimeError("the ledger rebuilt from nothing differs from the one integrated live")
    figures.integration_decoding = integrate(container, written=False)
    n, s = figures.integration_decoding
    print(f"(i-) {n / s:,.0f} events/s ({n:,} events in {s:.1f} s), decoding every event")
    if head(container) != before:
        raise RuntimeError("the ledger made by decoding the events differs from the writer's")
    if args.profile:
        figures.profile = profile_integration(container)
        if head(container) != before:
            raise RuntimeError("the profiled rebuild of the ledger differs from the first")
    for _ in range(args.decode_runs):
        figures.rows.append(timed(lambda: read_rows(container)))
        print(f"(r) {figures.rows[-1][0] / figures.rows[-1][1]:,.0f} events/s", flush=True)
    figures.verified_one = verify(container)
    # With one job, (v) is the run in one process: not made twice.
    figures.verified = verify(container, jobs=args.jobs) if args.jobs > 1 else figures.verified_one
    figures.verified_plain = verify(container, fields=False)


def rate(runs: list[tuple[int, float]]) -> float:
    return statistics.median(n / s for n, s in runs)


def summarise(args: argparse.Namespace, figures: Figures) -> dict[str, Any]:
    median = statistics.median
    c, i, r = rate(figures.decode), rate(figures.integration), rate(figures.rows)
    v = figures.verified[0] / figures.verified[1] if figures.verified else None
    n = figures.nightly["events"] / figures.nightly["seconds"]
    w, w0 = figures.writes["w"], figures.writes["w0"]
    w_rate, w0_rate = median(x.rate for x in w), median(x.rate for x in w0)
    w_p95, w0_p95 = median(x.p95 for x in w), median(x.p95 for x in w0)
    lags = [lag for run in figures.lags for lag in run]
    values: dict[str, float | None] = {
        "i_over_c": i / c,
        "v_over_r": None if v is None else v / r,
        "n_over_r": n / r,
        "p_proof_p95_ms": figures.proof["p95_ms"],
        "l_lag_p95_ms": percentile(lags, 95),
        "w_over_w0_rate": w_rate / w0_rate,
        "w_over_w0_p95": w_p95 / w0_p95,
    }
    return {
        "c_decode_events_per_s": round(c, 1),
        "i_integration_events_per_s": round(i, 1),
        "i_identical_root": figures.identical,
        "i_decoding_events_per_s": None
        if figures.integration_decoding is None
        else round(rate([figures.integration_decoding]), 1),
        "i_profile_seconds": figures.profile,
        "r_raw_rows_events_per_s": round(r, 1),
        "v_verify_events_per_s": None if v is None else round(v, 1),
        "v_jobs": args.jobs,
        "v1_one_process_events_per_s": None
        if figures.verified_one is None
        else round(figures.verified_one[0] / figures.verified_one[1], 1),
        # The share of a run in one process that the audit's own process still does with
        # the fields recomputed elsewhere: 1 / it bounds the speed-up more cores can give.
        "v_own_cpu_over_v1_seconds": None
        if figures.verified is None or figures.verified_one is None
        else round(figures.verified[2] / figures.verified_one[1], 3),
        "n_nightly_events_per_s": round(n, 1),
        "n_fields_recomputed": figures.nightly["fields_recomputed"],
        "v_no_fields_events_per_s": None
        if figures.verified_plain is None
        else round(figures.verified_plain[0] / figures.verified_plain[1], 1),
        "w_mutations_per_s": round(w_rate, 1),
        "w_p50_ms": round(median(x.p50 for x in w), 2),
        "w_p95_ms": round(w_p95, 2),
        "w0_mutations_per_s": round(w0_rate, 1),
        "w0_p50_ms": round(median(x.p50 for x in w0), 2),
        "w0_p95_ms": round(w0_p95, 2),
        "w_cpu_ms_per_mutation": median_cpu(w),
        "w0_cpu_ms_per_mutation": median_cpu(w0),
        "l_lag_p50_ms": round(percentile(lags, 50), 1),
        "l_lag_p95_ms": round(percentile(lags, 95), 1),
        "l_lag_max_ms": round(max(lags), 1),
        "l_mutations": len(lags),
        **{
            f"{kind}_{REFERENCE}_lag_p95_ms": round(
                percentile([lag for run in runs for lag in run], 95), 1
            )
            for kind, runs in figures.reference_lags.items()
        },
        "p": figures.proof,
        **{k: None if x is None else round(x, 3) for k, x in values.items()},
        "targets": {
            name: "not measured"
            if values[name] is None
            else ("met" if meets(op, limit, values[name] or 0.0) else "NOT MET")
            for name, (op, limit) in TARGETS.items()
        },
        "runs": {
            "c": [round(n / s, 1) for n, s in figures.decode],
            "i": [round(n / s, 1) for n, s in figures.integration],
            "r": [round(n / s, 1) for n, s in figures.rows],
            **{
                k: [[round(x.rate, 1), round(x.p95, 2), x.completed] for x in runs]
                for k, runs in figures.writes.items()
            },
            "l_p95": [round(percentile(run, 95), 1) for run in figures.lags],
        },
        "config": {
            "proof_events": args.proof_events,
            "proofs": args.proofs,
            "poll_ms": args.poll_ms,
            "decode_runs": args.decode_runs,
            "integration_runs": args.integration_runs,
        },
    }


def report(summary: dict[str, Any]) -> None:
    s = summary
    p = s["p"]
    print_data_set(s)
    rows = [
        ("(c)  read + decode", f"{s['c_decode_events_per_s']:,.1f} events/s", ""),
        (
            "(i)  ledger catch-up from 0",
            f"{s['i_integration_events_per_s']:,.1f} events/s",
            "root identical to the live one" if s["i_identical_root"] else "ROOT DIFFERS",
        ),
        (
            "(i-) the same, decoding every event",
            f"{s['i_decoding_events_per_s']:,.1f} events/s",
            "no writer's digests; the same root",
        ),
        (
            "(r)  raw read of event + entry rows",
            f"{s['r_raw_rows_events_per_s']:,.1f} events/s",
            "",
        ),
        (
            "(v)  casework verify --all-fields",
            "not measured"
            if s["v_verify_events_per_s"] is None
            else f"{s['v_verify_events_per_s']:,.1f} events/s",
            f"fields in {s['v_jobs']} processes; in one, (v1) "
            f"{s['v1_one_process_events_per_s'] or 0:,.1f} events/s; its own process's CPU "
            f"{s['v_own_cpu_over_v1_seconds'] or 0:.3f} of (v1)'s time",
        ),
        (
            "(v-) casework verify --no-fields",
            "-"
            if s["v_no_fields_events_per_s"] is None
            else f"{s['v_no_fields_events_per_s']:,.1f} events/s",
            "informational: entries, chain, tiles, head; no decryption",
        ),
        (
            "(n)  casework verify, nightly",
            f"{s['n_nightly_events_per_s']:,.1f} events/s",
            f"fields recomputed for the last {s['n_fields_recomputed']:,} leaves, past (v)'s seal",
        ),
        (
            "(w)  registerPupil, with the ledger",
            f"{s['w_mutations_per_s']:,.1f} mut/s",
            f"p50 {s['w_p50_ms']:.1f} ms, p95 {s['w_p95_ms']:.1f} ms; "
            f"CPU ms/mut {cpu_text(s['w_cpu_ms_per_mutation'])}",
        ),
        (
            "(w0) registerPupil, without it",
            f"{s['w0_mutations_per_s']:,.1f} mut/s",
            f"p50 {s['w0_p50_ms']:.1f} ms, p95 {s['w0_p95_ms']:.1f} ms; "
            f"CPU ms/mut {cpu_text(s['w0_cpu_ms_per_mutation'])}",
        ),
        (
            "(l)  commit -> leaf during (w)",
            f"p95 {s['l_lag_p95_ms']:,.1f} ms",
            f"p50 {s['l_lag_p50_ms']:.1f} ms, max {s['l_lag_max_ms']:.1f} ms, "
            f"{s['l_mutations']} mutations",
        ),
        (
            f"     {REFERENCE} view's lag, (w) | (w0)",
            f"p95 {s[f'w_{REFERENCE}_lag_p95_ms']:,.1f} ms",
            f"| p95 {s[f'w0_{REFERENCE}_lag_p95_ms']:,.1f} ms: the group's lag with | without it",
        ),
        (
            "(p)  inclusion proof, server-side",
            f"p95 {p['p95_ms']:.2f} ms",
            f"p50 {p['p50_ms']:.2f} ms, max {p['max_ms']:.2f} ms; {p['proofs']} proofs, "
            f"tree of {p['tree_size']:,}, {p['hashes_per_proof']} hashes each, all verified",
        ),
    ]
    for label, value, note in rows:
        print(f"  {label:<38} {value:>20}   {note}")
    top = p.get("top_up", {})
    if top:
        print(
            f"  (p) store topped up from {top['events_before']:,} events; ledger caught up over "
            f"{top['ledger_catch_up_events']:,} more at "
            f"{top['ledger_catch_up_events_per_s'] or 0:,.0f} events/s"
        )
    print()
    print("Targets")
    labels = {
        "i_over_c": "(i) / (c)",
        "v_over_r": "(v) / (r)",
        "n_over_r": "(n) / (r)",
        "p_proof_p95_ms": "(p) p95 ms",
        "l_lag_p95_ms": "(l) p95 ms",
        "w_over_w0_rate": "(w) / (w0) rate",
        "w_over_w0_p95": "(w) / (w0) p95",
    }
    for name, (op, limit) in TARGETS.items():
        value = s[name]
        shown = "-" if value is None else f"{value:.3f}"
        print(f"  {labels[name]:<16} {shown:>10}   target {op} {limit:g}   {s['targets'][name]}")
    print()
    print(json.dumps(s, sort_keys=True))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = data_set_parser(__doc__, "(not used by this benchmark)")
    parser.add_argument(
        "--proof-events", type=int, default=1_000_000, help="events in the store for (p)"
    )
    parser.add_argument("--proofs", type=int, default=1000, help="(p) proofs measured")
    parser.add_argument("--proof-warmup", type=int, default=50, help="(p) proofs before timing")
    parser.add_argument("--poll-ms", type=float, default=2.0, help="(l) the poller's interval")
    parser.add_argument("--decode-runs", type=int, default=2, help="(c) and (r) repetitions")
    parser.add_argument("--integration-runs", type=int, default=1, help="(i) repetitions")
    parser.add_argument(
        "--jobs",
        type=int,
        default=default_jobs(),
        help="(v), (n): processes recomputing fields, as `casework verify --jobs` (its default)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="afterwards, (i) again under cProfile"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def measure(container: Container, generated: Generated) -> dict[str, Any]:
        del generated
        figures = Figures()
        run_store_phases(args, container, figures)
        run_write_phases(args, container, figures)
        figures.nightly = nightly(container, args.jobs)
        top = top_up(args, container)
        figures.proof = measure_proofs(args, container) | {"top_up": top}
        return summarise(args, figures)

    return run_on_data_set(args, measure, report, keep_written)


if __name__ == "__main__":
    sys.exit(main())

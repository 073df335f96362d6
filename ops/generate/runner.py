"""The run: the plan drawn from the seed, the worker processes that run the commands, and what
comes after (catching the views up, ``ANALYZE``).

A run has two rounds. First every trust's directory is made (a trust's schools, staff, pupils,
families and grants), one trust per task. Then the events still to make, after the directories,
are shared out between the schools by their weights, and each school's incidents and consent
are made, one school per task. Tasks run in worker processes side by side (``--workers``), each
with its own application, principals and simulated clock. A record is only ever written by
one task (a trust's directory by its first-round task, a school's incidents and consent by its
second-round task, which changes nothing of the directory), so each process keeps the records in
its aggregate cache without reading them again before each command.
"""

from __future__ import annotations

import functools
import os
import random
import time
import traceback
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from multiprocessing import get_context
from typing import ParamSpec, TypeVar
from uuid import UUID

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from api.database import Database
from api.event_store import CaseworkRecorder, PostgresKeyStore
from api.settings import Settings
from api.wiring import Container, build
from domain.directory.aggregates import school_id_for_urn
from domain.shared.sealing import Keyring
from ops.generate.channels import ConsentSample
from ops.generate.commands import Commands
from ops.generate.consent import SchoolConsent
from ops.generate.directory import SchoolPlan, SchoolState, TrustDirectory
from ops.generate.grouping import GroupedAppends, RememberedKeys
from ops.generate.incidents import SchoolIncidents
from ops.generate.options import Generated, Options, SchoolSample
from ops.generate.sampling import Period, SimulatedClock
from ops.generate.vocabulary import PLACES, PRIMARY_NAMES, SECONDARY_NAMES

P = ParamSpec("P")
R = TypeVar("R")

# What a worker's application is told (the library reads its settings from the environment
# under the application's name first): a big aggregate cache, not fast-forwarded from the
# store before each command, since nothing else writes the records a task works on, nor copied
# for each command (a command the generator runs never fails but the run fails with it); and no
# empty round trip to check each connection as it is handed out (one process, one thread, a
# local server: a broken connection fails the run, which is then simply run again).
WORKER_ENVIRONMENT = {
    "CASEWORK_AGGREGATE_CACHE_MAXSIZE": "200000",
    "CASEWORK_AGGREGATE_CACHE_FASTFORWARD": "n",
    "CASEWORK_DEEPCOPY_FROM_AGGREGATE_CACHE": "n",
    "CASEWORK_POSTGRES_PRE_PING": "n",
}
# A command's transaction commits without waiting for its write-ahead log to reach the disk:
# a crash of the server may lose the last moments of a run, never leave it inconsistent.
WORKER_SESSION = "-c synchronous_commit=off"


class AlreadyGenerated(RuntimeError):
    """The database already holds the data of this seed."""


@dataclass(frozen=True)
class TrustPlan:
    number: int
    schools: list[SchoolPlan]


def school_urns(options: Options) -> list[str]:
    """The schools' Unique Reference Numbers (and so their ids), from the seed alone."""
    draw = random.Random(f"urns-{options.seed}")
    return [str(n) for n in draw.sample(range(100_000, 150_000), options.schools)]


def plan(options: Options) -> list[TrustPlan]:
    """~``schools_per_trust`` schools to a trust (some bigger, some smaller); secondaries see
    more online incidents than primaries, and schools vary around that."""
    rng = random.Random(options.seed)
    trusts = max(1, round(options.schools / options.schools_per_trust))
    sizes = [options.schools // trusts] * trusts
    for i in range(options.schools - sum(sizes)):
        sizes[i % trusts] += 1
    for _ in range(trusts * 2):
        i, j = rng.randrange(trusts), rng.randrange(trusts)
        if sizes[i] > max(1, options.schools_per_trust // 2):
            sizes[i] -= 1
            sizes[j] += 1
    secondary = [rng.random() < 0.4 for _ in range(options.schools)]
    weights = [rng.lognormvariate(0, 0.3) * (1.3 if flag else 0.8) for flag in secondary]
    names = school_names(rng, secondary)
    urns = school_urns(options)
    plans, number = [], 0
    for t, size in enumerate(sizes):
        schools = [
            SchoolPlan(urns[n], names[n], secondary[n], weights[n])
            for n in range(number, number + size)
        ]
        plans.append(TrustPlan(t, schools))
        number += size
    return plans


def school_names(rng: random.Random, secondary: list[bool]) -> list[str]:
    names: set[str] = set()
    ordered: list[str] = []
    for flag in secondary:
        kind = rng.choice(SECONDARY_NAMES if flag else PRIMARY_NAMES)
        name = f"{rng.choice(PLACES)} {kind}"
        if name in names:
            name = f"{rng.choice(PLACES)}-on-Sea {kind}"
        if name in names:
            name = f"{name} {len(ordered) + 1}"
        names.add(name)
        ordered.append(name)
    return ordered


# --- in a worker process -------------------------------------------------------------------


class Worker:
    """One process's application, principals and clock."""

    def __init__(self, settings: Settings, database: Database, options: Options, now: datetime):
        os.environ.update(WORKER_ENVIRONMENT)
        given = str(conninfo_to_dict(database.address).get("options") or "")
        address = make_conninfo(database.address, options=f"{given} {WORKER_SESSION}".strip())
        database = replace(database, address=address)
        settings = settings.model_copy(update={"pool_size": 1})  # one thread, few connections
        self.container = build(settings, apply_migrations=False, database=database)
        app = self.container.app
        self.grouped: GroupedAppends | None = None
        if options.commands_per_transaction > 1:
            store = RememberedKeys(PostgresKeyStore(self.container.pool))
            app.keyring = Keyring(self.container.keys.master_key, store)
            recorder = app.recorder
            if not isinstance(recorder, CaseworkRecorder):
                raise TypeError(f"the event store's recorder is a {type(recorder).__name__}")
            self.grouped = GroupedAppends(recorder, options.commands_per_transaction)
        self.options = options
        self.period = Period(now, options.academic_years)
        self.clock = SimulatedClock(now, real_time=not options.simulated_clock)
        self.commands = Commands(app, self.clock)

    @property
    def transactions(self) -> int:
        return self.commands.runs if self.grouped is None else self.grouped.transactions

    def flush(self) -> None:
        """Everything the task's commands recorded, in the store."""
        if self.grouped is not None:
            self.grouped.flush()


_worker: Worker | None = None


def _start(settings: Settings, database: Database, options: Options, now: datetime) -> None:
    global _worker
    _worker = Worker(settings, database, options, now)


def _here() -> Worker:
    if _worker is None:
        raise RuntimeError("not in a worker process")
    return _worker


@dataclass
class Done:
    """What a task made: its counts, the events recorded, commands run, transactions."""

    counts: Counter[str]
    events: int
    commands: int
    transactions: int
    consent_events: int = 0


class Measure:
    """What a worker has done since the task began."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.events = worker.commands.events
        self.commands = worker.commands.runs
        self.transactions = worker.transactions

    def done(self, counts: Counter[str], consent_events: int = 0) -> Done:
        self.worker.flush()
        w = self.worker
        return Done(
            counts,
            w.commands.events - self.events,
            w.commands.runs - self.commands,
            w.transactions - self.transactions,
            consent_events,
        )


class TaskFailed(RuntimeError):
    """A task failed in a worker process (its traceback as the message: a domain error need
    not survive the trip between processes)."""


def _reported(task: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(task)
    def reporting(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return task(*args, **kwargs)
        except Exception:
            raise TaskFailed(traceback.format_exc()) from None

    return reporting


@_reported
def make_directory(trust: TrustPlan) -> tuple[list[SchoolState], Done]:
    worker = _here()
    measure = Measure(worker)
    directory = TrustDirectory(worker.commands, worker.period, worker.options.seed, trust.number)
    with worker.clock.installed():
        schools = directory.make(
            trust.schools, worker.options.pupils_per_school, worker.options.staff_per_school
        )
    return schools, measure.done(directory.counts)


@_reported
def make_activity(school: SchoolState, incident_events: float) -> tuple[SchoolSample, Done]:
    worker = _here()
    measure = Measure(worker)
    seed = worker.options.seed
    incidents = SchoolIncidents(worker.commands, worker.period, school, seed)
    consent = None
    with worker.clock.installed():
        incidents.run(incident_events)
        counts = Counter(incidents.counts)
        before = worker.commands.events
        if worker.options.consent:
            made = SchoolConsent(worker.commands, worker.period, school, seed)
            consent = made.run()
            counts.update(made.counts)
            counts["consent_records"] += consent.records
    done = measure.done(counts, worker.commands.events - before)
    return sample(school, incidents, consent), done


def sample(
    school: SchoolState, incidents: SchoolIncidents, consent: ConsentSample | None
) -> SchoolSample:
    repeat = incidents.involvement.most_common(6)
    on_roll = [p for p in school.pupils if p not in school.left_on]
    consent = consent or ConsentSample()
    return SchoolSample(
        trust_id=str(school.trust_id),
        school_id=str(school.school_id),
        school_name=school.name,
        dsl_user_id=school.dsl.user_id,
        deputy_user_id=school.deputy.user_id,
        incidents=incidents.incidents,
        open_incidents=incidents.open_incidents,
        pupil_ids=[str(p) for p in on_roll[:40]],
        repeat_pupil_ids=[str(p) for p, _ in repeat],
        repeat_pupil_incidents=[n for _, n in repeat],
        data_lead_user_id=school.data_lead.user_id,
        roll_pupil_ids=[str(p) for p in on_roll],
        channel_id=consent.channel_id,
        poster_user_id=consent.poster_user_id,
        consent_records=consent.records,
        publications=consent.publications,
    )


# --- in the process that asked -------------------------------------------------------------


def worker_count(options: Options) -> int:
    return options.workers or max(2, (os.cpu_count() or 1) + 1)


def run(
    container: Container, options: Options, progress: Callable[[int, int], None]
) -> tuple[list[SchoolSample], Counter[str]]:
    """Make the data set in worker processes; the schools' samples and the counts."""
    plans = plan(options)
    now = datetime.now(UTC)
    counts: Counter[str] = Counter()
    context = get_context("spawn")  # a fresh interpreter: no pool or thread inherited
    initargs = (container.settings, container.database, options, now)
    with ProcessPoolExecutor(worker_count(options), context, _start, initargs) as pool:
        schools: list[SchoolState] = []
        for states, done in pool.map(make_directory, plans):
            schools += states
            add(counts, done)
        progress(0, counts["events_generated"])
        # the events still to make, after the directories, shared out by the schools' weights
        rest = max(0.0, options.min_events - counts["events_generated"])
        total = sum(s.weight for s in schools)
        ordered = sorted(schools, key=lambda s: -s.weight)
        futures: dict[UUID, Future[tuple[SchoolSample, Done]]] = {
            s.school_id: pool.submit(make_activity, s, rest * s.weight / total) for s in ordered
        }
        made: dict[UUID, SchoolSample] = {}
        for future in as_completed(futures.values()):
            school_sample, done = future.result()
            made[UUID(school_sample.school_id)] = school_sample
            add(counts, done)
            progress(len(made), counts["events_generated"])
    return [made[s.school_id] for s in schools], counts


def add(counts: Counter[str], done: Done) -> None:
    counts.update(done.counts)
    counts["events_generated"] += done.events
    counts["consent_events"] += done.consent_events
    counts["commands"] += done.commands
    counts["transactions"] += done.transactions


def already_generated(container: Container, options: Options) -> bool:
    """Whether this seed's first school is already in the store."""
    return school_id_for_urn(school_urns(options)[0]) in container.app.repository


def generate_into(
    container: Container, options: Options, progress: Callable[[int, int], None]
) -> Generated:
    if already_generated(container, options):
        raise AlreadyGenerated(
            f"this database already holds the data of seed {options.seed}; "
            "use another seed or a fresh database"
        )
    started = time.perf_counter()
    samples, counts = run(container, options, progress)
    seconds = time.perf_counter() - started
    with container.pool.connection() as conn:
        row = conn.execute("SELECT count(*) AS n FROM casework_events").fetchone()
    events = int(row["n"]) if row else 0
    return Generated(events, seconds, dict(sorted(counts.items())), samples)


def catch_up(container: Container, *, show_progress: bool = True) -> dict[str, float]:
    """Bring every read model up to the head of the event store; seconds per view."""
    seconds: dict[str, float] = {}
    for worker in container.workers():
        started = time.perf_counter()
        applied = worker.catch_up()
        seconds[worker.name] = time.perf_counter() - started
        if show_progress:
            print(
                f"caught up view {worker.name}: {applied:,} events read in "
                f"{seconds[worker.name]:.1f} s",
                flush=True,
            )
    return seconds


def analyze(container: Container) -> float:
    """Refresh the planner's statistics after the bulk load, as autovacuum would in time (on a
    server with autovacuum off, never): seconds taken. Without it the planner still sees the
    empty tables of the migrations."""
    started = time.perf_counter()
    with container.pool.connection() as conn:
        conn.execute("ANALYZE")
    return time.perf_counter() - started

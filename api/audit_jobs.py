"""Field recomputation for ``casework verify`` in worker processes: what makes a full audit
(``--all-fields``, or the first run) scale with the machine's cores.

Recomputing an entry's field digests means decrypting and decoding its event, many times the
cost of the rest of the audit, and it needs nothing but the event's row and the keys. So the
audit sends each batch of leaves whose other checks passed to a pool of processes, each with
its own keyring and event mapper (built from the same settings, reading keys and nothing
else from the database), and goes on reading and checking the next batches and growing the
tree while they work; the answers are taken in order, and the first failure among them is
reported exactly where a run in one process would report it
(``projections.ledger.audit.run.Run._settle``). The rows themselves are sent from the
audit's own snapshot, never read again by the workers."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing.util import Finalize
from typing import TYPE_CHECKING

from projections.ledger.audit import Keys
from projections.ledger.audit.fields import FieldResult, field_result
from projections.ledger.audit.leaves import Leaf
from projections.ledger.audit.rows import Event
from projections.ledger.entries import EntryMaker

if TYPE_CHECKING:
    from api.database import Database
    from api.settings import Settings
    from api.wiring import Container

# Below this many leaves to recompute, one process is quicker than starting others.
PARALLEL_FROM = 20_000
_keys: Keys | None = None  # in a worker: its own


# Each process opens a few connections of its own: more than this by default could take a
# server's connections from the service.
MOST_JOBS_BY_DEFAULT = 8


def default_jobs() -> int:
    """The processes a full audit uses unless told: one per CPU this process may run on but
    one, at most :data:`MOST_JOBS_BY_DEFAULT`. The audit's own process keeps a CPU busy (it
    reads, checks and hashes about 0.3 of what one process alone does), and on two CPUs two
    workers measured no quicker than none (the ledger benchmark's (v) and (v1))."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min((cpus or 1) - 1, MOST_JOBS_BY_DEFAULT))


def _start(settings: Settings, database: Database) -> None:
    from api.wiring import build

    global _keys
    container = build(settings, apply_migrations=False, database=database)
    Finalize(container, container.close, exitpriority=10)
    _keys = Keys(EntryMaker(container.keyring, container.app.mapper))


def _recompute(checked: Sequence[tuple[Leaf, Event]]) -> FieldResult:
    if _keys is None:
        raise RuntimeError("the audit's worker was not started")
    return field_result(_keys, checked)


@contextmanager
def field_keys(container: Container, jobs: int) -> Iterator[Keys]:
    """The keys field recomputation needs, recomputing in ``jobs`` processes when more than
    one (started only if the run has enough to recompute: :data:`PARALLEL_FROM`)."""
    maker = EntryMaker(container.keyring, container.app.mapper)
    if jobs <= 1:
        yield Keys(maker)
        return
    # A fork server, started once with the service's modules loaded, forks the workers:
    # spawning each would load them again (about a second of CPU per worker).
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", "api.wiring", __name__])
    pool = ProcessPoolExecutor(
        jobs,
        mp_context=context,
        initializer=_start,
        initargs=(container.settings, container.database),
    )

    def submit(checked: Sequence[tuple[Leaf, Event]]) -> Future[FieldResult]:
        return pool.submit(_recompute, checked)

    try:
        yield Keys(maker, submit, ahead=2 * jobs, from_leaves=PARALLEL_FROM)
    finally:
        pool.shutdown(cancel_futures=True)

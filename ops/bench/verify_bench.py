"""Audit benchmark (issue 17): the rate of ``casework verify`` against the raw rate of reading
the same rows, on one generated store, in one run.

The raw read is what the audit cannot do without: every event row (position, aggregate,
version, topic and state bytes) and every ledger entry as stored (index, position, aggregate,
version, entry bytes, leaf hash), each read by a plain psycopg SELECT of those columns and
fetched to the client, binary. It is timed twice per round, through a client-side cursor
(``fetchall``) and through a server-side one (2,048 rows a fetch), and the faster is the
baseline. For comparison, the audit's own two SELECTs (ids as text, which the audit
prefers to UUID objects) are timed alone too ("raw as the audit reads"). The audit is
``projections.ledger.audit.audit`` without field recomputation (the issue's target), in the
same rounds, alternating with the reads; ``--fields`` adds a run with every field digest
recomputed. ``--before REV`` also times the audit as it was at git revision
``REV`` (its single-module form), on the same store in the same rounds.

    python -m ops.bench.verify_bench --database-url postgresql://... --events 200000
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from psycopg.rows import tuple_row

import projections.ledger.audit as current
from api.wiring import Container
from ops.bench.common import DATABASE_URL_ENV, run_benchmark
from ops.generate import Options, generate
from projections.ledger.audit import Keys
from projections.ledger.audit.rows import ENTRIES_QUERY, EVENTS_QUERY
from projections.ledger.entries import EntryMaker

RAW_QUERIES = (
    "SELECT notification_id, originator_id, originator_version, topic, state "
    "FROM casework_events ORDER BY notification_id",
    "SELECT leaf_index, position, originator_id, originator_version, entry, leaf_hash "
    "FROM ledger_entries ORDER BY leaf_index",
)


AUDIT_QUERIES = (
    EVENTS_QUERY.replace("%s", "9223372036854775807"),
    ENTRIES_QUERY.replace("%s", "9223372036854775807"),
)


def raw_read(
    container: Container, server_side: bool, queries: tuple[str, ...] = RAW_QUERIES
) -> int:
    """Read the rows the audit checks, as plainly as psycopg can; the rows read."""
    count = 0
    with container.pool.connection() as conn, conn.transaction():
        for query in queries:
            if server_side:
                with conn.cursor("raw", row_factory=tuple_row, binary=True) as curs:
                    curs.itersize = 2048
                    curs.execute(query)
                    while rows := curs.fetchmany(2048):
                        count += len(rows)
            else:
                with conn.cursor(row_factory=tuple_row, binary=True) as curs:
                    count += len(curs.execute(query).fetchall())
    return count


def audit_with(module: Any, container: Container, keys: Any = None) -> int:
    with container.pool.connection() as conn:
        report = module.audit(conn, keys)
    if not report.ok:
        raise RuntimeError(f"the audit failed on an untouched store: {report.failure}")
    return int(report.events_checked)


def module_at(revision: str) -> ModuleType:
    """The single-module audit as it was at ``revision``, loaded under a name of its own."""
    source = subprocess.run(
        ["git", "show", f"{revision}:projections/ledger/audit.py"],
        capture_output=True,
        check=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "audit_before.py"
    path.write_bytes(source)
    spec = importlib.util.spec_from_file_location("audit_before", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load the audit of {revision}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["audit_before"] = module
    spec.loader.exec_module(module)
    return module


def seconds(function: Callable[[], int]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def measure(args: argparse.Namespace, container: Container) -> dict[str, Any]:
    options = Options(schools=args.schools, schools_per_trust=5, min_events=args.events)
    generated = generate(container, options, show_progress=False)
    (ledger,) = container.workers(["ledger"])
    ledger.catch_up()
    with container.pool.connection() as conn:
        conn.execute("ANALYZE")
        row = conn.cursor(row_factory=tuple_row).execute("SELECT size FROM ledger_head").fetchone()
        leaves = 0 if row is None else int(row[0])
    print(f"{generated.events:,} events, {leaves:,} leaves", flush=True)
    phases: dict[str, Callable[[], int]] = {
        "raw client-side": lambda: raw_read(container, False),
        "raw server-side": lambda: raw_read(container, True),
        "raw as the audit reads": lambda: raw_read(container, True, AUDIT_QUERIES),
        "audit": lambda: audit_with(current, container),
    }
    if args.before:
        before = module_at(args.before)
        phases[f"audit at {args.before}"] = lambda: audit_with(before, container)
    timings: dict[str, list[float]] = {name: [] for name in phases}
    for round_ in range(args.rounds):
        for name, phase in phases.items():
            timings[name].append(seconds(phase))
        line = ", ".join(f"{n} {t[-1]:.2f} s" for n, t in timings.items())
        print(f"round {round_ + 1}: {line}", flush=True)
    best = {name: min(t) for name, t in timings.items()}
    raw = min(best["raw client-side"], best["raw server-side"])
    figures = {
        name: {
            "seconds": round(value, 3),
            "us_per_leaf": round(value / leaves * 1e6, 2),
            "ratio": round(raw / value, 3),
        }
        for name, value in best.items()
    }
    if args.fields:
        keys = Keys(EntryMaker(container.keyring), container.app.mapper)
        value = seconds(lambda: audit_with(current, container, keys))
        figures["audit with fields"] = {
            "seconds": round(value, 3),
            "us_per_leaf": round(value / leaves * 1e6, 2),
            "ratio": round(raw / value, 3),
        }
    return {"events": generated.events, "leaves": leaves, "figures": figures}


def report(summary: dict[str, Any]) -> None:
    print(json.dumps(summary, indent=2))
    figures = summary["figures"]
    ratio = figures["audit"]["ratio"]
    strict = figures["raw as the audit reads"]["seconds"] / figures["audit"]["seconds"]
    print(f"casework verify rate / raw read rate: {ratio:.2f} (target >= 0.5)")
    print(f"casework verify rate / rate of the audit's own SELECTs alone: {strict:.2f}")


def main() -> int:
    import os

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get(DATABASE_URL_ENV))
    parser.add_argument("--schools", type=int, default=20)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", help="also time the audit at this git revision")
    parser.add_argument("--fields", action="store_true", help="also audit with field digests")
    args = parser.parse_args()
    return run_benchmark(args, lambda container: measure(args, container), report)


if __name__ == "__main__":
    sys.exit(main())

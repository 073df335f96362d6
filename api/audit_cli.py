"""``casework verify``: audit the whole event store against the ledger, record the run, and
exit non-zero on any failure, so that a nightly job (or a court's expert) sees at once whether
the records are what the log committed to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from projections.ledger.audit import Keys, Report, Trust, audit, record
from projections.ledger.entries import EntryMaker

if TYPE_CHECKING:
    from api.settings import Settings
    from api.wiring import Container


def trust_of(container: Container, settings: Settings | None = None) -> Trust:
    """The keys stored checkpoints are checked with: the log's key (from the key store, as
    the checkpointer signs with it) and the configured witnesses' cosignature keys."""
    from api.ledger import log_signer, parse_witnesses

    settings = settings or container.settings
    log = log_signer(container.keyring, settings).verifier()
    witnesses = parse_witnesses(settings.ledger_witnesses)
    return Trust(log=log, witnesses={w.name: w.verifier for w in witnesses})


def run_verification(container: Container, fields: bool = True, keep: bool = True) -> Report:
    """Audit the store in one read-only snapshot and (with ``keep``) record the run on a
    connection of its own."""
    keys = Keys(EntryMaker(container.keyring, container.app.mapper)) if fields else None
    with container.pool.connection() as conn:
        report = audit(conn, keys, trust_of(container))
    if keep:
        with container.pool.connection() as conn:
            record(conn, report)
    return report


def describe(report: Report) -> list[str]:
    """The human report: what was checked, how long it took, and the first failure."""
    lines = [
        f"events checked: {report.events_checked}",
        f"tree size: {report.tree_size}",
        f"checkpoints checked: {report.checkpoints_checked}",
        "field digests: " + ("recomputed" if report.fields_checked else "not recomputed"),
        *(
            [f"erased fields skipped: {report.fields_erased} (their keys were destroyed)"]
            if report.fields_erased
            else []
        ),
        f"duration: {report.seconds:.2f} s",
    ]
    failure = report.failure
    if failure is None:
        lines.append("result: intact")
    else:
        where = "no position" if failure.position is None else f"position {failure.position}"
        lines.append(f"result: FAILED at {where}: {failure.kind.value}: {failure.what}")
    return lines


def verify(
    fields: Annotated[
        bool,
        typer.Option(
            "--fields/--no-fields",
            help="Recompute each field digest from the decrypted event (needs the keys).",
        ),
    ] = True,
) -> None:
    """Audit every event against the ledger: rows altered, removed or inserted, the ledger's
    entries, tiles and head, and stored checkpoints. Exits 1 on any failure."""
    from api.settings import Settings
    from api.wiring import build

    container = build(Settings())
    try:
        report = run_verification(container, fields)
    finally:
        container.close()
    for line in describe(report):
        typer.echo(line)
    if not report.ok:
        raise typer.Exit(1)

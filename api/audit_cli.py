"""``casework verify``: audit the whole event store against the ledger, record the run, and
exit non-zero on any failure, so that a nightly job (or a court's expert) sees at once whether
the records are what the log committed to."""

from __future__ import annotations

from contextlib import ExitStack
from typing import TYPE_CHECKING, Annotated

import typer

from api.audit_jobs import default_jobs, field_keys
from domain.shared.system_keys import LEDGER_AUDIT_SUBJECT
from projections.ledger.audit import Report, Trust, audit, last_sealed, record

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


def run_verification(
    container: Container,
    fields: bool = True,
    keep: bool = True,
    all_fields: bool = False,
    jobs: int = 1,
) -> Report:
    """Audit the store in one read-only snapshot and (with ``keep``) record the run on a
    connection of its own, sealed if it recomputed fields and found the store intact. With
    ``fields``, field digests are recomputed past the last sealed run (``all_fields``: every
    one of them), in ``jobs`` processes when there are many (``api.audit_jobs``)."""
    seal_key = container.keyring.key_or_create(LEDGER_AUDIT_SUBJECT)
    if seal_key is None:  # a system key is never destroyed
        raise RuntimeError("the audit's seal key is missing from the key store")
    with ExitStack() as stack, container.pool.connection() as conn:
        keys = stack.enter_context(field_keys(container, jobs)) if fields else None
        since = last_sealed(conn, seal_key) if fields and not all_fields else None
        report = audit(conn, keys, trust_of(container), since=since)
    if keep:
        with container.pool.connection() as conn:
            record(conn, report, seal_key)
    return report


def fields_line(report: Report) -> str:
    if not report.fields_checked:
        return "field digests: not recomputed"
    if report.sealed_by is None:
        return "field digests: recomputed for every leaf"
    return (
        f"field digests: recomputed from leaf {report.fields_from} on; audit run "
        f"{report.sealed_by} had recomputed those before it, and the tree still has the root "
        "it sealed there"
    )


def describe(report: Report) -> list[str]:
    """The human report: what was checked, how long it took, and the first failure."""
    lines = [
        f"events checked: {report.events_checked}",
        f"tree size: {report.tree_size}",
        f"checkpoints checked: {report.checkpoints_checked}",
        fields_line(report),
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
    all_fields: Annotated[
        bool,
        typer.Option(
            "--all-fields",
            help="Recompute every field digest, not only those past the last sealed run.",
        ),
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            min=1,
            help="Processes recomputing field digests when there are many (default: one "
            "per CPU but one, at most 8; 1: none but this one).",
        ),
    ] = None,
) -> None:
    """Audit every event against the ledger: rows altered, removed or inserted, the ledger's
    entries, tiles and head, and stored checkpoints. Exits 1 on any failure."""
    from api.settings import Settings
    from api.wiring import build

    container = build(Settings())
    try:
        report = run_verification(
            container, fields, all_fields=all_fields, jobs=jobs or default_jobs()
        )
    finally:
        container.close()
    for line in describe(report):
        typer.echo(line)
    if not report.ok:
        raise typer.Exit(1)

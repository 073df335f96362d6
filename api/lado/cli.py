"""`casework export lado`: an allegation's referral evidence exported to a file, as the
member of the case team or trust safeguarding lead named by ``--as``, with the same checks,
records and access log as the GraphQL mutation and the download."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer

export_cli = typer.Typer(help="Exports of records.", no_args_is_help=True)


@export_cli.command("lado")
def export_lado(
    allegation_id: Annotated[str, typer.Argument(help="The allegation to export.")],
    recipient: Annotated[str, typer.Option(help="Who the bundle is for (one line).")],
    out: Annotated[Path, typer.Option(help="Where to write the bundle (a zip).")],
    as_user: Annotated[
        str, typer.Option("--as", help="The case team member or trust lead exporting it.")
    ],
) -> None:
    """Export an allegation's referral evidence for the LADO as a signed BagIt zip."""
    from api.auth import Identity
    from api.graphql.context import request_context
    from api.lado.download import authorised_download, logged_export
    from api.settings import Settings
    from api.wiring import build
    from domain.shared.errors import DomainError, ValidationFailed

    try:
        allegation = UUID(allegation_id)
    except ValueError:
        typer.echo("error: ALLEGATION_ID is not a valid id", err=True)
        raise typer.Exit(2) from None
    container = build(Settings())
    try:
        identity = Identity(user_id=as_user, name=None)
        try:
            with request_context(container, identity) as ctx:
                try:
                    exported = logged_export(ctx, allegation, recipient)
                except DomainError as error:
                    if error.refusal is not None:
                        ctx.log_refusal("exportLadoReferral", error.refusal)
                    raise
            download = authorised_download(container, identity, allegation, exported.export_id)
        except ValidationFailed as invalid:
            typer.echo(f"error: {invalid}", err=True)
            raise typer.Exit(2) from None
        except DomainError as refused:
            typer.echo(f"error: {refused}", err=True)
            raise typer.Exit(1) from None
        partial = out.with_name(out.name + ".partial")
        with partial.open("wb") as file:
            download.write(file)
        partial.replace(out)
        typer.echo(f"exported {allegation} to {out}: fingerprint {exported.fingerprint}")
    finally:
        container.close()

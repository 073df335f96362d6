"""`casework verify-bundle`: anyone's check of a LADO bundle, with only the zip and the trust's
public key: no database, no service, no settings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def verify_bundle_command(
    file: Annotated[Path, typer.Argument(help="The bundle (a zipped BagIt bag).")],
    trust_key: Annotated[
        str,
        typer.Option("--trust-key", help="The trust's Ed25519 public key: its 32 bytes in base64."),
    ],
) -> None:
    """Check a bundle offline: every manifest, the tag manifest and its signature. Exits 0 if
    intact, 1 naming each altered, missing or added file otherwise, 2 if it cannot check."""
    from domain.lado.verify_bag import TrustKeyMalformed, verify_bag

    if not file.is_file():
        typer.echo(f"casework: cannot read the bundle: no file {file}", err=True)
        raise typer.Exit(2)
    try:
        with file.open("rb") as bundle:
            report = verify_bag(bundle, trust_key)
    except TrustKeyMalformed as error:
        typer.echo(f"casework: --trust-key: {error}", err=True)
        raise typer.Exit(2) from None
    except OSError as error:
        typer.echo(f"casework: cannot read the bundle: {error.strerror}", err=True)
        raise typer.Exit(2) from None
    if report.intact:
        typer.echo("bundle intact")
    else:
        problems = len(report.findings)
        typer.echo(f"bundle rejected: {problems} problem{'s' if problems > 1 else ''}")
    for line in report.lines():
        typer.echo(f"  {line}")
    if not report.intact:
        raise typer.Exit(1)

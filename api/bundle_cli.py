"""`casework verify-bundle`: anyone's check of a LADO bundle, with only the zip and public keys (the
trust's, the ledger log's, its witnesses'): no database, no service, no settings."""

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
    log_key: Annotated[
        list[str] | None,
        typer.Option(
            "--log-key",
            help="The ledger's log key (a verifier key, as `casework keys public` prints it): "
            "without it the ledger proofs are not verified.",
        ),
    ] = None,
    witness_key: Annotated[
        list[str] | None,
        typer.Option("--witness-key", help="A witness's key that must have co-signed; repeatable."),
    ] = None,
) -> None:
    """Check a bundle offline: every manifest, the tag manifest and its signature, the PDF's
    signature, every ledger proof, the fingerprint and each record's chain of versions. Exits 0
    if all hold, 1 naming each file that fails, 2 if it cannot check."""
    from api.lado.verify_pdf import check_pdf
    from domain.lado.verify_bag import TrustKeyMalformed
    from domain.lado.verify_bundle import KeyMalformed, verify_bundle

    if not file.is_file():
        typer.echo(f"casework: cannot read the bundle: no file {file}", err=True)
        raise typer.Exit(2)
    try:
        with file.open("rb") as bundle:
            report = verify_bundle(
                bundle, trust_key, log_key or (), witness_key or (), pdf_check=check_pdf
            )
    except TrustKeyMalformed as error:
        typer.echo(f"casework: --trust-key: {error}", err=True)
        raise typer.Exit(2) from None
    except KeyMalformed as error:
        typer.echo(f"casework: {error}", err=True)
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

"""`casework ledger proof` (an operator's tool: database and keys) and `casework verify-proof`
(anyone's: only the files, no database, no service, no settings)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

ledger_cli = typer.Typer(help="The tamper-evident ledger: proofs of records.", no_args_is_help=True)


@ledger_cli.command("proof")
def ledger_proof(
    position: Annotated[int, typer.Argument(help="The event's position in the store.")],
    out: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="Write the proof to this file instead of printing it."),
    ] = None,
) -> None:
    """Print the tlog-proof of the event at POSITION against the newest checkpoint that
    includes it, with every co-signature; it carries the entry, so the file stands alone."""
    from api.ledger_proofs import NoProof, prove
    from api.settings import Settings
    from api.wiring import build

    container = build(Settings(), apply_migrations=True)
    try:
        with container.pool.connection() as conn:
            proof = prove(conn, position)
    except NoProof as error:
        typer.echo(f"casework: {error}", err=True)
        raise typer.Exit(1) from None
    finally:
        container.close()
    if out is None:
        typer.echo(proof.text, nl=False)
    else:
        out.write_text(proof.text, encoding="utf-8")
        typer.echo(f"leaf {proof.leaf_index} of {proof.tree_size}: written to {out}", err=True)


def verify_proof_command(
    file: Annotated[Path, typer.Argument(help="The .tlog-proof file.")],
    log_key: Annotated[
        list[str], typer.Option("--log-key", help="The log's verifier key (`keys public`).")
    ],
    witness_key: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--witness-key", help="A witness that must have co-signed (repeatable)."),
    ] = None,
    entry: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="The entry's canonical JSON, if the proof does not carry it."),
    ] = None,
    disclosure: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--disclosure", help="A field's disclosure to check (repeatable)."),
    ] = None,
) -> None:
    """Check a proof offline, with only the files and keys: no database, no service."""
    from domain.ledger.verify_proof import ProofRejected, verify_proof

    try:
        text = file.read_text(encoding="utf-8")
        entry_bytes = entry.read_bytes() if entry is not None else None
    except (OSError, UnicodeDecodeError) as error:
        typer.echo(f"casework: cannot read the proof: {error}", err=True)
        raise typer.Exit(2) from None
    try:
        verified = verify_proof(text, log_key, witness_key or (), entry_bytes, disclosure or ())
    except ProofRejected as rejected:
        typer.echo(f"casework: proof rejected: {rejected.reason}", err=True)
        raise typer.Exit(1) from None
    typer.echo("proof verified")
    for line in verified.lines():
        typer.echo(f"  {line}")

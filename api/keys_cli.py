"""`casework keys rotate`: re-wrap everything under a new master key (``api.key_rotation``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import psycopg
import typer
from psycopg.rows import dict_row

from api.database import resolve_database
from api.key_check import WrongKeys
from api.key_rotation import (
    CurrentKeysDoNotOpen,
    Rotated,
    RotationRefused,
    check_new_keys,
    new_keys,
    rotate_master_key,
)
from api.keys import Keys, load_keys
from api.settings import Settings


def rotate_command(
    new_key_file: Annotated[
        Path,
        typer.Option(
            "--new-key-file",
            help="The key file (JSON: event_key, master_key) to rotate to: its event_key is the "
            "current one, its master_key new.",
        ),
    ],
    generate: Annotated[
        bool,
        typer.Option(
            "--generate",
            help="Write --new-key-file now (it must not exist): the current event key and a new "
            "random master key, mode 0600.",
        ),
    ] = False,
) -> None:
    """Re-wrap every data key, every trust signing key and the key check under a new master key,
    in one transaction, without rewriting any event. Stop every process using the store first;
    afterwards configure the new key file (the old master key opens nothing)."""
    try:
        rotated, current = rotate_keys(Settings(), new_key_file, generate)
    except RotationRefused as refused:
        typer.echo(f"casework: keys rotate refused: {refused}", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"rotated the master key: {rotated.data_keys} data key(s) and the signing keys of "
        f"{rotated.trust_keys} trust(s) re-wrapped, {rotated.destroyed} destroyed key(s) left "
        f"destroyed; the store now opens only with the master key in {new_key_file}"
    )
    typer.echo(f"before starting any process: {_what_to_configure(current, new_key_file)}")
    typer.echo(
        "keep the old keys only beside the database backups taken before this rotation: "
        "those open with the old master key alone"
    )


def rotate_keys(settings: Settings, path: Path, generate: bool) -> tuple[Rotated, Keys]:
    """The whole rotation as the command runs it: load and check the keys, open the store
    (proved, migrated, fenced), then rotate on a session of its own; the rotation and the keys
    rotated from."""
    current = load_keys(settings)
    if current.unsaved is not None:
        raise CurrentKeysDoNotOpen(
            f"{current.where} does not exist: there are no keys to rotate from (a store with "
            "data needs the key file it was set up with)"
        )
    new = None if generate else new_keys(path, current, generate=False)
    if new is not None:
        check_new_keys(current, new)  # before the database is even reached
    database = resolve_database(settings)
    from api.wiring import open_store, tool_pool

    # Named for this process alone: the rotation counts every other session as one to wait for.
    name = f"casework-keys-rotate-{os.getpid()}"
    with tool_pool(database, name) as pool:
        try:
            current, _, _ = open_store(pool, settings, database, current)
        except WrongKeys as wrong:
            raise CurrentKeysDoNotOpen(str(wrong)) from None
    # The pool is closed (its sessions, named as this one, may linger a moment: not waited for).
    if new is None:
        new = new_keys(path, current, generate=True)
    try:
        with psycopg.connect(
            database.conninfo, row_factory=dict_row, autocommit=True, application_name=name
        ) as conn:
            rotated = rotate_master_key(conn, current, new)
    except RotationRefused:
        if generate:  # refused before anything was written: the new key was never used
            path.unlink(missing_ok=True)
        raise
    return rotated, current


def _what_to_configure(current: Keys, path: Path) -> str:
    if not current.where:
        return (
            f"set CASEWORK_MASTER_KEY to the master_key in {path} (CASEWORK_EVENT_KEY stays as "
            "it is)"
        )
    if current.where.startswith("CASEWORK_KEY_FILE"):
        return f"set CASEWORK_KEY_FILE to {path}, or move {path} over the old key file"
    return f"move {path} over {current.where}"

"""Apply ``migrations/*.sql`` in order, once each, under a PostgreSQL advisory lock.

Each file runs in its own transaction with its checksum recorded; re-running is a no-op, and an
applied file that has since changed is refused rather than silently skipped.

A migration that must change data with the keys (sealing what was stored in plain) has a keyed
step in ``KEYED_STEPS``, run after its SQL in the same transaction, given the logins' sealer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import psycopg

from domain.shared.logins import LoginSealer

MIGRATION_LOCK = 72_817_001  # advisory lock key, arbitrary but fixed


class MigrationChanged(RuntimeError):
    pass


class MigrationNeedsKeys(RuntimeError):
    """A keyed step has data to seal, and was run without the keys."""


Sealers = Callable[[], LoginSealer]


def seal_access_log_logins(conn: psycopg.Connection[Any], logins: Sealers | None) -> None:
    """Migration 0013: seal the logins the access log already holds (the table is not a view,
    so it cannot be rebuilt), then drop their plaintext column. The log refuses updates; its
    guard is lifted only inside this transaction, which holds the table's lock throughout."""
    legacy = [
        login
        for (login,) in conn.execute(
            "SELECT DISTINCT login_before_0013 FROM access_log WHERE login_before_0013 IS NOT NULL"
        ).fetchall()
    ]
    if legacy:
        if logins is None:
            raise MigrationNeedsKeys(
                "migration 0013 seals the logins already in the access log: run it with the "
                "keys (casework migrate, or start the service)"
            )
        sealer = logins()
        conn.execute("ALTER TABLE access_log DISABLE TRIGGER access_log_append_only")
        with conn.cursor() as cur:
            cur.executemany(
                "UPDATE access_log SET user_id = %s, user_id_ix = %s WHERE login_before_0013 = %s",
                [(*sealer.seal_login(login), login) for login in legacy],
            )
        conn.execute("ALTER TABLE access_log ENABLE TRIGGER access_log_append_only")
    conn.execute("ALTER TABLE access_log DROP COLUMN login_before_0013")
    conn.execute("ALTER TABLE access_log ALTER COLUMN user_id_ix SET NOT NULL")


KEYED_STEPS: dict[str, Callable[[psycopg.Connection[Any], Sealers | None], None]] = {
    "0013_logins_at_rest": seal_access_log_logins,
}


@dataclass(frozen=True)
class Migration:
    version: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def available() -> list[Migration]:
    files = resources.files("migrations")
    return sorted(
        (
            Migration(entry.name.removesuffix(".sql"), entry.read_text())
            for entry in files.iterdir()
            if entry.name.endswith(".sql")
        ),
        key=lambda m: m.version,
    )


def migrate(
    conninfo: str, logins: Sealers | None = None, stop_before: str | None = None
) -> list[str]:
    """Apply pending migrations (those before ``stop_before``, if given); return the versions
    applied now. ``logins`` gives the sealer a keyed step needs, if it finds data to seal."""
    applied_now: list[str] = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done: dict[str, str] = dict(
                conn.execute("SELECT version, checksum FROM schema_migrations").fetchall()
            )
            for migration in available():
                if stop_before is not None and migration.version >= stop_before:
                    break
                if migration.version in done:
                    if done[migration.version] != migration.checksum:
                        raise MigrationChanged(
                            f"migration {migration.version} changed after it was applied; "
                            "add a new migration instead"
                        )
                    continue
                with conn.transaction():
                    conn.execute(migration.sql.encode())
                    step = KEYED_STEPS.get(migration.version)
                    if step is not None:
                        step(conn, logins)
                    conn.execute(
                        "INSERT INTO schema_migrations (version, checksum) VALUES (%s, %s)",
                        (migration.version, migration.checksum),
                    )
                applied_now.append(migration.version)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
    return applied_now

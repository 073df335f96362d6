"""Apply ``migrations/*.sql`` in order, once each, under a PostgreSQL advisory lock.

Each file runs in its own transaction with its checksum recorded; re-running is a no-op, and an
applied file that has since changed is refused rather than silently skipped.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

import psycopg

MIGRATION_LOCK = 72_817_001  # advisory lock key, arbitrary but fixed


class MigrationChanged(RuntimeError):
    pass


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


def migrate(conninfo: str) -> list[str]:
    """Apply pending migrations; return the versions applied now."""
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
                if migration.version in done:
                    if done[migration.version] != migration.checksum:
                        raise MigrationChanged(
                            f"migration {migration.version} changed after it was applied; "
                            "add a new migration instead"
                        )
                    continue
                with conn.transaction():
                    conn.execute(migration.sql.encode())
                    conn.execute(
                        "INSERT INTO schema_migrations (version, checksum) VALUES (%s, %s)",
                        (migration.version, migration.checksum),
                    )
                applied_now.append(migration.version)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
    return applied_now

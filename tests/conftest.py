"""Shared fixtures. Integration tests run on real PostgreSQL: the embedded server by default, or
the server at CASEWORK_TEST_DATABASE_URL when set. Each run gets its own fresh database."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import uuid4

import psycopg
import pytest

from api.database import Database, ensure_database, start_embedded
from api.migrate import migrate
from api.settings import Environment, Settings
from api.wiring import Container, build

if TYPE_CHECKING:
    from tests.witnesses import RunningWitness

KEEP = ("schema_migrations",)


@pytest.fixture(scope="session")
def server_database() -> Iterator[Database]:
    url = os.environ.get("CASEWORK_TEST_DATABASE_URL")
    if url:
        server = Database(url)
    else:
        data_dir = Path(tempfile.mkdtemp(prefix="casework-test-"))
        # Removed at exit, after the library's own exit handler, registered later (handlers run
        # last-in first-out), has stopped the server: not while it runs.
        atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
        server = start_embedded(data_dir)
    name = f"casework_test_{uuid4().hex[:8]}"
    ensure_database(server, name)
    database = server.with_dbname(name)
    migrate(database.conninfo)
    yield database
    with psycopg.connect(server.conninfo, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def test_data_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="casework-keys-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def settings(test_data_dir: Path) -> Settings:
    return Settings(environment=Environment.TEST, data_dir=test_data_dir)


def truncate_all(database: Database) -> None:
    with psycopg.connect(database.conninfo, autocommit=True) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
            if r[0] not in KEEP
        ]
        conn.execute("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY")


@pytest.fixture
def container(server_database: Database, settings: Settings) -> Iterator[Container]:
    truncate_all(server_database)
    # The fence belongs with the store it fenced: an emptied store starts with none, or a start
    # would destroy again keys (logins are the same in every test) an earlier test erased.
    settings.erasure_fence_path.unlink(missing_ok=True)
    built = build(settings, database=server_database, apply_migrations=False)
    yield built
    built.close()


class LiveServer:
    """The real service on a loopback port, with its projection workers."""

    def __init__(self, container: Container, projections: str = "threads") -> None:
        import socket
        import threading

        import uvicorn

        from api.http import SERVER_OPTIONS, create_app

        self.container = container
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(
                create_app(container, projections=projections),
                host="127.0.0.1",
                port=self.port,
                log_level="warning",
                **SERVER_OPTIONS,
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        import time

        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


@pytest.fixture
def live(container: Container) -> Iterator[LiveServer]:
    with LiveServer(container) as server:
        yield server


@pytest.fixture
def demo(live: LiveServer, container: Container) -> dict[str, str]:
    """`casework seed demo` on the live service: the trust id and the schools' ids by key."""
    from api.seed import seed_demo

    trust_id, schools, position, _ = seed_demo(container)
    container.wait_for(list(container.views), position, timeout=20)
    return {"trust": str(trust_id), **{k: str(v) for k, v in schools.items()}}


@pytest.fixture
def frozen_views(container: Container) -> Iterator[LiveServer]:
    """The live service with the demo seeded but no projection workers: the views never move, so
    a `minPosition` at or below the head is never reached."""
    from api.seed import seed_demo

    with LiveServer(container, projections="none") as server:
        seed_demo(container)
        yield server


@pytest.fixture
def users(live: LiveServer, settings: Settings, demo: dict[str, str]):
    """A client for each demo user, by login, on the live service."""
    from tests.api_client import Client

    return lambda user: Client(live.url, settings, user)


@pytest.fixture
def witness(tmp_path: Path, container: Container, settings: Settings) -> Iterator[RunningWitness]:
    """A witness process of this deployment's ledger, with its own state directory."""
    from api.ledger import log_signer
    from tests.witnesses import RunningWitness

    running = RunningWitness(tmp_path / "witness", [log_signer(container.keyring, settings).vkey()])
    running.start()
    yield running
    if running.process and running.process.poll() is None:
        running.stop()

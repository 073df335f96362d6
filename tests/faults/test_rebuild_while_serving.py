"""`casework projections rebuild` while the service serves and writes keep coming: the rebuild
finishes every view, the service's workers carry on from where it got, and nothing is applied
twice or skipped."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx

from api.database import Database
from api.seed import seed_demo
from api.settings import Settings
from api.wiring import Container
from domain.shared.sealing import Sealed
from projections.classification import SEALED, data_map
from projections.runner import reset
from tests.conftest import LiveServer
from tests.integration.test_projections import register_pupils, seed_school

Snapshot = dict[str, list[tuple[Any, ...]]]


def view_contents(container: Container) -> Snapshot:
    """Every row of every view a rebuild replays, its sealed values opened (each sealing draws
    a fresh nonce). The ledger is never rebuilt: it is a record, not derived data."""
    columns = data_map()
    snapshot: Snapshot = {}
    with container.pool.connection() as conn:
        for view in (v for v in container.views.values() if v.rebuildable):
            for table in view.tables:
                rows = []
                for row in conn.execute(f"SELECT * FROM {table}").fetchall():
                    rows.append(
                        tuple(
                            (
                                name,
                                _opened(container, value)
                                if columns[table][name].kind is SEALED
                                else value,
                            )
                            for name, value in sorted(row.items())
                        )
                    )
                snapshot[table] = sorted(rows, key=repr)
    return snapshot


def _opened(container: Container, value: bytes | None) -> object:
    return None if value is None else container.keyring.open_bytes(Sealed.from_bytes(value))


def clean_rebuild(container: Container) -> None:
    """Every view a rebuild replays emptied and replayed from zero with nothing else running."""
    for name, view in ((n, v) for n, v in container.views.items() if v.rebuildable):
        reset(view)
        (worker,) = container.workers([name])
        worker.catch_up()


def casework_env(database: Database, settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
    return env | {
        "CASEWORK_DATABASE_URL": database.conninfo,
        "CASEWORK_DATA_DIR": str(settings.data_dir),
        "CASEWORK_ENVIRONMENT": "test",
    }


def run_rebuild(database: Database, settings: Settings) -> subprocess.CompletedProcess[str]:
    casework = Path(sys.executable).parent / "casework"
    return subprocess.run(
        [str(casework), "projections", "rebuild"],
        env=casework_env(database, settings),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_rebuild_while_the_service_serves_finishes_every_view_as_a_clean_rebuild_would(
    container, server_database, settings
):
    _, school_id = seed_school(container)
    seed_demo(container)
    register_pupils(container, school_id, 300)
    writing = threading.Event()
    written = [300]

    def keep_writing() -> None:
        while not writing.is_set():
            register_pupils(container, school_id, 1)
            written[0] += 1

    with LiveServer(container) as server:
        container.wait_for(list(container.views), container.head(), timeout=20)
        writer = threading.Thread(target=keep_writing)
        writer.start()
        try:
            result = run_rebuild(server_database, settings)
        finally:
            writing.set()
            writer.join()
        assert result.returncode == 0, result.stdout + result.stderr

        after = register_pupils(container, school_id, 1)
        written[0] += 1
        container.wait_for(list(container.views), after, timeout=20)
        assert httpx.get(server.url + "/readyz", timeout=10).status_code == 200

    with container.pool.connection() as conn:
        pupils = conn.execute(
            "SELECT count(*) AS n FROM dir_pupils WHERE school_id = %s", (school_id,)
        ).fetchone()
    assert pupils["n"] == written[0]
    rebuilt_while_serving = view_contents(container)
    clean_rebuild(container)
    assert view_contents(container) == rebuilt_while_serving


# A rebuild of the directory view that has emptied it and replayed its first events, and then
# hangs until it is killed.
HALF_A_REBUILD = """
import sys, time
from api.settings import Settings
from api.wiring import build
from projections.runner import holding_for_rebuild, reset

container = build(Settings(), apply_migrations=False)
(worker,) = container.workers(["directory"])
with holding_for_rebuild(worker.view):
    reset(worker.view)
    worker.resync()
    worker.holds_view = True
    worker.process(container.app.recorder.select_notifications(start=0, limit=50))
    print("half way", flush=True)
    time.sleep(60)
"""


def test_a_rebuild_killed_half_way_is_finished_by_the_service(container, server_database, settings):
    _, school_id = seed_school(container)
    register_pupils(container, school_id, 100)
    with LiveServer(container):
        container.wait_for(list(container.views), container.head(), timeout=20)
        rebuilding = subprocess.Popen(
            [sys.executable, "-c", HALF_A_REBUILD],
            env=casework_env(server_database, settings),
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert rebuilding.stdout is not None
            assert rebuilding.stdout.readline().strip() == "half way"
            position = register_pupils(container, school_id, 1)
            others = [name for name in container.views if name != "directory"]
            container.wait_for(others, position, timeout=20)
            assert container.view_positions()["directory"] < position  # left alone meanwhile
        finally:
            rebuilding.kill()
            rebuilding.wait(timeout=10)
        container.wait_for(["directory"], position, timeout=20)
    finished_by_the_service = view_contents(container)
    clean_rebuild(container)
    assert view_contents(container) == finished_by_the_service

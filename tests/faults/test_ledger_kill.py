"""The integrator killed outright (SIGKILL) in the middle of a catch-up, then resumed: the log
is identical to the one an uninterrupted integrator makes, every event once, in order."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from domain.ledger.merkle import leaf_hash, root_of
from tests.faults.test_rebuild_while_serving import casework_env
from tests.ledger.world import (
    catch_up_ledger,
    record_some_history,
    stored_log,
    stored_root,
    uninterrupted_log,
)

# An integrator on its own, in small batches, so that a kill lands between two of them or in one.
INTEGRATOR = """
from api.settings import Settings
from api.wiring import build

container = build(Settings(), apply_migrations=False)
(worker,) = container.workers(["ledger"], batch_size=5)
print("integrating", flush=True)
worker.catch_up()
"""


def _size(container) -> int:
    with container.pool.connection() as conn:
        row = conn.execute("SELECT size FROM ledger_head").fetchone()
    return 0 if row is None else int(row["size"])


def test_an_integrator_killed_mid_catch_up_resumes_to_the_uninterrupted_log(
    container, server_database, settings
):
    for i in range(8):
        record_some_history(container.app, f"School {i}", f"80000{i}")
    total = container.head()
    integrating = subprocess.Popen(
        [sys.executable, "-c", INTEGRATOR],
        env=casework_env(server_database, settings),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert integrating.stdout is not None
        assert integrating.stdout.readline().strip() == "integrating"
        deadline = time.monotonic() + 30
        while _size(container) < 10:
            assert time.monotonic() < deadline, "the integrator made no progress"
            time.sleep(0.005)
        integrating.send_signal(signal.SIGKILL)
    finally:
        integrating.wait(timeout=10)
    killed_at = _size(container)
    assert 0 < killed_at < total  # stopped part way
    catch_up_ledger(container)
    expected = uninterrupted_log(container)
    assert stored_log(container) == expected
    assert stored_root(container) == root_of([leaf_hash(e) for e in expected])

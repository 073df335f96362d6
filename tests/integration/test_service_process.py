"""The service as a newcomer runs it: `casework serve` with no database configured."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.processes import embedded_servers, free_port


def test_serve_starts_its_own_postgres_and_stops_it_on_sigterm(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
    env["CASEWORK_DATA_DIR"] = str(tmp_path / "data")
    casework = Path(sys.executable).parent / "casework"
    proc = subprocess.Popen(
        [str(casework), "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            assert time.monotonic() < deadline, "service did not become ready"
            time.sleep(0.3)
        assert embedded_servers(tmp_path / "data")
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).json()
        deadline = time.monotonic() + 30
        while {v["state"] for v in ready["views"].values()} != {
            "running"
        } and time.monotonic() < deadline:
            time.sleep(0.3)  # the projection process reports in once it has caught up
            ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).json()
        assert {v["state"] for v in ready["views"].values()} == {"running"}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    deadline = time.monotonic() + 15
    while embedded_servers(tmp_path / "data") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert embedded_servers(tmp_path / "data") == []
    assert (tmp_path / "data" / "pgdata" / "PG_VERSION").exists()

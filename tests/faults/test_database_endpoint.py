"""Faults at the database: a silent endpoint, and an embedded server left behind by a crash.

Every process here is started by the test (the service, the helper holding an embedded server,
the server it starts, a `sleep`), and stopped by it, even on failure."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

CASEWORK = str(Path(sys.executable).parent / "casework")
CONNECT_TIMEOUT = 2
PASSWORD = "Sw0rdfish-not-for-logs"


class SilentEndpoint:
    """Accepts TCP connections on 127.0.0.1 and never answers."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        self.listener.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def silent() -> Iterator[SilentEndpoint]:
    endpoint = SilentEndpoint()
    yield endpoint
    endpoint.close()


def casework_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
    env["CASEWORK_DATA_DIR"] = str(tmp_path / "data")
    env.update({f"CASEWORK_{name.upper()}": value for name, value in settings.items()})
    return env


def run_against(silent: SilentEndpoint, tmp_path: Path, *args: str) -> tuple[int, str, float]:
    env = casework_env(
        tmp_path,
        database_url=f"postgresql://casework:{PASSWORD}@127.0.0.1:{silent.port}/casework",
        database_connect_timeout_seconds=str(CONNECT_TIMEOUT),
    )
    started = time.monotonic()
    done = subprocess.run(
        [CASEWORK, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=25
    )
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started


def test_migrate_against_a_silent_database_gives_up_within_the_connect_timeout(silent, tmp_path):
    code, _, took = run_against(silent, tmp_path, "migrate")
    assert code != 0
    assert took < CONNECT_TIMEOUT + 8


def test_serve_against_a_silent_database_gives_up_within_the_connect_timeout(silent, tmp_path):
    code, _, took = run_against(silent, tmp_path, "serve", "--port", "0")
    assert code != 0
    assert took < CONNECT_TIMEOUT + 8


def test_a_silent_database_is_reported_in_one_line_naming_its_host_and_not_the_password(
    silent, tmp_path
):
    _, output, _ = run_against(silent, tmp_path, "migrate")
    assert output.strip().splitlines() == [
        f"casework: cannot reach the database at 127.0.0.1:{silent.port}: no answer within "
        f"{CONNECT_TIMEOUT} s (CASEWORK_DATABASE_CONNECT_TIMEOUT_SECONDS)"
    ]
    assert PASSWORD not in output


# The embedded server. A helper process starts it (as `casework serve` does) and holds it.

HOLD = (
    "import sys, time; from pathlib import Path; from api.database import start_embedded; "
    "start_embedded(Path(sys.argv[1])); print('ready', flush=True); time.sleep(600)"
)
START_AND_EXIT = (
    "import sys; from pathlib import Path; from api.database import start_embedded; "
    "start_embedded(Path(sys.argv[1]))"
)


def pgdata(data_dir: Path) -> Path:
    return (data_dir / "pgdata").resolve()


def postmaster(data_dir: Path) -> psutil.Process | None:
    """The running server of this data directory, from its lock file."""
    try:
        pid = int((pgdata(data_dir) / "postmaster.pid").read_text().splitlines()[0])
        process = psutil.Process(pid)
    except (FileNotFoundError, IndexError, ValueError, psutil.NoSuchProcess):
        return None
    try:
        if Path(process.cwd()) == pgdata(data_dir) and process.status() != psutil.STATUS_ZOMBIE:
            return process
    except psutil.Error:
        pass
    return None


def handles(data_dir: Path) -> list[int]:
    return json.loads((pgdata(data_dir) / ".handle_pids.json").read_text())


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return bool(condition())


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data directory whose server, if any is left running at the end, is stopped."""
    yield tmp_path / "data"
    server = postmaster(tmp_path / "data")
    if server is not None:
        server.send_signal(signal.SIGQUIT)  # immediate shutdown of the server we started
        try:
            server.wait(10)
        except psutil.TimeoutExpired:
            server.kill()


def hold_server(data_dir: Path) -> subprocess.Popen[str]:
    helper = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(data_dir)], stdout=subprocess.PIPE, text=True
    )
    assert helper.stdout is not None
    assert helper.stdout.readline().strip() == "ready"
    return helper


def start_and_exit(data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", START_AND_EXIT, str(data_dir)],
        capture_output=True,
        text=True,
        timeout=28,
    )


def test_a_killed_process_no_longer_keeps_the_embedded_server_running(data_dir):
    helper = hold_server(data_dir)
    helper.kill()
    helper.wait(5)
    start_and_exit(data_dir)
    assert wait_until(lambda: postmaster(data_dir) is None, 10)


def test_a_killed_embedded_server_starts_again_without_the_dead_handle(data_dir):
    helper = hold_server(data_dir)
    dead = helper.pid
    server = postmaster(data_dir)
    assert server is not None
    server.kill()
    helper.kill()
    helper.wait(5)
    again = hold_server(data_dir)
    try:
        assert postmaster(data_dir) is not None
        assert dead not in handles(data_dir)
    finally:
        again.kill()
        again.wait(5)


def lock_left_naming_a_live_process(data_dir) -> tuple[Path, subprocess.Popen]:
    """Given the server killed without cleaning up, and its lock file rewritten to name a live
    unrelated process: the lock file and that process (the caller ends it)."""
    helper = hold_server(data_dir)
    server = postmaster(data_dir)
    assert server is not None
    lock = pgdata(data_dir) / "postmaster.pid"
    server.kill()
    helper.kill()
    helper.wait(5)
    assert wait_until(lambda: postmaster(data_dir) is None, 10)
    unrelated = subprocess.Popen(["sleep", "60"])
    lines = lock.read_text().splitlines()
    lock.write_text("\n".join([str(unrelated.pid), *lines[1:]]) + "\n")
    return lock, unrelated


def test_a_lock_file_naming_a_live_unrelated_process_is_cleared(data_dir):
    _, unrelated = lock_left_naming_a_live_process(data_dir)
    try:
        done = start_and_exit(data_dir)
        assert done.returncode == 0, done.stderr.strip().splitlines()[-1:]
        assert unrelated.poll() is None
    finally:
        unrelated.kill()
        unrelated.wait(5)


def test_a_lock_file_that_cannot_be_cleared_is_reported_in_one_line_saying_what_to_do(
    data_dir, tmp_path
):
    lock, unrelated = lock_left_naming_a_live_process(data_dir)
    lingering = subprocess.Popen(["sleep", "60"], cwd=pgdata(data_dir))
    try:
        done = subprocess.run(
            [CASEWORK, "migrate"],
            env=casework_env(tmp_path),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=25,
        )
        assert done.returncode != 0
        assert done.stderr.strip().splitlines() == [
            f"casework: the embedded PostgreSQL's lock file {lock} names PID {unrelated.pid}, "
            f"which is not its server, but processes {lingering.pid} still run in "
            f"{pgdata(data_dir)}: stop them, then start again"
        ]
    finally:
        for process in (unrelated, lingering):
            process.kill()
            process.wait(5)

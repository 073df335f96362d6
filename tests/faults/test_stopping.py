"""Stopping `casework serve` the ways operators and orchestrators do: SIGTERM to the whole process
group (docker stop, systemd, Kubernetes), SIGTERM to the parent alone, and SIGKILL of the parent.

Each test runs the service as a real process in its own session, with its own embedded PostgreSQL
(copied from a cluster initialised once for the module), and removes every process it caused to
start, whatever happens."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest

from api.workers import Backoff
from tests.processes import embedded_servers, free_port

STOPPED_WITHIN = 10.0
CASEWORK = Path(sys.executable).parent / "casework"


def service_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
    env["CASEWORK_DATA_DIR"] = str(data_dir)
    return env


@pytest.fixture(scope="module")
def initialised_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with keys and a migrated, stopped embedded cluster, to copy per test."""
    data_dir = tmp_path_factory.mktemp("stopping-template") / "data"
    subprocess.run([str(CASEWORK), "migrate"], env=service_env(data_dir), check=True, timeout=60)
    assert embedded_servers(data_dir) == []
    return data_dir


@dataclass
class Service:
    parent: subprocess.Popen[bytes]
    data_dir: Path
    port: int

    def processes(self) -> list[psutil.Process]:
        """The parent, everything it started, and the embedded server."""
        parent = psutil.Process(self.parent.pid)
        return [parent, *parent.children(recursive=True), *embedded_servers(self.data_dir)]

    def projection_children(self) -> list[psutil.Process]:
        children = psutil.Process(self.parent.pid).children()
        return [c for c in children if "multiprocessing.spawn" in " ".join(c.cmdline())]


def wait_until_serving(service: Service) -> None:
    deadline = time.monotonic() + 25
    while True:
        try:
            ready = httpx.get(f"http://127.0.0.1:{service.port}/readyz", timeout=1)
            states = {v["state"] for v in ready.json().get("views", {}).values()}
            if ready.status_code == 200 and states == {"running"}:
                return  # the projection child is running its workers
        except httpx.TransportError:
            pass
        assert service.parent.poll() is None, "the service exited during start-up"
        assert time.monotonic() < deadline, "the service did not become ready"
        time.sleep(0.3)


def gone_within(processes: list[psutil.Process], seconds: float) -> list[psutil.Process]:
    """Those of ``processes`` still running after ``seconds`` (zombies count as gone)."""
    deadline = time.monotonic() + seconds
    while True:
        alive = []
        for p in processes:
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(p)
            except psutil.NoSuchProcess:
                pass
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.1)


@pytest.fixture
def service(initialised_data_dir: Path, tmp_path: Path) -> Iterator[Service]:
    data_dir = tmp_path / "data"
    # keeping owners: as root, the embedded server runs its cluster as a user of its own
    subprocess.run(["cp", "-a", str(initialised_data_dir), str(data_dir)], check=True)
    port = free_port()
    parent = subprocess.Popen(
        [str(CASEWORK), "serve", "--port", str(port)],
        env=service_env(data_dir),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, as a container's processes are
    )
    running = Service(parent, data_dir, port)
    started: list[psutil.Process] = []
    try:
        wait_until_serving(running)
        started = running.processes()
        yield running
    finally:
        remaining = running.processes() if parent.poll() is None else []
        for p in [*started, *remaining]:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.kill()
        parent.wait(timeout=10)
        for postmaster in embedded_servers(data_dir):
            with contextlib.suppress(psutil.NoSuchProcess):
                postmaster.kill()


def test_sigterm_to_the_process_group_stops_every_process_and_the_embedded_server(service):
    processes = service.processes()
    assert service.projection_children()
    assert embedded_servers(service.data_dir)

    os.killpg(service.parent.pid, signal.SIGTERM)

    assert gone_within(processes, STOPPED_WITHIN) == []
    assert service.parent.wait(timeout=1) == 0


def test_sigterm_to_the_parent_alone_stops_every_process_and_the_embedded_server(service):
    processes = service.processes()
    assert service.projection_children()

    service.parent.send_signal(signal.SIGTERM)

    assert gone_within(processes, STOPPED_WITHIN) == []
    assert service.parent.wait(timeout=1) == 0


def test_the_projection_child_exits_when_its_parent_is_killed(service):
    (child,) = service.projection_children()

    service.parent.kill()
    service.parent.wait(timeout=5)

    assert gone_within([child], 5) == []


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def crash_after(backoff: Backoff, clock: Clock, ran_for: float) -> float:
    backoff.started()
    clock.now += ran_for
    delay = backoff.delay()
    clock.now += delay
    return delay


def test_the_restart_delay_doubles_while_the_child_keeps_crashing():
    clock = Clock()
    backoff = Backoff(initial=1, maximum=60, healthy_after=60, clock=clock)

    delays = [crash_after(backoff, clock, ran_for=2) for _ in range(8)]

    assert delays == [1, 2, 4, 8, 16, 32, 60, 60]


def test_the_restart_delay_starts_again_after_a_healthy_run():
    clock = Clock()
    backoff = Backoff(initial=1, maximum=60, healthy_after=60, clock=clock)
    for _ in range(6):
        crash_after(backoff, clock, ran_for=2)

    assert crash_after(backoff, clock, ran_for=3600) == 1
    assert crash_after(backoff, clock, ran_for=2) == 2

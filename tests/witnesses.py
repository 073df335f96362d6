"""A witness process for tests: `casework witness serve` on a free port over a state
directory, started, stopped and restarted as an operator would."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.processes import free_port

CASEWORK = Path(sys.executable).parent / "casework"


class RunningWitness:
    """One `casework witness serve` process on a free port, over a state directory."""

    def __init__(self, state: Path, log_vkeys: list[str]) -> None:
        self.state, self.log_vkeys = state, log_vkeys
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        logs = [arg for vkey in self.log_vkeys for arg in ("--log", vkey)]
        self.process = subprocess.Popen(
            [*self.command(), "--port", str(self.port), *logs],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                pass
            assert self.process.poll() is None, self.output()
            assert time.monotonic() < deadline, "the witness did not start listening"
            time.sleep(0.1)

    def command(self) -> list[str]:
        return [str(CASEWORK), "witness", "serve", "--state", str(self.state)]

    def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=15)

    def output(self) -> str:
        assert self.process is not None and self.process.stdout is not None
        return self.process.stdout.read().decode()

    def vkey(self) -> str:
        result = subprocess.run(
            [str(CASEWORK), "witness", "key", "--state", str(self.state)],
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip()

"""Helpers for tests that run the service as real processes."""

from __future__ import annotations

import socket
from pathlib import Path

import psutil


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def embedded_servers(data_dir: Path) -> list[psutil.Process]:
    """The PostgreSQL processes serving the embedded cluster in ``data_dir``."""
    found = []
    for proc in psutil.process_iter(attrs=["name", "cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if proc.info["name"] == "postgres" and str(data_dir.resolve()) in " ".join(cmdline):
            found.append(proc)
    return found

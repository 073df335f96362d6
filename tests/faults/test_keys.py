"""Keys at start-up: missing, wrong and malformed keys, through the real command line.

Each test runs `casework` as a subprocess on its own fresh database (on the test server), so a
refusal is seen exactly as an operator sees it: its exit code and its one line.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import httpx
import psycopg
import pytest

from api.database import Database, ensure_database

CASEWORK = Path(sys.executable).parent / "casework"


def random_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def fresh_database(server_database: Database) -> Iterator[Database]:
    """A database of its own on the test server, dropped afterwards."""
    server = server_database.with_dbname("postgres")
    name = f"casework_keys_{uuid4().hex[:8]}"
    ensure_database(server, name)
    yield server.with_dbname(name)
    with psycopg.connect(server.conninfo, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def casework(
    *args: str, database: Database, cwd: Path, **settings: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
    env |= {"CASEWORK_DATABASE_URL": database.conninfo, "CASEWORK_DATA_DIR": str(cwd / "data")}
    env |= {f"CASEWORK_{name.upper()}": value for name, value in settings.items()}
    return subprocess.run(  # bounded: a refusal comes within seconds, never after a start
        [str(CASEWORK), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=30
    )


def refusal(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a refused start prints (asserting it is one line, exit code 2)."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("casework: refusing to start: ")
    return line


def test_a_lost_development_key_file_next_to_a_store_with_events_refuses_to_serve(
    fresh_database, tmp_path
):
    assert casework("trust", "create", "Birch Trust", database=fresh_database, cwd=tmp_path)
    key_file = tmp_path / "data" / "keys.json"
    key_file.unlink()
    line = refusal(casework("serve", "--port", "1", database=fresh_database, cwd=tmp_path))
    assert f"{key_file} (CASEWORK_DATA_DIR) is missing" in line
    assert "restore the key file from your backup" in line
    assert not key_file.exists()


def test_a_first_start_on_an_empty_store_still_generates_development_keys(fresh_database, tmp_path):
    result = casework("migrate", database=fresh_database, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "keys.json").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("wrong", ["event_key", "master_key"])
def test_well_formed_keys_that_are_not_the_stores_are_refused_in_production(
    fresh_database, tmp_path, wrong
):
    keys = {"event_key": random_key(), "master_key": random_key()}
    key_file = tmp_path / "keys.json"
    key_file.write_text(json.dumps(keys))
    production = {
        "environment": "production",
        "key_file": str(key_file),
        "jwt_jwks_file": str(tmp_path / "jwks.json"),
        "metrics_token": "m" * 40,
    }
    first = casework("migrate", database=fresh_database, cwd=tmp_path, **production)
    assert first.returncode == 0, first.stderr
    key_file.write_text(json.dumps(keys | {wrong: random_key()}))
    line = refusal(casework("migrate", database=fresh_database, cwd=tmp_path, **production))
    assert f"{wrong} in CASEWORK_KEY_FILE {key_file} does not open this store" in line


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"event_key": "', "is not valid JSON (line 1, column 15)"),
        (json.dumps({"event_key": random_key()}), "has no master_key"),
        (
            json.dumps({"event_key": "not*base64", "master_key": random_key()}),
            "event_key in CASEWORK_KEY_FILE {key_file} is not valid base64",
        ),
        (
            json.dumps(
                {"event_key": random_key(), "master_key": base64.b64encode(b"k" * 16).decode()}
            ),
            "(it decodes to 16)",
        ),
    ],
    ids=["bad JSON", "missing field", "bad base64", "wrong length"],
)
def test_a_malformed_key_file_is_refused_in_one_line_naming_the_setting_and_the_problem(
    fresh_database, tmp_path, content, problem
):
    key_file = tmp_path / "keys.json"
    key_file.write_text(content)
    line = refusal(
        casework("migrate", database=fresh_database, cwd=tmp_path, key_file=str(key_file))
    )
    assert f"CASEWORK_KEY_FILE {key_file}" in line
    assert problem.format(key_file=key_file) in line


def test_an_event_key_without_a_master_key_is_refused_naming_the_missing_setting(
    fresh_database, tmp_path
):
    line = refusal(
        casework("migrate", database=fresh_database, cwd=tmp_path, event_key=random_key())
    )
    assert "CASEWORK_MASTER_KEY is not set" in line
    assert not (tmp_path / "data" / "keys.json").exists()


def test_readyz_reports_keys_that_no_longer_open_the_store(live, container):
    from api.key_check import PROOF, event_cipher
    from api.keys import Keys

    assert httpx.get(f"{live.url}/readyz", timeout=5).json()["keys"] == "ok"
    other = Keys(random_key(), os.urandom(32), "event_key", "master_key")
    with psycopg.connect(container.database.conninfo, autocommit=True) as conn:
        conn.execute("TRUNCATE key_check")  # as if another deployment's database were restored
        conn.execute(
            "INSERT INTO key_check (key_name, proof) VALUES ('event_key', %s)",
            (event_cipher(other).encrypt(PROOF),),
        )
    response = httpx.get(f"{live.url}/readyz", timeout=5)
    assert (response.status_code, response.json()["keys"]) == (503, "wrong")
    assert "keys" in response.json()["problems"]


def test_a_store_initialised_before_the_key_check_is_proved_by_its_oldest_event_and_data_key(
    container, settings, server_database
):
    from api.key_check import WrongKeys
    from api.seed import seed_demo
    from api.wiring import build

    seed_demo(container)
    with psycopg.connect(server_database.conninfo, autocommit=True) as conn:
        conn.execute("TRUNCATE key_check")  # as a store deployed before migration 0021
    with pytest.raises(WrongKeys, match="CASEWORK_EVENT_KEY and CASEWORK_MASTER_KEY do not open"):
        build(
            settings.model_copy(update={"event_key": random_key(), "master_key": random_key()}),
            database=server_database,
            apply_migrations=False,
        )

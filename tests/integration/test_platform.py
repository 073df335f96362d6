"""Migrations, the committed SDL, settings that refuse insecure production starts."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path
from uuid import uuid4

import pytest
from pydantic import ValidationError

from api.graphql.schema import sdl
from api.migrate import MigrationChanged, migrate
from api.settings import InsecureConfiguration, Settings

ROOT = Path(__file__).resolve().parents[2]


def random_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def production(tmp_path: Path, **overrides: object) -> Settings:
    """Settings a production deployment could start with (their files need not exist)."""
    fields: dict[str, object] = {
        "environment": "production",
        "event_key": random_key(),
        "master_key": random_key(),
        "jwt_jwks_file": tmp_path / "jwks.json",
        "metrics_token": "m" * 40,
    }
    return Settings(**(fields | overrides))


def test_the_committed_sdl_matches_the_code():
    committed = (ROOT / "api" / "schema.graphql").read_text()
    assert committed == sdl(), "run `casework schema > api/schema.graphql` and commit it"


def test_rerunning_migrations_is_a_no_op(server_database):
    assert migrate(server_database.conninfo) == []


def test_a_migration_changed_after_it_was_applied_is_refused(server_database, monkeypatch):
    import api.migrate as m

    original = m.available

    def tampered():
        migrations = original()
        first = migrations[0]
        return [m.Migration(first.version, first.sql + "\n-- edited"), *migrations[1:]]

    monkeypatch.setattr(m, "available", tampered)
    with pytest.raises(MigrationChanged):
        migrate(server_database.conninfo)


def test_events_cannot_be_updated_or_deleted(container):
    import psycopg

    with (
        psycopg.connect(container.database.conninfo) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("DELETE FROM casework_events")


def test_the_access_log_cannot_be_altered(container):
    import psycopg

    sealed, ix = container.logins.seal_login("dpo@example.org")
    with psycopg.connect(container.database.conninfo, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO access_log (user_id, user_id_ix, action, record_type, record_id, "
            "trust_id, outcome, subject_ids) VALUES (%s, %s, 'view', 'Pupil', %s, %s, 'read', "
            "'{}')",
            (sealed, ix, uuid4(), uuid4()),
        )
    with (
        psycopg.connect(container.database.conninfo) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("UPDATE access_log SET user_id = 'someone else'")


def test_production_refuses_to_start_without_configured_keys(tmp_path):
    with pytest.raises(InsecureConfiguration):
        Settings(environment="production", data_dir=tmp_path, jwt_jwks_file=tmp_path / "jwks.json")


def test_production_refuses_to_start_without_an_issuer_key_set(tmp_path):
    with pytest.raises(InsecureConfiguration):
        Settings(environment="production", key_file=tmp_path / "keys.json")


def test_development_generates_keys_on_first_run(tmp_path):
    from api.keys import load_keys, save_generated

    settings = Settings(environment="development", data_dir=tmp_path)
    first = save_generated(load_keys(settings))  # written once the store is known to be empty
    assert load_keys(settings) == first
    assert (tmp_path / "keys.json").stat().st_mode & 0o077 == 0


def test_production_disables_introspection(tmp_path):
    from api.graphql.schema import build_schema

    result = build_schema(production(tmp_path)).execute_sync("{ __schema { queryType { name } } }")
    assert result.errors and result.data is None


def test_development_allows_introspection():
    from api.graphql.schema import build_schema

    result = build_schema(Settings(environment="development")).execute_sync(
        "{ __schema { queryType { name } } }"
    )
    assert result.data == {"__schema": {"queryType": {"name": "Query"}}}


def test_production_refuses_to_start_without_a_metrics_token(tmp_path):
    with pytest.raises(InsecureConfiguration, match="CASEWORK_METRICS_TOKEN"):
        production(tmp_path, metrics_token=None)


def test_production_never_suggests_a_field_the_client_did_not_name(tmp_path):
    from api.graphql.schema import build_schema

    result = build_schema(production(tmp_path)).execute_sync("{ pupilz { edges { node { id } } } }")
    (error,) = result.errors or []
    assert error.message == "Cannot query field 'pupilz' on type 'Query'."


def test_production_never_suggests_an_enum_value_for_a_variable(tmp_path):
    from api.graphql.schema import build_schema

    result = build_schema(production(tmp_path)).execute_sync(
        "mutation($i: TriageIncidentInput!) { triageIncident(input: $i) { __typename } }",
        variable_values={
            "i": {"incidentId": "x", "risk": "MEDUIM", "meetsCpThreshold": False, "rationale": "r"}
        },
    )
    (error,) = result.errors or []
    assert "MEDIUM" not in error.message and "Did you mean" not in error.message


def test_development_still_suggests_field_names():
    from api.graphql.schema import build_schema

    result = build_schema(Settings(environment="development")).execute_sync("{ pupilz { id } }")
    assert "Did you mean" in (result.errors or [])[0].message


@pytest.mark.parametrize(
    ("setting", "weak"),
    [("master_key", bytes(32)), ("event_key", bytes([7]) * 32)],
)
def test_a_key_whose_bytes_are_all_equal_is_refused_naming_its_setting(tmp_path, setting, weak):
    from api.keys import load_keys

    keys = {"event_key": random_key(), "master_key": random_key()}
    keys[setting] = base64.b64encode(weak).decode()
    with pytest.raises(InsecureConfiguration) as refused:
        load_keys(Settings(environment="development", data_dir=tmp_path, **keys))
    assert str(refused.value).startswith(f"CASEWORK_{setting.upper()} ")
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(
    "bad",
    [
        {"master_key": base64.b64encode(bytes(32)).decode()},
        {"event_key": None, "master_key": None, "key_file": Path("missing-keys.json")},
        {"jwt_jwks_file": Path("missing-jwks.json")},
    ],
    ids=["weak key", "missing key file", "missing key set"],
)
def test_a_bad_key_or_key_set_never_starts_the_embedded_database(tmp_path, bad):
    from api.wiring import build

    fields = {"event_key": random_key(), "master_key": random_key()} | bad
    settings = Settings(environment="development", data_dir=tmp_path, **fields)
    with pytest.raises(InsecureConfiguration):
        build(settings)
    assert not (tmp_path / "pgdata").exists()


def test_the_service_refuses_a_weak_key_in_one_line_naming_the_setting(tmp_path):
    environment = os.environ | {
        "CASEWORK_DATA_DIR": str(tmp_path),
        "CASEWORK_EVENT_KEY": random_key(),
        "CASEWORK_MASTER_KEY": base64.b64encode(bytes(32)).decode(),
    }
    environment.pop("CASEWORK_DATABASE_URL", None)
    refused = subprocess.run(
        [sys.executable, "-c", "from api.cli import main; main()", "serve", "--port", "1"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "casework: refusing to start: CASEWORK_MASTER_KEY is trivially weak (every byte the "
        "same): use 32 random bytes"
    ]


@pytest.mark.parametrize("value", ["staging", "prod", "Production"])
def test_an_unknown_environment_is_refused(value):
    with pytest.raises(ValidationError):
        Settings(environment=value)

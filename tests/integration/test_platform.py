"""Migrations, the committed SDL, settings that refuse insecure production starts."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

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
    from api.keys import load_keys

    settings = Settings(environment="development", data_dir=tmp_path)
    first = load_keys(settings)
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

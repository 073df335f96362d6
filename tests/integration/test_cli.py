"""The operator's command line against the test database."""

from __future__ import annotations

from uuid import UUID

import pytest
from typer.testing import CliRunner

from api.auth import TokenVerifier
from api.cli import cli
from api.seed import seed_demo


@pytest.fixture
def run(server_database, settings, container, monkeypatch):
    monkeypatch.setenv("CASEWORK_DATABASE_URL", server_database.conninfo)
    monkeypatch.setenv("CASEWORK_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CASEWORK_ENVIRONMENT", "test")
    runner = CliRunner()

    def invoke(*args: str) -> str:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    return invoke


def test_trust_create_records_a_trust(run, container):
    trust_id = run("trust", "create", "Birch Trust").strip()
    (event,) = container.app.events.get(UUID(trust_id))
    assert (event.name, event.actor) == ("Birch Trust", "operator:cli")


def test_token_issue_with_a_role_records_the_grant_and_mints_a_valid_token(
    run, container, settings
):
    trust_id = run("trust", "create", "Birch Trust").strip()
    token = run(
        "token",
        "issue",
        "--user",
        "tsl@birch",
        "--role",
        "trust_safeguarding_lead",
        "--trust",
        trust_id,
    ).strip()
    assert TokenVerifier(settings).verify(f"Bearer {token}").user_id == "tsl@birch"
    assert {g.role.value for g in container.app.principal_for("tsl@birch").grants} == {
        "trust_safeguarding_lead"
    }


def test_projections_rebuild_replays_every_view_to_the_head(run, container):
    seed_demo(container)
    run("projections", "rebuild")
    output = run("projections", "status")
    head = str(container.head())
    rebuilt = [n for n, v in container.views.items() if v.rebuildable]
    rows = [
        line
        for line in output.splitlines()
        if any(f"│ {v} " in line or line.startswith(f"│ {v}") for v in rebuilt)
    ]
    assert len(rows) == len(rebuilt)
    for row in rows:
        cells = [c.strip() for c in row.strip("│").split("│")]
        assert (cells[1], cells[2], cells[3], cells[4]) == (head, head, "0", "running")


def test_rebuilding_an_unknown_view_names_the_views(
    server_database, settings, container, monkeypatch
):
    monkeypatch.setenv("CASEWORK_DATABASE_URL", server_database.conninfo)
    monkeypatch.setenv("CASEWORK_DATA_DIR", str(settings.data_dir))
    result = CliRunner().invoke(cli, ["projections", "rebuild", "nonsense"])
    assert result.exit_code != 0
    assert "directory" in result.output


def test_the_ledger_is_never_rebuilt(server_database, settings, container, monkeypatch):
    monkeypatch.setenv("CASEWORK_DATABASE_URL", server_database.conninfo)
    monkeypatch.setenv("CASEWORK_DATA_DIR", str(settings.data_dir))
    result = CliRunner().invoke(cli, ["projections", "rebuild", "ledger"])
    assert result.exit_code != 0
    assert "never rebuilt" in result.output


def test_migrate_twice_is_up_to_date(run):
    run("migrate")
    assert "up to date" in run("migrate")


def test_keys_public_prints_the_ledger_log_key_that_verifies_its_checkpoints(run, container):
    from api.ledger import Checkpointer
    from domain.ledger.note import Verifier, verify_note
    from projections.ledger.queries import latest_checkpoint
    from tests.ledger.world import catch_up_ledger, record_some_history

    record_some_history(container.app)
    catch_up_ledger(container)
    Checkpointer(container.pool, container.keyring, container.settings).tick()
    line = run("keys", "public").strip()
    assert line.startswith("ledger log key: ")
    with container.pool.connection() as conn:
        note = latest_checkpoint(conn)
    assert note is not None
    verify_note(note.note, [Verifier.from_vkey(line.removeprefix("ledger log key: "))])


def test_seed_demo_prints_the_position_a_query_passes_as_min_position_to_see_the_demo(
    run, container
):
    output = run("seed", "demo")
    assert f'"minPosition": "{container.head()}"' in output


def test_seed_demo_run_again_prints_the_store_s_head_as_the_position(run, container):
    seed_demo(container)
    output = run("seed", "demo")
    assert output.startswith("Found")
    assert f'"minPosition": "{container.head()}"' in output

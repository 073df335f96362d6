"""Checkpoints: signed by the log key when the log has grown, kept, served, and pushed to the
configured witnesses, whose co-signatures are kept with them; a witness that refuses is loud."""

from __future__ import annotations

import logging

import httpx
import pytest

from api.ledger import Checkpointer, log_signer
from domain.ledger.note import Verifier, parse_checkpoint, verify_cosignature, verify_note
from projections.ledger.queries import latest_checkpoint
from tests.ledger.world import catch_up_ledger, record_some_history
from tests.processes import free_port
from tests.witnesses import RunningWitness


def _checkpointer(container, settings, witnesses: str = "") -> Checkpointer:
    configured = settings.model_copy(update={"ledger_witnesses": witnesses})
    return Checkpointer(container.pool, container.keyring, configured)


def _latest(container):
    with container.pool.connection() as conn:
        return latest_checkpoint(conn)


def _head(container):
    with container.pool.connection() as conn:
        return conn.execute("SELECT size, root FROM ledger_head").fetchone()


def _witness_status(container):
    with container.pool.connection() as conn:
        return conn.execute("SELECT * FROM ledger_witness_status").fetchall()


@pytest.fixture
def grown(container):
    record_some_history(container.app)
    catch_up_ledger(container)
    return container


def test_a_checkpoint_of_the_grown_log_is_signed_with_the_log_key(grown, settings):
    checkpointer = _checkpointer(grown, settings)
    size = checkpointer.tick()
    checkpoint = _latest(grown)
    note = verify_note(checkpoint.note, [Verifier.from_vkey(checkpointer.signer.vkey())])
    body = parse_checkpoint(note.body)
    head = _head(grown)
    assert (body.size, body.root) == (size, bytes(head["root"])) == (head["size"], head["root"])


def test_the_origin_names_the_deployment_not_a_school(grown, settings):
    checkpointer = _checkpointer(grown, settings)
    checkpointer.tick()
    origin = parse_checkpoint(_latest(grown).note.split("\n\n")[0] + "\n").origin
    assert origin.startswith("safeguarding-casework/")
    assert "Ledger Primary" not in origin


def test_no_checkpoint_is_signed_while_the_log_has_not_grown(grown, settings):
    checkpointer = _checkpointer(grown, settings)
    checkpointer.tick()
    assert checkpointer.tick() is None


def test_the_log_key_is_kept_in_the_key_store_and_is_the_same_for_every_process(grown, settings):
    first = log_signer(grown.keyring, settings).vkey()
    from api.wiring import build

    other = build(settings, database=grown.database, apply_migrations=False)
    try:
        assert log_signer(other.keyring, settings).vkey() == first
    finally:
        other.close()


def test_the_latest_checkpoint_is_served_at_ledger_checkpoint(container, settings, live):
    assert httpx.get(f"{live.url}/ledger/checkpoint").status_code == 404
    record_some_history(container.app)
    container.wait_for(["ledger"], container.head(), timeout=20)
    _checkpointer(container, settings).tick()
    response = httpx.get(f"{live.url}/ledger/checkpoint")
    assert response.status_code == 200
    assert response.text == _latest(container).note


def test_a_witness_cosigns_and_its_cosignature_is_kept_with_the_checkpoint(
    grown, settings, witness
):
    wkey = witness.vkey()
    _checkpointer(grown, settings, f"{witness.url} {wkey}").tick()
    checkpoint = _latest(grown)
    body = checkpoint.note.split("\n\n")[0] + "\n"
    cosignature = checkpoint.note.splitlines()[-1]
    verify_cosignature(body, cosignature, Verifier.from_vkey(wkey))
    (status,) = _witness_status(grown)
    assert (status["state"], status["cosigned_size"]) == ("cosigning", checkpoint.size)


def test_the_next_checkpoint_reaches_the_witness_with_a_consistency_proof(grown, settings, witness):
    checkpointer = _checkpointer(grown, settings, f"{witness.url} {witness.vkey()}")
    first = checkpointer.tick()
    record_some_history(grown.app, "Second Primary", "765432")
    catch_up_ledger(grown)
    second = checkpointer.tick()
    (status,) = _witness_status(grown)
    assert second is not None and first is not None and second > first
    assert (status["state"], status["cosigned_size"]) == ("cosigning", second)


def test_a_witness_that_refuses_is_logged_and_shown_as_refusing(grown, settings, tmp_path, caplog):
    stranger = RunningWitness(tmp_path / "stranger", [_other_log_vkey()])
    stranger.start()
    try:
        with caplog.at_level(logging.ERROR, logger="casework.ledger"):
            _checkpointer(grown, settings, f"{stranger.url} {stranger.vkey()}").tick()
    finally:
        stranger.stop()
    (status,) = _witness_status(grown)
    assert (status["state"], status["http_status"]) == ("refusing", 404)
    assert any("refused" in r.getMessage() for r in caplog.records)


def test_a_witness_that_does_not_answer_is_shown_as_unreachable(grown, settings, witness):
    absent = f"http://127.0.0.1:{free_port()}"
    _checkpointer(grown, settings, f"{absent} {witness.vkey()}").tick()
    (status,) = _witness_status(grown)
    assert status["state"] == "unreachable"


def test_readyz_names_a_witness_that_refuses_without_taking_the_service_out(
    container, settings, live, tmp_path
):
    name = _refused_by_a_stranger(container, settings, tmp_path)
    response = httpx.get(f"{live.url}/readyz")
    assert response.status_code == 200
    assert response.json()["degraded"] == [f"witness {name} refusing"]


def _refused_by_a_stranger(container, settings, tmp_path) -> str:
    """A checkpoint pushed to a witness of another log, which refuses it; the witness's name."""
    record_some_history(container.app)
    container.wait_for(["ledger"], container.head(), timeout=20)
    stranger = RunningWitness(tmp_path / "stranger", [_other_log_vkey()])
    stranger.start()
    try:
        _checkpointer(container, settings, f"{stranger.url} {stranger.vkey()}").tick()
    finally:
        stranger.stop()
    return stranger.vkey().split("+")[0]


def _other_log_vkey() -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from domain.ledger.note import Signer

    return Signer("another.example/log", Ed25519PrivateKey.generate()).vkey()


def test_metrics_show_the_last_audit_and_nothing_before_the_first(container, live):
    from api.audit_cli import run_verification

    record_some_history(container.app)
    container.wait_for(["ledger"], container.head(), timeout=20)
    before = httpx.get(f"{live.url}/metrics").text
    report = run_verification(container, fields=False)
    after = httpx.get(f"{live.url}/metrics").text
    assert "casework_ledger_audit_last_ok" not in before
    assert "casework_ledger_audit_last_ok 1.0" in after
    assert f"casework_ledger_audit_last_tree_size {float(report.tree_size)}" in after
    finished = next(
        line
        for line in after.splitlines()
        if line.startswith("casework_ledger_audit_last_finished_timestamp_seconds ")
    )
    assert report.finished_at is not None
    assert abs(float(finished.split()[1]) - report.finished_at.timestamp()) < 1


def test_metrics_show_an_audit_that_found_a_failure_as_not_ok(container, live):
    from api.audit_cli import run_verification

    record_some_history(container.app)
    container.wait_for(["ledger"], container.head(), timeout=20)
    with container.pool.connection() as conn, conn.transaction():
        conn.execute("ALTER TABLE casework_events DISABLE TRIGGER casework_events_append_only")
        conn.execute(
            "UPDATE casework_events SET state = state || '\\x00'::bytea "
            "WHERE notification_id = (SELECT min(notification_id) FROM casework_events)"
        )
        conn.execute("ALTER TABLE casework_events ENABLE TRIGGER casework_events_append_only")
    assert not run_verification(container, fields=False).ok
    assert "casework_ledger_audit_last_ok 0.0" in httpx.get(f"{live.url}/metrics").text


def test_metrics_show_a_refusing_witness_as_not_cosigning(container, settings, live, tmp_path):
    name = _refused_by_a_stranger(container, settings, tmp_path)
    metrics = httpx.get(f"{live.url}/metrics").text
    assert f'casework_ledger_witness_cosigning{{witness="{name}"}} 0.0' in metrics
    assert "casework_ledger_size" in metrics

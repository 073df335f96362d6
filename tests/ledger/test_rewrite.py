"""Someone with database access rewrites history and re-signs it with the log's own key: the
witness, which co-signed the true history, refuses the rewritten one."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.ledger import Checkpointer, log_signer
from tests.ledger.world import catch_up_ledger, record_some_history
from tests.witnesses import RunningWitness


@pytest.fixture
def witness(tmp_path: Path, container, settings):
    running = RunningWitness(tmp_path / "witness", [log_signer(container.keyring, settings).vkey()])
    running.start()
    yield running
    if running.process and running.process.poll() is None:
        running.stop()


def rewrite_history(container) -> None:
    """Remove the latest stored event (an insider's quiet deletion: no later version refers to
    it), then rebuild the whole ledger over what is left."""
    with container.pool.connection() as conn:
        conn.execute("ALTER TABLE casework_events DISABLE TRIGGER casework_events_append_only")
        conn.execute(
            "DELETE FROM casework_events "
            "WHERE notification_id = (SELECT max(notification_id) FROM casework_events)"
        )
        conn.execute("ALTER TABLE casework_events ENABLE TRIGGER casework_events_append_only")
        conn.execute("TRUNCATE ledger_entries, ledger_tiles, ledger_head")
        conn.execute(
            "UPDATE projection_tracking SET notification_id = 0 WHERE application_name = 'ledger'"
        )
        conn.commit()


def _status(container):
    with container.pool.connection() as conn:
        return conn.execute("SELECT * FROM ledger_witness_status").fetchone()


def test_a_rewritten_history_re_signed_with_the_log_key_is_refused_by_the_witness(
    container, settings, witness
):
    configured = settings.model_copy(update={"ledger_witnesses": f"{witness.url} {witness.vkey()}"})
    record_some_history(container.app)
    catch_up_ledger(container)
    Checkpointer(container.pool, container.keyring, configured).tick()
    cosigned = _status(container)["cosigned_size"]
    rewrite_history(container)
    record_some_history(container.app, "Later Primary", "876543")  # the log grows past it
    catch_up_ledger(container)
    Checkpointer(container.pool, container.keyring, configured).tick()
    status = _status(container)
    assert (status["state"], status["http_status"]) == ("refusing", 422)
    assert status["cosigned_size"] == cosigned  # the witness still stands by the true history

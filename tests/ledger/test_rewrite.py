"""Someone with database access rewrites history and re-signs it with the log's own key: the
witness, which co-signed the true history, refuses the rewritten one."""

from __future__ import annotations

from api.ledger import Checkpointer
from tests.ledger.world import catch_up_ledger, record_some_history, rewrite_history


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

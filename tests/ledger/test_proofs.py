"""Proofs anyone can check: `casework ledger proof` and GraphQL `ledgerProof` hand out C2SP
tlog-proofs that `casework verify-proof` checks as a real process with only the files and the
public keys; `ledgerProof` answers only those who may read the record it proves, and the same
to everyone else; `ledgerStatus` shows the ledger's health."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from api.ledger import Checkpointer, log_signer
from api.ledger_proofs import prove
from domain.ledger.verify_proof import verify_proof
from domain.shared.actor import acting_as
from projections.ledger.queries import latest_checkpoint
from tests import builders as make
from tests.api_client import Client
from tests.conftest import LiveServer
from tests.ledger.world import catch_up_ledger, record_some_history

CASEWORK = Path(sys.executable).parent / "casework"
HEAD = "head@Proof Primary"
OTHER_HEAD = "head@Other Primary"
PROOF = (
    "query($p: Position!) { ledgerProof(position: $p) { position leafIndex treeSize entry "
    "proof checkpoint } }"
)
STATUS = (
    "{ ledgerStatus { checkpoint { size root signedAt } size head integratedPosition lag "
    "witnesses { name url state cosignedSize lastError updatedAt } lastVerification { ok "
    "eventsChecked treeSize fieldsChecked fieldsCheckedFrom failureKind failurePosition startedAt "
    "finishedAt } } }"
)


def _env(server_database: Any, settings: Any) -> dict[str, str]:
    return os.environ | {
        "CASEWORK_DATABASE_URL": server_database.conninfo,
        "CASEWORK_DATA_DIR": str(settings.data_dir),
        "CASEWORK_ENVIRONMENT": "test",
    }


def _bare_env() -> dict[str, str]:
    """No setting at all: the verifier must need none."""
    return {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}


def casework(
    *args: str, env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CASEWORK), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def verify(tmp: Path, proof: str, *keys: str) -> subprocess.CompletedProcess:
    """`casework verify-proof` in an empty directory with nothing but the proof file."""
    alone = tmp / "alone"
    alone.mkdir(exist_ok=True)
    (alone / "record.tlog-proof").write_text(proof, encoding="utf-8")
    return casework("verify-proof", "record.tlog-proof", *keys, env=_bare_env(), cwd=alone)


def first_position(container: Any, record_id: UUID) -> int:
    with container.pool.connection() as conn:
        row = conn.execute(
            "SELECT position FROM ledger_entries WHERE originator_id = %s "
            "ORDER BY originator_version LIMIT 1",
            (record_id,),
        ).fetchone()
    assert row is not None
    return int(row["position"])


def checkpoint(container: Any, settings: Any, witnesses: str = "") -> int | None:
    configured = settings.model_copy(update={"ledger_witnesses": witnesses})
    return Checkpointer(container.pool, container.keyring, configured).tick()


@pytest.fixture
def world(container: Any) -> dict[str, Any]:
    made = record_some_history(container.app, "Proof Primary", "700001")
    record_some_history(container.app, "Other Primary", "700002")
    catch_up_ledger(container)
    return made


@pytest.fixture
def log_key(server_database: Any, settings: Any, container: Any) -> str:
    printed = casework("keys", "public", env=_env(server_database, settings))
    assert printed.returncode == 0, printed.stderr
    return printed.stdout.strip().removeprefix("ledger log key: ")


@pytest.fixture
def served(container: Any) -> Iterator[LiveServer]:
    """The live service without projection workers: the test moves the ledger itself."""
    with LiveServer(container, projections="none") as server:
        yield server


def client(served: LiveServer, settings: Any, user: str) -> Client:
    return Client(served.url, settings, user)


# --- the command line ------------------------------------------------------------------------


def test_a_cli_proof_verifies_offline_with_only_the_file_and_the_public_keys(
    world, container, settings, server_database, log_key, witness, tmp_path
):
    checkpoint(container, settings, f"{witness.url} {witness.vkey()}")
    position = first_position(container, world["pupil"])
    out = tmp_path / "pupil.tlog-proof"
    made = casework(
        "ledger", "proof", str(position), "--out", str(out), env=_env(server_database, settings)
    )
    assert made.returncode == 0, made.stderr
    checked = verify(
        tmp_path, out.read_text(), "--log-key", log_key, "--witness-key", witness.vkey()
    )
    assert checked.returncode == 0, checked.stderr
    assert f"event at position {position}" in checked.stdout
    assert f"record {world['pupil']} version 1" in checked.stdout
    assert "co-signed by witness" in checked.stdout


def test_a_proof_after_the_log_grew_is_against_the_new_checkpoint_and_still_verifies(
    world, container, settings, server_database, log_key, tmp_path
):
    env = _env(server_database, settings)
    position = first_position(container, world["pupil"])
    checkpoint(container, settings)
    before = casework("ledger", "proof", str(position), env=env).stdout
    with acting_as(container.app.principal_for(HEAD)):
        make.pupil(container.app, world["school"], "Later Pupil")
    catch_up_ledger(container)
    grown = checkpoint(container, settings)
    after = casework("ledger", "proof", str(position), env=env)
    assert after.returncode == 0, after.stderr
    assert after.stdout != before and f"\n{grown}\n" in after.stdout
    for proof in (before, after.stdout):
        checked = verify(tmp_path, proof, "--log-key", log_key)
        assert checked.returncode == 0, checked.stderr


def test_a_position_no_checkpoint_covers_yet_is_a_clear_error(
    world, container, settings, server_database
):
    position = first_position(container, world["pupil"])
    refused = casework("ledger", "proof", str(position), env=_env(server_database, settings))
    assert refused.returncode != 0
    assert "no checkpoint covers position" in refused.stderr


def test_a_position_the_ledger_has_not_reached_is_a_clear_error(
    world, container, settings, server_database
):
    checkpoint(container, settings)
    refused = casework("ledger", "proof", "999999", env=_env(server_database, settings))
    assert refused.returncode != 0
    assert "no event at position 999999 is in the ledger" in refused.stderr


def test_verify_proof_refuses_a_proof_checked_with_another_log_key(
    world, container, settings, server_database, tmp_path
):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from domain.ledger.note import Signer

    checkpoint(container, settings)
    position = first_position(container, world["pupil"])
    proof = casework("ledger", "proof", str(position), env=_env(server_database, settings)).stdout
    origin = log_signer(container.keyring, settings).name
    impostor = Signer(origin, Ed25519PrivateKey.generate()).vkey()
    checked = verify(tmp_path, proof, "--log-key", impostor)
    assert checked.returncode == 1
    assert "proof rejected: the checkpoint is not signed by the log key" in checked.stderr


# --- GraphQL ---------------------------------------------------------------------------------


def test_a_graphql_proof_for_an_authorised_reader_verifies_offline(
    world, container, settings, served, log_key, tmp_path
):
    checkpoint(container, settings)
    position = first_position(container, world["case"])
    proof = client(served, settings, HEAD).data(PROOF, {"p": str(position)})["ledgerProof"]
    assert proof["position"] == str(position)
    assert proof["proof"].endswith(proof["checkpoint"])
    entry = tmp_path / "entry.json"
    entry.write_text(proof["entry"], encoding="utf-8")
    checked = verify(tmp_path, proof["proof"], "--log-key", log_key, "--entry", str(entry))
    assert checked.returncode == 0, checked.stderr
    assert f"leaf {proof['leafIndex']}: event at position {position}" in checked.stdout


def _subject(container: Any, world: dict[str, Any]) -> tuple[str, UUID]:
    """A headteacher of the school who is the subject of their own staff record."""
    app = container.app
    with acting_as(app.principal_for(HEAD)):
        staff_id = make.staff(app, world["school"], "Sam Subject", "teacher", user_id="sam@proof")
    from domain.shared.policy import Principal

    with acting_as(Principal.operator("tests")):
        make.grant(app, "sam@proof", "headteacher", world["trust"], world["school"])
    catch_up_ledger(container)
    return "sam@proof", staff_id


def _answer(served: LiveServer, settings: Any, user: str, position: int) -> dict[str, Any]:
    body = client(served, settings, user).gql(PROOF, {"p": str(position)})
    assert body["data"] is None
    (error,) = body["errors"]
    return {"message": error["message"], "code": error["extensions"]["code"]}


def test_another_school_the_records_subject_and_an_unknown_position_get_the_same_answer(
    world, container, settings, served
):
    subject, staff_id = _subject(container, world)
    checkpoint(container, settings)
    own_record = first_position(container, staff_id)
    pupil = first_position(container, world["pupil"])
    visible = client(served, settings, HEAD).data(PROOF, {"p": str(own_record)})
    assert visible["ledgerProof"]["position"] == str(own_record)
    answers = [
        _answer(served, settings, OTHER_HEAD, pupil),
        _answer(served, settings, subject, own_record),
        _answer(served, settings, HEAD, 999_999),
    ]
    assert answers[0]["code"] == "NOT_FOUND"
    assert answers[0] == answers[1] == answers[2]


def test_a_position_the_ledger_has_not_reached_answers_as_an_unknown_one(
    world, container, settings, served
):
    checkpoint(container, settings)
    with acting_as(container.app.principal_for(HEAD)):
        later = make.pupil(container.app, world["school"], "Not Yet Logged")
    position = container.head()
    assert later and _answer(served, settings, HEAD, position) == _answer(
        served, settings, HEAD, 999_999
    )


def test_reads_and_refused_attempts_on_restricted_records_are_in_the_access_log(
    world, container, settings, served
):
    subject, staff_id = _subject(container, world)
    checkpoint(container, settings)
    pupil = first_position(container, world["pupil"])
    client(served, settings, HEAD).data(PROOF, {"p": str(pupil)})
    _answer(served, settings, OTHER_HEAD, pupil)
    _answer(served, settings, subject, first_position(container, staff_id))
    with container.pool.connection() as conn:
        rows = conn.execute(
            "SELECT action, record_type, record_id, outcome FROM access_log "
            "WHERE action = 'ledger_proof' ORDER BY entry_id"
        ).fetchall()
    logged = [(r["record_type"], r["record_id"], r["outcome"]) for r in rows]
    assert logged == [
        ("pupil", world["pupil"], "read"),
        ("pupil", world["pupil"], "refused"),
        ("staff_member", staff_id, "refused"),
    ]


def test_ledger_status_shows_the_checkpoint_lag_witness_and_last_verification(
    world, container, settings, served, witness
):
    from domain.shared.policy import Principal

    with acting_as(Principal.operator("tests")):
        make.grant(container.app, "dpo@proof", "dpo", world["trust"])
    catch_up_ledger(container)
    signed = checkpoint(container, settings, f"{witness.url} {witness.vkey()}")
    with container.pool.connection() as conn:
        conn.execute(
            "INSERT INTO ledger_verifications (started_at, finished_at, ok, events_checked, "
            "tree_size, checkpoints_checked, fields_checked, fields_from) "
            "VALUES (now() - interval '1 minute', now(), true, %s, %s, 1, true, %s)",
            (signed, signed, signed - 1),
        )
    with acting_as(container.app.principal_for(HEAD)):
        make.pupil(container.app, world["school"], "Waiting Pupil")  # written, not yet a leaf
    status = client(served, settings, "dpo@proof").data(STATUS)["ledgerStatus"]
    assert status["checkpoint"]["size"] == signed == status["size"]
    assert status["lag"] >= 1 and int(status["head"]) == container.head()
    assert int(status["head"]) - int(status["integratedPosition"]) == status["lag"]
    (seen,) = status["witnesses"]
    assert (seen["url"], seen["state"], seen["cosignedSize"]) == (witness.url, "cosigning", signed)
    assert status["lastVerification"]["ok"] is True
    assert status["lastVerification"]["eventsChecked"] == signed
    assert status["lastVerification"]["fieldsChecked"] is True
    assert status["lastVerification"]["fieldsCheckedFrom"] == signed - 1


def test_ledger_status_is_not_for_a_school_role(world, container, settings, served):
    body = client(served, settings, HEAD).gql(STATUS)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] in {"NOT_FOUND", "NOT_AUTHORISED"}


# --- disclosures: what a bundle reveals of an entry --------------------------------------------


def test_a_fields_disclosure_shows_its_logged_value_and_a_field_not_disclosed_stays_a_digest(
    world, container, settings
):
    checkpoint(container, settings)
    position = first_position(container, world["pupil"])
    notification = container.app.recorder.select_notifications(start=position, limit=1)[0]
    worker = catch_up_ledger(container)
    event = worker.mapper.to_domain_event(notification)
    stored = worker.maker.read(notification, event)
    shown = worker.maker.disclosures(stored, ["full_name", "year_group"])
    with container.pool.connection() as conn:
        pinned = latest_checkpoint(conn)
        proof = prove(conn, position, pinned)
    log_key = log_signer(container.keyring, settings).vkey()
    verified = verify_proof(proof.text, [log_key], disclosures=shown.values())
    assert proof.checkpoint_note == pinned.note
    assert verified.disclosed == {"full_name": "Philippa Ledger", "year_group": event.year_group}
    assert set(shown) == {"full_name", "year_group"}  # date_of_birth: only its digest

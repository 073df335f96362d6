"""The witness as it runs: `casework witness serve` in its own process, spoken to over real HTTP
by the log's client, and restarted to show that what it co-signed survives it."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.witness_client import WitnessRefused, WitnessUnreachable, add_checkpoint
from domain.ledger.merkle import LeafNodes, consistency_proof, leaf_hash, tree_root
from domain.ledger.note import (
    Checkpoint,
    Signer,
    Verifier,
    sign_note,
    verify_cosignature,
    verify_note,
)
from tests.processes import free_port
from tests.witnesses import RunningWitness

ORIGIN = "example.test/log"
LEAVES = [leaf_hash(b"event %d" % i) for i in range(40)]
TREE = LeafNodes(LEAVES)


@pytest.fixture
def log() -> Signer:
    return Signer(ORIGIN, Ed25519PrivateKey.generate())


@pytest.fixture
def witness(tmp_path: Path, log: Signer) -> Iterator[RunningWitness]:
    running = RunningWitness(tmp_path / "witness", [log.vkey()])
    running.start()
    yield running
    if running.process and running.process.poll() is None:
        running.stop()


def checkpoint_note(log: Signer, size: int, origin: str = ORIGIN) -> tuple[str, str]:
    body = Checkpoint(origin, size, tree_root(TREE, size)).body()
    return body, sign_note(body, [log])


def submit(witness: RunningWitness, log: Signer, old: int, new: int) -> list[str]:
    _, note = checkpoint_note(log, new)
    return add_checkpoint(witness.url, old, consistency_proof(TREE, old, new), note, timeout=10)


def test_the_first_checkpoint_is_cosigned_and_the_cosignature_verifies_with_the_witness_vkey(
    witness, log
):
    body, note = checkpoint_note(log, 5)
    lines = add_checkpoint(witness.url, 0, [], note, timeout=10)
    vkey = Verifier.from_vkey(witness.vkey())
    assert len(lines) == 1
    assert abs(verify_cosignature(body, lines[0], vkey) - time.time()) < 60
    assert verify_note(note + lines[0], [vkey]).verified[0].name == vkey.name


def test_a_consistent_larger_checkpoint_is_cosigned_after_the_first(witness, log):
    submit(witness, log, 0, 5)
    body, _ = checkpoint_note(log, 13)
    line = submit(witness, log, 5, 13)[0]
    verify_cosignature(body, line, Verifier.from_vkey(witness.vkey()))


def test_a_stale_old_size_is_answered_409_with_the_witness_size(witness, log):
    submit(witness, log, 0, 8)
    with pytest.raises(WitnessRefused) as refused:
        submit(witness, log, 5, 13)
    assert (refused.value.status, refused.value.size) == (409, 8)


def test_a_checkpoint_smaller_than_the_witness_size_is_answered_409(witness, log):
    submit(witness, log, 0, 8)
    with pytest.raises(WitnessRefused) as refused:
        submit(witness, log, 3, 6)
    assert (refused.value.status, refused.value.size) == (409, 8)


def test_an_old_size_above_the_checkpoint_size_is_answered_400(witness, log):
    _, note = checkpoint_note(log, 4)
    with pytest.raises(WitnessRefused) as refused:
        add_checkpoint(witness.url, 6, [], note, timeout=10)
    assert refused.value.status == 400


def test_a_bad_consistency_proof_is_answered_422_and_changes_nothing(witness, log):
    submit(witness, log, 0, 5)
    _, note = checkpoint_note(log, 13)
    wrong = consistency_proof(TREE, 6, 13)
    with pytest.raises(WitnessRefused) as refused:
        add_checkpoint(witness.url, 5, wrong, note, timeout=10)
    assert refused.value.status == 422
    assert submit(witness, log, 5, 13)


def test_a_checkpoint_of_a_forked_tree_is_answered_422(witness, log):
    submit(witness, log, 0, 5)
    forked = LeafNodes([leaf_hash(b"rewritten"), *LEAVES[1:]])
    body = Checkpoint(ORIGIN, 13, tree_root(forked, 13)).body()
    with pytest.raises(WitnessRefused) as refused:
        add_checkpoint(
            witness.url, 5, consistency_proof(forked, 5, 13), sign_note(body, [log]), timeout=10
        )
    assert refused.value.status == 422


def test_a_proof_from_the_empty_tree_must_be_empty(witness, log):
    _, note = checkpoint_note(log, 5)
    with pytest.raises(WitnessRefused) as refused:
        add_checkpoint(witness.url, 0, consistency_proof(TREE, 2, 5), note, timeout=10)
    assert refused.value.status == 422


def test_a_checkpoint_signed_by_an_unknown_key_is_answered_403(witness):
    impostor = Signer(ORIGIN, Ed25519PrivateKey.generate())
    _, note = checkpoint_note(impostor, 5)
    with pytest.raises(WitnessRefused) as refused:
        add_checkpoint(witness.url, 0, [], note, timeout=10)
    assert refused.value.status == 403


def test_a_checkpoint_whose_known_signature_fails_is_answered_403(witness, log):
    body, note = checkpoint_note(log, 5)
    tampered = note.replace(body, Checkpoint(ORIGIN, 6, tree_root(TREE, 6)).body())
    with pytest.raises(WitnessRefused) as refused:
        add_checkpoint(witness.url, 0, [], tampered, timeout=10)
    assert refused.value.status == 403


def test_a_checkpoint_of_an_unknown_origin_is_answered_404(witness):
    stranger = Signer("example.test/other", Ed25519PrivateKey.generate())
    _, note = checkpoint_note(stranger, 5, origin="example.test/other")
    with pytest.raises(WitnessRefused) as refused:
        add_checkpoint(witness.url, 0, [], note, timeout=10)
    assert refused.value.status == 404


def test_a_malformed_request_is_answered_400(witness, log):
    _, note = checkpoint_note(log, 5)
    with pytest.raises(WitnessRefused) as refused:
        add_checkpoint(witness.url, 0, [], note.replace("\n5\n", "\n05\n"), timeout=10)
    assert refused.value.status == 400


def test_after_a_restart_the_witness_remembers_its_size_and_keeps_its_key(witness, log):
    vkey = witness.vkey()
    submit(witness, log, 0, 8)
    assert witness.stop() == 0
    witness.start()
    assert witness.vkey() == vkey
    with pytest.raises(WitnessRefused) as refused:
        submit(witness, log, 0, 8)
    assert (refused.value.status, refused.value.size) == (409, 8)
    body, _ = checkpoint_note(log, 21)
    verify_cosignature(body, submit(witness, log, 8, 21)[0], Verifier.from_vkey(vkey))


def test_serve_prints_the_witness_vkey_and_exits_cleanly_on_sigterm(witness):
    assert witness.stop() == 0
    assert witness.vkey() in witness.output()


def test_the_key_file_is_readable_by_its_owner_only(witness):
    assert (witness.state / "key.pem").stat().st_mode & 0o777 == 0o600


def test_a_second_witness_on_the_same_state_refuses_to_start(witness):
    second = subprocess.run(
        [*witness.command(), "--port", str(free_port()), "--log", witness.log_vkeys[0]],
        capture_output=True,
        timeout=30,
    )
    assert second.returncode != 0


def test_a_witness_that_does_not_answer_is_unreachable(log):
    _, note = checkpoint_note(log, 5)
    with pytest.raises(WitnessUnreachable):
        add_checkpoint(f"http://127.0.0.1:{free_port()}", 0, [], note, timeout=2)


def test_of_concurrent_first_submissions_exactly_one_is_cosigned_and_the_rest_see_its_size(
    witness, log
):
    def attempt(size: int) -> int | None:
        try:
            submit(witness, log, 0, size)
        except WitnessRefused as refused:
            assert refused.status == 409
            return refused.size
        return None

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(attempt, range(1, 9)))
    winners = [size for size, answer in zip(range(1, 9), answers, strict=True) if answer is None]
    assert len(winners) == 1
    assert {answer for answer in answers if answer is not None} == set(winners)

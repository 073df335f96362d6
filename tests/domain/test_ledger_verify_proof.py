"""The offline verifier: a good proof is accepted and says what it showed; each way a proof can
be wrong is rejected with its reason."""

from __future__ import annotations

from base64 import b64encode
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.ledger.entry import Entry, digest, disclosure, salt
from domain.ledger.merkle import LeafNodes, inclusion_proof, leaf_hash, root_of
from domain.ledger.note import Checkpoint, Signer, cosign, sign_note
from domain.ledger.proof_format import format_proof
from domain.ledger.verify_proof import ProofRejected, verify_proof

ORIGIN = "safeguarding-casework/test"
AGGREGATE = UUID("0b5e3c9e-6a0e-4f3b-9d8e-2f1f4c1a7b10")
SALT = salt([b"k" * 32], AGGREGATE, 3, "name")
NAME_DISCLOSURE = disclosure(SALT, "name", "Philippa Ledger")
INDEX = 5


def _entry(index: int) -> Entry:
    return Entry(
        index=index,
        position=100 + index * 2,
        aggregate_id=AGGREGATE,
        version=index + 1,
        topic="domain.directory.aggregates:Pupil.Registered",
        recorded_at="2026-03-01T09:00:00+00:00",
        state_sha256="ab" * 32,
        previous=None,
        fields={"name": digest(NAME_DISCLOSURE), "school_id": digest("eA")},
    )


ENTRIES = [_entry(i).canonical() for i in range(11)]
LEAVES = [leaf_hash(e) for e in ENTRIES]
LOG = Signer(ORIGIN, Ed25519PrivateKey.generate())
WITNESS = Signer("witness.example", Ed25519PrivateKey.generate())
OTHER_WITNESS = Signer("witness2.example", Ed25519PrivateKey.generate())


def _note(signer: Signer = LOG, witnessed: bool = True, leaves: list[bytes] = LEAVES) -> str:
    body = Checkpoint(ORIGIN, len(leaves), root_of(leaves)).body()
    note = sign_note(body, [signer])
    return note + (cosign(body, WITNESS, 1_700_000_000) if witnessed else "")


def _proof(
    index: int = INDEX,
    hashes: list[bytes] | None = None,
    extra: bytes | None = None,
    note: str | None = None,
) -> str:
    return format_proof(
        index,
        inclusion_proof(LeafNodes(LEAVES), index, len(LEAVES)) if hashes is None else hashes,
        _note() if note is None else note,
        ENTRIES[index] if extra is None else extra,
    )


def _rejected(**kwargs: object) -> str:
    proof = kwargs.pop("proof", None) or _proof()
    with pytest.raises(ProofRejected) as rejected:
        verify_proof(str(proof), [LOG.vkey()], **kwargs)  # type: ignore[arg-type]
    return rejected.value.reason


def test_a_good_proof_is_accepted_and_says_where_the_record_is():
    verified = verify_proof(_proof(), [LOG.vkey()], [WITNESS.cosignature_vkey()])
    assert (verified.origin, verified.size, verified.index) == (ORIGIN, 11, INDEX)
    assert (verified.position, verified.aggregate, verified.version) == (110, str(AGGREGATE), 6)
    assert verified.witnesses == ("witness.example",)
    assert verified.cosigned_at == {"witness.example": 1_700_000_000}


def test_a_disclosed_field_is_shown_with_its_value():
    verified = verify_proof(_proof(), [LOG.vkey()], disclosures=[NAME_DISCLOSURE])
    assert verified.disclosed == {"name": "Philippa Ledger"}


def test_the_entry_given_as_a_file_may_end_in_a_newline():
    verified = verify_proof(_proof(), [LOG.vkey()], entry=ENTRIES[INDEX] + b"\n")
    assert verified.entry == ENTRIES[INDEX]


def test_a_proof_without_extra_data_is_checked_against_the_entry_given():
    proof = _proof()
    bare = "\n".join(line for line in proof.split("\n") if not line.startswith("extra "))
    assert verify_proof(bare, [LOG.vkey()], entry=ENTRIES[INDEX]).index == INDEX
    assert "carries no entry" in _rejected(proof=bare)


def test_a_checkpoint_signed_by_another_log_key_is_rejected():
    impostor = Signer(ORIGIN, Ed25519PrivateKey.generate())
    assert "not signed by the log key" in _rejected(proof=_proof(note=_note(impostor)))


def test_a_wrong_log_key_is_rejected():
    other = Signer(ORIGIN, Ed25519PrivateKey.generate())
    with pytest.raises(ProofRejected, match="not signed by the log key"):
        verify_proof(_proof(), [other.vkey()])


def test_a_log_key_not_named_as_the_origin_is_rejected():
    renamed = Signer("another-log", LOG._key)
    with pytest.raises(ProofRejected, match="origin"):
        verify_proof(_proof(note=_note(renamed)), [renamed.vkey()])


def test_a_witness_key_given_must_have_co_signed():
    with pytest.raises(ProofRejected, match=r"witness2\.example has not co-signed"):
        verify_proof(_proof(), [LOG.vkey()], [OTHER_WITNESS.cosignature_vkey()])


def test_an_invalid_co_signature_is_rejected():
    body = Checkpoint(ORIGIN, 11, root_of(LEAVES)).body()
    forged = cosign(body.replace(ORIGIN, ORIGIN + "x"), WITNESS, 1_700_000_000)
    note = sign_note(body, [LOG]) + forged
    with pytest.raises(ProofRejected, match="does not verify"):
        verify_proof(_proof(note=note), [LOG.vkey()], [WITNESS.cosignature_vkey()])


def test_a_proof_without_co_signatures_is_rejected_when_a_witness_is_required():
    with pytest.raises(ProofRejected, match="has not co-signed"):
        verify_proof(
            _proof(note=_note(witnessed=False)), [LOG.vkey()], [WITNESS.cosignature_vkey()]
        )


def test_a_tampered_entry_is_rejected():
    tampered = ENTRIES[INDEX].replace(b'"version":6', b'"version":7')
    assert tampered != ENTRIES[INDEX]
    assert "not in the checkpoint's tree" in _rejected(proof=_proof(extra=tampered))


def test_an_entry_file_that_differs_from_the_proofs_entry_is_rejected():
    assert "not the entry the proof carries" in _rejected(entry=ENTRIES[INDEX - 1])


def test_a_wrong_index_is_rejected():
    wrong = format_proof(
        INDEX + 1, inclusion_proof(LeafNodes(LEAVES), INDEX, 11), _note(), ENTRIES[INDEX]
    )
    assert "not in the checkpoint's tree" in _rejected(proof=wrong)


def test_an_entry_naming_another_leaf_than_the_proofs_index_is_rejected():
    # A tree whose leaf 5 holds an entry that says it is leaf 4: the inclusion proof holds,
    # the entry's own index does not.
    leaves = list(LEAVES)
    leaves[INDEX] = LEAVES[INDEX - 1]
    proof = format_proof(
        INDEX, inclusion_proof(LeafNodes(leaves), INDEX, 11), _note(leaves=leaves), ENTRIES[4]
    )
    assert "names leaf 4" in _rejected(proof=proof)


def test_a_tampered_hash_is_rejected():
    hashes = inclusion_proof(LeafNodes(LEAVES), INDEX, 11)
    hashes[1] = bytes(32)
    assert "not in the checkpoint's tree" in _rejected(proof=_proof(hashes=hashes))


def test_a_tampered_root_is_rejected_by_the_log_signature():
    root = b64encode(root_of(LEAVES)).decode()
    forged = _proof().replace(root, b64encode(bytes(32)).decode())
    assert "not signed by the log key" in _rejected(proof=forged)


def test_a_disclosure_that_does_not_match_is_rejected():
    other = disclosure(SALT, "name", "Someone Else")
    assert "does not match" in _rejected(disclosures=[other])


def test_a_disclosure_of_a_field_the_entry_does_not_hold_is_rejected():
    assert "no digest of a field 'dob'" in _rejected(disclosures=[disclosure(SALT, "dob", "x")])


def test_a_text_that_is_not_a_proof_is_rejected():
    assert "not a tlog-proof" in _rejected(proof="hello\n\nworld\n")


def test_a_witness_key_given_as_a_log_key_is_rejected():
    with pytest.raises(ProofRejected, match="wrong type"):
        verify_proof(_proof(), [WITNESS.cosignature_vkey()])

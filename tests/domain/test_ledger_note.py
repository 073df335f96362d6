"""Signed notes, checkpoints, cosignatures and tlog-proof files, byte for byte as C2SP fixes
them. The vectors come from the specifications, the Go reference (golang.org/x/mod/sumdb/note)
and a real checkpoint of a public log co-signed by public witnesses: interop, not round trips
alone."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from domain.ledger.merkle import LeafNodes, inclusion_proof, leaf_hash, tree_root
from domain.ledger.note import (
    COSIGNATURE_V1,
    Checkpoint,
    NoteMalformed,
    NoteRejected,
    Signature,
    Signer,
    Verifier,
    cosign,
    cosignature_timestamp,
    parse_checkpoint,
    parse_note,
    parse_signature_line,
    sign_note,
    verify_cosignature,
    verify_note,
)
from domain.ledger.proof_format import ProofMalformed, format_proof, parse_proof

# golang.org/x/mod/sumdb/note, note_test.go
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
PETER_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXg"
    "KvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01o"
    "OTGwnWLox33WWd1RvMc+QQ=\n"
)

# c2sp.org/signed-note, "Example"
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6T"
    "fXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)

# A checkpoint of the public log arche2025h1.staging.ct.transparency.dev, with the log's
# Ed25519 signature and the cosignatures of three public witnesses whose keys follow.
ARCHE_VKEY = (
    "arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f"
)
WITNESS_VKEYS = (
    "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
    "transparency.dev/DEV:witness-little-garden+d8042a87+BCtusOxINQNUTN5Oj8HObRkh2yHf/MwYaGX4CPdiVEPM",
    "witness1.smartit.nu/witness1+a48c820f+BPSFWg9G6KPiO7QPryYO5Xq4oYJJ+kAvLKLSimDhoxMO",
)
ARCHE_BODY = (
    "arche2025h1.staging.ct.transparency.dev\n1432088532\n"
    "U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n"
)
ARCHE_SIGNATURES = (
    "\u2014 arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLf"
    "QFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=\n"
    "\u2014 arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27l"
    "efwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=\n"
    "\u2014 transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd"
    "8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==\n"
    "\u2014 witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8e"
    "O0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==\n"
    "\u2014 remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+a"
    "VCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==\n"
)
ARCHE_NOTE = ARCHE_BODY + "\n" + ARCHE_SIGNATURES


def peter() -> Signer:
    seed = base64.b64decode(PETER_SKEY.split("+", 4)[4])[1:]
    return Signer("PeterNeumann", Ed25519PrivateKey.from_private_bytes(seed))


def new_signer(name: str = "example.test/log") -> Signer:
    return Signer(name, Ed25519PrivateKey.generate())


def a_checkpoint(size: int = 3) -> Checkpoint:
    leaves = [leaf_hash(b"entry %d" % i) for i in range(size)]
    return Checkpoint("example.test/log", size, tree_root(LeafNodes(leaves), size))


# --- verifier keys ---------------------------------------------------------------------------


def test_a_signer_s_vkey_is_the_go_reference_s_for_the_same_key():
    assert peter().vkey() == PETER_VKEY


def test_a_vkey_parses_to_its_name_type_and_key_id():
    verifier = Verifier.from_vkey(PETER_VKEY)
    assert (verifier.name, verifier.key_type, verifier.key_id.hex()) == (
        "PeterNeumann",
        1,
        "c74f20a3",
    )
    assert verifier.vkey() == PETER_VKEY


def test_a_cosignature_vkey_of_a_public_witness_parses_with_its_key_id():
    verifier = Verifier.from_vkey(WITNESS_VKEYS[0])
    assert (verifier.key_type, verifier.key_id.hex()) == (COSIGNATURE_V1, "da77ade7")


def test_a_vkey_whose_base64_holds_a_plus_parses():
    assert Verifier.from_vkey("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6")


@pytest.mark.parametrize(
    "vkey",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong id
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # upper-case hex
        "PeterNeuman+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # other name
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",  # not base64
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",  # length
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # unknown type
        "PeterNeumann+c74f20a3",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_a_mangled_vkey_is_refused(vkey):
    with pytest.raises(NoteMalformed):
        Verifier.from_vkey(vkey)


@pytest.mark.parametrize("name", ["", "a+b", "a b", "a\u00a0b", "tab\there"])
def test_a_key_name_with_a_space_or_a_plus_or_none_at_all_is_refused(name):
    with pytest.raises(NoteMalformed):
        new_signer(name)


# --- signed notes ----------------------------------------------------------------------------


def test_signing_gives_the_go_reference_s_bytes():
    assert sign_note(PETER_TEXT, [peter()]) == PETER_TEXT + "\n" + PETER_SIG


def test_the_signed_note_specification_s_example_verifies():
    note = verify_note(SPEC_NOTE, [Verifier.from_vkey(SPEC_VKEY)])
    assert note.body == "This is an example message.\n"


def test_signatures_from_unknown_keys_are_ignored_but_kept():
    note = verify_note(PETER_TEXT + "\n" + PETER_SIG + ENOCH_SIG, [Verifier.from_vkey(PETER_VKEY)])
    assert [s.name for s in note.verified] == ["PeterNeumann"]
    assert [s.name for s in note.signatures] == ["PeterNeumann", "EnochRoot"]


def test_a_note_with_no_signature_by_a_known_key_is_rejected():
    with pytest.raises(NoteRejected):
        verify_note(PETER_TEXT + "\n" + ENOCH_SIG, [Verifier.from_vkey(PETER_VKEY)])


def test_a_tampered_body_is_rejected():
    tampered = PETER_TEXT.replace("answer", "Answer") + "\n" + PETER_SIG
    with pytest.raises(NoteRejected):
        verify_note(tampered, [Verifier.from_vkey(PETER_VKEY)])


def test_a_failing_signature_by_a_known_key_rejects_the_note_even_beside_a_good_one():
    bad = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(NoteRejected):
        verify_note(PETER_TEXT + "\n" + PETER_SIG + bad, [Verifier.from_vkey(PETER_VKEY)])


def test_a_signature_matching_a_known_name_but_not_its_key_id_is_ignored():
    other = new_signer("PeterNeumann")
    note = sign_note(PETER_TEXT, [other]) + PETER_SIG
    assert verify_note(note, [Verifier.from_vkey(PETER_VKEY)]).verified[0].key_id.hex() == (
        "c74f20a3"
    )


def test_a_note_body_may_hold_blank_lines_and_ends_at_the_last_one():
    body = "first\n\nthird\n\n"
    signer = new_signer()
    assert verify_note(sign_note(body, [signer]), [signer.verifier()]).body == body


@pytest.mark.parametrize(
    "text",
    [
        PETER_TEXT,
        PETER_TEXT + "\n",
        PETER_TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + PETER_TEXT + "\n" + PETER_SIG,
        PETER_TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Bad Name"),
        PETER_TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        PETER_TEXT + "\n" + PETER_SIG * 101,
        PETER_TEXT + "\n" + PETER_SIG.replace("\u2014", "-"),
        PETER_TEXT.replace("\n", "\r\n") + "\r\n" + PETER_SIG,
    ],
)
def test_a_malformed_note_is_refused_before_any_signature_is_checked(text):
    with pytest.raises(NoteMalformed):
        parse_note(text)


# --- checkpoints -----------------------------------------------------------------------------


def test_a_checkpoint_body_is_origin_size_and_base64_root_each_on_its_line():
    root = bytes(range(32))
    body = Checkpoint("example.test/log", 20852163, root, ("ext",)).body()
    assert body == f"example.test/log\n20852163\n{base64.b64encode(root).decode()}\next\n"


def test_a_checkpoint_body_parses_back_to_the_same_checkpoint():
    checkpoint = Checkpoint("example.test/log", 7, bytes(32), ("one", "two"))
    assert parse_checkpoint(checkpoint.body()) == checkpoint


@pytest.mark.parametrize(
    "body",
    [
        "example.test/log\n007\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        "example.test/log\n-1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        "example.test/log\n\u0661\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        "example.test/log\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "example.test/log\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
        "example.test/log\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n",
        "example.test/log\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
        "example.test/log\n7\n",
        "\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        "example.test/log\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n",
        "example.test/log\n9223372036854775808\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
    ],
)
def test_a_checkpoint_body_out_of_format_is_refused(body):
    with pytest.raises(NoteMalformed):
        parse_checkpoint(body)


def test_a_public_log_s_checkpoint_verifies_with_its_key_and_parses():
    note = verify_note(ARCHE_NOTE, [Verifier.from_vkey(ARCHE_VKEY)])
    checkpoint = parse_checkpoint(note.body)
    assert (checkpoint.origin, checkpoint.size) == (
        "arche2025h1.staging.ct.transparency.dev",
        1432088532,
    )


# --- cosignatures ----------------------------------------------------------------------------


def test_public_witnesses_cosignatures_verify_with_their_keys():
    witnesses = [Verifier.from_vkey(v) for v in WITNESS_VKEYS]
    note = verify_note(ARCHE_NOTE, witnesses)
    assert {s.name for s in note.verified} == {w.name for w in witnesses}


def test_a_public_witness_s_cosignature_states_its_time():
    line = next(line for line in ARCHE_SIGNATURES.splitlines() if "remora" in line)
    assert verify_cosignature(ARCHE_BODY, line, Verifier.from_vkey(WITNESS_VKEYS[0])) == (
        1779573024
    )


def test_a_cosignature_signs_the_header_the_time_line_and_the_body():
    witness = new_signer("witness.example")
    body = a_checkpoint().body()
    line = cosign(body, witness, 1679315147)
    signature = parse_signature_line(line.removesuffix("\n"))
    assert signature.key_id == witness.key_id(COSIGNATURE_V1)
    assert cosignature_timestamp(signature) == 1679315147
    message = f"cosignature/v1\ntime 1679315147\n{body}".encode()
    Ed25519PublicKey.from_public_bytes(witness.public_key).verify(signature.signature[8:], message)


def test_a_cosignature_round_trips_through_the_witness_s_vkey():
    witness = new_signer("witness.example")
    body = a_checkpoint().body()
    line = cosign(body, witness, 1700000000)
    assert verify_cosignature(body, line, Verifier.from_vkey(witness.cosignature_vkey())) == (
        1700000000
    )


def test_a_cosignature_on_another_checkpoint_is_rejected():
    witness = new_signer("witness.example")
    line = cosign(a_checkpoint(3).body(), witness, 1700000000)
    with pytest.raises(NoteRejected):
        verify_cosignature(a_checkpoint(4).body(), line, witness.verifier(COSIGNATURE_V1))


def test_a_cosignature_with_an_altered_timestamp_is_rejected():
    witness = new_signer("witness.example")
    body = a_checkpoint().body()
    signature = witness.cosign(body, 1700000000)
    later = (1700000001).to_bytes(8) + signature.signature[8:]
    altered = Signature(signature.name, signature.key_id, later)
    with pytest.raises(NoteRejected):
        verify_cosignature(body, altered.line(), witness.verifier(COSIGNATURE_V1))


def test_a_plain_note_signature_is_not_a_cosignature_even_by_the_same_key():
    witness = new_signer("witness.example")
    body = a_checkpoint().body()
    line = witness.sign(body).line()
    with pytest.raises(NoteRejected):
        verify_cosignature(body, line, witness.verifier(COSIGNATURE_V1))


def test_a_cosignature_appended_to_the_log_s_note_verifies_with_the_log_s_as_one_note():
    log, witness = new_signer(), new_signer("witness.example")
    body = a_checkpoint().body()
    note = sign_note(body, [log]) + cosign(body, witness, 1700000000)
    verified = verify_note(note, [log.verifier(), witness.verifier(COSIGNATURE_V1)]).verified
    assert [s.name for s in verified] == ["example.test/log", "witness.example"]


# --- tlog-proof ------------------------------------------------------------------------------


def a_proof_file(extra: bytes | None = b"context") -> tuple[str, list[bytes], str]:
    leaves = [leaf_hash(b"entry %d" % i) for i in range(5)]
    checkpoint = Checkpoint("example.test/log", 5, tree_root(LeafNodes(leaves), 5))
    note = sign_note(checkpoint.body(), [new_signer()])
    hashes = inclusion_proof(LeafNodes(leaves), 2, 5)
    return format_proof(2, hashes, note, extra), hashes, note


def test_a_proof_file_has_the_header_extra_index_hashes_blank_line_and_checkpoint():
    text, hashes, note = a_proof_file()
    expected = (
        "c2sp.org/tlog-proof@v1\nextra Y29udGV4dA==\nindex 2\n"
        + "".join(base64.b64encode(h).decode() + "\n" for h in hashes)
        + "\n"
        + note
    )
    assert text == expected


def test_a_proof_file_parses_back_to_what_was_written():
    text, hashes, note = a_proof_file()
    proof = parse_proof(text)
    assert (proof.extra, proof.index, proof.hashes, proof.checkpoint_note) == (
        b"context",
        2,
        tuple(hashes),
        note,
    )


def test_a_proof_file_without_extra_omits_the_line():
    text, _, _ = a_proof_file(extra=None)
    assert text.split("\n")[1] == "index 2"
    assert parse_proof(text).extra is None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t.replace("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2"),
        lambda t: t.replace("index 2", "index 02"),
        lambda t: t.replace("index 2", "index 7"),
        lambda t: t.replace("index 2\n", ""),
        lambda t: t.replace("extra Y29udGV4dA==", "extra Y29udGV4dA"),
        lambda t: t.replace("extra Y29udGV4dA==\n", "").replace("index 2", "index 2\nextra eA=="),
        lambda t: t.replace("\n\n", "\nAAAA\n\n", 1),
        lambda t: t.replace("\n\n", "\n", 1),
        lambda t: t[: t.index("\n\n")] + "\n\nexample.test/log\n5\n",
    ],
)
def test_a_proof_file_out_of_format_is_refused(mangle):
    text, _, _ = a_proof_file()
    with pytest.raises(ProofMalformed):
        parse_proof(mangle(text))

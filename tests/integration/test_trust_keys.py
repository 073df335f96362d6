"""A trust's signing keys (api/trust_keys.py, docs/rules.md §12.4): made once on first use and
the same in every process; two creators at once agree; kept only wrapped by the master key, out
of every erasure's reach; published through GraphQL `trustSigningKey` to the trust's staff and
through `casework keys public --trust`."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)
from cryptography.x509.oid import NameOID

from api.event_store import PostgresKeyStore
from api.trust_keys import (
    TrustKeyMalformed,
    TrustKeys,
    TrustSigningKeys,
    _wrap_id,
    parse_trust_key,
    verifies,
)
from api.wiring import Container, build
from domain.shared.actor import acting_as
from domain.shared.policy import Principal, Role
from domain.shared.sealing import Keyring
from tests import builders as make
from tests.api_client import Client

OPERATOR = Principal.operator("tests")
CASEWORK = Path(sys.executable).parent / "casework"
QUERY = (
    "query($t: ID!) { trustSigningKey(trustId: $t) { trustId ed25519PublicKey "
    "ed25519Fingerprint certificate certificateFingerprint createdAt } }"
)


@pytest.fixture
def trust(container: Container) -> UUID:
    with acting_as(OPERATOR):
        return make.trust(container.app, "Birch Learning Trust")


def _other_container(server_database: Any, settings: Any) -> Container:
    """A second process's container on the same store: its own pool, keyring and caches."""
    return build(settings, database=server_database, apply_migrations=False)


def _row(container: Container, trust_id: UUID) -> dict[str, Any]:
    with container.pool.connection() as conn:
        row = conn.execute(
            "SELECT * FROM trust_signing_keys WHERE trust_id = %s", (trust_id,)
        ).fetchone()
    assert row is not None
    return dict(row)


def _count(container: Container) -> int:
    with container.pool.connection() as conn:
        row = conn.execute("SELECT count(*) AS n FROM trust_signing_keys").fetchone()
    assert row is not None
    return int(row["n"])


# --- made once, the same everywhere ----------------------------------------------------------


def test_a_trusts_keys_are_made_once_and_read_the_same_by_another_container(
    container, trust, server_database, settings
):
    made = container.trust_keys.get_or_create(trust, "Birch Learning Trust").public()
    other = _other_container(server_database, settings)
    try:
        read = other.trust_keys.get_or_create(trust, "Birch Learning Trust").public()
    finally:
        other.close()
    assert (read.ed25519, read.certificate) == (made.ed25519, made.certificate)
    assert _count(container) == 1


def test_a_trusts_keys_are_the_same_in_another_process(container, trust, server_database, settings):
    env = os.environ | {
        "CASEWORK_DATABASE_URL": server_database.conninfo,
        "CASEWORK_DATA_DIR": str(settings.data_dir),
        "CASEWORK_ENVIRONMENT": "test",
    }
    printed = [
        subprocess.run(
            [str(CASEWORK), "keys", "public", "--trust", str(trust)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        for _ in range(2)
    ]
    assert [p.returncode for p in printed] == [0, 0], printed[0].stderr
    mine = container.trust_keys.get_or_create(trust, "ignored: the keys exist").public()
    assert printed[0].stdout == printed[1].stdout
    assert f"trust {trust} ed25519: {mine.ed25519_base64}\n" in printed[0].stdout


def test_two_creators_at_once_agree_on_one_set_of_keys(container, trust):
    # Inserts wait on this lock while reads go on, so both creators find no keys, make their
    # own, and race to insert them.
    blocker = psycopg.connect(container.database.conninfo)
    blocker.execute("LOCK TABLE trust_signing_keys IN EXCLUSIVE MODE")
    results: list[TrustSigningKeys] = []

    def create() -> None:
        results.append(TrustKeys(container.pool, container.keyring).get_or_create(trust, "Birch"))

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while _waiting_on_locks(container) < 2:
        assert time.monotonic() < deadline, "the creators never reached their inserts"
        time.sleep(0.02)
    blocker.rollback()
    blocker.close()
    for thread in threads:
        thread.join(timeout=20)
    first, second = (r.public() for r in results)
    assert (first.ed25519, first.certificate) == (second.ed25519, second.certificate)
    assert _count(container) == 1


def _waiting_on_locks(container: Container) -> int:
    with container.pool.connection() as conn:
        row = conn.execute(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO trust_signing_keys%%'"
        ).fetchone()
    assert row is not None
    return int(row["n"])


# --- what the keys do ------------------------------------------------------------------------


def test_a_signature_verifies_with_the_published_key_and_not_over_other_bytes(container, trust):
    keys = container.trust_keys.get_or_create(trust, "Birch Learning Trust")
    manifest = b"3f2a...  bagit.txt\n"
    signature = keys.sign(manifest)
    published = parse_trust_key(keys.public().ed25519_base64)
    assert verifies(published, signature, manifest)
    assert not verifies(published, signature, manifest + b"x")


def test_the_certificate_is_self_signed_for_the_trusts_ecdsa_key(container, trust):
    keys = container.trust_keys.get_or_create(trust, "Birch Learning Trust")
    key, certificate = keys.pdf_signer()
    certificate.verify_directly_issued_by(certificate)  # raises unless self-signed and valid
    assert isinstance(key.curve, ec.SECP256R1)
    assert certificate.public_key() == key.public_key()
    assert certificate.subject == certificate.issuer
    assert certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == (
        "Birch Learning Trust"
    )
    assert certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == str(trust)
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert certificate.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature


def test_a_key_that_is_not_32_bytes_of_base64_is_refused_by_name():
    with pytest.raises(TrustKeyMalformed, match="32 bytes"):
        parse_trust_key("AAAA")
    with pytest.raises(TrustKeyMalformed, match="base64"):
        parse_trust_key("not base64!")


# --- kept wrapped, never destroyed -----------------------------------------------------------


def test_no_private_key_is_stored_in_the_clear(container, trust):
    keys = container.trust_keys.get_or_create(trust, "Birch Learning Trust")
    seed = keys.ed25519.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    scalar = keys.ecdsa.private_numbers().private_value.to_bytes(32, "big")
    der = keys.ecdsa.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    stored = b"".join(bytes(v) for v in _row(container, trust).values() if isinstance(v, bytes))
    assert not any(secret in stored for secret in (seed, scalar, der))


def test_another_master_key_cannot_open_the_stored_keys(container, trust):
    container.trust_keys.get_or_create(trust, "Birch Learning Trust")
    stranger = Keyring(os.urandom(32), PostgresKeyStore(container.pool))
    with pytest.raises(InvalidTag):
        TrustKeys(container.pool, stranger).get(trust)


def test_destroying_through_the_keyring_leaves_the_trusts_keys_working(container, trust):
    before = container.trust_keys.get_or_create(trust, "Birch Learning Trust").public()
    for subject in (trust, _wrap_id(trust, "ed25519"), _wrap_id(trust, "ecdsa-p256")):
        container.keyring.destroy(subject)
    fresh = TrustKeys(container.pool, container.keyring).get(trust)
    assert fresh is not None
    assert verifies(parse_trust_key(before.ed25519_base64), fresh.sign(b"m"), b"m")


def test_the_table_refuses_to_delete_a_trusts_keys(container, trust):
    container.trust_keys.get_or_create(trust, "Birch Learning Trust")
    with (
        psycopg.connect(container.database.conninfo) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="never destroyed"),
    ):
        conn.execute("DELETE FROM trust_signing_keys WHERE trust_id = %s", (trust,))
    assert _count(container) == 1


def test_the_table_refuses_to_erase_a_wrapped_key(container, trust):
    container.trust_keys.get_or_create(trust, "Birch Learning Trust")
    with (
        psycopg.connect(container.database.conninfo) as conn,
        pytest.raises(psycopg.errors.NotNullViolation),
    ):
        conn.execute(
            "UPDATE trust_signing_keys SET ed25519_wrapped = NULL WHERE trust_id = %s", (trust,)
        )


def test_the_table_refuses_to_replace_a_certificate(container, trust):
    container.trust_keys.get_or_create(trust, "Birch Learning Trust")
    with (
        psycopg.connect(container.database.conninfo) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="only ever re-wrapped"),
    ):
        conn.execute(
            "UPDATE trust_signing_keys SET certificate = '\\x00' WHERE trust_id = %s", (trust,)
        )


# --- published -------------------------------------------------------------------------------


@pytest.fixture
def trusts(container: Container) -> dict[str, UUID]:
    """Trust A with a school and a DSL there; trust B with a trust-wide lead."""
    with acting_as(OPERATOR):
        a = make.trust(container.app, "Trust A")
        a1 = make.school(container.app, a, "A1", "310001")
        make.grant(container.app, "dsl@a1", Role.DSL, a, a1)
        b = make.trust(container.app, "Trust B")
        make.grant(container.app, "tsl@b", Role.TRUST_SAFEGUARDING_LEAD, b)
    return {"a": a, "b": b}


def test_staff_of_the_trust_read_its_public_keys(live, settings, container, trusts):
    body = Client(live.url, settings, "dsl@a1").data(QUERY, {"t": str(trusts["a"])})
    published = body["trustSigningKey"]
    keys = container.trust_keys.get_or_create(trusts["a"], "Trust A").public()
    assert published["trustId"] == str(trusts["a"])
    assert published["ed25519PublicKey"] == keys.ed25519_base64
    assert published["ed25519Fingerprint"] == keys.ed25519_fingerprint
    assert published["certificate"] == keys.certificate_pem
    assert published["certificateFingerprint"] == keys.certificate_fingerprint


def test_another_trust_and_an_unknown_trust_answer_the_same_not_found(
    live, settings, container, trusts
):
    client = Client(live.url, settings, "tsl@b")
    unknown = uuid4()
    answers = []
    for trust_id in (trusts["a"], unknown):
        body = client.gql(QUERY, {"t": str(trust_id)})
        (error,) = body["errors"]
        answers.append(
            (
                body["data"],
                error["extensions"]["code"],
                error["message"].replace(str(trust_id), "?"),
            )
        )
    assert answers[0] == answers[1]
    assert answers[0][1] == "NOT_FOUND"
    assert _count(container) == 0, "a refused read made keys"


# --- the command line ------------------------------------------------------------------------


@pytest.fixture
def run(server_database, settings, container, monkeypatch):
    from typer.testing import CliRunner

    from api.cli import cli

    monkeypatch.setenv("CASEWORK_DATABASE_URL", server_database.conninfo)
    monkeypatch.setenv("CASEWORK_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CASEWORK_ENVIRONMENT", "test")
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)


def test_keys_public_with_a_trust_prints_its_key_fingerprints_and_certificate(
    run, container, trust
):
    result = run("keys", "public", "--trust", str(trust), "--certificate")
    assert result.exit_code == 0, result.output
    keys = container.trust_keys.get_or_create(trust, "Birch Learning Trust").public()
    assert result.output == (
        f"trust {trust} ed25519: {keys.ed25519_base64}\n"
        f"trust {trust} ed25519-sha256: {keys.ed25519_fingerprint}\n"
        f"trust {trust} cert-sha256: {keys.certificate_fingerprint}\n" + keys.certificate_pem
    )


def test_keys_public_refuses_an_unknown_trust_and_makes_no_keys(run, container):
    result = run("keys", "public", "--trust", str(uuid4()))
    assert result.exit_code == 2
    assert "there is no trust" in result.output
    assert _count(container) == 0

"""Each trust's signing keys: Ed25519 for its evidence bundles, ECDSA P-256 for its PDFs.

A trust's evidence bundle (a BagIt bag) is signed with Ed25519 over its tag manifest, which our
offline verifier checks; the chronology PDF inside carries a PAdES signature, which Adobe Reader
validates only with RSA or ECDSA, and which needs a certificate: so each trust also has a P-256
key and a self-signed X.509 certificate naming it (docs/rules.md §12.4).

Both are created by whichever process first needs them and kept in ``trust_signing_keys``,
wrapped by the master key (each bound to its trust and purpose), never in ``data_keys``: a trust
is nobody's personal data, and no erasure may reach these keys, which ``Keyring.destroy``
cannot, since it destroys only subjects' data keys; the table itself refuses deletes and any
change but re-wrapping. Two processes creating at once agree: the first row committed wins and
the other reads it.
"""

from __future__ import annotations

import datetime
import hashlib
import threading
from base64 import b64decode, b64encode
from dataclasses import dataclass, field
from uuid import UUID, uuid5

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_der_private_key,
)
from cryptography.x509.oid import NameOID
from psycopg import Connection
from psycopg.rows import DictRow
from psycopg_pool import ConnectionPool

from domain.shared.sealing import Keyring

Pool = ConnectionPool[Connection[DictRow]]

# RFC 5280 §4.1.2.5: a certificate with no well-defined expiry. A PDF signed today must still
# validate when a court reads it years later; a new key, not an expiry, replaces this one.
NO_EXPIRY = datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.UTC)
_NAME_LIMIT = 64  # ub-common-name, ub-organization-name (RFC 5280 Appendix A)


class TrustKeyMalformed(ValueError):
    """A trust's public key given as text is not base64 of 32 bytes."""


class TrustKeyMismatch(RuntimeError):
    """The stored certificate does not certify the stored ECDSA key."""


def _wrap_id(trust_id: UUID, purpose: str) -> UUID:
    """What a wrapped key is bound to (the AES-GCM associated data): its trust and purpose,
    so no wrapped key can be moved to another trust or used as the other kind."""
    return uuid5(trust_id, f"casework trust signing key/{purpose}")


def fingerprint(data: bytes) -> str:
    """SHA-256, lowercase hex: how a key or certificate is compared by eye or over the phone."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class TrustPublicKeys:
    """What a trust's recipients verify its signatures with: nothing secret."""

    trust_id: UUID
    ed25519: bytes  # the raw 32-byte public key
    certificate: x509.Certificate
    created_at: datetime.datetime

    @property
    def ed25519_base64(self) -> str:
        """The form ``--trust-key`` takes: base64 of the raw 32 bytes."""
        return b64encode(self.ed25519).decode("ascii")

    @property
    def ed25519_fingerprint(self) -> str:
        return fingerprint(self.ed25519)

    @property
    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(Encoding.PEM).decode("ascii")

    @property
    def certificate_fingerprint(self) -> str:
        """SHA-256 of the certificate's DER, as certificate viewers show it (without colons)."""
        return fingerprint(self.certificate.public_bytes(Encoding.DER))


@dataclass(frozen=True)
class TrustSigningKeys:
    trust_id: UUID
    ed25519: Ed25519PrivateKey = field(repr=False)
    ecdsa: ec.EllipticCurvePrivateKey = field(repr=False)
    certificate: x509.Certificate
    created_at: datetime.datetime

    def sign(self, data: bytes) -> bytes:
        """The trust's Ed25519 signature of ``data`` (64 bytes): a bundle's tag manifest."""
        return self.ed25519.sign(data)

    def pdf_signer(self) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        """The key and certificate a PAdES signer (pyhanko's ``SimpleSigner``) needs."""
        return self.ecdsa, self.certificate

    def public(self) -> TrustPublicKeys:
        raw = self.ed25519.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return TrustPublicKeys(self.trust_id, raw, self.certificate, self.created_at)


def parse_trust_key(text: str) -> Ed25519PublicKey:
    """A trust's Ed25519 public key as published (``ed25519_base64``)."""
    try:
        raw = b64decode(text.strip(), validate=True)
    except ValueError:
        raise TrustKeyMalformed("a trust key must be base64") from None
    if len(raw) != 32:
        raise TrustKeyMalformed(f"a trust key must be 32 bytes (this decodes to {len(raw)})")
    return Ed25519PublicKey.from_public_bytes(raw)


def verifies(public_key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def self_signed_certificate(
    trust_id: UUID, trust_name: str, key: ec.EllipticCurvePrivateKey, now: datetime.datetime
) -> x509.Certificate:
    """A certificate naming the trust (its name as CN and O, its id as serialNumber), for a
    signing key only: not a CA, usable for digital signatures and non-repudiation."""
    name = (trust_name.strip() or str(trust_id))[:_NAME_LIMIT]
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, str(trust_id)),
        ]
    )
    public = key.public_key()
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now.replace(microsecond=0) - datetime.timedelta(minutes=5))
        .not_valid_after(NO_EXPIRY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


class TrustKeys:
    """The trusts' signing keys, loaded once per process (they never change)."""

    def __init__(self, pool: Pool, keyring: Keyring) -> None:
        self._pool = pool
        self._keyring = keyring
        self._loaded: dict[UUID, TrustSigningKeys] = {}
        self._lock = threading.Lock()

    def get(self, trust_id: UUID) -> TrustSigningKeys | None:
        """The trust's keys if they were ever created."""
        with self._lock:
            cached = self._loaded.get(trust_id)
        if cached is not None:
            return cached
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT ed25519_wrapped, ecdsa_wrapped, certificate, created_at "
                "FROM trust_signing_keys WHERE trust_id = %s",
                (trust_id,),
            ).fetchone()
        if row is None:
            return None
        keys = self._open(trust_id, row)
        with self._lock:
            self._loaded[trust_id] = keys
        return keys

    def get_or_create(self, trust_id: UUID, trust_name: str) -> TrustSigningKeys:
        """The trust's keys, created and committed now if it has none. The caller has checked
        that the trust exists; ``trust_name`` is written into a new certificate only."""
        found = self.get(trust_id)
        if found is not None:
            return found
        ed25519 = Ed25519PrivateKey.generate()
        ecdsa = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        certificate = self_signed_certificate(trust_id, trust_name, ecdsa, now)
        seed = ed25519.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        der = ecdsa.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
        with self._pool.connection() as conn:
            # Committed at once, on its own connection; a concurrent creator waits for the
            # first row to commit, inserts nothing, and both read the same keys.
            conn.execute(
                "INSERT INTO trust_signing_keys (trust_id, ed25519_wrapped, ecdsa_wrapped, "
                "certificate) VALUES (%s, %s, %s, %s) ON CONFLICT (trust_id) DO NOTHING",
                (
                    trust_id,
                    self._keyring.wrap(_wrap_id(trust_id, "ed25519"), seed),
                    self._keyring.wrap(_wrap_id(trust_id, "ecdsa-p256"), der),
                    certificate.public_bytes(Encoding.DER),
                ),
            )
        kept = self.get(trust_id)
        if kept is None:  # the row cannot be deleted, so this is never reached
            raise RuntimeError(f"the signing keys of trust {trust_id} were not kept")
        return kept

    def trusts(self) -> list[UUID]:
        """The trusts that have keys, in the order they were created."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT trust_id FROM trust_signing_keys ORDER BY created_at, trust_id"
            ).fetchall()
        return [r["trust_id"] for r in rows]

    def _open(self, trust_id: UUID, row: DictRow) -> TrustSigningKeys:
        """Unwrap a stored row (``InvalidTag`` under another master key)."""
        seed = self._keyring.unwrap(_wrap_id(trust_id, "ed25519"), bytes(row["ed25519_wrapped"]))
        der = self._keyring.unwrap(_wrap_id(trust_id, "ecdsa-p256"), bytes(row["ecdsa_wrapped"]))
        ecdsa = load_der_private_key(der, password=None)
        if not isinstance(ecdsa, ec.EllipticCurvePrivateKey):
            raise TrustKeyMismatch(f"the PDF key of trust {trust_id} is not an ECDSA key")
        certificate = x509.load_der_x509_certificate(bytes(row["certificate"]))
        if certificate.public_key() != ecdsa.public_key():
            raise TrustKeyMismatch(f"the certificate of trust {trust_id} is not for its key")
        return TrustSigningKeys(
            trust_id,
            Ed25519PrivateKey.from_private_bytes(seed),
            ecdsa,
            certificate,
            row["created_at"],
        )


def rewrap_all(conn: Connection[DictRow], old: Keyring, new: Keyring) -> int:
    """A master-key rotation (``api.key_rotation``): re-wrap every trust's two private keys from
    ``old`` to ``new`` on ``conn``, inside the rotation's transaction; the trusts re-wrapped.
    ``InvalidTag`` if one does not open under ``old``."""
    rows = conn.execute(
        "SELECT trust_id, ed25519_wrapped, ecdsa_wrapped FROM trust_signing_keys"
    ).fetchall()
    updates: list[tuple[bytes, bytes, UUID]] = []
    for row in rows:
        trust_id = row["trust_id"]
        ed25519, ecdsa = (
            new.wrap(bound, old.unwrap(bound, bytes(row[column])))
            for bound, column in (
                (_wrap_id(trust_id, "ed25519"), "ed25519_wrapped"),
                (_wrap_id(trust_id, "ecdsa-p256"), "ecdsa_wrapped"),
            )
        )
        updates.append((ed25519, ecdsa, trust_id))
    with conn.cursor() as cur:
        cur.executemany(
            "UPDATE trust_signing_keys SET ed25519_wrapped = %s, ecdsa_wrapped = %s "
            "WHERE trust_id = %s",
            updates,
        )
    return len(updates)

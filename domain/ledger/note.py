"""C2SP signed notes, checkpoints and cosignatures, byte for byte as the specifications say.

Formats: c2sp.org/signed-note (Ed25519, signature type 0x01), c2sp.org/tlog-checkpoint and
c2sp.org/tlog-cosignature (``cosignature/v1``, signature type 0x04). Following the
specifications exactly is the point: an outside expert checks our checkpoints with the Go
reference tools (golang.org/x/mod/sumdb/note, transparency-dev/formats), not with our code.

A cosignature is an ordinary note signature by a key of type 0x04, so one :func:`verify_note`
checks a log's signature and witnesses' alike, given the right verifiers.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from hashlib import sha256

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
KEY_TYPES = (ED25519, COSIGNATURE_V1)
MAX_SIGNATURES = 100  # the spec asks for at least 16; the Go reference stops at 100
MAX_TIMESTAMP = 2**63 - 1
MAX_TREE_SIZE = 2**63 - 1
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_HEX_ID = re.compile(r"[0-9a-f]{8}")


class NoteMalformed(ValueError):
    """The text is not a signed note, checkpoint or key in the format the specifications fix."""


class NoteRejected(ValueError):
    """No known key vouches for the note, or a known key's signature on it fails."""


def valid_key_name(name: str) -> bool:
    """Key names are non-empty and contain no Unicode space and no plus (signed-note)."""
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def key_id(name: str, key_type: int, public_key: bytes) -> bytes:
    """SHA-256(key name || 0x0A || signature type || public key)[:4], as the specs recommend
    (and, for cosignatures, require)."""
    return sha256(name.encode() + b"\n" + bytes([key_type]) + public_key).digest()[:4]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str, what: str) -> bytes:
    """Standard base64 (RFC 4648 §4), padded and canonical: one encoding per value."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise NoteMalformed(f"{what} is not base64") from e
    if b64(data) != text:
        raise NoteMalformed(f"{what} is not canonical base64")
    return data


def decimal(text: str, what: str, limit: int = MAX_TREE_SIZE) -> int:
    """An ASCII decimal with no leading zeroes (the only spelling every C2SP format allows)."""
    if not _DECIMAL.fullmatch(text) or len(text) > 19 or int(text) > limit:
        raise NoteMalformed(f"{what} {text!r} is not a decimal without leading zeroes")
    return int(text)


def _message(key_type: int, body: str, timestamp: int) -> bytes:
    if key_type == COSIGNATURE_V1:
        return f"cosignature/v1\ntime {timestamp}\n{body}".encode()
    return body.encode()


def _public_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class Signature:
    """One signature line: key name, 4-byte key id and the signature bytes that follow it."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        return f"{SIGNATURE_PREFIX}{self.name} {b64(self.key_id + self.signature)}\n"


@dataclass(frozen=True)
class Note:
    """A parsed note: its text (with its final newline) and every signature line, in order.
    ``verified`` holds those a known key checked; the others are kept, unverified."""

    body: str
    signatures: tuple[Signature, ...]
    verified: tuple[Signature, ...] = ()

    def text(self) -> str:
        return self.body + "\n" + "".join(s.line() for s in self.signatures)


class Signer:
    """An Ed25519 key under a name: signs notes (type 0x01) and cosigns checkpoints (0x04)."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        if not valid_key_name(name):
            raise NoteMalformed(f"{name!r} is not a valid key name")
        self.name = name
        self._key = private_key
        self.public_key = _public_bytes(private_key)

    def key_id(self, key_type: int = ED25519) -> bytes:
        return key_id(self.name, key_type, self.public_key)

    def vkey(self) -> str:
        """The verifier key of this signer's note signatures (type 0x01)."""
        return self._vkey(ED25519)

    def cosignature_vkey(self) -> str:
        """The verifier key of this signer's cosignatures (type 0x04): a witness's identity."""
        return self._vkey(COSIGNATURE_V1)

    def _vkey(self, key_type: int) -> str:
        material = b64(bytes([key_type]) + self.public_key)
        return f"{self.name}+{self.key_id(key_type).hex()}+{material}"

    def verifier(self, key_type: int = ED25519) -> Verifier:
        return Verifier(self.name, key_type, self.public_key)

    def sign(self, body: str) -> Signature:
        return Signature(self.name, self.key_id(), self._key.sign(_message(ED25519, body, 0)))

    def cosign(self, body: str, timestamp: int) -> Signature:
        if not 0 <= timestamp <= MAX_TIMESTAMP:
            raise ValueError(f"timestamp {timestamp} is out of range")
        signed = self._key.sign(_message(COSIGNATURE_V1, body, timestamp))
        return Signature(self.name, self.key_id(COSIGNATURE_V1), timestamp.to_bytes(8) + signed)


@dataclass(frozen=True)
class Verifier:
    """A trusted public key: name, signature type (0x01 note, 0x04 cosignature) and key."""

    name: str
    key_type: int
    public_key: bytes
    key_id: bytes = field(init=False)

    def __post_init__(self) -> None:
        if not valid_key_name(self.name):
            raise NoteMalformed(f"{self.name!r} is not a valid key name")
        if self.key_type not in KEY_TYPES or len(self.public_key) != 32:
            raise NoteMalformed("only Ed25519 keys of type 0x01 or 0x04 are supported")
        object.__setattr__(self, "key_id", key_id(self.name, self.key_type, self.public_key))

    @classmethod
    def from_vkey(cls, text: str) -> Verifier:
        """Parse ``<name>+<hex key id>+<base64(type || key)>``; the id must match the key."""
        parts = text.split("+", 2)  # the base64 part may itself contain '+'
        if len(parts) != 3 or not _HEX_ID.fullmatch(parts[1]):
            raise NoteMalformed("a verifier key is <name>+<8 hex digits>+<base64 key>")
        name, hex_id, material = parts
        key = unb64(material, "the verifier key")
        if len(key) != 33:
            raise NoteMalformed("an Ed25519 verifier key holds a type byte and 32 bytes")
        verifier = cls(name, key[0], key[1:])
        if verifier.key_id.hex() != hex_id:
            raise NoteMalformed(f"the key id {hex_id} does not match the key")
        return verifier

    def vkey(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{b64(bytes([self.key_type]) + self.public_key)}"

    def matches(self, signature: Signature) -> bool:
        return signature.name == self.name and signature.key_id == self.key_id

    def verify(self, body: str, signature: Signature) -> bool:
        """Whether ``signature`` (by this key) signs ``body``: a cosignature over its
        timestamp line and the body, a note signature over the body alone."""
        data, timestamp = signature.signature, 0
        if self.key_type == COSIGNATURE_V1:
            if len(data) != 72:
                return False
            timestamp, data = int.from_bytes(data[:8]), data[8:]
            if timestamp > MAX_TIMESTAMP:
                return False
        if len(data) != 64:
            return False
        try:
            public = Ed25519PublicKey.from_public_bytes(self.public_key)
            public.verify(data, _message(self.key_type, body, timestamp))
        except (InvalidSignature, ValueError):
            return False
        return True


def cosignature_timestamp(signature: Signature) -> int:
    """The POSIX time a ``cosignature/v1`` signature states (its first eight bytes)."""
    if len(signature.signature) != 72:
        raise NoteMalformed("a cosignature/v1 signature is 8 + 64 bytes")
    return int.from_bytes(signature.signature[:8])


def _check_text(text: str) -> None:
    if any(c < " " and c != "\n" for c in text):
        raise NoteMalformed("a note holds no control characters but newline")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:  # lone surrogates
        raise NoteMalformed("a note is valid UTF-8") from e


def parse_signature_line(line: str) -> Signature:
    """One ``— <name> <base64(key id || signature)>`` line, without its newline."""
    if not line.startswith(SIGNATURE_PREFIX):
        raise NoteMalformed("a signature line starts with an em dash and a space")
    name, space, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    if not space or not valid_key_name(name):
        raise NoteMalformed("a signature line names a valid key")
    raw = unb64(encoded, "a signature")
    if len(raw) < 5:
        raise NoteMalformed("a signature holds a key id and at least one byte")
    return Signature(name, raw[:4], raw[4:])


def parse_note(text: str) -> Note:
    """Split a signed note into its text and signature lines, checking only the format."""
    _check_text(text)
    split = text.rfind("\n\n")
    if split < 0 or not text.endswith("\n"):
        raise NoteMalformed("a note is text, a blank line and signature lines")
    body, lines = text[: split + 1], text[split + 2 : -1]
    if not lines:
        raise NoteMalformed("a note has at least one signature")
    signature_lines = lines.split("\n")
    if len(signature_lines) > MAX_SIGNATURES:
        raise NoteMalformed(f"a note has at most {MAX_SIGNATURES} signatures")
    return Note(body, tuple(parse_signature_line(line) for line in signature_lines))


def verify_note(text: str, verifiers: Iterable[Verifier]) -> Note:
    """The note, once at least one known key's signature verifies and none fails.

    Signatures by unknown keys are ignored (but kept): that is what lets keys rotate and
    witnesses add cosignatures. A known key whose signature fails rejects the whole note,
    as the witness protocol requires."""
    note = parse_note(text)
    known = list(verifiers)
    verified: list[Signature] = []
    for signature in note.signatures:
        matching = {v for v in known if v.matches(signature)}
        if len(matching) > 1:
            raise NoteRejected(f"two trusted keys are {signature.name}+{signature.key_id.hex()}")
        if not matching:
            continue
        if not matching.pop().verify(note.body, signature):
            raise NoteRejected(f"the signature of {signature.name} does not verify")
        if signature not in verified:
            verified.append(signature)
    if not verified:
        raise NoteRejected("no signature on the note is by a trusted key")
    return Note(note.body, note.signatures, tuple(verified))


def sign_note(body: str, signers: Sequence[Signer]) -> str:
    """The signed note: ``body`` (ending in a newline), a blank line, one line per signer."""
    _check_text(body)
    if not body.endswith("\n") or not signers:
        raise NoteMalformed("a note body ends with a newline and has at least one signer")
    return body + "\n" + "".join(s.sign(body).line() for s in signers)


@dataclass(frozen=True)
class Checkpoint:
    """A tlog-checkpoint body: origin, tree size, root hash, and optional extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        lines = (self.origin, *self.extensions)
        if any(not line or "\n" in line for line in lines):
            raise NoteMalformed("the origin and extension lines are non-empty single lines")
        if not 0 <= self.size <= MAX_TREE_SIZE or len(self.root) != 32:
            raise NoteMalformed("a checkpoint has a size in range and a 32-byte root")
        _check_text("".join(lines))

    def body(self) -> str:
        lines = (self.origin, str(self.size), b64(self.root), *self.extensions)
        return "".join(f"{line}\n" for line in lines)


def parse_checkpoint(body: str) -> Checkpoint:
    """A checkpoint from a note body, strictly: three or more non-empty lines, each ending in
    a newline; a decimal size without leading zeroes; a canonical base64 32-byte root."""
    if not body.endswith("\n"):
        raise NoteMalformed("a checkpoint body ends with a newline")
    lines = body[:-1].split("\n")
    if len(lines) < 3 or not all(lines):
        raise NoteMalformed("a checkpoint has at least three non-empty lines")
    root = unb64(lines[2], "the root hash")
    if len(root) != 32:
        raise NoteMalformed("the root hash is 32 bytes")
    return Checkpoint(lines[0], decimal(lines[1], "the tree size"), root, tuple(lines[3:]))


def cosign(checkpoint_body: str, signer: Signer, timestamp: int) -> str:
    """A ``cosignature/v1`` signature line by ``signer`` on the checkpoint, at ``timestamp``."""
    parse_checkpoint(checkpoint_body)
    return signer.cosign(checkpoint_body, timestamp).line()


def verify_cosignature(checkpoint_body: str, line: str, witness: Verifier) -> int:
    """The timestamp of a witness's cosignature line on the checkpoint, if it verifies."""
    if witness.key_type != COSIGNATURE_V1:
        raise NoteRejected("a cosignature is verified by a key of type 0x04")
    signature = parse_signature_line(line.removesuffix("\n"))
    if not witness.matches(signature) or not witness.verify(checkpoint_body, signature):
        raise NoteRejected(f"the line is not a cosignature by {witness.name} on the checkpoint")
    return cosignature_timestamp(signature)

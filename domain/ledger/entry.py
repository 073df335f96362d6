"""What a leaf of the ledger commits to: one entry per stored event.

An entry (canonical JSON, RFC 8785) names the event's place (leaf index, event position,
aggregate id and version, topic, when it was recorded), the SHA-256 of its stored state bytes
exactly as in the row, the entry hash of the same aggregate's previous event (so versions 1..k
are contiguous), and one salted digest per field of the decrypted event, never the field itself.

A field's digest is SD-JWT's (RFC 9901): the SHA-256 of the *disclosure*, the base64url of the
JSON array ``[salt, name, value]``. Handing over a disclosure reveals that one field, provably;
a digest alone reveals nothing that can be guessed back, because the salt is as forgettable as
the field: it is derived from the data keys of the field's subjects (the person a sealed value
belongs to, the holder of a login), so destroying a key destroys the salts with it, while the
digests, the entries and every proof stay valid. Fields about no one are salted from the
ledger's own salt key. See docs/rules.md §12.
"""

from __future__ import annotations

import hmac
import json
from base64 import urlsafe_b64decode
from binascii import b2a_base64
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime
from enum import Enum
from hashlib import sha256
from typing import Any
from uuid import UUID

import rfc8785

from domain.ledger.merkle import leaf_hash

FORMAT = 1
SALT_BYTES = 16  # 128 bits, as RFC 9901 asks at least
# The event attributes the entry names itself rather than as fields.
ENVELOPE = frozenset({"originator_id", "originator_version", "timestamp"})
# Fields that carry a login in plain (the event store is encrypted as a whole): salted from the
# login holder's data key (domain.shared.logins.login_subject), so erasing a login forgets them.
LOGIN_FIELDS = frozenset({"actor", "user_id", "subject_user_id"})
_SALT_CONTEXT = b"casework ledger salt v1\x00"


# Integers beyond this are not exact as IEEE 754 doubles: rfc8785 refuses them (RFC 8785 §3.2.2.3).
_SAFE_INTEGER = 2**53 - 1
_PLAIN_ENCODER = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
)
# The C escaper behind _PLAIN_ENCODER's strings (ensure_ascii=False): quotes and escapes a str.
_encode_str: Callable[[str], str] = json.encoder.encode_basestring  # type: ignore[attr-defined]
_URLSAFE = bytes.maketrans(b"+/", b"-_")


def canonical_json(value: Any) -> bytes:
    r"""RFC 8785 canonical JSON, exactly as ``rfc8785.dumps`` writes it, several times faster.

    For a value made only of exact ``str``, ``bool``, ``None``, ``int`` within ±(2**53 - 1),
    ``list``/``tuple`` and ``dict`` with ``str`` keys of the Basic Multilingual Plane, the
    standard library's C encoder writes the same bytes: the same escapes (``\"``, ``\\``,
    ``\b \f \n \r \t``, other controls as lowercase ``\u00xx``, nothing else), no
    whitespace, and keys in code-point order, which is UTF-16 order when no key needs a
    surrogate pair. Anything else (floats, above all, whose RFC 8785 form differs from
    Python's) goes to ``rfc8785``, as does a lone surrogate, for it to refuse."""
    if _plain_json(value):
        try:
            return _PLAIN_ENCODER.encode(value).encode("utf-8")
        except UnicodeEncodeError:
            pass
    return rfc8785.dumps(value)


def json_text(value: Any) -> str:
    """:func:`canonical_json` as text, without its checks for the values fields mostly hold (a
    string, null, a boolean, a safe integer). A string with a lone surrogate comes out as it
    is, for the UTF-8 encoding of whatever holds it to refuse."""
    kind = type(value)
    if kind is str:
        return _encode_str(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int and -_SAFE_INTEGER <= value <= _SAFE_INTEGER:
        return str(value)
    return canonical_json(value).decode("utf-8")


def _plain_json(value: Any) -> bool:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return -_SAFE_INTEGER <= value <= _SAFE_INTEGER
    if kind is list or kind is tuple:
        return all(_plain_json(item) for item in value)
    if kind is dict:
        return all(
            type(key) is str and (key.isascii() or max(key) < "\U00010000") and _plain_json(item)
            for key, item in value.items()
        )
    return False


class Unreadable(Exception):
    """A sealed value whose data key is gone: the field can no longer be disclosed."""


def b64url(data: bytes) -> str:
    return _b64url_bytes(data).decode("ascii")


def _b64url_bytes(data: bytes) -> bytes:
    return b2a_base64(data, newline=False).translate(_URLSAFE).rstrip(b"=")


def from_b64url(text: str) -> bytes:
    return urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Field:
    """One field of an event as the ledger sees it: its JSON value (sealed parts opened) and
    the subjects whose data keys salt it (none: the ledger's salt key)."""

    name: str
    value: Any
    subjects: tuple[UUID, ...]


class Opener:
    """Turns event values into JSON values, opening sealed ones with ``open_sealed`` (which
    returns the plaintext bytes, or raises :class:`Unreadable`) and noting their subjects.
    ``is_sealed`` and ``subject_of`` tell a sealed value apart and whose it is, so that this
    module needs no import from where sealing lives."""

    def __init__(
        self,
        is_sealed: Callable[[Any], bool],
        subject_of: Callable[[Any], UUID],
        open_sealed: Callable[[Any], bytes],
    ) -> None:
        self.is_sealed = is_sealed
        self.subject_of = subject_of
        self.open_sealed = open_sealed

    def field(self, name: str, value: Any, login_subject: Callable[[str], UUID]) -> Field:
        subjects: set[UUID] = set()
        plain = self._plain(value, subjects)
        if name in LOGIN_FIELDS and isinstance(value, str):
            subjects.add(login_subject(value))
        return Field(name, plain, tuple(sorted(subjects)))

    def _plain(self, value: Any, subjects: set[UUID]) -> Any:
        kind = type(value)
        if kind is str or value is None or kind is bool or kind is int:
            return value
        if kind is UUID:
            return str(value)
        if isinstance(value, bool | int | float):
            return value
        if isinstance(value, Enum):
            return self._plain(value.value, subjects)
        if isinstance(value, str):
            return str(value)
        if self.is_sealed(value):
            subjects.add(self.subject_of(value))
            return opened_value(self.open_sealed(value))
        if isinstance(value, UUID):
            return str(value)
        if isinstance(value, datetime | date):
            return value.isoformat()
        if isinstance(value, Mapping):
            return {str(k): self._plain(v, subjects) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._plain(v, subjects) for v in value]
        if isinstance(value, set | frozenset):
            items = [self._plain(v, subjects) for v in value]
            return sorted(items, key=canonical_json)
        if is_dataclass(value) and not isinstance(value, type):
            return {f.name: self._plain(getattr(value, f.name), subjects) for f in fields(value)}
        raise TypeError(f"the ledger cannot represent a {type(value).__name__} value")


def opened_value(data: bytes) -> Any:
    """The JSON value of a sealed value's plaintext: the text it holds, or its bytes as
    base64url when they are not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": b64url(data)}


def salt(keys: Iterable[bytes], aggregate_id: UUID, version: int, name: str) -> bytes:
    """The salt of one field of one event: an HMAC chain over the given data keys, so that it
    can be computed again while every key is kept and never once any is destroyed."""
    return salt_from(keys, salt_prefix(aggregate_id, version), name)


def salt_prefix(aggregate_id: UUID, version: int) -> bytes:
    """What every salt of one event begins from (:func:`salt`), to compute once per event."""
    return _SALT_CONTEXT + aggregate_id.bytes + version.to_bytes(8, "big")


def salt_from(keys: Iterable[bytes], prefix: bytes, name: str) -> bytes:
    mac = prefix + name.encode()
    for key in keys:
        mac = hmac.digest(key, mac, "sha256")
    return mac[:SALT_BYTES]


_BLOCK = 64  # SHA-256's block size, in bytes
# Unpadded base64url lengths of a salt and of a SHA-256 digest (b2a_base64 pads with "=").
_SALT_TEXT = -(-SALT_BYTES * 4 // 3)
_DIGEST_TEXT = 43
_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))


class FieldHasher:
    """:func:`salt_from` and :func:`field_digest` for many fields, the same bytes several
    times faster: each key's HMAC pads (RFC 2104: HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) ||
    m))) are hashed once and the two hash states copied for each message, where
    ``hmac.digest`` sets the key up again every time. Keep one for a batch only: it holds
    what the keys make, and a key destroyed later must not stay usable here."""

    def __init__(self) -> None:
        self._pads: dict[bytes, tuple[Any, Any]] = {}
        self._names: dict[str, tuple[bytes, str]] = {}  # name -> (its bytes, its JSON text)

    def salt(self, keys: Sequence[bytes], prefix: bytes, name: str) -> bytes:
        return self._salt(keys, prefix + name.encode())

    def _salt(self, keys: Sequence[bytes], mac: bytes) -> bytes:
        for key in keys:
            pads = self._pads.get(key) or self._pad(key)
            inner, outer = pads[0].copy(), pads[1].copy()
            inner.update(mac)
            outer.update(inner.digest())
            mac = outer.digest()
        return mac[:SALT_BYTES]

    def digest(self, keys: Sequence[bytes], prefix: bytes, name: str, value: Any) -> str:
        """``field_digest(salt_from(keys, prefix, name), name, value)``, in one call: what
        every field of every entry costs, so the steps are written out here (the property
        tests hold it to the two it stands for)."""
        named = self._names.get(name)
        if named is None:
            named = self._names[name] = (name.encode(), _encode_str(name))
        salt_bytes = self._salt(keys, prefix + named[0])
        try:
            text = (
                b'["'
                + b2a_base64(salt_bytes, newline=False).translate(_URLSAFE)[:_SALT_TEXT]
                + f'",{named[1]},'
                f"{_encode_str(value) if type(value) is str else json_text(value)}]".encode()
            )
        except (UnicodeEncodeError, rfc8785.CanonicalizationError):
            return field_digest(salt_bytes, name, value)  # for RFC 8785 to refuse the whole
        hashed = sha256(b2a_base64(text, newline=False).translate(_URLSAFE).rstrip(b"="))
        return (
            b2a_base64(hashed.digest(), newline=False)
            .translate(_URLSAFE)[:_DIGEST_TEXT]
            .decode("ascii")
        )

    def _pad(self, key: bytes) -> tuple[Any, Any]:
        block = (sha256(key).digest() if len(key) > _BLOCK else key).ljust(_BLOCK, b"\0")
        pads = (sha256(block.translate(_IPAD)), sha256(block.translate(_OPAD)))
        self._pads[key] = pads
        return pads


def _disclosure_bytes(salt_bytes: bytes, name: str, value: Any) -> bytes:
    """The disclosure as ASCII bytes: the canonical JSON [salt, name, value] put together from
    its three parts' canonical texts (the same bytes as encoding the list whole)."""
    try:
        text = (
            b'["'
            + _b64url_bytes(salt_bytes)
            + f'",{_encode_str(name)},{json_text(value)}]'.encode()
        )
    except (UnicodeEncodeError, rfc8785.CanonicalizationError):
        # Refused: let RFC 8785 refuse the whole, as it would (a lone surrogate in the name
        # before an integer out of range in the value, say)
        text = canonical_json([b64url(salt_bytes), name, value])
    return _b64url_bytes(text)


def disclosure(salt_bytes: bytes, name: str, value: Any) -> str:
    """The SD-JWT disclosure of a field: base64url of the canonical JSON [salt, name, value]."""
    return _disclosure_bytes(salt_bytes, name, value).decode("ascii")


def digest(disclosure_text: str) -> str:
    return b64url(sha256(disclosure_text.encode("ascii")).digest())


def field_digest(salt_bytes: bytes, name: str, value: Any) -> str:
    """``digest(disclosure(salt_bytes, name, value))``, without the text in between."""
    return _b64url_bytes(sha256(_disclosure_bytes(salt_bytes, name, value)).digest()).decode(
        "ascii"
    )


def read_disclosure(disclosure_text: str) -> tuple[str, Any]:
    """(name, value) of a disclosure."""
    salt_text, name, value = json.loads(from_b64url(disclosure_text))
    if not isinstance(salt_text, str) or not isinstance(name, str):
        raise ValueError("a disclosure is [salt, name, value]")
    return name, value


@dataclass(frozen=True)
class Entry:
    index: int
    position: int
    aggregate_id: UUID
    version: int
    topic: str
    recorded_at: str
    state_sha256: str  # hex
    previous: str | None  # hex entry hash of this aggregate's previous version
    fields: Mapping[str, str | None]  # name -> digest (None: erased before it was logged)

    def to_json(self) -> dict[str, Any]:
        return {
            "v": FORMAT,
            "index": self.index,
            "position": self.position,
            "aggregate": str(self.aggregate_id),
            "version": self.version,
            "topic": self.topic,
            "recorded_at": self.recorded_at,
            "state_sha256": self.state_sha256,
            "previous": self.previous,
            "fields": dict(sorted(self.fields.items())),
        }

    def canonical(self) -> bytes:
        """Canonical JSON (RFC 8785): by the C encoder when this entry is what an entry is
        made of (strings, safe integers, null, digests under ASCII field names, so that key
        order is code-point order), else by :func:`canonical_json`'s checks."""
        if self._plain():
            try:
                return self._written().encode("utf-8")
            except UnicodeEncodeError:
                pass
        return canonical_json(self.to_json())

    def _written(self) -> str:
        """:meth:`to_json` as the C encoder writes it with sorted keys (:func:`entry_text`)."""
        return entry_text(
            self.index,
            self.position,
            self.aggregate_id,
            self.version,
            self.topic,
            self.recorded_at,
            self.state_sha256,
            self.previous,
            fields_text(self.fields),
        )

    def _plain(self) -> bool:
        numbers = (self.index, self.position, self.version)
        texts = (self.topic, self.recorded_at, self.state_sha256)
        return (
            all(type(n) is int and -_SAFE_INTEGER <= n <= _SAFE_INTEGER for n in numbers)
            and all(type(t) is str for t in texts)
            and (self.previous is None or type(self.previous) is str)
            and plain_fields(self.fields)
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Entry:
        raw = json.loads(data)
        if raw.get("v") != FORMAT:
            raise ValueError(f"unknown ledger entry format {raw.get('v')!r}")
        return cls(
            index=raw["index"],
            position=raw["position"],
            aggregate_id=UUID(raw["aggregate"]),
            version=raw["version"],
            topic=raw["topic"],
            recorded_at=raw["recorded_at"],
            state_sha256=raw["state_sha256"],
            previous=raw["previous"],
            fields=raw["fields"],
        )


def plain_fields(fields: Mapping[str, str | None]) -> bool:
    """Whether :func:`fields_text` writes ``fields`` as RFC 8785 does: ASCII names (so that
    code-point order is RFC 8785's) and digests or nulls."""
    return "".join(fields).isascii() and all(type(d) is str or d is None for d in fields.values())


def fields_text(fields: Mapping[str, str | None]) -> str:
    """The canonical JSON object of an entry's field digests, for fields that are
    :func:`plain_fields`: what the writer stores for the integrator (``ledger_fields``)."""
    inner = ",".join(
        f"{_encode_str(name)}:{'null' if d is None else _encode_str(d)}"
        for name, d in sorted(fields.items())
    )
    return f"{{{inner}}}"


def entry_text(
    index: int,
    position: int,
    aggregate_id: UUID,
    version: int,
    topic: str,
    recorded_at: str,
    state_sha256: str,
    previous: str | None,
    fields: str,
) -> str:
    """The canonical JSON of an entry, put together in RFC 8785's key order (the keys are
    ASCII: code-point order), from its field digests already written (:func:`fields_text`),
    for integers that are safe and names that are plain (:meth:`Entry.canonical` checks)."""
    prior = "null" if previous is None else _encode_str(previous)
    return (
        f'{{"aggregate":"{aggregate_id}","fields":{fields},"index":{index},'
        f'"position":{position},"previous":{prior},'
        f'"recorded_at":{_encode_str(recorded_at)},'
        f'"state_sha256":{_encode_str(state_sha256)},"topic":{_encode_str(topic)},'
        f'"v":{FORMAT},"version":{version}}}'
    )


def entry_hash(canonical: bytes) -> bytes:
    """The hash that names an entry: its RFC 6962 leaf hash."""
    return leaf_hash(canonical)

"""The salted field digests of events (domain/ledger/entry.py says what one is), with the keys
their salts come from: what the writer computes as it records events, so that the integrator
need not decrypt them again, and what the integrator and the audit compute from a stored event.
Both sides call the same code on the fields of the same event, so an entry is the same bytes
whichever made its digests (docs/rules.md §12.6)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any
from uuid import UUID

from domain.ledger.entry import (
    ENVELOPE,
    LOGIN_FIELDS,
    FieldHasher,
    Opener,
    Unreadable,
    disclosure,
    opened_value,
    salt_prefix,
)
from domain.shared.logins import login_subject
from domain.shared.sealing import Erased, Keyring, Sealed, open_with
from domain.shared.system_keys import LEDGER_SALT_SUBJECT

# Values about no one, and so salted from the ledger's own key, unless a login field holds them.
_ABOUT_NO_ONE = frozenset({str, bool, int, type(None), UUID})


def event_values(event: Any) -> dict[str, Any]:
    """The fields of a domain event as the ledger digests them: its attributes but the
    envelope (id, version, time), which the entry names itself."""
    return {k: v for k, v in vars(event).items() if k not in ENVELOPE}


def sealed_in(value: Any) -> Iterator[Sealed]:
    if isinstance(value, Sealed):
        yield value
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from sealed_in(item)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from sealed_in(item)


@lru_cache(maxsize=65_536)
def _login_subject(login: str) -> UUID:
    return login_subject(login)


def subjects_of(values: Mapping[str, Any]) -> frozenset[UUID]:
    """Whose data keys the fields need: those their sealed values belong to and the holders
    of their logins."""
    subjects: set[UUID] = set()
    for name, value in values.items():
        kind = type(value)
        if kind is str:
            if name in LOGIN_FIELDS:
                subjects.add(_login_subject(value))
        elif kind is Sealed:
            subjects.add(value.subject_id)
        elif kind not in _ABOUT_NO_ONE:
            subjects.update(sealed.subject_id for sealed in sealed_in(value))
    return frozenset(subjects)


class FieldDigests:
    """Digests and disclosures of the fields of one batch of events, with the data keys of
    the batch's subjects looked up once (``known``: keys the store does not hold yet, those the
    command being recorded created). Make one per batch and drop it after: it holds keys, and a
    key destroyed later must not stay usable here."""

    def __init__(
        self,
        keyring: Keyring,
        subjects: Iterable[UUID],
        known: Mapping[UUID, bytes] | None = None,
    ) -> None:
        self.keyring = keyring
        wanted = set(subjects)
        if known:
            wanted -= known.keys()
        self._keys: dict[UUID, bytes | None] = keyring.keys_of(wanted) if wanted else {}
        self._keys.update(known or {})
        self._hasher = FieldHasher()
        self._opener = Opener(
            lambda v: isinstance(v, Sealed), lambda v: v.subject_id, self._open_sealed
        )
        salt_key = keyring.key_or_create(LEDGER_SALT_SUBJECT)
        if salt_key is None:
            raise RuntimeError("the ledger's salt key is missing from the key store")
        self._about_no_one = (salt_key,)

    def of(
        self, aggregate_id: UUID, version: int, values: Mapping[str, Any]
    ) -> dict[str, str | None]:
        """One salted digest per field of an event; None for a field whose key is gone."""
        hasher, prefix = self._hasher, salt_prefix(aggregate_id, version)
        digests: dict[str, str | None] = {}
        for name, value in values.items():
            keys, plain = self._field(name, value)
            digests[name] = None if keys is None else hasher.digest(keys, prefix, name, plain)
        return digests

    def disclosures(
        self, aggregate_id: UUID, version: int, values: Mapping[str, Any], names: Iterable[str]
    ) -> dict[str, str]:
        """The disclosures (RFC 9901: base64url of ``[salt, name, value]``) of the named fields
        of an event: what shows a field's logged value to someone holding only its digest. A
        field whose key is gone has none (it is left out)."""
        prefix = salt_prefix(aggregate_id, version)
        disclosures = {}
        for name in set(names) & values.keys():
            keys, plain = self._field(name, values[name])
            if keys is not None:
                salt = self._hasher.salt(keys, prefix, name)
                disclosures[name] = disclosure(salt, name, plain)
        return disclosures

    def _open_sealed(self, value: Sealed) -> bytes:
        opened = open_with(self._key(value.subject_id), value)
        if isinstance(opened, Erased):
            raise Unreadable(value.subject_id)
        return opened

    def _key(self, subject: UUID) -> bytes | None:
        """The data key of ``subject``: as looked up for the batch, else from the keyring
        (created if it never had one); None if it was destroyed."""
        try:
            return self._keys[subject]
        except KeyError:
            return self.keyring.key_or_create(subject)

    def _field(self, name: str, value: Any) -> tuple[Sequence[bytes] | None, Any]:
        """(keys, JSON value) of one field: the keys its salt is derived from (the ledger's
        salt key for a field about no one), None for a field whose key is gone."""
        kind = type(value)
        if kind in _ABOUT_NO_ONE and name not in LOGIN_FIELDS:  # what most fields hold
            return self._about_no_one, str(value) if kind is UUID else value
        if kind is str:  # a login: salted from its holder's key
            key = self._key(_login_subject(value))
            return None if key is None else (key,), value
        if kind is Sealed:  # one subject's sealed value: salted from its key
            key = self._key(value.subject_id)
            opened = open_with(key, value)
            if key is None or isinstance(opened, Erased):
                return None, None
            return (key,), opened_value(opened)
        try:
            field = self._opener.field(name, value, _login_subject)
        except Unreadable:
            return None, None
        return (
            self._keys_of(field.subjects) if field.subjects else self._about_no_one
        ), field.value

    def _keys_of(self, subjects: Iterable[UUID]) -> list[bytes] | None:
        keys = []
        for subject in subjects:
            key = self._key(subject)
            if key is None:
                return None
            keys.append(key)
        return keys

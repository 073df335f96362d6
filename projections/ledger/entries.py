"""Making ledger entries from stored events: what the integrator appends and what the audit
(``casework verify``) recomputes, so the two can never disagree on what an entry is."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from hashlib import sha256
from typing import Any
from uuid import UUID

from domain.ledger.entry import (
    ENVELOPE,
    LOGIN_FIELDS,
    Entry,
    Opener,
    Unreadable,
    disclosure,
    field_digest,
    salt_from,
    salt_prefix,
)
from domain.ledger.merkle import leaf_hash
from domain.shared.logins import login_subject
from domain.shared.sealing import Erased, Keyring, Sealed
from domain.shared.system_keys import LEDGER_SALT_SUBJECT


@dataclass(frozen=True)
class Stored:
    """One stored event: its row as recorded, and the domain event decoded from it."""

    position: int
    topic: str
    state: bytes
    event: Any


@dataclass(frozen=True)
class Made:
    entry: Entry
    canonical: bytes
    leaf: bytes

    def row(self) -> tuple[int, int, UUID, int, bytes, bytes]:
        """As ``ledger_entries`` stores it."""
        e = self.entry
        return (e.index, e.position, e.aggregate_id, e.version, self.canonical, self.leaf)


# Values about no one, and so salted from the ledger's own key, unless a login field holds them.
_ABOUT_NO_ONE = frozenset({str, bool, int, type(None), UUID})


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


def subjects_of(event: Any) -> Iterator[UUID]:
    """The subjects whose data keys the entry of ``event`` needs: those its sealed values
    belong to and the holders of its logins."""
    for name, value in vars(event).items():
        kind = type(value)
        if kind is str:
            if name in LOGIN_FIELDS:
                yield _login_subject(value)
        elif kind is Sealed:
            yield value.subject_id
        elif kind not in _ABOUT_NO_ONE:
            yield from (sealed.subject_id for sealed in sealed_in(value))


class MissingPredecessor(RuntimeError):
    def __init__(self, aggregate: UUID, version: int) -> None:
        super().__init__(f"the ledger holds no version {version} of {aggregate}")
        self.aggregate, self.version = aggregate, version


class EntryMaker:
    """Entries for runs of consecutive stored events, with the keyring that opens their sealed
    fields and holds the keys their salts are derived from."""

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring
        self.opener = Opener(
            lambda v: isinstance(v, Sealed), lambda v: v.subject_id, self._open_sealed
        )

    def _open_sealed(self, value: Sealed) -> bytes:
        opened = self.keyring.open_bytes(value)
        if isinstance(opened, Erased):
            raise Unreadable(value.subject_id)
        return opened

    def wanted_predecessors(self, stored: Sequence[Stored]) -> list[tuple[UUID, int]]:
        """The (aggregate, version) just before each event that is not itself in ``stored``:
        the entry hashes :meth:`make` needs to be given."""
        in_batch = {(s.event.originator_id, s.event.originator_version) for s in stored}
        return [
            (s.event.originator_id, s.event.originator_version - 1)
            for s in stored
            if s.event.originator_version > 1
            and (s.event.originator_id, s.event.originator_version - 1) not in in_batch
        ]

    def make(
        self,
        stored: Sequence[Stored],
        first_index: int,
        previous: MutableMapping[tuple[UUID, int], bytes],
    ) -> list[Made]:
        """The entries of ``stored``, indexed from ``first_index``. ``previous`` maps
        (aggregate, version) to entry hashes and gains the new ones."""
        self.keyring.prefetch(subject for item in stored for subject in subjects_of(item.event))
        salt_key = self._salt_key()
        made = []
        for offset, item in enumerate(stored):
            event = item.event
            aggregate, version = event.originator_id, event.originator_version
            prior = previous.get((aggregate, version - 1)) if version > 1 else None
            if version > 1 and prior is None:
                raise MissingPredecessor(aggregate, version - 1)
            entry = Entry(
                index=first_index + offset,
                position=item.position,
                aggregate_id=aggregate,
                version=version,
                topic=item.topic,
                recorded_at=event.timestamp.isoformat(),
                state_sha256=sha256(item.state).hexdigest(),
                previous=None if prior is None else prior.hex(),
                fields=self.digests(event, salt_key),
            )
            canonical = entry.canonical()
            leaf = leaf_hash(canonical)
            previous[(aggregate, version)] = leaf
            made.append(Made(entry, canonical, leaf))
        return made

    def digests(self, event: Any, salt_key: bytes) -> dict[str, str | None]:
        """One salted digest per field of ``event``; None for a field whose key is gone."""
        return {
            name: None if salted is None else field_digest(salted, name, plain)
            for name, salted, plain in self._salted(event, salt_key)
        }

    def disclosures(self, event: Any, names: Iterable[str]) -> dict[str, str]:
        """The disclosures (RFC 9901: base64url of ``[salt, name, value]``) of the named fields
        of ``event``: what shows a field's logged value to someone holding only its digest.
        A field whose key is gone has none (it is left out)."""
        wanted = set(names)
        return {
            name: disclosure(salted, name, plain)
            for name, salted, plain in self._salted(event, self._salt_key(), wanted)
            if salted is not None
        }

    def _salt_key(self) -> bytes:
        """The ledger's own salt key: what fields about no one are salted from."""
        key = self.keyring.key_or_create(LEDGER_SALT_SUBJECT)
        if key is None:
            raise RuntimeError("the ledger's salt key is missing from the key store")
        return key

    def _salted(
        self, event: Any, salt_key: bytes, only: set[str] | None = None
    ) -> Iterator[tuple[str, bytes | None, Any]]:
        """(name, salt, JSON value) of each field of ``event`` (of ``only``, if given); the
        salt None for a field whose key is gone."""
        prefix = salt_prefix(event.originator_id, event.originator_version)
        about_no_one = (salt_key,)
        for name, value in vars(event).items():
            if name in ENVELOPE or (only is not None and name not in only):
                continue
            kind = type(value)
            if kind in _ABOUT_NO_ONE and name not in LOGIN_FIELDS:  # what most fields hold
                plain = str(value) if kind is UUID else value
                keys: Sequence[bytes] | None = about_no_one
            else:
                try:
                    field = self.opener.field(name, value, _login_subject)
                except Unreadable:
                    yield name, None, None
                    continue
                plain = field.value
                keys = self._keys(field.subjects) if field.subjects else about_no_one
            yield name, None if keys is None else salt_from(keys, prefix, name), plain

    def _keys(self, subjects: Iterable[UUID]) -> list[bytes] | None:
        keys = []
        for subject in subjects:
            key = self.keyring.key_or_create(subject)
            if key is None:
                return None
            keys.append(key)
        return keys

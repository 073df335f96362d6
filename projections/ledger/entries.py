"""Making ledger entries from stored events: what the integrator appends and what the audit
(``casework verify``) recomputes, so the two can never disagree on what an entry is."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from hashlib import sha256
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, Notification

from domain.ledger.entry import (
    ENVELOPE,
    LOGIN_FIELDS,
    Entry,
    FieldHasher,
    Opener,
    Unreadable,
    disclosure,
    opened_value,
    salt_prefix,
)
from domain.ledger.merkle import leaf_hash
from domain.shared.logins import login_subject
from domain.shared.sealing import Erased, Keyring, Sealed, open_with
from domain.shared.system_keys import LEDGER_SALT_SUBJECT


@dataclass(frozen=True)
class Stored:
    """One stored event as the ledger reads it (:meth:`EntryMaker.read`): its row, and the
    fields of the domain event decoded from it, with whose data keys its entry needs."""

    position: int
    aggregate_id: UUID
    version: int
    topic: str
    state: bytes  # exactly as in the row
    values: Mapping[str, Any]  # the event's fields: its attributes but the envelope
    recorded_at: str
    subjects: frozenset[UUID]  # whose data keys its entry needs (sealed values, logins)


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


def _subjects(values: Mapping[str, Any]) -> frozenset[UUID]:
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


class MissingPredecessor(RuntimeError):
    def __init__(self, aggregate: UUID, version: int) -> None:
        super().__init__(f"the ledger holds no version {version} of {aggregate}")
        self.aggregate, self.version = aggregate, version


class EntryMaker:
    """Entries for runs of consecutive stored events, with the keyring that opens their sealed
    fields and holds the keys their salts are derived from, and the event store's mapper,
    which decodes a stored event."""

    def __init__(self, keyring: Keyring, mapper: Mapper[UUID]) -> None:
        self.keyring = keyring
        self.mapper = mapper
        self._batch_keys: dict[UUID, bytes | None] = {}  # while :meth:`make` runs
        self.opener = Opener(
            lambda v: isinstance(v, Sealed), lambda v: v.subject_id, self._open_sealed
        )

    def read(self, notification: Notification, event: Any | None = None) -> Stored:
        """A stored event as the ledger reads it: the row, and the fields of the domain event
        the mapper decodes from it (``event``, if it was decoded already)."""
        decoded: Any = self.mapper.to_domain_event(notification) if event is None else event
        values = {k: v for k, v in vars(decoded).items() if k not in ENVELOPE}
        return Stored(
            notification.id,
            decoded.originator_id,
            decoded.originator_version,
            notification.topic,
            notification.state,
            values,
            decoded.timestamp.isoformat(),
            _subjects(values),
        )

    def _open_sealed(self, value: Sealed) -> bytes:
        opened = open_with(self._key(value.subject_id), value)
        if isinstance(opened, Erased):
            raise Unreadable(value.subject_id)
        return opened

    def _key(self, subject: UUID) -> bytes | None:
        """The data key of ``subject``: as looked up for the batch being made, else from the
        keyring (created if it never had one); None if it was destroyed."""
        try:
            return self._batch_keys[subject]
        except KeyError:
            return self.keyring.key_or_create(subject)

    def wanted_predecessors(self, stored: Sequence[Stored]) -> list[tuple[UUID, int]]:
        """The (aggregate, version) just before each event that is not itself in ``stored``:
        the entry hashes :meth:`make` needs to be given."""
        in_batch = {(s.aggregate_id, s.version) for s in stored}
        return [
            (s.aggregate_id, s.version - 1)
            for s in stored
            if s.version > 1 and (s.aggregate_id, s.version - 1) not in in_batch
        ]

    def make(
        self,
        stored: Sequence[Stored],
        first_index: int,
        previous: MutableMapping[tuple[UUID, int], bytes],
    ) -> list[Made]:
        """The entries of ``stored``, indexed from ``first_index``. ``previous`` maps
        (aggregate, version) to entry hashes and gains the new ones."""
        self._batch_keys = self.keyring.keys_of(frozenset().union(*(s.subjects for s in stored)))
        try:
            salt_key, hasher = self._salt_key(), FieldHasher()
            made = []
            for offset, item in enumerate(stored):
                aggregate, version = item.aggregate_id, item.version
                prior = previous.get((aggregate, version - 1)) if version > 1 else None
                if version > 1 and prior is None:
                    raise MissingPredecessor(aggregate, version - 1)
                entry = Entry(
                    index=first_index + offset,
                    position=item.position,
                    aggregate_id=aggregate,
                    version=version,
                    topic=item.topic,
                    recorded_at=item.recorded_at,
                    state_sha256=sha256(item.state).hexdigest(),
                    previous=None if prior is None else prior.hex(),
                    fields=self.digests(item, salt_key, hasher),
                )
                canonical = entry.canonical()
                leaf = leaf_hash(canonical)
                previous[(aggregate, version)] = leaf
                made.append(Made(entry, canonical, leaf))
            return made
        finally:
            self._batch_keys = {}

    def digests(
        self, item: Stored, salt_key: bytes, hasher: FieldHasher | None = None
    ) -> dict[str, str | None]:
        """One salted digest per field of ``item``; None for a field whose key is gone."""
        hasher = hasher or FieldHasher()
        prefix, about_no_one = salt_prefix(item.aggregate_id, item.version), (salt_key,)
        digests: dict[str, str | None] = {}
        for name, value in item.values.items():
            keys, plain = self._field(name, value, about_no_one)
            digests[name] = None if keys is None else hasher.digest(keys, prefix, name, plain)
        return digests

    def disclosures(self, item: Stored, names: Iterable[str]) -> dict[str, str]:
        """The disclosures (RFC 9901: base64url of ``[salt, name, value]``) of the named fields
        of ``item``: what shows a field's logged value to someone holding only its digest.
        A field whose key is gone has none (it is left out)."""
        hasher, about_no_one = FieldHasher(), (self._salt_key(),)
        prefix = salt_prefix(item.aggregate_id, item.version)
        disclosures = {}
        for name in set(names) & item.values.keys():
            keys, plain = self._field(name, item.values[name], about_no_one)
            if keys is not None:
                disclosures[name] = disclosure(hasher.salt(keys, prefix, name), name, plain)
        return disclosures

    def _salt_key(self) -> bytes:
        """The ledger's own salt key: what fields about no one are salted from."""
        key = self.keyring.key_or_create(LEDGER_SALT_SUBJECT)
        if key is None:
            raise RuntimeError("the ledger's salt key is missing from the key store")
        return key

    def _field(
        self, name: str, value: Any, about_no_one: Sequence[bytes]
    ) -> tuple[Sequence[bytes] | None, Any]:
        """(keys, JSON value) of one field: the keys its salt is derived from
        (``about_no_one`` for a field about no one), None for a field whose key is gone."""
        kind = type(value)
        if kind in _ABOUT_NO_ONE and name not in LOGIN_FIELDS:  # what most fields hold
            return about_no_one, str(value) if kind is UUID else value
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
            field = self.opener.field(name, value, _login_subject)
        except Unreadable:
            return None, None
        return (self._keys(field.subjects) if field.subjects else about_no_one), field.value

    def _keys(self, subjects: Iterable[UUID]) -> list[bytes] | None:
        keys = []
        for subject in subjects:
            key = self._key(subject)
            if key is None:
                return None
            keys.append(key)
        return keys

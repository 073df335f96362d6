"""Envelope encryption of personal data, with crypto-shredding.

Every personal field (a name, a date of birth, a narrative) is sealed with the data key of its
*subject* (a person, later an incident) before it enters an event. Data keys are random AES-256
keys, stored only wrapped by the master key. Destroying a subject's data key erases every sealed
field of that subject everywhere at once — events, projections, backups — while the events stay
readable: opening such a field yields :data:`ERASED`, never an exception.

New data keys travel with the events that first use them and are written in the same
transaction (see ``CaseworkApplication.save``), so a rejected command leaves no key behind.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.shared.errors import ValidationFailed
from domain.shared.system_keys import SYSTEM_SUBJECTS

_NONCE = 12
_log = logging.getLogger(__name__)
_FORMAT = b"\x01"


@dataclass(frozen=True)
class Sealed:
    """An encrypted value bound to the data key of ``subject_id``."""

    subject_id: UUID
    token: bytes  # nonce + AES-GCM ciphertext

    def to_bytes(self) -> bytes:
        return _FORMAT + self.subject_id.bytes + self.token

    @classmethod
    def from_bytes(cls, data: bytes) -> Sealed:
        if data[:1] != _FORMAT:
            raise ValueError("not a sealed value")
        return cls(UUID(bytes=bytes(data[1:17])), bytes(data[17:]))


class Erased:
    """The marker read in place of a sealed field whose data key has been destroyed."""

    _instance: Erased | None = None

    def __new__(cls) -> Erased:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ERASED"

    def __bool__(self) -> bool:
        return False


ERASED = Erased()


class WrappedKeyStore(Protocol):
    """Where wrapped data keys live. ``None`` in a fetch result means the key was destroyed."""

    def fetch(self, subject_ids: Iterable[UUID]) -> Mapping[UUID, bytes | None]: ...

    def destroy(self, subject_id: UUID) -> None: ...

    def create(self, subject_id: UUID, wrapped: bytes) -> bytes | None:
        """Store ``wrapped`` for ``subject_id`` unless a key (or its destruction) is already
        recorded, committed at once; return what is stored now (None: destroyed)."""
        ...

    def saved(self, new_keys: Mapping[UUID, bytes]) -> None:
        """Called after events carrying ``new_keys`` were recorded."""
        ...


class InMemoryKeyStore:
    """A key store for domain tests that run without a database."""

    def __init__(self) -> None:
        self._keys: dict[UUID, bytes | None] = {}

    def fetch(self, subject_ids: Iterable[UUID]) -> Mapping[UUID, bytes | None]:
        return {s: self._keys[s] for s in subject_ids if s in self._keys}

    def destroy(self, subject_id: UUID) -> None:
        self._keys[subject_id] = None

    def create(self, subject_id: UUID, wrapped: bytes) -> bytes | None:
        return self._keys.setdefault(subject_id, wrapped)

    def saved(self, new_keys: Mapping[UUID, bytes]) -> None:
        for subject_id, wrapped in new_keys.items():
            self._keys.setdefault(subject_id, wrapped)


class SubjectErased(ValidationFailed):
    """A subject's data key is gone: nothing new can be recorded about them."""

    code = "SUBJECT_ERASED"

    def __init__(self, subject_id: UUID) -> None:
        super().__init__("subjectId", f"the personal data of {subject_id} has been erased")


@dataclass
class SealingSession:
    """Seals values for one command; collects the wrapped keys it had to create."""

    keyring: Keyring
    new_keys: dict[UUID, bytes] = field(default_factory=dict)
    _fresh: dict[UUID, bytes] = field(default_factory=dict)

    def new_subject(self, subject_id: UUID) -> UUID:
        """Create the data key of a subject this command creates: no look-up needed."""
        key = AESGCM.generate_key(bit_length=256)
        self._fresh[subject_id] = key
        self.new_keys[subject_id] = self.keyring.wrap(subject_id, key)
        return subject_id

    def seal(self, subject_id: UUID, plaintext: str) -> Sealed:
        return self.seal_bytes(subject_id, plaintext.encode())

    def seal_bytes(self, subject_id: UUID, data: bytes) -> Sealed:
        key = self._fresh.get(subject_id) or self.keyring.key_for(subject_id)
        if key is None:
            raise SubjectErased(subject_id)
        return _seal_with(subject_id, key, data)


def _seal_with(subject_id: UUID, key: bytes, data: bytes) -> Sealed:
    nonce = os.urandom(_NONCE)
    return Sealed(subject_id, nonce + AESGCM(key).encrypt(nonce, data, None))


def open_with(key: bytes | None, value: Sealed) -> bytes | Erased:
    """``value``'s plaintext, opened with its subject's data key (None: destroyed, or never
    made); ERASED if there is no key or the value fails authentication under it."""
    if key is None:
        return ERASED
    try:
        return AESGCM(key).decrypt(value.token[:_NONCE], value.token[_NONCE:], None)
    except InvalidTag:
        _log.error("sealed value for subject %s failed authentication", value.subject_id)
        return ERASED


class Keyring:
    """Wraps and unwraps data keys with the master key; caches unwrapped keys briefly.

    The process that destroys a key forgets it at once, and every other process the moment
    PostgreSQL's notice of the destruction reaches it (:meth:`heard`: a trigger of migration
    0041 sends one on ``casework_erasure`` when the destruction commits, and ``api.changes``
    listens). While nobody is listening, the cache lifetime bounds how long another process
    may still open a field after its key was destroyed; a look-up that overlaps a notice is
    not kept (a generation count), so a key heard destroyed is never cached again from a read
    made before.
    """

    def __init__(self, master_key: bytes, store: WrappedKeyStore, cache_seconds: float = 5.0):
        if len(master_key) != 32:
            raise ValueError("the master key must be 32 bytes (AES-256)")
        self._master = AESGCM(master_key)
        self._store = store
        self._cache_seconds = cache_seconds
        self._cache: dict[UUID, tuple[float, bytes | None]] = {}
        self._lock = threading.Lock()
        self._generation = 0

    def session(self) -> SealingSession:
        return SealingSession(self)

    def wrap(self, subject_id: UUID, key: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._master.encrypt(nonce, key, subject_id.bytes)

    def unwrap(self, subject_id: UUID, wrapped: bytes) -> bytes:
        """Open what :meth:`wrap` wrapped for ``subject_id``; ``InvalidTag`` under another
        master key."""
        return self._master.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], subject_id.bytes)

    def key_for(self, subject_id: UUID) -> bytes | None:
        return self._keys_for([subject_id]).get(subject_id)

    def key_or_create(self, subject_id: UUID) -> bytes | None:
        """The data key of ``subject_id``, created and committed now if it has none; None if it
        was destroyed. For subjects no command creates (a login, the blind-index key): safe
        when several processes ask at once, and inside another transaction, since the key is
        committed before anything sealed with it can be."""
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(subject_id)
            generation = self._generation
        if cached is not None and cached[0] > now:
            return cached[1]
        fetched = self._store.fetch([subject_id])
        if subject_id in fetched:
            wrapped = fetched[subject_id]
        else:
            fresh = AESGCM.generate_key(bit_length=256)
            wrapped = self._store.create(subject_id, self.wrap(subject_id, fresh))
        key = None if wrapped is None else self.unwrap(subject_id, wrapped)
        with self._lock:
            if self._generation == generation:
                self._cache[subject_id] = (now + self._cache_seconds, key)
        return key

    def seal_creating(self, subject_id: UUID, plaintext: str) -> Sealed | None:
        """Seal for a subject whose key is created on first use (:meth:`key_or_create`);
        None if that key was destroyed: there is nothing left to seal for."""
        key = self.key_or_create(subject_id)
        return None if key is None else _seal_with(subject_id, key, plaintext.encode())

    def prefetch(self, subject_ids: Iterable[UUID]) -> None:
        """Fetch (and cache) the keys of many subjects in one look-up, before using them."""
        wanted = list(subject_ids)
        if wanted:
            self._keys_for(wanted)

    def destroyed(self, subject_ids: Iterable[UUID]) -> set[UUID]:
        """Those of ``subject_ids`` whose data key was destroyed: erased people and records
        (a subject that never had a key is not among them)."""
        wanted = list(subject_ids)
        if not wanted:
            return set()
        self._keys_for(wanted)
        with self._lock:
            kept = {s: self._cache.get(s) for s in wanted}
        uncached = [s for s, c in kept.items() if c is None]
        fetched = self._store.fetch(uncached) if uncached else {}
        return {s for s, c in kept.items() if c is not None and c[1] is None} | {
            s for s, wrapped in fetched.items() if wrapped is None
        }

    def seal_if_kept(self, subject_id: UUID, plaintext: str) -> Sealed | None:
        """Seal for an existing subject outside a command (a view sealing a value an older event
        carried in plain); None if the subject's key was destroyed or never made."""
        key = self.key_for(subject_id)
        return None if key is None else _seal_with(subject_id, key, plaintext.encode())

    def _keys_for(self, subject_ids: Iterable[UUID]) -> dict[UUID, bytes | None]:
        now = time.monotonic()
        found: dict[UUID, bytes | None] = {}
        missing: list[UUID] = []
        with self._lock:
            generation = self._generation
            for subject_id in set(subject_ids):
                cached = self._cache.get(subject_id)
                if cached is not None and cached[0] > now:
                    found[subject_id] = cached[1]
                else:
                    missing.append(subject_id)
        if missing:
            fetched = self._store.fetch(missing)
            with self._lock:
                if len(self._cache) > 50_000:
                    self._cache.clear()
                keep = self._generation == generation
                for subject_id in missing:
                    if subject_id not in fetched:  # never had a key
                        continue
                    wrapped = fetched[subject_id]
                    key = None if wrapped is None else self.unwrap(subject_id, wrapped)
                    if keep:
                        self._cache[subject_id] = (now + self._cache_seconds, key)
                    found[subject_id] = key
        return found

    def keys_of(self, subject_ids: Iterable[UUID]) -> dict[UUID, bytes | None]:
        """The data keys of many subjects in one look-up (cached as :meth:`prefetch` caches
        them): None for a key destroyed; a subject that never had one is left out. Hold the
        answer no longer than the work it was asked for: a key destroyed since is not known
        to it."""
        return self._keys_for(subject_ids)

    def saved(self, new_keys: Mapping[UUID, bytes]) -> None:
        self._store.saved(new_keys)

    def destroy(self, subject_id: UUID) -> None:
        """Crypto-shred: every field sealed for ``subject_id`` reads as ERASED from now on.

        The system's own keys (the blind-index key, the ledger's keys) are not a subject's:
        destroying one would erase nobody and break what it protects, so it is refused."""
        if subject_id in SYSTEM_SUBJECTS:
            raise ValueError(f"the key of {subject_id} is not a subject's and is never destroyed")
        self._store.destroy(subject_id)
        with self._lock:
            self._generation += 1
            self._cache[subject_id] = (time.monotonic() + self._cache_seconds, None)

    def forget(self, subject_ids: Iterable[UUID]) -> None:
        """These subjects' keys were destroyed in the store by someone else's statement (an
        erasure's transaction): read them as destroyed here at once, as :meth:`destroy` does."""
        expires = time.monotonic() + self._cache_seconds
        with self._lock:
            self._generation += 1
            for subject_id in subject_ids:
                self._cache[subject_id] = (expires, None)

    # A keeper of ``api.changes``: told on ``casework_erasure`` of each key destroyed.

    def enable(self) -> None:
        """Destructions are being heard from now on. Nothing changes: what is cached lives no
        longer than its lifetime either way."""
        with self._lock:
            self._generation += 1

    def disable(self) -> None:
        """Destructions may go unheard: forget every cached key (each is fetched again, and
        kept no longer than the cache lifetime)."""
        with self._lock:
            self._generation += 1
            self._cache.clear()

    def heard(self, payload: str) -> None:
        """A notice: the key of the subject ``payload`` names was destroyed; forget it."""
        try:
            destroyed: UUID | None = UUID(payload)
        except ValueError:  # not from our trigger: forget every key rather than guess
            _log.warning("unexpected notice of a destroyed key: %r", payload)
            destroyed = None
        with self._lock:
            self._generation += 1
            if destroyed is None:
                self._cache.clear()
            else:
                self._cache.pop(destroyed, None)

    def holds(self, subject_id: UUID) -> bool:
        """Whether a usable key of ``subject_id`` is cached now (for tests and tools)."""
        with self._lock:
            cached = self._cache.get(subject_id)
        return cached is not None and cached[1] is not None and cached[0] > time.monotonic()

    def open(self, sealed: Sealed) -> str | Erased:
        return self.open_many([sealed])[0]

    def text_of(self, sealed: Sealed | None) -> str | None:
        """The plaintext of a sealed value; None if there is none, or it is erased."""
        if sealed is None:
            return None
        opened = self.open(sealed)
        return None if isinstance(opened, Erased) else opened

    def open_many(self, values: Iterable[Sealed]) -> list[str | Erased]:
        """Opens values with one key look-up for all their subjects."""
        return [v if isinstance(v, Erased) else v.decode() for v in self.open_bytes_many(values)]

    def open_bytes(self, sealed: Sealed) -> bytes | Erased:
        return self.open_bytes_many([sealed])[0]

    def open_bytes_many(self, values: Iterable[Sealed]) -> list[bytes | Erased]:
        values = list(values)
        keys = self._keys_for(v.subject_id for v in values)
        return [open_with(keys.get(value.subject_id), value) for value in values]

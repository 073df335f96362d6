"""The keyring told of destroyed keys (``Keyring.heard``, the keeper of ``casework_erasure``):
it forgets the key named, never keeps a look-up that overlapped a notice, and forgets every
key when it can no longer hear (docs/rules.md §9.5)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from uuid import UUID, uuid4

from domain.shared.sealing import ERASED, InMemoryKeyStore, Keyring

HOUR = 3600.0


def keyring_with(store: InMemoryKeyStore) -> Keyring:
    return Keyring(os.urandom(32), store, cache_seconds=HOUR)


def test_a_key_heard_destroyed_is_forgotten_and_read_again_from_the_store():
    store = InMemoryKeyStore()
    keyring = keyring_with(store)
    subject = uuid4()
    sealed = keyring.seal_creating(subject, "kept")
    assert sealed is not None and keyring.open(sealed) == "kept"
    store.destroy(subject)  # as another process does: this keyring still holds the key

    keyring.heard(str(subject))

    assert keyring.open(sealed) is ERASED


def test_a_notice_that_names_no_subject_forgets_every_key():
    store = InMemoryKeyStore()
    keyring = keyring_with(store)
    subjects = [uuid4(), uuid4()]
    for subject in subjects:
        keyring.key_or_create(subject)

    keyring.heard("not a subject id")

    assert [keyring.holds(s) for s in subjects] == [False, False]


class NoticeDuringFetch(InMemoryKeyStore):
    """A store whose fetch is overtaken by a destruction: the key is destroyed and its notice
    heard after the row was read, before the keyring caches what it read."""

    keyring: Keyring

    def fetch(self, subject_ids: Iterable[UUID]) -> Mapping[UUID, bytes | None]:
        wanted = list(subject_ids)
        fetched = dict(super().fetch(wanted))
        for subject in wanted:
            self.destroy(subject)
            self.keyring.heard(str(subject))
        return fetched


def test_a_look_up_that_overlaps_a_notice_is_not_kept():
    store = NoticeDuringFetch()
    keyring = store.keyring = keyring_with(store)
    subject = uuid4()
    store.create(subject, keyring.wrap(subject, os.urandom(32)))

    keyring.key_for(subject)  # answered from what was read, but not kept

    assert not keyring.holds(subject)


def test_a_keyring_that_can_no_longer_hear_forgets_every_key():
    keyring = keyring_with(InMemoryKeyStore())
    subject = uuid4()
    keyring.key_or_create(subject)

    keyring.disable()

    assert not keyring.holds(subject)

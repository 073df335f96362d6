"""An erasure reaches every process's caches at once (issue 19; docs/rules.md §9.5): a data
key destroyed in one process is unreadable in another the moment PostgreSQL's notice arrives
(migration 0041, ``casework_erasure``), however long that process keeps keys; what else it
keeps between requests is forgotten with it; and while it cannot hear, it keeps nothing
beyond the keys' short lifetime."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from uuid import UUID, uuid4

import pytest

from api.changes import ChangeListener
from api.wiring import Container, build
from domain.shared.sealing import ERASED, Sealed

HOUR = 3600.0


def eventually(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def built(server_database, settings, key_cache_seconds: float) -> Container:
    configured = settings.model_copy(update={"key_cache_seconds": key_cache_seconds})
    return build(configured, database=server_database, apply_migrations=False)


@pytest.fixture
def here(container, server_database, settings) -> Iterator[Container]:
    """A process that keeps keys for an hour and hears destructions."""
    process = built(server_database, settings, HOUR)
    yield process
    process.close()


@pytest.fixture
def elsewhere(container, server_database, settings) -> Iterator[Container]:
    """Another process on the same database: its destructions reach ``here`` only by notice."""
    process = built(server_database, settings, HOUR)
    yield process
    process.close()


@pytest.fixture
def listening(here: Container) -> Iterator[ChangeListener]:
    listener = here.change_listener()
    listener.start()
    assert listener.listening.wait(10)
    yield listener
    listener.stop()


def kept_secret(process: Container) -> tuple[UUID, Sealed]:
    """A subject with a key, and a value sealed with it that ``process`` has opened (so keeps
    the key)."""
    subject = uuid4()
    sealed = process.keyring.seal_creating(subject, "a secret about the subject")
    assert sealed is not None
    assert process.keyring.open(sealed) == "a secret about the subject"
    assert process.keyring.holds(subject)
    return subject, sealed


def test_a_key_another_process_destroys_is_unreadable_here_at_once_however_long_keys_are_kept(
    here, elsewhere, listening
):
    subject, sealed = kept_secret(here)

    elsewhere.keyring.destroy(subject)

    assert eventually(lambda: not here.keyring.holds(subject), seconds=5)
    assert here.keyring.open(sealed) is ERASED


def test_another_subjects_key_stays_kept_when_one_is_destroyed(here, elsewhere, listening):
    erased, _ = kept_secret(here)
    other, other_sealed = kept_secret(here)

    elsewhere.keyring.destroy(erased)

    assert eventually(lambda: not here.keyring.holds(erased), seconds=5)
    assert here.keyring.holds(other)
    assert here.keyring.open(other_sealed) == "a secret about the subject"


def test_the_principals_and_posting_checks_kept_are_forgotten_with_a_destroyed_key(
    here, elsewhere, listening
):
    here.principal("someone@school.example")
    assert here.principals.holds("someone@school.example")
    subject, _ = kept_secret(elsewhere)

    elsewhere.keyring.destroy(subject)

    assert eventually(lambda: not here.principals.holds("someone@school.example"), seconds=5)


def test_a_process_that_stops_hearing_destructions_forgets_every_key_it_kept(here, listening):
    subject, _ = kept_secret(here)

    listening.stop()

    assert not here.keyring.holds(subject)


def test_a_process_that_cannot_hear_keeps_a_key_no_longer_than_its_lifetime(
    server_database, settings, elsewhere
):
    deaf = built(server_database, settings, 0.2)
    try:
        subject, sealed = kept_secret(deaf)
        elsewhere.keyring.destroy(subject)
        time.sleep(0.3)
        assert deaf.keyring.open(sealed) is ERASED
    finally:
        deaf.close()

"""Blind indexes and sealed logins: equality without plaintext, erasure by one key."""

from __future__ import annotations

import os
from uuid import uuid4

import pytest

from domain.shared.blind_index import BLIND_INDEX_SUBJECT, BlindIndex
from domain.shared.logins import LoginSealer, login_subject
from domain.shared.sealing import ERASED, InMemoryKeyStore, Keyring, Sealed

KEY = os.urandom(32)


def test_a_login_always_has_the_same_index_under_the_same_key():
    assert BlindIndex(KEY).login("dsl@primary.demo") == BlindIndex(KEY).login("dsl@primary.demo")


def test_logins_are_matched_exactly_as_before():
    index = BlindIndex(KEY)
    assert index.login("dsl@primary.demo") != index.login("DSL@primary.demo")


def test_an_index_under_another_key_matches_nothing():
    assert BlindIndex(KEY).login("dsl@primary.demo") != BlindIndex(os.urandom(32)).login(
        "dsl@primary.demo"
    )


def test_the_same_term_in_two_scopes_has_two_indexes():
    index = BlindIndex(KEY)
    one, other = uuid4(), uuid4()
    assert index.term("platform", "WhatsApp", one) == index.term("platform", "WhatsApp", one)
    assert index.term("platform", "WhatsApp", one) != index.term("platform", "WhatsApp", other)


def test_a_term_is_bound_to_its_purpose_and_never_matches_a_login():
    index = BlindIndex(KEY)
    assert index.term("platform", "x@y") != index.term("reference", "x@y")
    assert index.term("login", "x@y") != index.login("x@y")


def test_a_blind_index_key_must_be_256_bits():
    with pytest.raises(ValueError, match="32 bytes"):
        BlindIndex(b"short")


def _sealer() -> LoginSealer:
    keyring = Keyring(os.urandom(32), InMemoryKeyStore())
    return LoginSealer(keyring, BlindIndex(KEY))


def test_a_sealed_login_opens_with_its_holders_own_key():
    sealer = _sealer()
    sealed, ix = sealer.seal_login("dsl@primary.demo")
    assert sealed is not None
    value = Sealed.from_bytes(sealed)
    assert value.subject_id == login_subject("dsl@primary.demo")
    assert sealer.keyring.open(value) == "dsl@primary.demo"
    assert ix == BlindIndex(KEY).login("dsl@primary.demo")


def test_destroying_a_logins_key_erases_it_and_nothing_new_is_sealed_for_it():
    sealer = _sealer()
    sealed = sealer.seal("dsl@primary.demo")
    assert sealed is not None
    sealer.keyring.destroy(login_subject("dsl@primary.demo"))
    assert sealer.keyring.open(Sealed.from_bytes(sealed)) is ERASED
    assert sealer.seal("dsl@primary.demo") is None
    assert sealer.seal("head@primary.demo") is not None


def test_the_blind_index_key_is_never_destroyed_by_an_erasure():
    keyring = Keyring(os.urandom(32), InMemoryKeyStore())
    key = keyring.key_or_create(BLIND_INDEX_SUBJECT)
    with pytest.raises(ValueError, match="never destroyed"):
        keyring.destroy(BLIND_INDEX_SUBJECT)
    assert keyring.key_or_create(BLIND_INDEX_SUBJECT) == key

"""The integrator: every stored event becomes the next leaf, exactly once, in the store's order."""

from __future__ import annotations

import json

from domain.ledger.digests import FieldDigests
from domain.ledger.entry import ENVELOPE, Entry, Opener, digest, disclosure, salt
from domain.ledger.merkle import leaf_hash, root_of
from domain.shared.logins import login_subject
from domain.shared.sealing import Sealed
from domain.shared.system_keys import LEDGER_SALT_SUBJECT
from tests.ledger.world import catch_up_ledger, record_some_history


def _events(container):
    with container.pool.connection() as conn:
        return conn.execute(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM casework_events ORDER BY notification_id"
        ).fetchall()


def _entries(container):
    with container.pool.connection() as conn:
        return conn.execute("SELECT * FROM ledger_entries ORDER BY leaf_index").fetchall()


def _head(container):
    with container.pool.connection() as conn:
        return conn.execute("SELECT size, root FROM ledger_head").fetchone()


def test_every_event_becomes_one_leaf_with_a_dense_index_in_the_store_order(container):
    record_some_history(container.app)
    catch_up_ledger(container)
    events, entries = _events(container), _entries(container)
    assert [e["leaf_index"] for e in entries] == list(range(len(events)))
    assert [e["position"] for e in entries] == [e["notification_id"] for e in events]


def test_the_head_is_the_rfc_6962_root_of_the_entries(container):
    record_some_history(container.app)
    catch_up_ledger(container)
    entries = _entries(container)
    head = _head(container)
    assert head["size"] == len(entries)
    assert bytes(head["root"]) == root_of([leaf_hash(bytes(e["entry"])) for e in entries])


def test_an_entry_commits_to_the_stored_state_bytes_and_the_aggregate_previous_entry(container):
    import hashlib

    record_some_history(container.app)
    catch_up_ledger(container)
    events = {e["notification_id"]: e for e in _events(container)}
    last: dict = {}
    for row in _entries(container):
        entry = Entry.from_bytes(bytes(row["entry"]))
        stored = events[entry.position]
        assert entry.state_sha256 == hashlib.sha256(stored["state"]).hexdigest()
        assert entry.topic == stored["topic"]
        assert entry.previous == last.get(entry.aggregate_id)
        last[entry.aggregate_id] = leaf_hash(bytes(row["entry"])).hex()


def test_an_entry_holds_a_digest_per_field_and_no_field_value(container):
    record_some_history(container.app)
    catch_up_ledger(container)
    text = b"".join(bytes(e["entry"]) for e in _entries(container))
    for plaintext in (b"Philippa", b"Ledger Primary", b"Shouted", b"head@"):
        assert plaintext not in text
    first = json.loads(bytes(_entries(container)[0]["entry"]))
    assert first["fields"] and all(isinstance(d, str) for d in first["fields"].values())


def test_catching_up_again_adds_only_what_is_new(container):
    record_some_history(container.app)
    worker = catch_up_ledger(container)
    size = _head(container)["size"]
    record_some_history(container.app, "Second Primary", "765432")
    worker.catch_up()
    assert _head(container)["size"] == len(_events(container)) > size


def general_digests(container, event) -> dict:
    """The general path: the event decoded by the mapper; each field's sealed parts opened,
    their subjects noted, salted from their keys by ``hmac``."""
    keyring = container.keyring
    salt_key = keyring.key_or_create(LEDGER_SALT_SUBJECT)
    opener = Opener(lambda v: isinstance(v, Sealed), lambda v: v.subject_id, keyring.open_bytes)
    expected = {}
    for name, value in vars(event).items():
        if name in ENVELOPE:
            continue
        field = opener.field(name, value, login_subject)
        keys = [keyring.key_or_create(s) for s in field.subjects] or [salt_key]
        salted = salt(keys, event.originator_id, event.originator_version, name)
        expected[name] = digest(disclosure(salted, name, field.value))
    return expected


def test_every_field_digest_is_the_one_the_general_opener_path_makes(container):
    """The maker, with its fast paths for plain fields and logins, its batch's keys looked up
    once and its field hasher, gives the digest the general path gives for every field of
    every event."""
    record_some_history(container.app)
    worker = catch_up_ledger(container)
    checked = 0
    for row in _events(container):
        (n,) = container.app.recorder.select_notifications(start=row["notification_id"], limit=1)
        event = worker.mapper.to_domain_event(n)
        expected = general_digests(container, event)
        stored = worker.maker.read(n, event)
        digests = FieldDigests(container.keyring, stored.subjects)
        assert digests.of(stored.aggregate_id, stored.version, stored.values) == expected
        checked += len(expected)
    assert checked > 30

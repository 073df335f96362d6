"""The bundle's fingerprint commits to its facts, whatever order they are listed in; an
exported aggregate's head is its highest exported version."""

from __future__ import annotations

from hashlib import sha256
from uuid import UUID

import rfc8785

from domain.lado.contents import FORMAT, ExportedEvent, Head, fingerprint, heads

REFERRAL = {"timing": {"incident": "2026-11-03"}, "adult": {"name": "Tom Ledger"}}
ENTRIES = [{"when": "2026-11-03T09:00:00Z", "who": "headteacher", "what": "Received"}]
EVIDENCE = [("data/evidence/01-a.pdf", "aa" * 32), ("data/evidence/02-b.png", None)]
EVENTS = [(12, "cd" * 32), (7, "ef" * 32)]
A, B = UUID(int=1), UUID(int=2)


def test_the_fingerprint_is_the_sha256_of_the_canonical_json_of_the_facts():
    document = {
        "format": FORMAT,
        "referral": REFERRAL,
        "entries": ENTRIES,
        "evidence": [["data/evidence/01-a.pdf", "aa" * 32], ["data/evidence/02-b.png", None]],
        "events": [[7, "ef" * 32], [12, "cd" * 32]],
    }
    expected = sha256(rfc8785.dumps(document)).hexdigest()
    assert fingerprint(REFERRAL, ENTRIES, EVIDENCE, EVENTS) == expected


def test_the_fingerprint_does_not_depend_on_the_order_evidence_and_events_are_listed_in():
    assert fingerprint(REFERRAL, ENTRIES, EVIDENCE[::-1], EVENTS[::-1]) == fingerprint(
        REFERRAL, ENTRIES, EVIDENCE, EVENTS
    )


def test_the_fingerprint_changes_when_any_fact_changes():
    base = fingerprint(REFERRAL, ENTRIES, EVIDENCE, EVENTS)
    assert fingerprint({**REFERRAL, "adult": {"name": "T"}}, ENTRIES, EVIDENCE, EVENTS) != base
    assert fingerprint(REFERRAL, [], EVIDENCE, EVENTS) != base
    assert fingerprint(REFERRAL, ENTRIES, EVIDENCE[:1], EVENTS) != base
    assert fingerprint(REFERRAL, ENTRIES, EVIDENCE, [(12, "00" * 32), (7, "ef" * 32)]) != base


def test_each_exported_aggregates_head_is_its_highest_version_with_that_events_entry_hash():
    events = [
        ExportedEvent(3, B, 1, frozenset()),
        ExportedEvent(5, A, 1, frozenset()),
        ExportedEvent(9, B, 2, frozenset()),
    ]
    hashes = {3: "b1", 5: "a1", 9: "b2"}
    assert heads(events, hashes) == [Head(A, 1, "a1"), Head(B, 2, "b2")]

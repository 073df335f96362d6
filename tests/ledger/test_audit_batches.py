"""The batch check of the audit (no database): it clears a batch only when every entry is
exactly the canonical entry its row implies; anything else is left to the leaf-by-leaf check."""

from __future__ import annotations

from hashlib import sha256

from projections.ledger.audit.rows import fields_in_form, implied

AGGREGATE = "1ffa9afe-0121-4b7b-bee5-8c797039dd1e"
STATE = b"the state bytes"
DIGEST = "A" * 43


def entry(fields: str = f'"actor":"{DIGEST}","name":null', topic: str = "a.b:C.D") -> bytes:
    return (
        f'{{"aggregate":"{AGGREGATE}","fields":{{{fields}}},"index":0,"position":7,'
        f'"previous":null,"recorded_at":"2024-07-03T00:38:13.520938+00:00",'
        f'"state_sha256":"{sha256(STATE).hexdigest()}","topic":"{topic}","v":1,"version":1}}'
    ).encode()


def clears(data: bytes, row: tuple = (7, AGGREGATE, 1, "a.b:C.D", STATE)) -> bool:
    return implied([data], [row], 0, [None], {}, {})


def test_an_entry_exactly_as_its_row_implies_is_cleared():
    assert clears(entry())


def test_an_entry_whose_row_has_other_state_bytes_is_not_cleared():
    assert not clears(entry(), (7, AGGREGATE, 1, "a.b:C.D", STATE + b"!"))


def test_an_entry_whose_row_has_a_null_state_is_not_cleared():
    assert not clears(entry(), (7, AGGREGATE, 1, "a.b:C.D", None))


def test_an_entry_naming_another_previous_entry_is_not_cleared():
    assert not implied([entry()], [(7, AGGREGATE, 1, "a.b:C.D", STATE)], 0, [b"\0" * 32], {}, {})


def test_an_entry_with_its_field_names_out_of_order_is_not_cleared():
    assert not clears(entry(f'"name":null,"actor":"{DIGEST}"'))


def test_an_entry_whose_fields_are_not_json_is_not_cleared():
    for fields in (f'"actor":"{DIGEST}","name":nullx', f'"actor":"{DIGEST}""', '"actor"::"x"'):
        assert not clears(entry(fields)), fields


def test_a_topic_that_json_would_escape_is_not_cleared():
    topic = 'a"b'
    assert not clears(entry(topic=topic), (7, AGGREGATE, 1, topic, STATE))


def test_fields_objects_are_checked_one_by_one_when_one_is_empty():
    assert fields_in_form([b"", b'"a":"x","b":null'], {})
    assert not fields_in_form([b"", b'"b":"x","a":null'], {})


def test_a_repeated_field_name_is_not_in_form():
    assert not fields_in_form([b'"a":"x","a":"y"'], {})

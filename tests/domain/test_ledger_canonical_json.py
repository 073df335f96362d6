"""The ledger's canonical JSON writes exactly the bytes of the rfc8785 library, whatever the
value, so that making entries faster never changes an entry, a digest or a leaf."""

from __future__ import annotations

import hmac
from base64 import urlsafe_b64encode
from hashlib import sha256
from uuid import UUID

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.ledger.entry import (
    Entry,
    FieldHasher,
    canonical_json,
    digest,
    disclosure,
    field_digest,
    json_text,
    salt,
    salt_from,
)

# Text of every plane, controls, quotes, backslashes, lone surrogates and non-BMP characters.
TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec=None),
        st.sampled_from('"\\/\b\f\n\r\t\x00\x1f\x7f\u2028\u2029\ue000\uffff\U0001f600\ud800'),
    )
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53) - 2, max_value=2**53 + 2),
    st.integers(),
    st.floats(),
    TEXT,
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.tuples(inner, inner),
        st.dictionaries(TEXT, inner, max_size=5),
    ),
    max_leaves=30,
)


def outcome(function: object, value: object) -> tuple[str, object]:
    """What a serialiser does with ``value``: its bytes, or the kind of error it raises."""
    try:
        return "bytes", function(value)  # type: ignore[operator]
    except Exception as error:
        return "refused", type(error)


@settings(max_examples=2000, deadline=None)
@given(VALUES)
def test_any_value_is_written_as_rfc8785_writes_it_or_refused_as_rfc8785_refuses_it(
    value: object,
) -> None:
    assert outcome(canonical_json, value) == outcome(rfc8785.dumps, value)


@pytest.mark.parametrize(
    "value",
    [
        {"\ue000": 1, "\U0001f600": 2},  # UTF-16 order differs from code-point order here
        {"b": [1, "x\n\u0001"], "a": {"d": None, "c": True}},
        [2**53 - 1, -(2**53) + 1],
        [1.0, 1e21, 0.1],
        "\u2028\u2029\x7f/",
    ],
)
def test_the_values_where_a_plain_encoder_could_go_wrong_are_written_as_rfc8785_writes_them(
    value: object,
) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


def test_an_integer_beyond_the_safe_range_is_refused_as_rfc8785_refuses_it() -> None:
    with pytest.raises(rfc8785.IntegerDomainError):
        canonical_json([2**53])


def test_a_salt_is_the_hmac_chain_it_always_was() -> None:
    keys = [b"k" * 32, b"j" * 32]
    aggregate = UUID(int=7)
    message = b"casework ledger salt v1\x00" + aggregate.bytes + (3).to_bytes(8, "big") + b"name"
    for key in keys:
        message = hmac.new(key, message, sha256).digest()
    assert salt(keys, aggregate, 3, "name") == message[:16]


def _b64url(data: bytes) -> str:
    return urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def rfc8785_disclosure(salt_bytes: bytes, name: str, value: object) -> str:
    """SD-JWT's disclosure, spelled out with the rfc8785 library: the reference."""
    return _b64url(rfc8785.dumps([_b64url(salt_bytes), name, value]))


@settings(max_examples=2000, deadline=None)
@given(SCALARS)
def test_a_scalars_text_is_its_canonical_json_or_refused_when_encoded(value: object) -> None:
    expected = outcome(rfc8785.dumps, value)
    got = outcome(lambda v: json_text(v).encode("utf-8"), value)
    assert got == expected if expected[0] == "bytes" else got[0] == "refused"


@settings(max_examples=2000, deadline=None)
@given(st.binary(min_size=16, max_size=16), TEXT, VALUES)
def test_a_disclosure_and_its_digest_are_those_rfc8785_makes(
    salt_bytes: bytes, name: str, value: object
) -> None:
    expected = outcome(lambda v: rfc8785_disclosure(salt_bytes, name, v), value)
    assert outcome(lambda v: disclosure(salt_bytes, name, v), value) == expected
    if expected[0] == "bytes":
        text = str(expected[1])
        assert field_digest(salt_bytes, name, value) == digest(text)
        assert digest(text) == _b64url(sha256(text.encode()).digest())


ENTRIES = st.builds(
    Entry,
    index=st.integers(min_value=0, max_value=2**53 - 1),
    position=st.integers(min_value=1, max_value=2**53 - 1),
    aggregate_id=st.uuids(),
    version=st.integers(min_value=1, max_value=2**53 - 1),
    topic=TEXT,
    recorded_at=TEXT,
    state_sha256=TEXT,
    previous=st.none() | TEXT,
    fields=st.dictionaries(TEXT, st.none() | TEXT | st.floats() | st.integers(), max_size=8),
)


@settings(max_examples=2000, deadline=None)
@given(ENTRIES)
def test_an_entrys_canonical_bytes_are_those_rfc8785_writes(entry: Entry) -> None:
    """Whatever it holds, parsed from a hostile row or made by the integrator."""
    assert outcome(lambda e: e.canonical(), entry) == outcome(rfc8785.dumps, entry.to_json())


KEYS = st.lists(st.binary(min_size=0, max_size=100), min_size=1, max_size=3)


@settings(max_examples=1000, deadline=None)
@given(KEYS, st.binary(max_size=48), TEXT)
def test_the_field_hashers_salt_is_the_hmac_chain_of_salt_from(
    keys: list[bytes], prefix: bytes, name: str
) -> None:
    """Whatever the keys' lengths (longer than a SHA-256 block too), and asked again of the
    same hasher (its pads kept)."""
    try:
        name.encode()
    except UnicodeEncodeError:  # a name that is no UTF-8 names no field
        return
    hasher = FieldHasher()
    assert hasher.salt(keys, prefix, name) == salt_from(keys, prefix, name)
    assert hasher.salt(keys, prefix, name) == salt_from(keys, prefix, name)


@settings(max_examples=2000, deadline=None)
@given(KEYS, TEXT, VALUES)
def test_the_field_hashers_digest_is_field_digest_of_its_salt_or_refused_as_it_is(
    keys: list[bytes], name: str, value: object
) -> None:
    prefix = b"casework ledger salt v1\x00" + UUID(int=7).bytes + (3).to_bytes(8, "big")
    try:
        salted = salt_from(keys, prefix, name)
    except UnicodeEncodeError:  # a name that is no UTF-8 names no field
        return
    expected = outcome(lambda v: field_digest(salted, name, v), value)
    assert outcome(lambda v: FieldHasher().digest(keys, prefix, name, v), value) == expected

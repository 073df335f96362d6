"""The ledger's canonical JSON writes exactly the bytes of the rfc8785 library, whatever the
value, so that making entries faster never changes an entry, a digest or a leaf."""

from __future__ import annotations

import hmac
from hashlib import sha256
from uuid import UUID

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.ledger.entry import canonical_json, salt

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

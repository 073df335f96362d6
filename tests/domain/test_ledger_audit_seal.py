"""The seal of an audit run (domain/ledger/audit_seal): it holds for exactly the key, tree size
and root it was made of."""

from __future__ import annotations

from hashlib import sha256

import pytest

from domain.ledger.audit_seal import audit_seal, seal_holds

KEY, OTHER_KEY = b"k" * 32, b"o" * 32
ROOT, OTHER_ROOT = sha256(b"a tree").digest(), sha256(b"another tree").digest()


def test_a_seal_holds_for_the_key_size_and_root_it_was_made_of():
    assert seal_holds(KEY, 12, ROOT, audit_seal(KEY, 12, ROOT))


@pytest.mark.parametrize(
    ("key", "size", "root"),
    [(OTHER_KEY, 12, ROOT), (KEY, 13, ROOT), (KEY, 1, ROOT), (KEY, 12, OTHER_ROOT)],
    ids=["another key", "a larger size", "a smaller size", "another root"],
)
def test_a_seal_does_not_hold_for_anything_else(key, size, root):
    assert not seal_holds(key, size, root, audit_seal(KEY, 12, ROOT))


def test_a_root_that_is_not_a_sha_256_hash_holds_no_seal_and_cannot_be_sealed():
    assert not seal_holds(KEY, 12, ROOT[:31], audit_seal(KEY, 12, ROOT))
    with pytest.raises(ValueError, match="32-byte root"):
        audit_seal(KEY, 12, ROOT[:31])


def test_a_negative_size_holds_no_seal():
    assert not seal_holds(KEY, -1, ROOT, b"\0" * 32)

"""Keyed blind indexes: equality matches on personal values without storing them.

A view that must answer "is this user the subject?" or "group these incidents by platform"
stores an HMAC-SHA256 of the value, keyed with a secret from the key store, instead of the value.
Without the key a dump gives nothing to join on or to guess against cheaply; with it, equality
is an indexed compare of ``bytea``. Values are indexed exactly as given (logins are compared
exactly, as they always were), and each index is bound to its purpose and, if given, a scope (a
trust, say): the same platform in two trusts, or a login and a term of the same text, never
share an index.
"""

from __future__ import annotations

import hashlib
import hmac
from uuid import UUID

# The subject id under which the blind-index key is stored in the key store (wrapped by the
# master key). Fixed, so that every process finds the same key; never destroyed by an erasure.
BLIND_INDEX_SUBJECT = UUID("7b1c0d5e-3a62-4f0e-9d8b-5b1e4c2a9f01")

_NO_SCOPE = b"\x00"
_SCOPED = b"\x01"


class BlindIndex:
    """Blind indexes under one key (``<name>_ix`` columns, ``bytea``)."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the blind-index key must be 32 bytes")
        self._key = key

    def login(self, value: str) -> bytes:
        """The index of a login (a token's ``sub``): who acted, who holds a grant."""
        return self._mac("login", None, value)

    def term(self, purpose: str, value: str, scope: UUID | None = None) -> bytes:
        """The index of another value matched on equality, for ``purpose``, within ``scope``."""
        if not purpose or "\x00" in purpose:
            raise ValueError("a blind-index purpose is a non-empty name")
        return self._mac("term:" + purpose, scope, value)

    def _mac(self, purpose: str, scope: UUID | None, value: str) -> bytes:
        message = purpose.encode() + b"\x00"
        message += _NO_SCOPE if scope is None else _SCOPED + scope.bytes
        return hmac.digest(self._key, message + value.encode(), hashlib.sha256)

"""Keys the system keeps for itself in the key store, under fixed subject ids.

Each is wrapped by the master key like every data key (so re-wrapping data keys under a new
master key covers them too), created on first use by whichever process asks first
(``Keyring.key_or_create``), and never destroyed: an erasure would erase nobody and break
everything the key protects.
"""

from __future__ import annotations

from uuid import UUID

from domain.shared.blind_index import BLIND_INDEX_SUBJECT

# The 32-byte seed of the ledger's Ed25519 log key, which signs every checkpoint.
LEDGER_LOG_KEY_SUBJECT = UUID("51617752-ef30-4705-9cb3-55ee124fc6a9")
# The key the ledger derives the salts of digests from, for fields that hold no personal data
# (personal fields are salted from their subjects' own data keys).
LEDGER_SALT_SUBJECT = UUID("60164092-f9c3-4318-85ec-74b2cd128373")
# The key that seals an audit run which recomputed every field digest (domain/ledger/audit_seal),
# so that the next run may start its recomputation where that one ended.
LEDGER_AUDIT_SUBJECT = UUID("a86be0b9-7eca-43f2-941e-e74ca10fc65f")

SYSTEM_SUBJECTS = frozenset(
    {BLIND_INDEX_SUBJECT, LEDGER_LOG_KEY_SUBJECT, LEDGER_SALT_SUBJECT, LEDGER_AUDIT_SUBJECT}
)

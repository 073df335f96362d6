"""The data map of role grants and the access log (see ``projections.classification``)."""

from __future__ import annotations

from projections.classification import AT, ENUM, ID, SEQ, Table, plain

_LOGIN = plain("a login, in plaintext until migration 0013")

TABLES: dict[str, Table] = {
    "access_grants": {
        "grant_seq": SEQ,
        "user_id": _LOGIN,
        "role": ENUM,
        "trust_id": ID,
        "school_id": ID,
        "granted_at": AT,
        "granted_by": _LOGIN,
        "revoked_at": AT,
        "revoked_by": _LOGIN,
    },
    "access_log": {
        "entry_id": SEQ,
        "at": AT,
        "user_id": _LOGIN,
        "action": ENUM,
        "record_type": ENUM,
        "record_id": ID,
        "trust_id": ID,
        "school_id": ID,
    },
}

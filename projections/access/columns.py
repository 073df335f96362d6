"""The data map of role grants and the access log (see ``projections.classification``)."""

from __future__ import annotations

from projections.classification import (
    AT,
    ENUM,
    ID,
    LOGIN_SEALED,
    SEQ,
    Table,
    blind_index,
)

TABLES: dict[str, Table] = {
    "access_grants": {
        "grant_seq": SEQ,
        "user_id": LOGIN_SEALED,
        "user_id_ix": blind_index("login", "a revocation finds the grant it ends"),
        "role": ENUM,
        "trust_id": ID,
        "school_id": ID,
        "granted_at": AT,
        "granted_by": LOGIN_SEALED,
        "revoked_at": AT,
        "revoked_by": LOGIN_SEALED,
    },
    "access_log": {
        "entry_id": SEQ,
        "at": AT,
        "user_id": LOGIN_SEALED,
        "user_id_ix": blind_index("login", "the DPO filters the log by reader"),
        "action": ENUM,
        "record_type": ENUM,
        "record_id": ID,
        "trust_id": ID,
        "school_id": ID,
    },
}

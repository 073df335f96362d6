"""The data map of the erasures view (see ``projections.classification``)."""

from __future__ import annotations

from projections.classification import AT, COUNT, ENUM, ID, LOGIN_SEALED, SEQ, Table, plain, sealed

ERASURE = "the erasure's own, which no erasure destroys"

TABLES: dict[str, Table] = {
    "er_erasures": {
        "erasure_id": ID,
        "trust_id": ID,
        "school_id": ID,
        "status": ENUM,
        "records": plain(
            "each record's type, id, school and the rule that made it due: identifiers and "
            "rule names (never a date derived from a person's)"
        ),
        "about": plain(
            "the record ids of the people the erased records are about: the erasure is never "
            "shown to them"
        ),
        "key_count": COUNT,
        "reason": sealed(ERASURE, "free text"),
        "requested_by": LOGIN_SEALED,
        "requested_at": AT,
        "settled_by": LOGIN_SEALED,
        "settled_at": AT,
        "settled_reason": sealed(ERASURE, "free text: why it was cancelled"),
        "seq": SEQ,
    },
    "er_exports": {
        "erasure_id": ID,
        "export_id": ID,
        "allegation_id": ID,
        "exported_at": AT,
        "fingerprint": plain("the SHA-256 of an exported bundle's facts"),
        "recipient": sealed(ERASURE, "who an export was sent to, as addressed"),
    },
}

"""The data map of the webhooks view (see ``projections.classification``; migration 0043).

Deliveries and the changes feed hold ids, kinds and positions only: never personal data. An
endpoint's URL is an organisation's system's address; its secret is sealed with the endpoint's
own key, its owner's login with the owner's.
"""

from __future__ import annotations

from projections.classification import (
    AT,
    COUNT,
    ENUM,
    FLAG,
    ID,
    LOGIN_IX,
    LOGIN_SEALED,
    SEQ,
    Table,
    plain,
    sealed,
)

TABLES: dict[str, Table] = {
    "wh_endpoints": {
        "endpoint_id": ID,
        "trust_id": ID,
        "school_id": ID,
        "url": plain("the address of a school's or trust's system (https): an organisation's"),
        "kinds": ENUM,
        "secret": sealed("the webhook endpoint's", "the signing secret"),
        "owner": LOGIN_SEALED,
        "active": FLAG,
        "registered_at": AT,
        "changed_at": AT,
        "seq": SEQ,
    },
    "wh_changes": {
        "seq": SEQ,
        "position": SEQ,
        "kind": ENUM,
        "record_id": ID,
        "trust_id": ID,
        "school_id": ID,
        "action": ENUM,
        "about": plain(
            "the ids (random uuids) of the people the record is about, so that they are never "
            "told of it"
        ),
        "subject_ix": LOGIN_IX,
        "occurred_at": AT,
    },
    "wh_deliveries": {
        "delivery_id": ID,
        "endpoint_id": ID,
        "change_seq": SEQ,
        "status": ENUM,
        "attempts": COUNT,
        "round_start": plain("the attempts made before the last replay: a count"),
        "next_attempt_at": AT,
        "last_status_code": plain("an HTTP status code the receiver answered"),
        "created_at": AT,
        "delivered_at": AT,
        "seq": SEQ,
    },
    "wh_attempts": {
        "delivery_id": ID,
        "attempt": COUNT,
        "attempted_at": AT,
        "outcome": ENUM,
        "status_code": plain("an HTTP status code the receiver answered"),
        "duration_ms": COUNT,
    },
}

"""The data map of the retention view (see ``projections.classification``; migration 0034).

Reasons are free text, sealed: a configuration's with the trust's retention configuration's own
key, a review's with the reviewed record's key (so it goes when the record is erased), a legal
hold's and its lifting's with the hold's own key. Logins are sealed with their holder's key.
"""

from __future__ import annotations

from projections.classification import AT, ENUM, ID, LOGIN_SEALED, SEQ, Table, plain, sealed

TABLES: dict[str, Table] = {
    "ret_config": {
        "trust_id": ID,
        "rule": ENUM,
        "value": plain("a rule's number: an age or a count of years"),
        "reason": sealed("the trust's retention configuration's", "why it was changed"),
        "configured_at": AT,
        "configured_by": LOGIN_SEALED,
        "seq": SEQ,
    },
    "ret_reviews": {
        "record_id": ID,
        "record_type": ENUM,
        "trust_id": ID,
        "school_id": ID,
        "decision": ENUM,
        "keep_until": plain(
            "the date a review keeps the record until: set by the DPO, not derived from a date "
            "of birth"
        ),
        "reason": sealed("the reviewed record's", "the review's reason"),
        "decided_at": AT,
        "decided_by": LOGIN_SEALED,
        "seq": SEQ,
    },
    "ret_holds": {
        "hold_id": ID,
        "trust_id": ID,
        "school_id": ID,
        "scope": ENUM,
        "target_id": ID,
        "authority": ENUM,
        "about": plain(
            "the ids (random uuids) of the people the held record is about, so that they never "
            "lift it"
        ),
        "reason": sealed("the legal hold's", "why it was placed"),
        "placed_at": AT,
        "placed_by": LOGIN_SEALED,
        "lifted_at": AT,
        "lifted_by": LOGIN_SEALED,
        "lift_reason": sealed("the legal hold's", "why it was lifted"),
        "seq": SEQ,
    },
}

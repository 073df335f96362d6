"""The data map of the tables every feature stands on: the event store, the key store, the
evidence files' store, the trusts' signing keys, the migrations applied and the views'
bookkeeping (see ``projections.classification``)."""

from __future__ import annotations

from projections.classification import AT, ID, SEQ, Table, plain, sealed

TABLES: dict[str, Table] = {
    "casework_events": {
        "originator_id": ID,
        "originator_version": SEQ,
        "topic": plain("the event's class, e.g. domain.incidents.aggregates:Incident.Reported"),
        "state": sealed(
            "the event-state key (the library's AES-GCM cipher)",
            "the whole event; its personal fields are sealed again with their subjects' keys",
        ),
        "notification_id": SEQ,
    },
    "data_keys": {
        "subject_id": ID,
        "wrapped_key": sealed("the master key (envelope encryption)", "a subject's data key"),
        "created_at": AT,
        "destroyed_at": AT,
    },
    "evidence_blobs": {
        "file_id": ID,
        "owner_id": plain(
            "the id of the record a file is evidence on (an incident or an allegation: random "
            "uuids), whose key seals it"
        ),
        "sealed": sealed(
            "its owner's: the incident's or the allegation's", "an evidence file's content"
        ),
        "stored_at": AT,
    },
    "trust_signing_keys": {
        "trust_id": ID,
        "ed25519_wrapped": sealed(
            "the master key (envelope encryption)", "a trust's Ed25519 key: signs its bundles"
        ),
        "ecdsa_wrapped": sealed(
            "the master key (envelope encryption)", "a trust's ECDSA P-256 key: signs its PDFs"
        ),
        "certificate": plain(
            "a public X.509 certificate: the trust's name and id and its ECDSA public key"
        ),
        "created_at": AT,
    },
    "key_check": {
        "key_name": plain("which key the proof is for: event_key or master_key"),
        "proof": sealed(
            "the key it proves (the event-state key, or the master key)",
            "a fixed constant, encrypted: proves a process holds this store's keys",
        ),
        "generation": plain(
            "which proof of the key this is: 1 when the store was set up, one more for each "
            "master-key rotation; the latest is proved"
        ),
        "created_at": AT,
    },
    "schema_migrations": {
        "version": plain("a migration's file name"),
        "checksum": plain("the SHA-256 of a migration's file"),
        "applied_at": AT,
    },
    "projection_tracking": {
        "application_name": plain("a view's name"),
        "notification_id": SEQ,
    },
    "projection_status": {
        "name": plain("a view's name"),
        "state": plain("running or failed"),
        "failed_position": SEQ,
        "error": plain(
            "the failing event's error, for the operator: views hold no personal value in plain, "
            "so a database error has none to quote"
        ),
        "updated_at": AT,
    },
}

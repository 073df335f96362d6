"""The data map of the ledger's tables (see ``projections.classification``): nothing in them
names a person; field values appear only as salted digests whose salts live with the data keys."""

from __future__ import annotations

from projections.classification import AT, COUNT, ID, SEQ, Table, plain

HASH = plain("a SHA-256 hash of ledger data (a leaf, a tree node or a root)")
NOTE = plain("a signed note: the log's name, a tree size, a root hash and signatures")
WITNESS = plain("a witness's key name, as its operator configured it")

TABLES: dict[str, Table] = {
    "ledger_entries": {
        "leaf_index": SEQ,
        "position": SEQ,
        "originator_id": ID,
        "originator_version": SEQ,
        "entry": plain(
            "canonical JSON of ids, the event's topic, times, the hash of the stored (encrypted) "
            "state and salted digests of its fields: no value of any field"
        ),
        "leaf_hash": HASH,
    },
    "ledger_fields": {
        "position": SEQ,
        "originator_id": ID,
        "originator_version": SEQ,
        "recorded_at": plain("when the event was recorded, as its entry will name it"),
        "fields": plain(
            "the salted digests of an event's fields, as its writer computed them for its entry "
            "(deleted when the entry is made): no value of any field"
        ),
    },
    "ledger_tiles": {"level": COUNT, "tile_index": SEQ, "hashes": HASH},
    "ledger_head": {"log": ID, "size": COUNT, "root": HASH, "updated_at": AT},
    "ledger_checkpoints": {"size": COUNT, "root": HASH, "note": NOTE, "created_at": AT},
    "ledger_cosignatures": {
        "size": COUNT,
        "witness": WITNESS,
        "signature": plain("a witness's co-signature line of a checkpoint"),
        "received_at": AT,
    },
    "ledger_witness_status": {
        "witness": WITNESS,
        "url": plain("where the witness is reached, as the operator configured it"),
        "state": plain("cosigning, refusing or unreachable"),
        "cosigned_size": COUNT,
        "http_status": COUNT,
        "error": plain("what the witness answered, for the operator (it holds no personal data)"),
        "updated_at": AT,
    },
    "ledger_verifications": {
        "run_id": SEQ,
        "started_at": AT,
        "finished_at": AT,
        "ok": plain("whether the audit found the store intact"),
        "events_checked": COUNT,
        "tree_size": COUNT,
        "checkpoints_checked": COUNT,
        "fields_checked": plain("whether field digests were recomputed from decrypted events"),
        "first_failure_position": SEQ,
        "failure_kind": plain("altered, removed, inserted, or a checkpoint failure"),
        "failure": plain("what the audit found, for the operator: positions and hashes only"),
        "root": HASH,
        "fields_from": SEQ,
        "seal": plain(
            "an HMAC, under a key the master key wraps, of the tree size and root a run found "
            "intact with every field recomputed"
        ),
    },
}

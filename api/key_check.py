"""Proof that the keys a process holds are the keys of the store it opens.

A key that is well formed but not the store's opens nothing already written, and whatever it
writes next can never be read with the store's keys; so a process proves its keys before it
starts, and ``/readyz`` proves them again. The proof is the ``key_check`` table (migration
0021): a constant encrypted with the event-state key (by the event store's own cipher) and
wrapped by the master key (by the keyring), written when the store is first initialised. In a
store initialised before that table existed, the oldest event and the oldest stored data key
are the proof until those rows are written. A master-key rotation (``api.key_rotation``) adds
a newer proof (migration 0036), and the latest proof of each key is the one a process must open.

Development keys are generated only into a store that holds nothing encrypted: with events or
data keys already stored, a missing key file means lost keys, and new ones would leave every
record unreadable and seal the next one under the wrong key for ever.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from cryptography.exceptions import InvalidTag
from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment
from psycopg import Connection
from psycopg.rows import DictRow

from api.keys import Keys, save_generated
from api.settings import InsecureConfiguration
from domain.shared.sealing import Keyring

PROOF = b"casework key check"
# What the master key's proof is bound to (associated data): no data key's subject.
KEY_CHECK_SUBJECT = UUID("5d0c6a2e-8f3b-4c61-a9e7-2b4f1d3c9e10")
ENCRYPTED_TABLES = ("casework_events", "data_keys", "key_check")

Conn = Connection[DictRow]


class KeyFileLost(InsecureConfiguration):
    """The key file is missing but the store holds data encrypted under its keys."""


class WrongKeys(InsecureConfiguration):
    """Well-formed keys that do not open this store."""


def event_cipher(keys: Keys) -> AESCipher:
    """The event store's cipher with these keys, as the application builds it."""
    return AESCipher(Environment(env={AESCipher.CIPHER_KEY: keys.event_key}))


def _exists(conn: Conn, table: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL AS present", (table,)).fetchone()
    return bool(row and row["present"])


def holds_encrypted_data(conn: Conn) -> bool:
    """Whether the store holds anything encrypted under some keys: events, data keys, or the
    key check."""
    return any(
        _exists(conn, table) and conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()
        for table in ENCRYPTED_TABLES
    )


def settle_generated(conn: Conn, keys: Keys) -> Keys:
    """Keys generated for a missing development key file: written to it if the store holds
    nothing encrypted, refused otherwise, naming the file."""
    if keys.unsaved is None:
        return keys
    if holds_encrypted_data(conn):
        raise KeyFileLost(
            f"{keys.where} is missing but the store already holds events or data keys; "
            "restore the key file from your backup (no new keys were made)"
        )
    return save_generated(keys)


def _opens(unseal: Callable[[bytes], bytes], sealed: bytes, expected: bytes | None) -> bool:
    try:
        opened = unseal(sealed)
    except (InvalidTag, ValueError):
        return False
    return expected is None or opened == expected


def wrong_keys(conn: Conn, keys: Keys, keyring: Keyring) -> list[str]:
    """Where each key that does not open this store was configured; empty if both do. A key
    with nothing yet to be proved against (an empty store) is not wrong."""
    recorded = latest_proofs(conn)
    cipher = event_cipher(keys)
    wrong: list[str] = []
    if "event_key" in recorded:
        event_key_opens = _opens(cipher.decrypt, recorded["event_key"], PROOF)
    else:
        oldest = _oldest_event_state(conn)
        event_key_opens = oldest is None or _opens(cipher.decrypt, oldest, None)
    if not event_key_opens:
        wrong.append(keys.event_source)
    if "master_key" in recorded:
        master_key_opens = _opens(
            lambda p: keyring.unwrap(KEY_CHECK_SUBJECT, p), recorded["master_key"], PROOF
        )
    else:
        stored = _oldest_data_key(conn)
        master_key_opens = stored is None or _opens(
            lambda p: keyring.unwrap(stored[0], p), stored[1], None
        )
    if not master_key_opens:
        wrong.append(keys.master_source)
    return wrong


def latest_proofs(conn: Conn) -> dict[str, bytes]:
    """Each key's latest proof, by key name: a rotated master key's newest generation
    (migration 0036); a store not yet migrated to it has one proof per key."""
    if not _exists(conn, "key_check"):
        return {}
    generations = conn.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = 'key_check' AND column_name = 'generation'"
    ).fetchone()
    order = "generation DESC" if generations else "created_at DESC"
    rows = conn.execute(
        f"SELECT DISTINCT ON (key_name) key_name, proof FROM key_check ORDER BY key_name, {order}"
    ).fetchall()
    return {r["key_name"]: bytes(r["proof"]) for r in rows}


def _oldest_event_state(conn: Conn) -> bytes | None:
    if not _exists(conn, "casework_events"):
        return None
    row = conn.execute(
        "SELECT state FROM casework_events ORDER BY notification_id LIMIT 1"
    ).fetchone()
    return None if row is None else bytes(row["state"])


def _oldest_data_key(conn: Conn) -> tuple[UUID, bytes] | None:
    if not _exists(conn, "data_keys"):
        return None
    row = conn.execute(
        "SELECT subject_id, wrapped_key FROM data_keys WHERE wrapped_key IS NOT NULL "
        "ORDER BY created_at, subject_id LIMIT 1"
    ).fetchone()
    return None if row is None else (row["subject_id"], bytes(row["wrapped_key"]))


def refuse_wrong_keys(conn: Conn, keys: Keys, keyring: Keyring) -> None:
    """Refuse, in one line naming each key's setting, keys that do not open this store."""
    wrong = wrong_keys(conn, keys, keyring)
    if wrong:
        verb = "does" if len(wrong) == 1 else "do"
        raise WrongKeys(
            f"{' and '.join(wrong)} {verb} not open this store (it holds data encrypted under "
            "other keys): configure the keys this store was initialised with"
        )


def record_key_check(conn: Conn, keys: Keys, keyring: Keyring) -> None:
    """Write the proof of these keys if the store has none yet, then prove them again: of two
    processes initialising one store with different keys at once, the second refuses."""
    if not _exists(conn, "key_check"):  # a store not yet migrated to 0021: nothing to write to
        refuse_wrong_keys(conn, keys, keyring)
        return
    conn.execute(
        "INSERT INTO key_check (key_name, proof) VALUES ('event_key', %s), ('master_key', %s) "
        "ON CONFLICT DO NOTHING",
        (event_cipher(keys).encrypt(PROOF), keyring.wrap(KEY_CHECK_SUBJECT, PROOF)),
    )
    refuse_wrong_keys(conn, keys, keyring)

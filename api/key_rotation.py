"""Rotating the master key: ``casework keys rotate``.

The master key wraps every data key (``data_keys``: the subjects' keys and the system's own),
every trust signing key (``trust_signing_keys``) and its own proof (``key_check``). A rotation
re-wraps all of them under a new master key in one transaction, and adds the new key's proof as
the next generation of the key check (migration 0036), so a crash leaves the old state or the new
one, never a mix. No event is rewritten: events are encrypted with the event-state key, which
does not change, and their personal fields with data keys, which stay the same keys, only
wrapped anew. Destroyed keys stay destroyed (there is nothing to re-wrap). Afterwards the old
master key opens nothing the store holds, and a process started with it refuses to start.

The new key comes as a key file (the format of ``CASEWORK_KEY_FILE``): one the operator made,
or one written now (``--generate``: the current event key and 32 new random bytes, mode 0600,
flushed to disk before the rotation commits). Every process that has the store open must be
stopped first: one still running with the old key would wrap the data keys it creates under it,
so a rotation refuses while any other session is connected to the database.
"""

from __future__ import annotations

import json
import os
import time
from base64 import b64encode
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from cryptography.exceptions import InvalidTag
from psycopg import Connection
from psycopg.rows import DictRow

from api.key_check import KEY_CHECK_SUBJECT, PROOF, wrong_keys
from api.keys import Keys, read_key_file
from api.trust_keys import rewrap_all
from domain.shared.sealing import InMemoryKeyStore, Keyring

Conn = Connection[DictRow]
_BATCH = 5_000
OTHERS_GRACE_SECONDS = 15.0  # sessions just closed by a process that exited may linger a moment


class RotationRefused(RuntimeError):
    """A rotation that was not carried out; nothing was changed. One line, never a key."""


class CurrentKeysDoNotOpen(RotationRefused):
    """The configured (current) keys do not open this store: there is nothing to rotate from."""


class SameMasterKey(RotationRefused):
    """The new master key is the current one."""


class EventKeyDiffers(RotationRefused):
    """The new key file's event key is not the current one: a rotation changes only the
    master key (the event-state key encrypts every event, which is never rewritten)."""


class StoreInUse(RotationRefused):
    """Other sessions are connected to the database: processes that may still hold the old
    key."""


class UnopenableKeys(RotationRefused):
    """Some wrapped key does not open under the current master key."""


class NewKeyFileExists(RotationRefused):
    """``--generate`` would overwrite a key file."""


@dataclass(frozen=True)
class Rotated:
    data_keys: int  # re-wrapped (the system's own included)
    destroyed: int  # left destroyed
    trust_keys: int  # trusts whose two signing keys were re-wrapped
    generation: int  # the master key's proof now proved


def new_keys(path: Path, current: Keys, generate: bool) -> Keys:
    """The keys a rotation moves to: read from ``path``, or (``generate``) written there now,
    with the current event key and a new random master key."""
    where = f"--new-key-file {path}"
    if not generate:
        return read_key_file(path, where)
    if path.exists() or path.is_symlink():
        raise NewKeyFileExists(
            f"{where} already exists: give it without --generate to rotate to the keys it holds, "
            "or name a new file"
        )
    master = b64encode(os.urandom(32)).decode()
    content = json.dumps({"event_key": current.event_key, "master_key": master}) + "\n"
    write_key_file(path, content)
    return read_key_file(path, where)


def write_key_file(path: Path, content: str) -> None:
    """Write a new key file durably (mode 0600, flushed with its directory entry), never over
    an existing one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, content.encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def check_new_keys(current: Keys, new: Keys) -> None:
    if new.master_key == current.master_key:
        raise SameMasterKey(
            f"the master key in {new.where or new.master_source} is the current master key: "
            "a rotation needs a new one (--generate makes one)"
        )
    if new.event_key != current.event_key:
        raise EventKeyDiffers(
            f"the event key in {new.where or new.event_source} is not the current event key: "
            "a rotation changes only the master key, so the new key file keeps event_key as it is"
        )


def rotate_master_key(conn: Conn, current: Keys, new: Keys) -> Rotated:
    """Re-wrap everything the master key wraps under ``new``'s, in one transaction on
    ``conn``, and record the new key's proof; refused (nothing changed) if the current keys do
    not open the store, the new master key is the old one, or other sessions are connected."""
    check_new_keys(current, new)
    old_ring = Keyring(current.master_key, InMemoryKeyStore())
    new_ring = Keyring(new.master_key, InMemoryKeyStore())
    with conn.transaction():
        # Writers of keys wait for the rotation (and readers may go on): an append that makes
        # a data key inserts into data_keys.
        conn.execute("LOCK TABLE data_keys, trust_signing_keys, key_check IN EXCLUSIVE MODE")
        _refuse_others(conn)
        if wrong_keys(conn, current, old_ring):
            raise CurrentKeysDoNotOpen(
                f"{current.master_source} does not open this store: configure the keys it was "
                "set up with (or finished rotating to), then rotate"
            )
        rewrapped, destroyed = _rewrap_data_keys(conn, old_ring, new_ring)
        trusts = _rewrap_trust_keys(conn, old_ring, new_ring)
        generation = _record_new_proof(conn, new_ring)
        if wrong_keys(conn, new, new_ring):  # proved within the transaction, before it commits
            raise RuntimeError("the new master key does not prove itself: nothing was rotated")
    return Rotated(rewrapped, destroyed, trusts, generation)


def _refuse_others(conn: Conn) -> None:
    deadline = time.monotonic() + OTHERS_GRACE_SECONDS
    while True:
        row = conn.execute(
            "SELECT count(*) AS others FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend' "
            # The rotating command's own pool (api.keys_cli names its connections for itself).
            "AND application_name IS DISTINCT FROM current_setting('application_name')"
        ).fetchone()
        others = int(row["others"]) if row else 0
        if not others:
            return
        if time.monotonic() >= deadline:
            raise StoreInUse(
                f"{others} other session(s) are connected to this database: stop every casework "
                "process (serve, project, other commands) that uses it, then rotate; nothing was "
                "rotated"
            )
        time.sleep(0.1)


def _rewrap_data_keys(conn: Conn, old: Keyring, new: Keyring) -> tuple[int, int]:
    rows = conn.execute(
        "SELECT subject_id, wrapped_key FROM data_keys WHERE wrapped_key IS NOT NULL"
    ).fetchall()
    rewrapped: list[tuple[UUID, bytes]] = []
    unopenable = 0
    for row in rows:
        subject_id, wrapped = row["subject_id"], bytes(row["wrapped_key"])
        try:
            rewrapped.append((subject_id, new.wrap(subject_id, old.unwrap(subject_id, wrapped))))
        except InvalidTag:
            unopenable += 1
    if unopenable:
        raise UnopenableKeys(
            f"{unopenable} data key(s) do not open under the current master key (written by a "
            "process with other keys?): nothing was rotated"
        )
    for batch in _batches(rewrapped):
        conn.execute(
            "UPDATE data_keys SET wrapped_key = v.wrapped "
            "FROM unnest(%s::uuid[], %s::bytea[]) AS v(subject_id, wrapped) "
            "WHERE data_keys.subject_id = v.subject_id",
            ([s for s, _ in batch], [w for _, w in batch]),
        )
    destroyed = conn.execute(
        "SELECT count(*) AS n FROM data_keys WHERE wrapped_key IS NULL"
    ).fetchone()
    return len(rewrapped), int(destroyed["n"]) if destroyed else 0


def _rewrap_trust_keys(conn: Conn, old: Keyring, new: Keyring) -> int:
    try:
        return rewrap_all(conn, old, new)
    except InvalidTag:
        raise UnopenableKeys(
            "a trust's signing keys do not open under the current master key: nothing was rotated"
        ) from None


def _record_new_proof(conn: Conn, new: Keyring) -> int:
    row = conn.execute(
        "SELECT coalesce(max(generation), 0) + 1 AS next FROM key_check "
        "WHERE key_name = 'master_key'"
    ).fetchone()
    generation = int(row["next"]) if row else 1
    conn.execute(
        "INSERT INTO key_check (key_name, generation, proof) VALUES ('master_key', %s, %s)",
        (generation, new.wrap(KEY_CHECK_SUBJECT, PROOF)),
    )
    return generation


def _batches(items: list[tuple[UUID, bytes]]) -> Iterator[list[tuple[UUID, bytes]]]:
    for start in range(0, len(items), _BATCH):
        yield items[start : start + _BATCH]

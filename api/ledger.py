"""The ledger's log key, its checkpoints and the witnesses they are pushed to.

The log key is Ed25519, its 32-byte seed kept in the key store like a data key (wrapped by the
master key, subject ``LEDGER_LOG_KEY_SUBJECT``) and created by the first process that needs it.
The :class:`Checkpointer` runs beside the projection workers: every
``CASEWORK_LEDGER_CHECKPOINT_SECONDS`` while the log has grown it signs a checkpoint (a C2SP
signed note), keeps it (``ledger_checkpoints`` is append-only), and pushes it to every
configured witness with a consistency proof from the size that witness last co-signed, storing
the co-signatures it returns. A witness that refuses or does not answer is logged as an error,
shown in its status row (``ledgerStatus``, ``/readyz``'s degraded list, ``/metrics``), and
tried again at the next checkpoint: never skipped in silence.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from psycopg import Connection
from psycopg.rows import DictRow
from psycopg_pool import ConnectionPool

from api.settings import InsecureConfiguration, Settings
from api.witness_client import WitnessRefused, WitnessUnreachable, add_checkpoint
from domain.ledger.note import (
    Checkpoint,
    NoteMalformed,
    NoteRejected,
    Signer,
    Verifier,
    parse_note,
    sign_note,
    verify_cosignature,
)
from domain.shared.sealing import Keyring
from domain.shared.system_keys import LEDGER_LOG_KEY_SUBJECT
from projections.ledger.integrator import read_head
from projections.ledger.queries import consistency_proof

log = logging.getLogger("casework.ledger")

CHECKPOINT_LOCK = 0x6C656467  # one checkpointer at a time across processes
WITNESS_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Witness:
    url: str
    verifier: Verifier

    @property
    def name(self) -> str:
        return self.verifier.name


def parse_witnesses(text: str) -> list[Witness]:
    """``CASEWORK_LEDGER_WITNESSES``: comma-separated '<URL> <verifier key>' pairs."""
    witnesses = []
    for number, item in enumerate(p.strip() for p in text.split(",") if p.strip()):
        parts = item.split()
        if len(parts) != 2 or not parts[0].startswith(("http://", "https://")):
            raise InsecureConfiguration(
                f"CASEWORK_LEDGER_WITNESSES entry {number + 1} is not '<http(s) URL> <key>'"
            )
        try:
            verifier = Verifier.from_vkey(parts[1])
        except (NoteMalformed, ValueError) as error:
            raise InsecureConfiguration(
                f"CASEWORK_LEDGER_WITNESSES entry {number + 1} has no valid witness key: {error}"
            ) from None
        witnesses.append(Witness(parts[0], verifier))
    return witnesses


def log_signer(keyring: Keyring, settings: Settings) -> Signer:
    """The log's signer: its key from the key store (created on first use), named by the
    configured origin or, unset, by one derived from the key itself."""
    seed = keyring.key_or_create(LEDGER_LOG_KEY_SUBJECT)
    if seed is None:
        raise RuntimeError("the ledger's log key was destroyed; checkpoints cannot be signed")
    key = Ed25519PrivateKey.from_private_bytes(seed)
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    origin = settings.ledger_origin or (
        "safeguarding-casework/" + hashlib.sha256(public).hexdigest()[:16]
    )
    return Signer(origin, key)


Pool = ConnectionPool[Connection[DictRow]]


class Checkpointer:
    def __init__(self, pool: Pool, keyring: Keyring, settings: Settings) -> None:
        self.pool = pool
        self.signer = log_signer(keyring, settings)
        self.witnesses = parse_witnesses(settings.ledger_witnesses)
        self.interval = settings.ledger_checkpoint_seconds

    def run(self, stopping: threading.Event) -> None:
        while not stopping.wait(self.interval):
            try:
                self.tick()
            except Exception:
                log.exception("the ledger's checkpointer failed; trying again next time")

    def tick(self) -> int | None:
        """Sign a checkpoint if the log has grown since the last, then push the latest to
        every witness that has not co-signed it; the size signed, if any."""
        signed = self.sign()
        for witness in self.witnesses:
            self.push(witness)
        return signed

    def sign(self) -> int | None:
        with self.pool.connection() as conn, conn.transaction():
            locked = conn.execute(
                "SELECT pg_try_advisory_xact_lock(%s) AS locked", (CHECKPOINT_LOCK,)
            ).fetchone()
            if locked is None or not locked["locked"]:
                return None  # another process is signing
            with conn.cursor() as curs:
                size, root = read_head(curs)
            latest = conn.execute("SELECT max(size) AS size FROM ledger_checkpoints").fetchone()
            if size == 0 or (latest is not None and (latest["size"] or 0) >= size):
                return None
            note = sign_note(Checkpoint(self.signer.name, size, root).body(), [self.signer])
            conn.execute(
                "INSERT INTO ledger_checkpoints (size, root, note) VALUES (%s, %s, %s)",
                (size, root, note),
            )
        log.info("ledger checkpoint signed at size %s", size)
        return size

    def push(self, witness: Witness) -> None:
        with self.pool.connection() as conn:
            latest = conn.execute(
                "SELECT size, note FROM ledger_checkpoints ORDER BY size DESC LIMIT 1"
            ).fetchone()
            if latest is None:
                return
            size, note = int(latest["size"]), str(latest["note"])
            known = conn.execute(
                "SELECT cosigned_size FROM ledger_witness_status WHERE witness = %s",
                (witness.name,),
            ).fetchone()
            old = int(known["cosigned_size"] or 0) if known else 0
            if old == size:
                return
            for _ in range(2):  # once more from the size a 409 names
                try:
                    lines = add_checkpoint(
                        witness.url,
                        old,
                        consistency_proof(conn, old, size) if old < size else [],
                        note,
                        WITNESS_TIMEOUT_SECONDS,
                    )
                except WitnessRefused as refused:
                    if refused.status == 409 and refused.size is not None:
                        if refused.size == size:
                            self._record(conn, witness, "cosigning", size, 409, None)
                            return
                        if refused.size < size and refused.size != old:
                            old = refused.size
                            continue
                    self._refused(conn, witness, refused.status, refused.message, old)
                    return
                except WitnessUnreachable as error:
                    log.error("ledger witness %s is unreachable: %s", witness.name, error)
                    self._record(conn, witness, "unreachable", old or None, None, str(error))
                    return
                self._accept(conn, witness, size, note, lines, old)
                return
            self._refused(conn, witness, 409, "the witness's size keeps changing", old)

    def _accept(
        self,
        conn: Connection[Any],
        witness: Witness,
        size: int,
        note: str,
        lines: list[str],
        old: int,
    ) -> None:
        body = parse_note(note).body
        good = []
        for line in lines:
            try:
                verify_cosignature(body, line, witness.verifier)
            except (NoteMalformed, NoteRejected):
                continue
            good.append(line if line.endswith("\n") else line + "\n")
        if not good:
            self._refused(conn, witness, 200, "no co-signature verifies with its key", old)
            return
        conn.execute(
            "INSERT INTO ledger_cosignatures (size, witness, signature) VALUES (%s, %s, %s) "
            "ON CONFLICT DO NOTHING",
            (size, witness.name, "".join(good)),
        )
        self._record(conn, witness, "cosigning", size, 200, None)

    def _refused(
        self, conn: Connection[Any], witness: Witness, status: int, message: str, old: int
    ) -> None:
        log.error(
            "ledger witness %s refused the checkpoint (%s): %s", witness.name, status, message
        )
        self._record(conn, witness, "refusing", old or None, status, message[:500])

    def _record(
        self,
        conn: Connection[Any],
        witness: Witness,
        state: str,
        size: int | None,
        status: int | None,
        error: str | None,
    ) -> None:
        conn.execute(
            "INSERT INTO ledger_witness_status (witness, url, state, cosigned_size, http_status, "
            "error, updated_at) VALUES (%s, %s, %s, %s, %s, %s, now()) ON CONFLICT (witness) DO "
            "UPDATE SET url = EXCLUDED.url, state = EXCLUDED.state, cosigned_size = "
            "COALESCE(EXCLUDED.cosigned_size, ledger_witness_status.cosigned_size), "
            "http_status = EXCLUDED.http_status, error = EXCLUDED.error, updated_at = now()",
            (witness.name, witness.url, state, size, status, error),
        )
        conn.commit()

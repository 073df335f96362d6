"""The PostgreSQL side of the write model: the recorder that also writes new data keys, and the
wrapped-key store the keyring reads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import Connection, Cursor
from psycopg.rows import DictRow
from psycopg_pool import ConnectionPool


class CaseworkRecorder(PostgresApplicationRecorder):
    """Writes the data keys and sealed files a command created in the same transaction as its
    events: a rejected command leaves neither behind."""

    def _insert_events(
        self, curs: Cursor[Any], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        data_keys: Mapping[UUID, bytes] = kwargs.get("data_keys") or {}
        if data_keys:
            curs.executemany(
                "INSERT INTO data_keys (subject_id, wrapped_key) VALUES (%s, %s)",
                list(data_keys.items()),
            )
        blobs: Mapping[UUID, tuple[UUID, bytes]] = kwargs.get("blobs") or {}
        if blobs:
            curs.executemany(
                "INSERT INTO evidence_blobs (file_id, incident_id, sealed) VALUES (%s, %s, %s)",
                [(file_id, owner, sealed) for file_id, (owner, sealed) in blobs.items()],
            )
        super()._insert_events(curs, stored_events, **kwargs)


class PostgresKeyStore:
    def __init__(self, pool: ConnectionPool[Connection[DictRow]]) -> None:
        self._pool = pool

    def fetch(self, subject_ids: Iterable[UUID]) -> Mapping[UUID, bytes | None]:
        ids = list(subject_ids)
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT subject_id, wrapped_key FROM data_keys WHERE subject_id = ANY(%s)", (ids,)
            ).fetchall()
        return {
            r["subject_id"]: (bytes(r["wrapped_key"]) if r["wrapped_key"] is not None else None)
            for r in rows
        }

    def destroy(self, subject_id: UUID) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "UPDATE data_keys SET wrapped_key = NULL, destroyed_at = now() "
                "WHERE subject_id = %s AND wrapped_key IS NOT NULL",
                (subject_id,),
            )

    def saved(self, new_keys: Mapping[UUID, bytes]) -> None:
        """Nothing to do: :class:`CaseworkRecorder` wrote them with the events."""


def evidence_blob(pool: ConnectionPool[Connection[DictRow]], file_id: UUID) -> bytes | None:
    with pool.connection() as conn:
        row = conn.execute(
            "SELECT sealed FROM evidence_blobs WHERE file_id = %s", (file_id,)
        ).fetchone()
    return None if row is None else bytes(row["sealed"])

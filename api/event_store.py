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
    """Writes the data keys a command created in the same transaction as its events."""

    def _insert_events(
        self, curs: Cursor[Any], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        data_keys: Mapping[UUID, bytes] = kwargs.get("data_keys") or {}
        if data_keys:
            curs.executemany(
                "INSERT INTO data_keys (subject_id, wrapped_key) VALUES (%s, %s)",
                list(data_keys.items()),
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

"""The PostgreSQL side of the write model: the recorder that also writes new data keys, and the
wrapped-key store the keyring reads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore, PostgresFactory
from eventsourcing.utils import Environment, EnvType
from psycopg import Connection
from psycopg.conninfo import conninfo_to_dict
from psycopg.errors import UniqueViolation
from psycopg.rows import DictRow
from psycopg_pool import ConnectionPool

from api.database import Database
from api.erasure_fence import ErasureFence, fence_then_destroy
from domain.shared.idempotency import Claim, RequestAlreadyRecorded

SESSION_PARAMETERS = "POSTGRES_SESSION_PARAMETERS"


def limit_connections(datastore: PostgresDatastore, database: Database | str) -> None:
    """Give every connection the library's datastore opens the database's limits (libpq's
    connect timeout, the statement timeout): its constructor takes neither, and its pool,
    not yet open, connects with these keyword arguments."""
    parameters = (
        database.session_parameters()
        if isinstance(database, Database)
        else conninfo_to_dict(database)
    )
    kwargs = datastore.pool.kwargs
    if not isinstance(kwargs, dict):
        raise TypeError("the datastore's pool keeps no connection keyword arguments to extend")
    kwargs.update(parameters)


class CaseworkInfrastructure(PostgresFactory):
    """The library's PostgreSQL factory, whose connections carry the limits given (as libpq
    parameters) in ``POSTGRES_SESSION_PARAMETERS``."""

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        limit_connections(self.datastore, self.env.get(SESSION_PARAMETERS) or "")


class CaseworkRecorder(PostgresApplicationRecorder):
    """Appends a command's events, with the data keys and sealed files it created and the
    request's idempotency claim, and the events' field digests for the ledger, in one
    transaction and one round trip (``casework_append``, migrations 0007, 0025 and 0045).

    The function takes the table's EXCLUSIVE lock, as the library's own recorder does, so
    positions commit in order; a rejected command leaves no keys, files or digests behind.
    """

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events:
            return []
        data_keys: Mapping[UUID, bytes] = kwargs.get("data_keys") or {}
        blobs: Mapping[UUID, tuple[UUID, bytes]] = kwargs.get("blobs") or {}
        claim: Claim | None = kwargs.get("claim")
        ledger: Mapping[tuple[object, int], tuple[str, str]] = kwargs.get("ledger") or {}
        written = [ledger.get((e.originator_id, e.originator_version)) for e in stored_events]
        params: tuple[object, ...] = (
            f"{self.datastore.lock_timeout}s",
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
            list(data_keys),
            list(data_keys.values()),
            list(blobs),
            [owner for owner, _ in blobs.values()],
            [sealed for _, sealed in blobs.values()],
        )
        # The signatures of before for appends without fields: a database migrated up to an
        # older version (the migration tests' deployments of before) has only those.
        statement = APPEND
        if any(w is not None for w in written):
            statement = APPEND_WRITTEN
            params += (
                [None if w is None else w[0] for w in written],
                [None if w is None else w[1] for w in written],
            )
        if claim is not None:
            statement = APPEND_CLAIMED if statement is APPEND else APPEND_WRITTEN_CLAIMED
            params += (claim.user_ix, claim.key_ix, claim.request_ix)
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            try:
                curs.execute(statement, params, prepare=True)
            except UniqueViolation as error:
                if claim is not None and error.diag.constraint_name == KEY_CONSTRAINT:
                    raise RequestAlreadyRecorded() from None
                raise
            return [row["casework_append"] for row in curs.fetchall()]


# The arrays go in binary (%b): as text, every element is escaped for the array literal, which
# for the ledger's digests (JSON, full of quotes) and the events' bytea (as hex) cost a command
# about as much as computing the digests did.
APPEND = (
    "SELECT casework_append(%s, %b::uuid[], %b::bigint[], %b::text[], %b::bytea[], "
    "%b::uuid[], %b::bytea[], %b::uuid[], %b::uuid[], %b::bytea[])"
)
CLAIM = ", %s::bytea, %s::bytea, %s::bytea)"
APPEND_CLAIMED = APPEND[:-1] + CLAIM
APPEND_WRITTEN = APPEND[:-1] + ", %b::text[], %b::text[], NULL, NULL, NULL)"
APPEND_WRITTEN_CLAIMED = APPEND[:-1] + ", %b::text[], %b::text[]" + CLAIM
KEY_CONSTRAINT = "idempotency_keys_pkey"


class PostgresKeyStore:
    """Wrapped data keys in ``data_keys``. With an erasure fence (every process the service
    wires), a key is written to the fence before it is destroyed, so that no restored backup
    brings it back (``api.erasure_fence``)."""

    def __init__(
        self, pool: ConnectionPool[Connection[DictRow]], fence: ErasureFence | None = None
    ) -> None:
        self._pool = pool
        self._fence = fence

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
            if self._fence is not None:
                fence_then_destroy(conn, self._fence, [subject_id])
                return
            conn.execute(
                "UPDATE data_keys SET wrapped_key = NULL, destroyed_at = now() "
                "WHERE subject_id = %s AND wrapped_key IS NOT NULL",
                (subject_id,),
            )

    def create(self, subject_id: UUID, wrapped: bytes) -> bytes | None:
        """On its own connection, so the key is committed before anything sealed with it: a
        view's batch that rolls back leaves no sealed value without its key. A concurrent
        creator of the same key waits for the first to commit, then reads its key."""
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO data_keys (subject_id, wrapped_key) VALUES (%s, %s) "
                "ON CONFLICT (subject_id) DO NOTHING",
                (subject_id, wrapped),
            )
            row = conn.execute(
                "SELECT wrapped_key FROM data_keys WHERE subject_id = %s", (subject_id,)
            ).fetchone()
        return None if row is None or row["wrapped_key"] is None else bytes(row["wrapped_key"])

    def saved(self, new_keys: Mapping[UUID, bytes]) -> None:
        """Nothing to do: :class:`CaseworkRecorder` wrote them with the events."""


def evidence_blob(pool: ConnectionPool[Connection[DictRow]], file_id: UUID) -> bytes | None:
    with pool.connection() as conn:
        row = conn.execute(
            "SELECT sealed FROM evidence_blobs WHERE file_id = %s", (file_id,)
        ).fetchone()
    return None if row is None else bytes(row["sealed"])

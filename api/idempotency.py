"""Idempotency keys: a mutation retried with the same ``Idempotency-Key`` is recorded once.

A key belongs to the user who sent it and to the first request with it that recorded a
change: its claim (a blind index of the user's login and of the key, a keyed digest of the
request's query, operation name and variables, files by their SHA-256) is written in the same
transaction as that request's events (``domain.shared.idempotency``). Its answer, sealed with
the user's login's data key, is kept as soon as the request has finished. A repeat with the same
request gets that answer and records nothing; with another request under the same key it is
refused (422 ``IDEMPOTENCY_KEY_REUSED``). Keys expire 24 hours after they were first recorded.
A request that recorded nothing (refused, say) binds no key: sending it again runs it again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import time
from typing import Any

from graphql import DocumentNode, FieldNode, OperationType, get_operation_ast
from psycopg import Connection
from psycopg.rows import DictRow
from psycopg_pool import ConnectionPool

from api.answers import Answer, problem
from domain.shared.blind_index import BlindIndex
from domain.shared.idempotency import Claim
from domain.shared.logins import login_subject
from domain.shared.sealing import Keyring
from projections.common import sealed_or_none

HEADER = "idempotency-key"
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")
KEY_LIFETIME_HOURS = 24
# How long a repeat waits for the answer of a request with its key that is still finishing.
ANSWER_WAIT_SECONDS = 5.0


def key_refusal(
    key: str, document: DocumentNode | None, operation_name: str | None
) -> Answer | None:
    """Why ``key`` cannot key this request, or None. A key keys exactly one mutation field."""
    if not KEY_PATTERN.fullmatch(key):
        return problem(
            400,
            "An Idempotency-Key is 1 to 255 printable ASCII characters, without spaces",
            "BAD_IDEMPOTENCY_KEY",
        )
    operation = None if document is None else get_operation_ast(document, operation_name)
    if operation is not None and operation.operation is OperationType.MUTATION:
        selections = operation.selection_set.selections
        if len(selections) != 1 or not isinstance(selections[0], FieldNode):
            return problem(
                400,
                "An Idempotency-Key keys one mutation: send one mutation field per request",
                "IDEMPOTENCY_KEY_NOT_ALLOWED",
            )
    return None


def keys_a_mutation(document: DocumentNode | None, operation_name: str | None) -> bool:
    operation = None if document is None else get_operation_ast(document, operation_name)
    return operation is not None and operation.operation is OperationType.MUTATION


def _stable(value: object) -> Any:
    """Files in the variables, as their name, declared type and SHA-256."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: hashlib.sha256(v).hexdigest() if isinstance(v, bytes) else v
            for f in dataclasses.fields(value)
            for v in [getattr(value, f.name)]
        }
    raise TypeError(f"{type(value).__name__} in the variables")


class KeyedRequests:
    """The ``idempotency_keys`` table (migration 0025)."""

    def __init__(
        self, pool: ConnectionPool[Connection[DictRow]], keyring: Keyring, index: BlindIndex
    ) -> None:
        self._pool = pool
        self._keyring = keyring
        self._index = index

    def claim(
        self,
        user_id: str,
        key: str,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
    ) -> Claim:
        request = json.dumps(
            {"query": query, "operationName": operation_name, "variables": variables or {}},
            sort_keys=True,
            separators=(",", ":"),
            default=_stable,
        )
        return Claim(
            user_ix=self._index.login(user_id),
            key_ix=self._index.term("idempotency key", key),
            request_ix=self._index.term("idempotent request", request),
        )

    def first_answer(self, claim: Claim, wait: float = 0.0) -> Answer | None:
        """The answer of the request that recorded this key, None if none did; waits up to
        ``wait`` seconds for one that has recorded but not yet finished."""
        give_up = time.monotonic() + wait
        while True:
            with self._pool.connection() as conn:
                row = conn.execute(
                    "SELECT request_ix, position, response FROM idempotency_keys "
                    "WHERE user_ix = %s AND key_ix = %s "
                    f"AND created_at >= now() - interval '{KEY_LIFETIME_HOURS} hours'",
                    (claim.user_ix, claim.key_ix),
                ).fetchone()
            if row is None:
                return None
            if bytes(row["request_ix"]) != claim.request_ix:
                return problem(
                    422,
                    "This Idempotency-Key was used for a different request; use a new key",
                    "IDEMPOTENCY_KEY_REUSED",
                )
            opened = self._keyring.text_of(sealed_or_none(row["response"]))
            if opened is not None:
                return Answer(200, json.loads(opened))
            if time.monotonic() >= give_up:
                return problem(
                    409,
                    "A request with this Idempotency-Key was recorded, but its answer is not "
                    "available; read the record to see the change",
                    "IDEMPOTENT_REQUEST_UNFINISHED",
                    position=str(row["position"]),
                )
            time.sleep(0.02)

    def keep(self, claim: Claim, user_id: str, body: dict[str, Any]) -> None:
        """Keep the answer of the request that recorded ``claim``, sealed with the user's
        login's data key (erasing the login erases it too)."""
        sealed = self._keyring.seal_creating(login_subject(user_id), json.dumps(body))
        if sealed is None:
            return
        with self._pool.connection() as conn:
            conn.execute(
                "UPDATE idempotency_keys SET response = %s WHERE user_ix = %s AND key_ix = %s",
                (sealed.to_bytes(), claim.user_ix, claim.key_ix),
            )

"""The data map of the idempotency keys (``api.idempotency``, migration 0025)."""

from __future__ import annotations

from projections.classification import AT, LOGIN_IX, SEQ, Table, blind_index, sealed

TABLES: dict[str, Table] = {
    "idempotency_keys": {
        "user_ix": LOGIN_IX,
        "key_ix": blind_index(
            "the Idempotency-Key a client sent", "to find a retried request's key"
        ),
        "request_ix": blind_index(
            "the request (query, operation name, variables)",
            "to tell a retry of the same request from another request under the same key",
        ),
        "position": SEQ,
        "response": sealed(
            "the login holder's",
            "the first answer to the request, given again to a retry; it may echo personal data",
        ),
        "created_at": AT,
    },
}

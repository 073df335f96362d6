"""What a database outage looks like to a client: which errors are transient, and how they are
answered.

A transient error is one the database's state, not the request, caused: the server restarting
or unreachable, a connection it closed, a pool with no connection to give, a statement or lock
timeout. Retrying the same request shortly may succeed, so it is answered as retryable
(``SERVICE_UNAVAILABLE``, HTTP 503 with ``Retry-After``), never masked as an unexpected error.
"""

from __future__ import annotations

import psycopg
from eventsourcing.persistence import OperationalError as StoreOperationalError

SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
UNAVAILABLE = "The database is unavailable for the moment; retry shortly."
RETRY_AFTER_SECONDS = 1
RETRY_AFTER = {"Retry-After": str(RETRY_AFTER_SECONDS)}

# psycopg's OperationalError covers lost and refused connections, server shutdowns, statement
# and lock timeouts, and the pool's PoolTimeout; the event store's library wraps the same ones
# in its own OperationalError.
_TRANSIENT = (psycopg.OperationalError, StoreOperationalError)


def is_transient(error: BaseException | None) -> bool:
    """Whether ``error``, or an error it was raised from, is a transient database error."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, _TRANSIENT):
            return True
        seen.add(id(error))
        error = error.__cause__
    return False

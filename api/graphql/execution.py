"""How one GraphQL query or mutation runs, whether it came over HTTP or over the WebSocket.

1. If it passes ``minPosition`` anywhere, it first waits, on the event loop, until the views
   include every position it asks for (``api.positions``), with one deadline for the whole
   request; it holds no thread and no execution slot while it waits.
2. With an ``Idempotency-Key`` (``api.idempotency``), a mutation already recorded under that key
   answers as it did then, and runs no further.
3. Then it runs synchronously in a worker thread, holding an execution slot, with one context
   (one connection, the access log written at the end), and each field that asked for a position
   checks it against what the wait found, without waiting again.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import strawberry
from anyio import to_thread
from graphql import DocumentNode
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from api.answers import Answer, problem
from api.auth import Identity
from api.graphql.context import request_context
from api.graphql.errors import code_of
from api.graphql.survey import parsed, survey
from api.idempotency import ANSWER_WAIT_SECONDS, KeyedRequests, key_refusal, keys_a_mutation
from api.outages import RETRY_AFTER, SERVICE_UNAVAILABLE
from api.positions import PositionWatch, ViewPositions, Wanted
from api.wiring import Container
from domain.shared.idempotency import claiming

# Subscriptions are served by the WebSocket's own handling (api.graphql.subscriptions).
QUERIES_AND_MUTATIONS = (OperationType.QUERY, OperationType.MUTATION)


@dataclasses.dataclass(frozen=True)
class _Request:
    """A request as it runs in its worker thread, once its positions have been reached."""

    identity: Identity
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None
    positions: ViewPositions | None
    request_id: str | None


class Executor:
    def __init__(self, container: Container, schema: strawberry.Schema) -> None:
        self._container = container
        self._schema = schema
        self.watch = PositionWatch(container.positions_now, container.view_positions)
        self._keyed = KeyedRequests(container.pool, container.keyring, container.blind_index)

    async def run(
        self,
        identity: Identity,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        request_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> Answer:
        settings = self._container.settings
        deadline = time.monotonic() + settings.read_your_writes_timeout_seconds
        # Parsed here at most once, for the key and the waits (the schema's parser cache
        # parses a document again only when it has not seen it).
        needs_document = idempotency_key is not None or "minPosition" in query
        document = parsed(query, settings.max_query_tokens) if needs_document else None
        if idempotency_key is not None:
            refused = key_refusal(idempotency_key, document, operation_name)
            if refused is not None:
                return refused
            if not keys_a_mutation(document, operation_name):
                idempotency_key = None  # a query records nothing: the key has nothing to do
        wanted = self._wanted(query, document, variables, operation_name)
        positions = await self.watch.reach(wanted, deadline) if wanted else None
        request = _Request(identity, query, variables, operation_name, positions, request_id)
        if idempotency_key is not None:
            return await to_thread.run_sync(self._execute_keyed, request, idempotency_key)
        return await to_thread.run_sync(self._execute, request)

    def _execute_keyed(self, request: _Request, key: str) -> Answer:
        """A mutation under an idempotency key: the first answer if one recorded the key, else
        run it with the key's claim, which its command writes with its events, and keep its
        answer. One that recorded nothing looks again: a duplicate that ran at the same time
        may have recorded the key first, and its answer is the one to give."""
        user_id = request.identity.user_id
        claim = self._keyed.claim(
            user_id, key, request.query, request.variables, request.operation_name
        )
        first = self._keyed.first_answer(claim, ANSWER_WAIT_SECONDS)
        if first is not None:
            return first
        with claiming(claim):
            answer = self._execute(request)
        if claim.recorded:
            self._keyed.keep(claim, user_id, answer.body)
            return answer
        first = self._keyed.first_answer(claim, ANSWER_WAIT_SECONDS)
        return answer if first is None else first

    def _wanted(
        self,
        query: str,
        document: DocumentNode | None,
        variables: dict[str, Any] | None,
        operation_name: str | None,
    ) -> frozenset[Wanted]:
        """The positions the request's ``minPosition`` arguments ask for (none for a request
        that will be refused anyway)."""
        if "minPosition" not in query or document is None:
            return frozenset()
        settings = self._container.settings
        found = survey(
            self._schema._schema, document, variables, operation_name, settings.max_query_depth
        )
        if found is None or found.nodes > settings.max_query_nodes:
            return frozenset()
        return found.waits

    def _execute(self, request: _Request) -> Answer:
        with request_context(
            self._container, request.identity, request.positions, request.request_id
        ) as context:
            try:
                result = self._schema.execute_sync(
                    request.query,
                    variable_values=request.variables,
                    context_value=context,
                    operation_name=request.operation_name,
                    allowed_operation_types=QUERIES_AND_MUTATIONS,
                )
            except MissingQueryError:
                return problem(400, "The `query` is empty", "BAD_REQUEST")
            except CannotGetOperationTypeError:
                return problem(
                    400,
                    "Send one operation, or name one of the document's in `operationName`",
                    "BAD_REQUEST",
                )
            except InvalidOperationTypeError:
                return problem(400, "Subscriptions are served over WebSocket", "BAD_REQUEST")
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [e.formatted for e in result.errors]
        not_run = (
            result.data is None
            and bool(result.errors)
            and all(e.path is None for e in result.errors or [])
        )
        if not_run:
            return Answer(400, body)
        nothing_answered = result.data is None or all(v is None for v in result.data.values())
        if nothing_answered and any(code_of(e) == SERVICE_UNAVAILABLE for e in result.errors or []):
            return Answer(503, body, RETRY_AFTER)
        return Answer(200, body)

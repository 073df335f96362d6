"""How one GraphQL query or mutation runs, whether it came over HTTP or over the WebSocket.

1. Its document is read once (``api.graphql.survey``) for what it asks for: its cost, its node
   count and its waits. It is charged to the caller's query budget (``api.query_cost``): the
   cost it asks for is reserved, and a caller whose budget has no room for it is answered 429
   with ``Retry-After`` before it waits or runs; once answered it is charged what it resolved,
   and the answer carries both in ``extensions.cost``.
2. If it passes ``minPosition`` anywhere, it then waits, on the event loop, until the views
   include every position it asks for (``api.positions``), with one deadline for the whole
   request; it holds no thread and no execution slot while it waits.
3. With an ``Idempotency-Key`` (``api.idempotency``), a mutation already recorded under that key
   answers as it did then, and runs no further.
4. Then it runs synchronously in a worker thread, holding an execution slot, with one context
   (one connection, the access log written at the end), and each field that asked for a position
   checks it against what the wait found, without waiting again. The node limit reads the
   survey made in step 1 rather than walking the document again.
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
from api.graphql.survey import Survey, parsed, survey
from api.idempotency import ANSWER_WAIT_SECONDS, KeyedRequests, key_refusal, keys_a_mutation
from api.outages import RETRY_AFTER, SERVICE_UNAVAILABLE
from api.positions import PositionWatch, ViewPositions
from api.query_cost import QueryBudget, budget_spent, cost_body, resolved, with_cost
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
    survey: Survey | None = None


class Executor:
    def __init__(self, container: Container, schema: strawberry.Schema) -> None:
        self._container = container
        self._schema = schema
        self.watch = PositionWatch(container.positions_now, container.view_positions)
        self._keyed = KeyedRequests(container.pool, container.keyring, container.blind_index)
        self.budget = QueryBudget(container.settings.query_cost_per_minute)

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
        # Parsed here at most once, for the key, the cost and the waits (the schema's parser
        # cache parses a document again only when it has not seen it).
        document = parsed(query, settings.max_query_tokens)
        if idempotency_key is not None:
            refused = key_refusal(idempotency_key, document, operation_name)
            if refused is not None:
                return refused
            if not keys_a_mutation(document, operation_name):
                idempotency_key = None  # a query records nothing: the key has nothing to do
        found = self._survey(document, variables, operation_name)
        # One the node limit will refuse (found, for it to refuse) asks for nothing.
        runs = found is not None and found.nodes <= settings.max_query_nodes
        requested = found.cost if found is not None and runs else 0
        admission = self.budget.admit(identity.user_id, requested)
        if not admission.admitted:
            return budget_spent(requested, admission)
        wanted = found.waits if found is not None and runs and "minPosition" in query else None
        positions = await self.watch.reach(wanted, deadline) if wanted else None
        request = _Request(identity, query, variables, operation_name, positions, request_id, found)
        if idempotency_key is not None:
            answer = await to_thread.run_sync(self._execute_keyed, request, idempotency_key)
        else:
            answer = await to_thread.run_sync(self._execute, request)
        actual = resolved(answer.body.get("data"))
        throttle = self.budget.settle(identity.user_id, requested, actual)
        return with_cost(answer, cost_body(requested, actual, throttle))

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

    def _survey(
        self,
        document: DocumentNode | None,
        variables: dict[str, Any] | None,
        operation_name: str | None,
    ) -> Survey | None:
        """What the request asks for, read from its document; None if the document, its
        operation or its variables are not valid (executing it says why)."""
        if document is None:
            return None
        depth = self._container.settings.max_query_depth
        return survey(self._schema._schema, document, variables, operation_name, depth)

    def _execute(self, request: _Request) -> Answer:
        with request_context(
            self._container, request.identity, request.positions, request.request_id
        ) as context:
            context.survey, context.surveyed = request.survey, True
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

"""The WebSocket side of /graphql (graphql-transport-ws) and the DSL's live feed,
`incidentReported(schoolId)`.

The connection is authenticated once, by the bearer token in the `connection_init` payload, and
lasts as long as that token: when it expires, every operation still running gets a final error
(TOKEN_EXPIRED) and the connection closes (4403), even while no event arrives. Queries and
mutations sent over it run exactly as over HTTP (``api.graphql.execution``). The feed is
authorised again for every event, against the grants on record at that moment: a revoked DSL
stops receiving at once, and nobody is told of an incident of which they are a subject.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator
from contextlib import suppress
from datetime import datetime
from typing import Any, cast

import strawberry
from anyio import to_thread
from graphql import GraphQLError, OperationType, get_operation_ast
from strawberry.exceptions import ConnectionRejectionError
from strawberry.fastapi import BaseContext, GraphQLRouter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage
from strawberry.types import Info

from api.access_log import Read, append
from api.auth import Identity, InvalidToken
from api.graphql.common import parse_id, to_id
from api.graphql.errors import coded_exception
from api.graphql.execution import Executor
from api.graphql.survey import parsed
from api.request_ids import new_request_id
from api.wiring import Container
from domain.shared.errors import DomainError
from domain.shared.policy import Action, Target, permits
from projections.incidents import queries

log = logging.getLogger("casework.ws")
POLL_SECONDS = 0.5
# The close code when the token expires: graphql-transport-ws's "Forbidden", after which a client
# may connect again with a new token.
TOKEN_EXPIRED = 4403


class SubscriptionContext(BaseContext):
    def __init__(self, container: Container) -> None:
        super().__init__()
        self.container = container
        self.identity: Identity | None = None
        self.request_id = new_request_id()  # one per connection, as a request's over HTTP


@strawberry.type(
    description=(
        "A new incident in a school you are DSL or deputy of. Query `incident` for the rest."
    )
)
class IncidentReported:
    incident_id: strawberry.ID
    school_id: strawberry.ID
    category: str
    reported_at: datetime


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="New incidents of a school, as they are reported (DSL and deputies)."
    )
    async def incident_reported(
        self, info: Info[SubscriptionContext, None], school_id: strawberry.ID
    ) -> AsyncGenerator[IncidentReported, None]:
        ctx = info.context
        container, identity = ctx.container, ctx.identity
        if identity is None:
            raise GraphQLError("Not authenticated", extensions={"code": "UNAUTHENTICATED"})
        try:
            school = parse_id("schoolId", school_id)
            target = await to_thread.run_sync(container.app.school_target, school)
        except DomainError:
            raise GraphQLError(
                "Not found, or not visible to you", extensions={"code": "NOT_FOUND"}
            ) from None

        def allowed() -> bool:
            return permits(container.principal_for(identity), Action.VIEW_INCIDENT, target)

        if not await to_thread.run_sync(allowed):
            raise GraphQLError("Not found, or not visible to you", extensions={"code": "NOT_FOUND"})

        def latest() -> int:
            with container.pool.connection() as conn:
                return queries.latest_seq(conn, school)

        def next_batch(after: int) -> tuple[list[queries.Reported], int]:
            """New incidents this user may be told of, with the access log written."""
            principal = container.principal_for(identity)
            with container.pool.connection() as conn:
                rows = queries.reported_since(conn, school, after)
                deliver = [
                    r
                    for r in rows
                    if not r.staff_conduct
                    and permits(
                        principal,
                        Action.VIEW_INCIDENT,
                        Target(r.trust_id, r.school_id, frozenset(r.people)),
                    )
                ]
                append(
                    conn,
                    container.logins,
                    identity.user_id,
                    [
                        Read("notify", "incident", r.incident_id, r.trust_id, r.school_id)
                        for r in deliver
                    ],
                )
            if not permits(principal, Action.VIEW_INCIDENT, target):
                raise GraphQLError(
                    "Your access to this school has ended", extensions={"code": "NOT_AUTHORISED"}
                )
            return deliver, rows[-1].seq if rows else after

        seen = await to_thread.run_sync(latest)
        while True:
            await asyncio.sleep(POLL_SECONDS)
            batch, seen = await to_thread.run_sync(next_batch, seen)
            for r in batch:
                yield IncidentReported(
                    incident_id=to_id(r.incident_id),
                    school_id=to_id(r.school_id),
                    category=r.category,
                    reported_at=r.reported_at,
                )


class TransportHandler(BaseGraphQLTransportWSHandler[SubscriptionContext, None]):
    """graphql-transport-ws, ended when the connection's token expires, with queries and
    mutations run as over HTTP."""

    _expiry: asyncio.Task[None] | None = None

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        identity = self.context.identity
        expires_at = identity.expires_at if identity is not None else None
        if self.connection_acknowledged and self._expiry is None and expires_at is not None:
            self._expiry = asyncio.create_task(self._end_at(expires_at))

    async def _end_at(self, expires_at: float) -> None:
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        expired = GraphQLError("Your token has expired", extensions={"code": "TOKEN_EXPIRED"})
        with suppress(WebSocketDisconnected):
            for operation in list(self.operations.values()):
                if operation.task is not None:
                    operation.task.cancel()
                await operation.send_operation_message(
                    {"id": operation.id, "type": "error", "payload": [expired.formatted]}
                )
            await self.websocket.close(code=TOKEN_EXPIRED, reason="Token expired")

    async def shutdown(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
        await super().shutdown()

    async def run_operation(self, operation: Operation[SubscriptionContext, None]) -> None:
        identity = self.context.identity
        document = parsed(operation.query, self.context.container.settings.max_query_tokens)
        chosen = get_operation_ast(document, operation.operation_name) if document else None
        if identity is None or chosen is None or chosen.operation is OperationType.SUBSCRIPTION:
            # a subscription, or a document the protocol's own handling refuses
            await super().run_operation(operation)
            return
        executor = cast("SubscriptionRouter", self.view).executor
        message: dict[str, Any]
        try:
            answer = await executor.run(
                identity,
                operation.query,
                operation.variables,
                operation.operation_name,
                self.context.request_id,
            )
        except Exception as error:
            coded = coded_exception(error, self.context.request_id)
            message = {"id": operation.id, "type": "error", "payload": [coded.formatted]}
        else:
            if answer.status == 200:
                message = {"id": operation.id, "type": "next", "payload": answer.body}
            else:
                message = {"id": operation.id, "type": "error", "payload": answer.body["errors"]}
        await operation.send_operation_message(message)  # type: ignore[arg-type]
        await operation.send_operation_message({"id": operation.id, "type": "complete"})


class SubscriptionRouter(GraphQLRouter[SubscriptionContext, None]):
    """Only the WebSocket side of strawberry's router is used; HTTP goes to api.http."""

    graphql_transport_ws_handler_class = TransportHandler

    def __init__(self, schema: strawberry.Schema, container: Container, executor: Executor) -> None:
        self.container = container
        self.executor = executor

        async def context() -> SubscriptionContext:
            return SubscriptionContext(container)

        super().__init__(
            schema,
            context_getter=context,
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
            graphql_ide=None,
            allow_queries_via_get=False,
        )

    async def on_ws_connect(self, context: SubscriptionContext) -> None:
        params = context.connection_params or {}
        token = params.get("authorization") or params.get("Authorization")
        try:
            context.identity = await self.container.verifier.verify_async(
                token if isinstance(token, str) else None
            )
        except InvalidToken:
            raise ConnectionRejectionError() from None

"""The DSL's live feed: `incidentReported(schoolId)` over graphql-transport-ws.

Authorised when the connection opens (a bearer token in the `connection_init` payload) and
again for every event, against the grants on record at that moment: a revoked DSL stops
receiving at once, and nobody is told of an incident of which they are a subject.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from anyio import to_thread
from graphql import GraphQLError
from strawberry.exceptions import ConnectionRejectionError
from strawberry.fastapi import BaseContext, GraphQLRouter
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import Info

from api.access_log import Read, append
from api.auth import Identity, InvalidToken
from api.graphql.common import parse_id
from api.request_ids import new_request_id
from api.wiring import Container
from domain.access.policy import Action, Target, permits
from domain.shared.errors import DomainError
from projections.incidents import queries

POLL_SECONDS = 0.5


class SubscriptionContext(BaseContext):
    def __init__(self, container: Container) -> None:
        super().__init__()
        self.container = container
        self.identity: Identity | None = None
        self.request_id = new_request_id()  # one per connection, as a request's over HTTP


@strawberry.type(
    description="A new incident in a school you are DSL or deputy of. Query `incident` for the rest."
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
            return permits(container.principal(identity.user_id), Action.VIEW_INCIDENT, target)

        if not await to_thread.run_sync(allowed):
            raise GraphQLError("Not found, or not visible to you", extensions={"code": "NOT_FOUND"})

        def latest() -> int:
            with container.pool.connection() as conn:
                return queries.latest_seq(conn, school)

        def next_batch(after: int) -> tuple[list[queries.Reported], int]:
            """New incidents this user may be told of, with the access log written."""
            principal = container.principal(identity.user_id)
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
                    incident_id=strawberry.ID(str(r.incident_id)),
                    school_id=strawberry.ID(str(r.school_id)),
                    category=r.category,
                    reported_at=r.reported_at,
                )


class SubscriptionRouter(GraphQLRouter[SubscriptionContext, None]):
    """Only the WebSocket side of strawberry's router is used; HTTP goes to api.http."""

    def __init__(self, schema: strawberry.Schema, container: Container) -> None:
        self.container = container

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
            context.identity = self.container.verifier.verify(
                token if isinstance(token, str) else None
            )
        except InvalidToken:
            raise ConnectionRejectionError() from None

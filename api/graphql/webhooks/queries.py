"""The webhook queries: a trust's endpoints, an endpoint's deliveries, and a school's changes
feed (docs/rules.md §14). An endpoint is read by whoever may manage it (a headteacher of its
school, a trust safeguarding lead); anyone else gets the unknown-record answer."""

from __future__ import annotations

from uuid import UUID

import strawberry
from strawberry.types import Info

from api.graphql.common import Connection, Position, ReadYourWrites, connection, page_args, parse_id
from api.graphql.context import Context
from api.graphql.webhooks.types import Change, WebhookDelivery, WebhookEndpoint
from domain.shared.errors import NotAuthorised, NotFound
from domain.shared.policy import Action, Target, case_reach, permits
from domain.webhooks.rules import READING_ACTIONS
from projections.webhooks import queries
from projections.webhooks.queries import EndpointRow

WEBHOOKS = "webhooks"


def managed_endpoint(ctx: Context, endpoint_id: UUID) -> EndpointRow:
    """The endpoint, if the caller may manage it; NotFound (as for an unknown id) if not."""
    row = queries.endpoint(ctx.conn, endpoint_id)
    if row is None or not permits(
        ctx.principal, Action.MANAGE_WEBHOOKS, Target(row.trust_id, row.school_id)
    ):
        raise NotFound("Webhook endpoint", endpoint_id)
    return row


@strawberry.type
class WebhookQuery:
    @strawberry.field(
        description="The trust's webhook endpoints (a headteacher: their school's).",
        extensions=[ReadYourWrites(WEBHOOKS)],
    )
    def webhook_endpoints(
        self, info: Info[Context, None], trust_id: strawberry.ID
    ) -> list[WebhookEndpoint]:
        ctx = info.context
        trust = parse_id("trustId", trust_id)
        schools = ctx.trust_schools(Action.MANAGE_WEBHOOKS, trust)
        return [WebhookEndpoint.from_row(r) for r in queries.endpoints(ctx.conn, trust, schools)]

    @strawberry.field(
        description="An endpoint's deliveries, oldest first, each with its attempts, status, "
        "last response code and next attempt.",
        extensions=[ReadYourWrites(WEBHOOKS)],
    )
    def webhook_deliveries(
        self,
        info: Info[Context, None],
        endpoint_id: strawberry.ID,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[WebhookDelivery]:
        ctx = info.context
        size, cursor = page_args(first, after)
        endpoint = managed_endpoint(ctx, parse_id("endpointId", endpoint_id))
        page = queries.deliveries(ctx.conn, endpoint.endpoint_id, size, cursor)
        return connection(page, [WebhookDelivery.from_row(r) for r in page.items])

    @strawberry.field(
        description="A school's changes after position `since`, oldest first: kinds and ids "
        "only, for systems that pull rather than receive webhooks. You see the kinds you may "
        "read at the school, and never a record about you.",
        extensions=[ReadYourWrites(WEBHOOKS)],
    )
    def changes(
        self,
        info: Info[Context, None],
        school_id: strawberry.ID,
        since: Position | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[Change]:
        ctx = info.context
        size, cursor = page_args(first, after)
        school = ctx.container.app.school_target(parse_id("schoolId", school_id))
        actions = sorted({a.value for a in READING_ACTIONS if permits(ctx.principal, a, school)})
        if not actions:
            raise NotAuthorised()
        excluded = case_reach(ctx.principal).excluded_subjects | ctx.principal.subject_of
        page = queries.changes(
            ctx.conn,
            school.school_id or UUID(int=0),
            int(since or 0),
            actions,
            excluded,
            ctx.login_ix,
            size,
            cursor,
        )
        return connection(page, [Change.from_row(r) for r in page.items])

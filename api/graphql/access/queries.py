"""Access's queries: who the caller is, the grants in their reach, the access log."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api import access_log
from api.graphql.access.types import AccessLogEntry, Me, RoleGrant, RoleHeld
from api.graphql.common import (
    Connection,
    ReadYourWrites,
    connection,
    from_rows,
    optional_uuid,
    page_args,
)
from api.graphql.context import Context
from domain.access.rules import roles_in_order
from domain.shared.policy import Action
from projections.access import queries


@strawberry.type
class AccessQuery:
    @strawberry.field(description="The signed-in user and the roles they hold now.")
    def me(self, info: Info[Context, None]) -> Me:
        ctx = info.context
        principal = ctx.principal
        return Me(
            user_id=principal.user_id,
            name=ctx.identity.name,
            roles=[RoleHeld.of(g) for g in roles_in_order(principal.grants)],
        )

    @strawberry.field(
        description="Role grants in your reach, as recorded (headteacher, trust lead, DPO).",
        extensions=[ReadYourWrites("access")],
    )
    def role_grants(
        self,
        info: Info[Context, None],
        include_revoked: bool = False,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[RoleGrant]:
        ctx = info.context
        page = queries.grants(
            ctx.conn,
            ctx.visibility(Action.VIEW_ROLES),
            include_revoked,
            *page_args(first, after),
        )
        return connection(page, from_rows(ctx, page.items, RoleGrant.from_row))

    @strawberry.field(
        description=(
            "Reads of restricted records in your reach, and refused attempts on them (DPO only), "
            "oldest first. Never an entry about a record of which you are the subject."
        )
    )
    def access_log(
        self,
        info: Info[Context, None],
        user_id: str | None = None,
        record_id: strawberry.ID | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[AccessLogEntry]:
        ctx = info.context
        page = access_log.entries(
            ctx.conn,
            ctx.visibility(Action.VIEW_ACCESS_LOG),
            None if user_id is None else ctx.container.blind_index.login(user_id),
            optional_uuid("recordId", record_id),
            *page_args(first, after),
        )
        return connection(page, from_rows(ctx, page.items, AccessLogEntry.from_row))

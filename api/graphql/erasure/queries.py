"""Erasure's query: the erasures recorded in the caller's reach (DPO only)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.graphql.common import Connection, ReadYourWrites, connection, from_rows, page_args
from api.graphql.context import Context
from api.graphql.erasure.types import ErasureEntry
from domain.shared.policy import Action
from projections.erasure import queries


@strawberry.type
class ErasureQuery:
    @strawberry.field(
        description="Erasures in your reach (DPOs, and the trust-wide roles that approve "
        "them), oldest first: the records each named and the rule that made them due, who "
        "asked and why, who carried it out or cancelled it and when, and the LADO exports it "
        "could not recall.",
        extensions=[ReadYourWrites("erasure")],
    )
    def erasures(
        self, info: Info[Context, None], first: int = 20, after: str | None = None
    ) -> Connection[ErasureEntry]:
        ctx = info.context
        page = queries.erasures(
            ctx.conn, ctx.visibility(Action.VIEW_ERASURES), *page_args(first, after)
        )
        return connection(page, from_rows(ctx, page.items, ErasureEntry.from_row))

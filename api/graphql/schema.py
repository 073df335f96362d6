"""One schema merged from the per-feature types, with its protective extensions."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from api.graphql.access import AccessMutation, AccessQuery
from api.graphql.common import POSITION_SCALAR, Position
from api.graphql.consent import ConsentMutation, ConsentQuery
from api.graphql.directory import DirectoryMutation, DirectoryQuery
from api.graphql.erasure import ErasureMutation, ErasureQuery
from api.graphql.errors import CodedErrors, log_errors
from api.graphql.incidents import IncidentMutation, IncidentQuery
from api.graphql.lado import LadoMutation
from api.graphql.ledger import LedgerQuery
from api.graphql.retention import RetentionMutation, RetentionQuery
from api.graphql.scalars import DATE_SCALAR, DATETIME_SCALAR
from api.graphql.staff_cases import StaffCaseMutation, StaffCaseQuery
from api.graphql.subscriptions import Subscription
from api.graphql.suggestions import HideSuggestions
from api.graphql.survey import NodeLimiter
from api.graphql.webhooks import WebhookMutation, WebhookQuery
from api.settings import Settings

DOCUMENT_CACHE_SIZE = 512

Query = merge_types(
    "Query",
    (
        AccessQuery,
        DirectoryQuery,
        IncidentQuery,
        StaffCaseQuery,
        ConsentQuery,
        LedgerQuery,
        ErasureQuery,
        RetentionQuery,
        WebhookQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        DirectoryMutation,
        AccessMutation,
        IncidentMutation,
        StaffCaseMutation,
        ConsentMutation,
        LadoMutation,
        ErasureMutation,
        RetentionMutation,
        WebhookMutation,
    ),
)
CONFIG = StrawberryConfig(
    scalar_map={
        Position: POSITION_SCALAR,
        datetime.datetime: DATETIME_SCALAR,
        datetime.date: DATE_SCALAR,
    }
)


class CaseworkSchema(strawberry.Schema):
    """Logs a request's errors as ``api.graphql.errors`` says, in place of strawberry's default
    (every error at ERROR, with its message, which may echo the input)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        context = execution_context.context if execution_context else None
        log_errors(
            errors,
            execution_context.operation_name if execution_context else None,
            getattr(context, "request_id", None),
        )


def build_schema(settings: Settings) -> strawberry.Schema:
    # The limits' rule classes are built once, so that validated documents can be cached: an
    # integrator's fixed operations are parsed and validated once, not on every request.
    limit_rules = [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_query_aliases).validation_rules,
    ]
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
        lambda: AddValidationRules(limit_rules),
        lambda: ParserCache(maxsize=DOCUMENT_CACHE_SIZE),
        lambda: ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),
        lambda: NodeLimiter(limit=settings.max_query_nodes, max_depth=settings.max_query_depth),
        CodedErrors,
    ]
    if not settings.is_development:
        extensions += [DisableIntrospection, HideSuggestions]
    return CaseworkSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        config=CONFIG,
    )


def sdl() -> str:
    schema = strawberry.Schema(
        query=Query, mutation=Mutation, subscription=Subscription, config=CONFIG
    )
    return schema.as_str() + "\n"

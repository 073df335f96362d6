"""One schema merged from the per-feature types, with its protective extensions."""

from __future__ import annotations

import logging
from collections.abc import Callable

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
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

from api.graphql.access import AccessMutation, AccessQuery
from api.graphql.common import POSITION_SCALAR, Position
from api.graphql.consent import ConsentMutation, ConsentQuery
from api.graphql.directory import DirectoryMutation, DirectoryQuery
from api.graphql.incidents import IncidentMutation, IncidentQuery
from api.graphql.staff_cases import StaffCaseMutation, StaffCaseQuery
from api.graphql.subscriptions import Subscription
from api.graphql.suggestions import HideSuggestions
from api.graphql.survey import NodeLimiter
from api.settings import Settings

log = logging.getLogger("casework.graphql")
DOCUMENT_CACHE_SIZE = 512

Query = merge_types(
    "Query", (AccessQuery, DirectoryQuery, IncidentQuery, StaffCaseQuery, ConsentQuery)
)
Mutation = merge_types(
    "Mutation",
    (DirectoryMutation, AccessMutation, IncidentMutation, StaffCaseMutation, ConsentMutation),
)
CONFIG = StrawberryConfig(scalar_map={Position: POSITION_SCALAR})


def _should_mask(error: GraphQLError) -> bool:
    """Errors we raise on purpose carry a code; anything else is unexpected: log and mask."""
    if error.original_error is None or isinstance(error.original_error, GraphQLError):
        # parse, validation and variable-coercion errors (an enum value outside the schema's,
        # say) describe the request, not our internals
        return False
    if error.extensions and "code" in error.extensions:
        return False
    log.error("unexpected error in %s", error.path, exc_info=error.original_error)
    return True


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
        lambda: MaskErrors(should_mask_error=_should_mask, error_message="Unexpected error."),
    ]
    if not settings.is_development:
        extensions += [DisableIntrospection, HideSuggestions]
    return strawberry.Schema(
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

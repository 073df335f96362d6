"""Outside development the API does not suggest names the client did not know.

graphql-core adds "Did you mean …?" to its validation and variable-coercion messages, naming
fields, arguments, types and enum values of the schema: with introspection disabled that would
still let a client map the schema by guessing. graphql-core can leave the suggestions out, but
strawberry does not pass that option through, so this extension cuts the suffix from every
error the request produced, at validation and at execution.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

SUGGESTION = " Did you mean "


def without_suggestions(errors: Iterable[GraphQLError]) -> None:
    for error in errors:
        if SUGGESTION in error.message:
            error.message = error.message.split(SUGGESTION)[0]


class HideSuggestions(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        yield
        without_suggestions(self.execution_context.pre_execution_errors or [])

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None:
            without_suggestions(result.errors or [])

"""What an operation asks for, read from its document and variables before anything runs.

- **Nodes**: how many records it may return, counted as GitHub counts them. A connection (a field
  taking ``first``) returns up to ``first`` records (its default when not given, and never more
  than a page holds) for each record its parents return, so the counts multiply down the tree and
  add up across fields and aliases. Other fields return one value per parent record. The schema
  refuses an operation over its limit before any resolver runs (``NodeLimiter``).
- **Cost**: how many fields it may resolve, the ``requested`` cost of ``extensions.cost``
  (``api.query_cost``), counted as Shopify's and GitHub's calculators do: each field selected
  costs 1 for each record its parents may return, a connection's fields below it multiplied by
  its page size (``first``); ``__typename`` costs nothing. A list that is not a page (a record's
  roles, say) is counted as one item, so what it resolves may be more.
- **Waits**: the positions its ``minPosition`` arguments ask the views to have reached, so that a
  request waits for them once, before it runs (``api.graphql.execution``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_operation_ast,
    parse,
)
from graphql.execution.values import get_variable_values
from graphql.pyutils import Undefined
from graphql.type import GraphQLNamedType
from graphql.utilities import value_from_ast
from strawberry.extensions import SchemaExtension
from strawberry.types.field import StrawberryField

from api.graphql.common import ReadYourWrites
from api.positions import Wanted
from projections.common import MAX_PAGE

STRAWBERRY_DEFINITION = "strawberry-definition"  # where strawberry keeps a field's definition


@dataclass(frozen=True)
class Survey:
    nodes: int
    waits: frozenset[Wanted] = field(default_factory=frozenset)
    cost: int = 0


@dataclass(frozen=True)
class _Count:
    """What selections return for each record of their parent: records, and fields."""

    nodes: int = 0
    fields: int = 0

    def __add__(self, other: _Count) -> _Count:
        return _Count(self.nodes + other.nodes, self.fields + other.fields)


NOTHING = _Count()


def survey(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    max_depth: int,
) -> Survey | None:
    """The operation's node count and waits; None if the document, the operation or the
    variables it reads are not valid (executing it reports why). Selections deeper than
    ``max_depth`` are not read (the depth limit refuses them)."""
    operation = get_operation_ast(document, operation_name)
    root = schema.get_root_type(operation.operation) if operation else None
    if operation is None or root is None:
        return None
    walk = _Walk(schema, document, operation, variables or {}, max_depth)
    try:
        count = walk.nodes(root, operation.selection_set, 0)
    except GraphQLError:  # a value not of its type
        return None
    return Survey(count.nodes, frozenset(walk.waits), count.fields)


class _Walk:
    """Reads only the arguments it counts by (``first``, ``minPosition``), and coerces only the
    variables they name: a request's other variables (a long list of ids, say) cost it nothing."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: dict[str, Any],
        max_depth: int,
    ) -> None:
        self.schema = schema
        self.max_depth = max_depth
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.waits: set[Wanted] = set()
        self._definitions = {d.variable.name.value: d for d in operation.variable_definitions or ()}
        self._variables = variables
        self._coerced: dict[str, Any] = {}
        self._fragment_nodes: dict[tuple[str, int], _Count] = {}

    def nodes(
        self,
        parent: GraphQLNamedType,
        selections: SelectionSetNode,
        depth: int,
        spread: set[str] | None = None,
    ) -> _Count:
        """Records and fields the selections return for each record of ``parent``. As in
        execution, a fragment spread twice into one selection set is read once (``spread``)."""
        if depth > self.max_depth:
            return NOTHING
        spread = set() if spread is None else spread
        total = NOTHING
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                total += self._field_nodes(parent, selection, depth)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                on = self.schema.get_type(condition.name.value) if condition else parent
                if on is not None:
                    total += self.nodes(on, selection.selection_set, depth, spread)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in spread:
                spread.add(selection.name.value)
                total += self._fragment(selection.name.value, depth)
        return total

    def _field_nodes(self, parent: GraphQLNamedType, selection: FieldNode, depth: int) -> _Count:
        definition = _field(parent, selection.name.value)
        if definition is None:  # __typename, or not in the schema (validation says so)
            return NOTHING
        position = self._argument(definition, selection, "minPosition")
        if position is not None:
            self._note_wait(definition, int(position))
        below = NOTHING
        if selection.selection_set is not None:
            below = self.nodes(get_named_type(definition.type), selection.selection_set, depth + 1)
        if "first" in definition.args:
            page = max(0, min(int(self._argument(definition, selection, "first") or 0), MAX_PAGE))
            return _Count(page * (1 + below.nodes), 1 + page * below.fields)
        return _Count(below.nodes, 1 + below.fields)

    def _argument(self, definition: GraphQLField, selection: FieldNode, name: str) -> Any:
        """An argument's value, as execution will see it (its default if not given)."""
        argument = definition.args.get(name)
        if argument is None:
            return None
        given = next((a.value for a in selection.arguments or () if a.name.value == name), None)
        if isinstance(given, VariableNode):
            value = self._variable(given.name.value)
        elif given is not None:
            value = value_from_ast(given, argument.type)
            if value is Undefined:
                raise GraphQLError(f"{name} is not of its type")
        else:
            value = Undefined
        if value is Undefined:
            value = argument.default_value
        return None if value is Undefined else value

    def _variable(self, name: str) -> Any:
        """A variable's coerced value (Undefined if the request leaves it out)."""
        if name not in self._coerced:
            definition = self._definitions.get(name)
            if definition is None:
                raise GraphQLError(f"${name} is not defined")
            values = get_variable_values(self.schema, [definition], self._variables)
            if isinstance(values, list):
                raise values[0]
            self._coerced[name] = values.coerced.get(name, Undefined)
        return self._coerced[name]

    def _fragment(self, name: str, depth: int) -> _Count:
        """A fragment's records per parent record, worked out once however often it is spread
        (so that fragments spreading fragments cost the walk no more than their text)."""
        key = (name, depth)
        if key not in self._fragment_nodes:
            self._fragment_nodes[key] = NOTHING  # while walked: a cycle (invalid) adds nothing
            fragment = self.fragments.get(name)
            on = fragment and self.schema.get_type(fragment.type_condition.name.value)
            if fragment is not None and on:
                self._fragment_nodes[key] = self.nodes(on, fragment.selection_set, depth)
        return self._fragment_nodes[key]

    def _note_wait(self, definition: GraphQLField, position: int) -> None:
        strawberry_field = definition.extensions.get(STRAWBERRY_DEFINITION)
        if isinstance(strawberry_field, StrawberryField):
            for extension in strawberry_field.extensions:
                if isinstance(extension, ReadYourWrites):
                    self.waits.add(Wanted(tuple(extension.views), position))


def _field(parent: GraphQLNamedType, name: str) -> GraphQLField | None:
    fields = getattr(parent, "fields", None)
    return fields.get(name) if isinstance(fields, dict) else None


@lru_cache(maxsize=512)
def parsed(query: str, max_tokens: int) -> DocumentNode | None:
    """A query's document (kept for the queries integrators send again and again); None if it
    does not parse."""
    try:
        return parse(query, max_tokens=max_tokens)
    except GraphQLError:
        return None


class NodeLimiter(SchemaExtension):
    """Refuses, before any resolver runs, an operation that may return more than ``limit``
    records (see ``survey``). Counted per request, since ``first`` may come in a variable."""

    def __init__(self, *, limit: int, max_depth: int) -> None:
        self.limit = limit
        self.max_depth = max_depth

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            # The executor has surveyed the request already (for its cost and waits); a
            # subscription has not.
            request = context.context
            if getattr(request, "surveyed", False):
                found = request.survey
            else:
                found = survey(
                    context.schema._schema,
                    context.graphql_document,
                    context.variables,
                    context.operation_name,
                    self.max_depth,
                )
            if found is not None and found.nodes > self.limit:
                context.result = ExecutionResult(
                    data=None,
                    errors=[
                        GraphQLError(
                            f"The query may return {found.nodes} records, over the limit of "
                            f"{self.limit}: ask for smaller pages (`first`) or fewer fields.",
                            extensions={
                                "code": "QUERY_TOO_LARGE",
                                "nodes": found.nodes,
                                "limit": self.limit,
                            },
                        )
                    ],
                )
        yield

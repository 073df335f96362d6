"""Shared GraphQL building blocks: typed errors, result unions, connections, sealed text,
positions and the read-your-writes argument."""

import base64
import dataclasses
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Generic, NewType, Protocol, TypeVar, get_args, get_type_hints
from uuid import UUID

import strawberry
from graphql import GraphQLError
from strawberry.annotation import StrawberryAnnotation
from strawberry.extensions import FieldExtension
from strawberry.types import Info
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.field import StrawberryField

import api.graphql.enums  # noqa: F401  (registers the domain enums before any type uses them)
from api.graphql.context import Context
from api.graphql.scalars import parse_position
from api.positions import PositionNotReached
from domain.shared.actor import acting_as
from domain.shared.base_app import retry_on_conflict
from domain.shared.errors import (
    DomainError,
    NotAuthorised,
    NotFound,
    ValidationFailed,
    VersionConflict,
)
from domain.shared.idempotency import RequestAlreadyRecorded
from domain.shared.sealing import Erased, Sealed
from projections.common import MAX_PAGE, Page

T = TypeVar("T")
R = TypeVar("R")

Position = NewType("Position", int)
POSITION_SCALAR = strawberry.scalar(
    name="Position",
    serialize=str,
    parse_value=parse_position,
    description=(
        "A position in the event store's global order, as a decimal string. Every mutation "
        "returns the position it wrote; pass it as `minPosition` to a query to read your writes."
    ),
)


# --- typed errors --------------------------------------------------------------------------


@strawberry.interface(description="Why a mutation was refused. Nothing was recorded.")
class Error:
    message: str = strawberry.field(description="A sentence for a person.")
    code: str = strawberry.field(description="A stable machine-readable code.")


@strawberry.type(description="The input is invalid; `field` names the offending input field.")
class ValidationError(Error):
    field: str = strawberry.field(description="The input field at fault, e.g. `dateOfBirth`.")


@strawberry.type(description="A record named in the input does not exist or is not visible to you.")
class NotFoundError(Error):
    record_id: str = strawberry.field(description="The id that was not found.")


@strawberry.type(description="You are not authorised to do this.")
class NotAuthorisedError(Error):
    pass


@strawberry.type(description="The record changed since you read it; reload and retry.")
class VersionConflictError(Error):
    expected_version: int | None = strawberry.field(description="The version you sent.")
    actual_version: int | None = strawberry.field(description="The record's current version.")


AnyError = ValidationError | NotFoundError | NotAuthorisedError | VersionConflictError


def error_result(error: DomainError) -> AnyError:
    if isinstance(error, ValidationFailed):
        return ValidationError(message=error.message, code=error.code, field=error.field)
    if isinstance(error, NotFound):
        return NotFoundError(message=error.message, code=error.code, record_id=error.record_id)
    if isinstance(error, VersionConflict):
        return VersionConflictError(
            message=error.message,
            code=error.code,
            expected_version=error.expected if error.expected >= 0 else None,
            actual_version=error.actual,
        )
    return NotAuthorisedError(message=error.message, code=NotAuthorised.code)


def run_command(info: Info[Context, None], command: Callable[[], T]) -> T | AnyError:
    """Run a domain command as the caller; a refusal becomes a typed error member, and one on a
    restricted record is written to the access log as a refused attempt. A command given no
    expected version that loses a race is run again on the fresh state (``retry_on_conflict``).
    """
    try:
        with acting_as(info.context.principal):
            return retry_on_conflict(command)
    except RequestAlreadyRecorded as error:
        # A duplicate of this request recorded its change first; the request answers with
        # that one's answer (api.idempotency), so this field's is never seen.
        raise GraphQLError(str(error), extensions={"code": "IDEMPOTENCY_KEY_IN_USE"}) from None
    except DomainError as error:
        if error.refusal is not None:
            info.context.log_refusal(info.field_name, error.refusal)
        return error_result(error)


class ToCommand(Protocol):
    """A mutation's input: it converts itself to the domain command it asks for, parsing its
    ids and naming the input field of any that is malformed."""

    def to_command(self) -> Any: ...


def answering_mutation(
    answer: Callable[[Any, Any], Any], input_type: type, result: Any, description: str
) -> Any:
    """A mutation that answers ``answer(app, input)``, run as the caller (``run_command``): for
    one that answers more than the id and the position of ``command_mutation``'s."""

    def resolve(info: Info[Context, None], input: Any) -> Any:
        return run_command(info, lambda: answer(info.context.container.app, input))

    resolve.__annotations__["input"] = input_type
    resolve.__annotations__["return"] = result
    return strawberry.mutation(resolver=resolve, description=description)


def command_mutation(
    handle: Callable[[Any, Any], tuple[Any, int]],
    input_type: type[ToCommand],
    result: Any,
    payload: type,
    description: str,
    id_field: str = "id",
) -> Any:
    """A mutation that runs ``handle(app, input.to_command())`` — ``handle`` is the
    application method that handles the command, e.g. ``CaseworkApplication.grant_role`` — and
    answers ``payload(<id_field>=id, position=position)``."""

    def answer(app: Any, input: ToCommand) -> Any:
        record_id, position = handle(app, input.to_command())
        return payload(**{id_field: to_id(record_id)}, position=Position(position))

    return answering_mutation(answer, input_type, result, description)


def result_union(name: str, payload: Any) -> Any:
    """A mutation's result: its payload (or one of its payloads, ``A | B``), or one of the typed
    errors (the same four for every mutation), as the GraphQL union ``name``."""
    return Annotated[payload | AnyError, strawberry.union(name)]


def existing(row: R | None, record: str, record_id: UUID | str) -> R:
    """The row a query read, or ``NotFound`` naming ``record`` when there is none."""
    if row is None:
        raise NotFound(record, record_id)
    return row


def query_error(error: DomainError) -> GraphQLError:
    """A refusal in a query: null data plus an error with ``extensions.code``."""
    if isinstance(error, NotAuthorised | NotFound):
        return GraphQLError("Not found, or not visible to you", extensions={"code": NotFound.code})
    extensions: dict[str, Any] = {"code": error.code}
    if isinstance(error, ValidationFailed):
        extensions["field"] = error.field
    return GraphQLError(error.message, extensions=extensions)


# --- values ---------------------------------------------------------------------------------


@strawberry.type(
    description=(
        "A personal field, sealed with its subject's data key. When that key has been destroyed "
        "(erasure), `value` is null and `erased` is true."
    )
)
class SealedText:
    value: str | None
    erased: bool

    @classmethod
    def of(cls, opened: "str | Erased | None") -> "SealedText | None":
        if opened is None:
            return None
        if isinstance(opened, Erased):
            return cls(value=None, erased=True)
        return cls(value=opened, erased=False)


def text_or_null(opened: "str | Erased | None") -> str | None:
    """A sealed value (a login, say) as a plain ``String`` field shows it: null when there is
    none, or when it has been erased."""
    return None if opened is None or isinstance(opened, Erased) else opened


ERASED_LOGIN = "Null when the login has been erased."


class Opened:
    """The sealed values of some view rows, opened with one key look-up, looked up by value
    (``opened.text(row.platform)``); an absent value (None) reads as None."""

    def __init__(self, opened: Mapping[Sealed, str | Erased]) -> None:
        self._opened = opened

    def __getitem__(self, value: Sealed | None) -> str | Erased | None:
        return None if value is None else self._opened[value]

    def text(self, value: Sealed | None) -> str | None:
        """As a plain ``String`` field shows it: null when absent or erased."""
        return text_or_null(self[value])

    def sealed(self, value: Sealed | None) -> SealedText | None:
        """As a ``SealedText`` field shows it: null when absent, ``erased`` when erased."""
        return SealedText.of(self[value])

    def erasable(self, value: Sealed | None) -> SealedText:
        """A value its row always holds until it is erased (a name, a description): absent
        reads as erased, since a view empties a sealed column when its key is destroyed
        (``View.purge``)."""
        return SealedText.of(self[value]) or SealedText(value=None, erased=True)


def _may_hold_sealed(annotation: Any, seen: set[type]) -> bool:
    """Whether a field typed ``annotation`` can hold a sealed value, directly or in a row or
    collection it holds (an annotation that cannot be read is taken to be able to)."""
    if annotation is Sealed or annotation is Any:
        return True
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return bool(_sealed_fields(annotation, seen))
    return any(_may_hold_sealed(arg, seen) for arg in get_args(annotation))


_SEALED_FIELDS: dict[type, tuple[str, ...]] = {}


def _sealed_fields(cls: type, seen: set[type] | None = None) -> tuple[str, ...]:
    """The fields of row class ``cls`` that can hold sealed values, read once from its
    annotations: a page of rows is then walked only where sealed values can be."""
    cached = _SEALED_FIELDS.get(cls)
    if cached is not None:
        return cached
    seen = set() if seen is None else seen
    if cls in seen:  # a row type that holds itself: walk every field
        return tuple(f.name for f in dataclasses.fields(cls))
    seen.add(cls)
    try:
        hints = get_type_hints(cls)
    except (NameError, TypeError):
        hints = {}
    names = tuple(
        f.name
        for f in dataclasses.fields(cls)
        if f.name not in hints or _may_hold_sealed(hints[f.name], seen)
    )
    _SEALED_FIELDS[cls] = names
    return names


def sealed_values(item: object, into: list[Sealed] | None = None) -> list[Sealed]:
    """Every sealed value in ``item``: a view row (a dataclass, walked where its annotations
    say sealed values can be, nested rows included), a list or tuple of them, or a sealed
    value itself."""
    found: list[Sealed] = [] if into is None else into
    if isinstance(item, Sealed):
        found.append(item)
    elif isinstance(item, list | tuple):
        for member in item:
            sealed_values(member, found)
    elif dataclasses.is_dataclass(item) and not isinstance(item, type):
        for name in _sealed_fields(type(item)):
            value = getattr(item, name)
            if isinstance(value, Sealed):
                found.append(value)
            elif value is not None:
                sealed_values(value, found)
    return found


def open_rows(ctx: Context, *items: object) -> Opened:
    """Open every sealed value of ``items`` (rows, lists of rows, values) at once."""
    wanted = list(dict.fromkeys(sealed_values(list(items))))
    return Opened(dict(zip(wanted, ctx.container.keyring.open_many(wanted), strict=True)))


def from_rows(ctx: Context, rows: list[R], build: Callable[[R, Opened], T]) -> list[T]:
    """Each of ``rows`` built by ``build`` (a type's ``from_row``), their sealed values opened
    with one key look-up."""
    opened = open_rows(ctx, rows)
    return [build(row, opened) for row in rows]


# --- connections ----------------------------------------------------------------------------


@strawberry.type(description="Where a page ends, and whether there is more.")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A page of results, in a stable order, with keyset cursors.")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode()


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        prefix, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if prefix != "seq":
            raise ValueError(prefix)
        return int(value)
    except ValueError:
        raise ValidationFailed("after", "is not a cursor this API gave out") from None


def check_first(first: int) -> int:
    if not 1 <= first <= MAX_PAGE:
        raise ValidationFailed("first", f"must be from 1 to {MAX_PAGE}")
    return first


def page_args(first: int, after: str | None) -> tuple[int, int | None]:
    """A listing's ``first`` and ``after`` as a paged query takes them: the page size checked,
    the cursor decoded."""
    return check_first(first), decode_cursor(after)


def connection(page: Page[Any], nodes: list[T]) -> Connection[T]:
    edges = [
        Edge(cursor=encode_cursor(c), node=n) for c, n in zip(page.cursors, nodes, strict=True)
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None
        ),
    )


def to_id(value: object) -> strawberry.ID:
    """A record id as GraphQL gives it out."""
    return strawberry.ID(str(value))


def optional_id(value: object | None) -> strawberry.ID | None:
    return None if value is None else to_id(value)


def optional_uuid(field: str, value: strawberry.ID | None) -> UUID | None:
    """An optional id argument, parsed; ValidationFailed naming ``field`` if malformed."""
    return None if value is None else parse_id(field, value)


def parse_id(field: str, value: strawberry.ID | str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise ValidationFailed(field, "is not a valid id") from None


# --- read your writes -----------------------------------------------------------------------


class ReadYourWrites(FieldExtension):
    """Adds ``minPosition`` to a query field: wait (bounded) until its views reach it."""

    def __init__(self, *views: str) -> None:
        self.views = list(views)

    def apply(self, field: StrawberryField) -> None:
        field.arguments = [
            *field.arguments,
            StrawberryArgument(
                python_name="min_position",
                graphql_name=None,
                type_annotation=StrawberryAnnotation(Position | None),
                description=(
                    "Wait until the views this field reads include the event at this position "
                    "(the `position` a mutation returned); fails with POSITION_NOT_REACHED if "
                    "they have not within a few seconds (one bound for the whole request), and "
                    "at once with POSITION_BEYOND_HEAD for a position not yet written."
                ),
                default=None,
            ),
        ]

    def resolve(self, next_: Callable[..., Any], source: Any, info: Info, **kwargs: Any) -> Any:
        min_position = kwargs.pop("min_position", None)
        if min_position is not None:
            # The request waited for its positions before it ran (api.graphql.execution).
            try:
                info.context.positions().require(self.views, int(min_position))
                info.context.fresh = True
            except PositionNotReached as error:
                raise GraphQLError(str(error), extensions={"code": error.code}) from None
        return next_(source, info, **kwargs)

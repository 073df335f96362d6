"""The one place GraphQL errors are given their code, their words and their log line.

Every error of every operation passes through here, whichever field raised it, so no field can
bypass it: a domain refusal raised anywhere in a resolver becomes the coded error of
``query_error``; a request the schema cannot run (syntax, validation, limits, variables) is
``BAD_REQUEST``, in words that never repeat the values sent; a transient database error
(``api.outages``) is ``SERVICE_UNAVAILABLE``, retryable; anything else is unexpected, masked as
``INTERNAL`` with the request's id, and logged with its exception.

Logging: expected refusals make at most one INFO line per request, naming the operation and the
error codes; transient errors one WARNING line per request, with the request id and the error's
class; unexpected errors one ERROR line each, with the request id and the exception. No line
carries a variable, the query text or an error's message (which may echo input).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from api.graphql.common import query_error
from api.outages import SERVICE_UNAVAILABLE, UNAVAILABLE, is_transient
from domain.shared.errors import DomainError

log = logging.getLogger("casework.graphql")

BAD_REQUEST = "BAD_REQUEST"
INTERNAL = "INTERNAL"
UNEXPECTED = "Unexpected error."
GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")

# graphql-core words a value it could not use as ``…, found: <value>.`` or ``…value: <value>``;
# cut there, keeping what is wrong and where (the variable, the field path, the type).
_ECHOED_VALUE = (
    re.compile(r"[,.;]? [Ff]ound: .*\Z", re.DOTALL),
    re.compile(r"(cannot represent [^:]*): .*\Z", re.DOTALL),
    re.compile(r"(Value) .* (does not exist in '\w+' enum)\.?\Z", re.DOTALL),
)


def without_values(message: str) -> str:
    """A request error's message with any value the client sent taken out."""
    for pattern in _ECHOED_VALUE:
        message = pattern.sub(lambda m: " ".join(m.groups()) + ".", message)
    return message.replace("?.", "?")


def code_of(error: GraphQLError) -> str:
    """The code an error leaves with (INTERNAL for the unexpected)."""
    original = error.original_error
    if error.extensions and "code" in error.extensions:
        return str(error.extensions["code"])
    if isinstance(original, DomainError):
        return str((query_error(original).extensions or {})["code"])
    if is_transient(original):
        return SERVICE_UNAVAILABLE
    if _is_request_error(error):
        return BAD_REQUEST
    return INTERNAL


def _is_request_error(error: GraphQLError) -> bool:
    """Raised before any field ran: the document or its variables, not our code, are at fault.
    (An exception caught around the whole execution also has no path, but no location in the
    document either, and is not a GraphQL error.)"""
    if error.path is not None:
        return False
    original = error.original_error
    return original is None or isinstance(original, GraphQLError) or bool(error.nodes)


def coded(error: GraphQLError, request_id: str | None) -> GraphQLError:
    """The error as the client receives it."""
    code = code_of(error)
    where: dict[str, Any] = {
        "nodes": error.nodes,
        "source": error.source,
        "positions": error.positions,
        "path": error.path,
    }
    if isinstance(error.original_error, DomainError) and not error.extensions:
        refusal = query_error(error.original_error)
        return GraphQLError(refusal.message, **where, extensions=refusal.extensions)
    if code == INTERNAL:
        return GraphQLError(UNEXPECTED, **where, extensions={"code": code, "requestId": request_id})
    if code == SERVICE_UNAVAILABLE and not error.extensions:
        return GraphQLError(
            UNAVAILABLE,
            **where,
            extensions={"code": code, "retryable": True, "requestId": request_id},
        )
    if code == BAD_REQUEST and not error.extensions:
        return GraphQLError(without_values(error.message), **where, extensions={"code": code})
    return error


def log_errors(
    errors: Iterable[GraphQLError], operation: str | None, request_id: str | None
) -> None:
    """What a request's errors leave in the log: see the module's docstring."""
    refused: Counter[str] = Counter()
    unavailable: list[str] = []
    name = operation if operation and GRAPHQL_NAME.fullmatch(operation) else "-"
    for error in errors:
        code = code_of(error)
        if code == SERVICE_UNAVAILABLE and error.original_error is not None:
            unavailable.append(type(error.original_error).__name__)
        elif code == INTERNAL:
            log.error(
                "unexpected error in operation %s, request %s",
                name,
                request_id,
                exc_info=error.original_error,
            )
        else:
            refused[code] += 1
    if unavailable:
        log.warning(
            "operation %s: database unavailable (%s), request %s",
            name,
            " ".join(sorted(set(unavailable))),
            request_id,
        )
    if refused:
        codes = " ".join(f"{code}x{n}" if n > 1 else code for code, n in sorted(refused.items()))
        log.info("operation %s refused: %s (request %s)", name, codes, request_id)


def coded_exception(error: Exception, request_id: str | None) -> GraphQLError:
    """An exception caught outside any GraphQL execution (before a request ran, or while its
    access log was written), coded, and logged, as an error of a field would be."""
    wrapped = GraphQLError(UNEXPECTED, original_error=error)
    log_errors([wrapped], None, request_id)
    return coded(wrapped, request_id)


class CodedErrors(MaskErrors):
    """Gives every error of a result, of every operation and every subscription event, its
    code (``coded``). Built on MaskErrors, which reaches each result a transport sends."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda _: True, error_message=UNEXPECTED)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return coded(error, getattr(self.execution_context.context, "request_id", None))

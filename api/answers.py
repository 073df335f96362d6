"""What the GraphQL door answers, over HTTP or the WebSocket: a status, a body and headers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Answer:
    """The response: ``status`` 400 when the request could not run at all (syntax, validation,
    limits); 503 (with ``Retry-After``) when the database was unavailable and nothing was
    answered; else 200, or the status of a refused idempotency key (``api.idempotency``)."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def problem_body(message: str, code: str, **extensions: Any) -> dict[str, Any]:
    """The body of an answer that carries one coded error and no data."""
    return {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}


def problem(status: int, message: str, code: str, **extensions: Any) -> Answer:
    return Answer(status, problem_body(message, code, **extensions))

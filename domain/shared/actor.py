"""Who is acting. The principal travels in a context variable, not through every call:
commands read it to authorise, and every event records its user id as metadata."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domain.shared.policy import Principal

_current: ContextVar[Principal | None] = ContextVar("casework_principal", default=None)


class NoActingPrincipal(RuntimeError):
    """Raised when a command runs with nobody acting: every event must name its actor."""


def current_principal() -> Principal:
    principal = _current.get()
    if principal is None:
        raise NoActingPrincipal("no principal is acting; wrap the call in acting_as(...)")
    return principal


@contextmanager
def acting_as(principal: Principal) -> Iterator[Principal]:
    token = _current.set(principal)
    try:
        yield principal
    finally:
        _current.reset(token)

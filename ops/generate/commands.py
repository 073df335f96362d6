"""How the generator writes: by running the applications' commands, as a user, at a time.

:func:`run` is the one place that knows how a command reaches its handler; nothing else in the
generator knows a handler's signature. Every record is created or changed by a command, inside
``acting_as`` of the user who would do it, under the simulated clock, so it is a record the
system itself would have accepted then; what the commands refuse the generator does not make.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast
from uuid import UUID

from domain.application import CaseworkApplication
from domain.shared.actor import acting_as
from domain.shared.aggregate import CaseworkAggregate
from domain.shared.policy import Principal
from ops.generate.sampling import SimulatedClock

A = TypeVar("A", bound=CaseworkAggregate)


def handler_name(command: object) -> str:
    """The application method that handles ``command``: its class name in snake case."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(command).__name__).lower()


def run(app: CaseworkApplication, command: Any) -> Any:
    """Run ``command`` through the application's handler of the same name; its answer."""
    handler: Callable[[Any], Any] = getattr(app, handler_name(command))
    return handler(command)


@dataclass
class User:
    """A login the generator acts as; ``staff_id``: their staff record, once linked."""

    user_id: str
    staff_id: UUID | None = None


OPERATOR = User("operator:generate")


class Commands:
    """One process's door to the application: runs commands as a user at a time, counts the
    events they record, and reads records back (read only) to decide what happens next."""

    def __init__(self, app: CaseworkApplication, clock: SimulatedClock) -> None:
        self.app = app
        self.clock = clock
        self.events = 0  # recorded by the commands run
        self.runs = 0  # commands run (each in its own transaction)
        self._principals: dict[str, Principal] = {}
        # Who a user is comes from the record of grants (``principal_for``), as for a request;
        # any change to access may change what someone's grants reach, so all are re-read.
        app.on_access_changed(lambda _changed: self._principals.clear())
        save = app.save

        def counted(*args: Any, **kwargs: Any) -> Any:
            recordings = save(*args, **kwargs)
            self.events += len(recordings)
            return recordings

        app.save = counted  # type: ignore[method-assign]

    def principal(self, user: User) -> Principal:
        if user is OPERATOR:
            return Principal.operator("generate")
        principal = self._principals.get(user.user_id)
        if principal is None:
            principal = self._principals[user.user_id] = self.app.principal_for(user.user_id)
        return principal

    def __call__(self, user: User, command: Any, at: datetime | None = None) -> Any:
        """Run ``command`` as ``user`` (at ``at``, if given: else the clock's time)."""
        if at is not None:
            self.clock.at(at)
        with acting_as(self.principal(user)):
            answer = run(self.app, command)
        self.runs += 1
        return answer

    def new_id(self, user: User, command: Any, at: datetime | None = None) -> UUID:
        """Run a command that creates a record; the record's id."""
        record_id, _ = self(user, command, at)
        return cast(UUID, record_id)

    def read(self, cls: type[A], record_id: UUID) -> A:
        """A record as it stands (the cached copy: never to be changed)."""
        aggregate: object = self.app.repository.get(record_id, deepcopy_from_cache=False)
        if not isinstance(aggregate, cls):
            raise TypeError(f"{record_id} is a {type(aggregate).__name__}, not a {cls.__name__}")
        return aggregate

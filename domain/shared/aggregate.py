"""The base of every casework aggregate: each event names its actor and its tenancy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Concatenate, ParamSpec, TypeVar, cast
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.shared import clock
from domain.shared.actor import current_principal

A = TypeVar("A", bound="CaseworkAggregate")
P = ParamSpec("P")


class CaseworkAggregate(Aggregate):
    """Every event records who acted (``actor``) and which trust and school it belongs to."""

    trust_id: UUID
    school_id: UUID | None
    # A person record or a case: its name in the access log, where every refused attempt on
    # it is written down. None for records that are not restricted.
    record_type: ClassVar[str | None] = None

    @property
    def subject_ids(self) -> frozenset[UUID]:
        """The people this record is about (none, unless the record says otherwise)."""
        return frozenset()

    class Event(Aggregate.Event):
        actor: str
        trust_id: UUID
        school_id: UUID | None

        # Stamped by the domain's clock, so a simulated history reads true (domain.shared.clock).
        create_timestamp = staticmethod(clock.now)

    class Created(Event, Aggregate.Created):
        pass

    @classmethod
    def _create(cls, event_class: Any, *, id: Any = None, **kwargs: Any) -> Any:
        kwargs.setdefault("actor", current_principal().user_id)
        return super()._create(event_class, id=id, **kwargs)

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        kwargs.setdefault("actor", current_principal().user_id)
        kwargs.setdefault("trust_id", self.trust_id)
        kwargs.setdefault("school_id", self.school_id)
        super().trigger_event(event_class, **kwargs)


def guarded(
    check: Callable[[A], None], record: Callable[Concatenate[A, P], None]
) -> Callable[Concatenate[A, P], None]:
    """A command that ``check`` may refuse (it raises) and that otherwise records its event
    with its arguments unchanged: ``record`` is the ``@event`` method, whose signature the
    command keeps. On replay the event method alone is applied, so the check never runs there.
    """

    def command(self: A, /, *args: P.args, **kwargs: P.kwargs) -> None:
        check(self)
        # ``record`` is the library's decorator: bound, it triggers the event.
        cast(Any, record).__get__(self, type(self))(*args, **kwargs)

    command.__doc__ = record.__doc__
    return command

"""Where the staff-case aggregates were defined before they had a module each.

A stored event names its class by topic (``module:Class.Event``); the events recorded while the
five aggregates shared ``domain.staff_cases.aggregates`` carry that module in their topic. Each
aggregate's module registers its former topics here, so those events still load, and the view
still reads them (:data:`FORMER_TOPICS`).
"""

from __future__ import annotations

from eventsourcing.domain import Aggregate
from eventsourcing.utils import register_topic

FORMER_MODULE = "domain.staff_cases.aggregates"

# A former topic, and the class it now names.
FORMER_TOPICS: dict[str, type] = {}


def register_former_topics(*aggregates: type[Aggregate]) -> None:
    """Register each aggregate's topic and its event classes' under :data:`FORMER_MODULE`."""
    for aggregate in aggregates:
        named: dict[str, type] = {aggregate.__name__: aggregate}
        for name, member in vars(aggregate).items():
            if isinstance(member, type) and issubclass(member, Aggregate.Event):
                named[f"{aggregate.__name__}.{name}"] = member
        for qualname, cls in named.items():
            topic = f"{FORMER_MODULE}:{qualname}"
            register_topic(topic, cls)
            FORMER_TOPICS[topic] = cls

"""What a GraphQL request costs, and each user's budget for it.

Every answer carries ``extensions.cost``, as integrators know it from Shopify and GitHub:

- ``requested``: the fields the operation may resolve, estimated from its document and variables
  before it runs (``api.graphql.survey``: each field 1 per record its parents may return, a
  connection's fields times its page size);
- ``actual``: the fields its answer holds (every key of ``data`` at every depth, each item of a
  list counted, ``__typename`` free);
- ``throttle``: the caller's budget, ``maximumAvailable``, ``currentlyAvailable`` and
  ``restoreRate`` (per second), or null when there is no budget.

The budget is a leaky bucket per user id, holding ``CASEWORK_QUERY_COST_PER_MINUTE`` and
draining at a sixtieth of it a second. A request is admitted while the bucket has room for its
``requested`` cost, which it reserves; once answered, it is charged its ``actual`` cost instead.
A request that asks for more than the whole budget is admitted only when the bucket is empty.
One refused is answered 429 with ``Retry-After``: the whole seconds until the bucket has room.
The bucket is this process's: with several API processes each keeps its own, so a user's
budget across the deployment is that many times the setting. It holds a user id and two numbers
for a while, in memory only, and never the query.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from api.answers import Answer, problem

BUDGET_SPENT = "QUERY_BUDGET_SPENT"
FORGET_AFTER = 10_000  # users kept before the drained ones are forgotten


def resolved(value: Any) -> int:
    """The fields an answer's ``data`` holds: each key at every depth (``__typename`` free),
    counted once for each item of a list it is in."""
    if isinstance(value, dict):
        return sum(1 + resolved(v) for k, v in value.items() if k != "__typename")
    if isinstance(value, list):
        return sum(resolved(item) for item in value)
    return 0


@dataclass(frozen=True)
class Throttle:
    maximum: int
    available: int
    restore_rate: float

    def body(self) -> dict[str, Any]:
        return {
            "maximumAvailable": self.maximum,
            "currentlyAvailable": self.available,
            "restoreRate": round(self.restore_rate, 3),
        }


@dataclass(frozen=True)
class Admission:
    admitted: bool
    throttle: Throttle | None
    retry_after: int = 0  # whole seconds, when refused


class QueryBudget:
    """Each user's leaky bucket (see the module's docstring). ``per_minute`` 0: no budget."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self._levels: dict[str, tuple[float, float]] = {}  # user id: (level, when)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    def _level(self, user_id: str, now: float) -> float:
        level, when = self._levels.get(user_id, (0.0, now))
        return max(0.0, level - (now - when) * self.rate)

    def _throttle(self, level: float) -> Throttle:
        available = max(0, math.floor(self.capacity - level))
        return Throttle(int(self.capacity), available, self.rate)

    def admit(self, user_id: str, requested: int) -> Admission:
        """Reserve ``requested`` for the user if the bucket has room."""
        if not self.enabled:
            return Admission(True, None)
        with self._lock:
            now = self.clock()
            level = self._level(user_id, now)
            room_needed = self.capacity - min(float(requested), self.capacity)
            if level > room_needed:
                wait = math.ceil((level - room_needed) / self.rate)
                self._levels[user_id] = (level, now)
                return Admission(False, self._throttle(level), max(1, wait))
            level += requested
            self._levels[user_id] = (level, now)
            if len(self._levels) > FORGET_AFTER:
                self._forget_drained(now)
            return Admission(True, self._throttle(level))

    def settle(self, user_id: str, requested: int, actual: int) -> Throttle | None:
        """Charge the user ``actual`` in place of the ``requested`` reserved."""
        if not self.enabled:
            return None
        with self._lock:
            now = self.clock()
            level = max(0.0, self._level(user_id, now) + actual - requested)
            self._levels[user_id] = (level, now)
            return self._throttle(level)

    def _forget_drained(self, now: float) -> None:
        for user_id in [u for u in self._levels if self._level(u, now) == 0.0]:
            del self._levels[user_id]


def cost_body(requested: int, actual: int, throttle: Throttle | None) -> dict[str, Any]:
    return {
        "requested": requested,
        "actual": actual,
        "throttle": throttle.body() if throttle else None,
    }


def with_cost(answer: Answer, cost: dict[str, Any]) -> Answer:
    """The answer with ``extensions.cost`` added (a new body: the answer kept for an idempotency
    key is left as it was)."""
    extensions = {**answer.body.get("extensions", {}), "cost": cost}
    return Answer(answer.status, {**answer.body, "extensions": extensions}, answer.headers)


def budget_spent(requested: int, admission: Admission) -> Answer:
    """429: the caller's budget has no room for the request now."""
    cost = cost_body(requested, 0, admission.throttle)
    refused = problem(
        429,
        f"This request's cost ({requested}) is more than your query budget has left; "
        f"retry in {admission.retry_after} s, or ask for smaller pages or fewer fields.",
        BUDGET_SPENT,
        retryAfter=admission.retry_after,
    )
    answer = with_cost(refused, cost)
    return Answer(429, answer.body, {"Retry-After": str(admission.retry_after)})

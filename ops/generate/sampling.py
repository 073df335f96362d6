"""Chance and time: fast weighted choice, the school calendar, working hours, and the
simulated clock the commands run under."""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Generic, TypeVar
from uuid import UUID

from domain.shared import clock
from domain.shared.calendar import LONDON, academic_year_start, is_working_day

T = TypeVar("T")


class SimulatedClock:
    """The time the next command runs at. Installed with :meth:`installed`, it is the
    domain's clock (``domain.shared.clock.running_at``) in this thread, so a command's checks
    ("not in the future", "on roll then") and its events' timestamps agree with the history
    being written. It never runs ahead of the real time the run started at; ``real_time``
    leaves the wall clock in charge."""

    def __init__(self, started: datetime, real_time: bool = False) -> None:
        self.started = started
        self.now = started
        self.real_time = real_time

    def at(self, when: datetime) -> None:
        """The next commands happen at ``when`` (never later than the run's start)."""
        self.now = min(when, self.started)

    def later(self, **delta: float) -> None:
        self.at(self.now + timedelta(**delta))

    @contextmanager
    def installed(self) -> Iterator[None]:
        if self.real_time:
            yield
            return
        with clock.running_at(lambda: self.now):
            yield


@dataclass(frozen=True)
class Period:
    """The history a run writes: from September ``academic_years`` before this academic year's
    until ``now`` (the moment the run started: every process writes the same history)."""

    now: datetime
    academic_years: int = 2

    @property
    def today(self) -> date:
        return self.now.astimezone(LONDON).date()

    @property
    def year_start(self) -> int:
        """The year the current academic year started in."""
        return academic_year_start(self.today).year

    @property
    def start(self) -> date:
        return date(self.year_start - self.academic_years, 9, 1)

    @property
    def days(self) -> int:
        return (self.today - self.start).days

    def random_day(self, rng: random.Random) -> date:
        return self.start + timedelta(days=rng.randrange(max(1, self.days)))

    def setup_time(self, rng: random.Random, days_before: float) -> datetime:
        """Some time on a working day ``days_before`` the period starts: the directory."""
        start = at_london(self.start, 9)
        return start - timedelta(days=days_before, minutes=rng.uniform(0, 480))

    def birthday(self, rng: random.Random, year_group: int) -> date:
        """A date of birth for a pupil in ``year_group`` this academic year."""
        first = date(self.year_start - year_group - 5, 9, 1)
        return first + timedelta(days=rng.randrange(365))


def new_uuid(rng: random.Random) -> UUID:
    return UUID(int=rng.getrandbits(128), version=4)


class Weighted(Generic[T]):
    """Fast repeated weighted choice (cumulative weights, bisect)."""

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cumulative = list(itertools.accumulate(weights))

    def pick(self, rng: random.Random) -> T:
        x = rng.random() * self.cumulative[-1]
        return self.items[bisect.bisect_right(self.cumulative, x)]


def weighted(table: dict[Any, float] | dict[Any, int]) -> Weighted[Any]:
    return Weighted(list(table), list(table.values()))


HOLIDAYS = (  # English school holidays, roughly: (first, last) month and day
    ((12, 20), (12, 31)),
    ((1, 1), (1, 3)),
    ((2, 16), (2, 20)),
    ((4, 1), (4, 14)),
    ((5, 26), (5, 30)),
    ((7, 23), (9, 2)),
    ((10, 26), (10, 30)),
)


def school_holiday(day: date) -> bool:
    md = (day.month, day.day)
    return any(first <= md <= last for first, last in HOLIDAYS)


def school_day(day: date) -> bool:
    return is_working_day(day) and not school_holiday(day)


def next_school_day(day: date) -> date:
    day += timedelta(days=1)
    while not school_day(day):
        day += timedelta(days=1)
    return day


def at_london(day: date, hour: float) -> datetime:
    """``day`` at ``hour`` (fractional hours) London time, as UTC."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=LONDON)
    return (midnight + timedelta(minutes=round(hour * 60))).astimezone(UTC)


def working_time(instant: datetime, rng: random.Random) -> datetime:
    """``instant`` if it falls in working hours (8:00 to 18:00 London on a working day), else
    the next working morning: staff triage and act at work."""
    local = instant.astimezone(LONDON)
    day = local.date()
    if is_working_day(day) and 8 <= local.hour < 18:
        return instant
    if not (is_working_day(day) and local.hour < 8):
        day += timedelta(days=1)
        while not is_working_day(day):
            day += timedelta(days=1)
    return at_london(day, rng.uniform(8.25, 11))

"""Working days (docs/rules.md §10): Monday to Friday except England and Wales bank holidays,
substitute days included, from the maintained ``holidays`` package. Deadlines are computed in
Europe/London and stored as UTC instants."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from domain.shared import clock
from domain.shared.errors import ValidationFailed

LONDON = ZoneInfo("Europe/London")


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(instant: datetime, days: int) -> datetime:
    """The same London wall-clock time ``days`` working days after ``instant``.

    Received Wednesday 24 December 2025 → one working day later is Monday 29 December 2025.
    Received at the weekend or on a bank holiday counts from the next working day's start.
    """
    local = instant.astimezone(LONDON)
    day = local.date()
    if not is_working_day(day):
        while not is_working_day(day):
            day += timedelta(days=1)
        local = datetime.combine(day, datetime.min.time(), LONDON)
        days -= 1 if days > 0 else 0
        if days == 0:
            return local.replace(hour=23, minute=59, second=59).astimezone(UTC)
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    due = datetime.combine(day, local.timetz().replace(tzinfo=None), LONDON)
    return due.astimezone(UTC)


def london_today(now: datetime | None = None) -> date:
    return (now or clock.now()).astimezone(LONDON).date()


def due_on_working_day(instant: datetime, days: int) -> date:
    """The London date ``days`` working days after the London day of ``instant``.

    A deadline "within one working day of receipt": received Friday 19 December 2025 (any
    time, including late evening) → due Monday 22 December; received Thursday 2 April 2026 →
    due Tuesday 7 April (Good Friday and Easter Monday skipped); received on a Saturday → due
    the Monday.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    day = instant.astimezone(LONDON).date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def end_of_london_day(day: date) -> datetime:
    """The first instant after ``day`` ends in London, in UTC (a due day runs to midnight)."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), LONDON).astimezone(UTC)


# --- the academic year (1 September to 31 August) ---------------------------------------


def academic_year_start(day: date) -> date:
    """The 1 September on which the academic year containing ``day`` began."""
    return date(day.year if day.month >= 9 else day.year - 1, 9, 1)


def academic_year_starts(year: str) -> datetime:
    """The first instant (London) of an academic year written ``2026/27``."""
    if not re.fullmatch(r"\d{4}/\d{2}", year) or (int(year[:4]) + 1) % 100 != int(year[5:]):
        raise ValidationFailed("academicYear", "must be written like 2026/27")
    return datetime.combine(date(int(year[:4]), 9, 1), time(), LONDON).astimezone(UTC)


def academic_year_of(day: date) -> str:
    """The academic year (1 September to 31 August) a London date falls in, e.g. ``2026/27``."""
    start = academic_year_start(day).year
    return f"{start}/{(start + 1) % 100:02d}"

"""The input scalars that parse dates, instants and positions, for every field at once (they are
the schema's scalar map). A value a scalar refuses is a request error naming the variable or
argument; the reason given never repeats the value sent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

import strawberry

# Every date the service records lies well inside these years: staff born in the 1940s,
# non-recent allegations reaching back decades, retention dates a working life ahead. Outside
# them an instant is a mistake, and near the ends of what Python represents (years 1 and 9999)
# the time-zone conversions and day arithmetic of the rules would overflow.
EARLIEST_YEAR = 1900
LATEST_YEAR = 2199
RANGE = f"from the year {EARLIEST_YEAR} to {LATEST_YEAR}"
D = TypeVar("D", bound=dt.date)


class InvalidScalar(ValueError):
    """A scalar input the service does not accept; the message never contains the value."""


def _within_range(value: dt.date) -> None:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise InvalidScalar(f"is outside the supported range, {RANGE}")


def _iso(value: object, parse: Callable[[str], D], expected: str) -> D:
    """``value`` parsed by ``parse`` (a ``fromisoformat``), within the supported range."""
    try:
        parsed = parse(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise InvalidScalar(f"is not an ISO 8601 {expected}")
    _within_range(parsed)
    return parsed


def parse_date(value: object) -> dt.date:
    return _iso(value, dt.date.fromisoformat, "date (YYYY-MM-DD)")


def parse_datetime(value: object) -> dt.datetime:
    return _iso(value, dt.datetime.fromisoformat, "date and time")


def parse_position(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        position = value
    elif isinstance(value, str) and value.isascii() and value.isdigit():
        position = int(value)
    else:
        raise InvalidScalar("is not a position (a decimal string)")
    if not 0 <= position < 2**63:
        raise InvalidScalar("is not a position in the event store")
    return position


DATE_SCALAR = strawberry.scalar(
    name="Date",
    serialize=dt.date.isoformat,
    parse_value=parse_date,
    description=f"An ISO 8601 date, YYYY-MM-DD, {RANGE}.",
)
DATETIME_SCALAR = strawberry.scalar(
    name="DateTime",
    serialize=dt.datetime.isoformat,
    parse_value=parse_datetime,
    description=(
        f"An ISO 8601 date and time; inputs carry a time zone offset (e.g. `Z`), {RANGE}."
    ),
)

"""Input checks shared by commands; each failure names the offending field."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from domain.shared import clock
from domain.shared.errors import ValidationFailed

MAX_NAME = 200
MAX_TEXT = 20_000
CLOCK_SKEW = timedelta(minutes=5)


def required_text(field: str, value: str, max_length: int = MAX_NAME) -> str:
    cleaned = (value or "").strip()
    if not cleaned:
        raise ValidationFailed(field, "is required")
    if len(cleaned) > max_length:
        raise ValidationFailed(field, f"must be at most {max_length} characters")
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in cleaned):
        raise ValidationFailed(field, "contains control characters")
    return cleaned


def optional_text(field: str, value: str | None, max_length: int = MAX_NAME) -> str | None:
    if value is None or not value.strip():
        return None
    return required_text(field, value, max_length)


def pattern(field: str, value: str, regex: str, description: str) -> str:
    cleaned = (value or "").strip()
    if not re.fullmatch(regex, cleaned):
        raise ValidationFailed(field, f"must be {description}")
    return cleaned


def today_utc() -> date:
    return clock.now().date()


def not_in_future(field: str, value: date) -> date:
    if value > today_utc():
        raise ValidationFailed(field, "cannot be in the future")
    return value


def past_instant(field: str, value: datetime) -> datetime:
    """An instant that has happened (a few minutes' clock skew allowed), as UTC."""
    if value.tzinfo is None:
        raise ValidationFailed(field, "must include a time zone offset")
    if value > clock.now() + CLOCK_SKEW:
        raise ValidationFailed(field, "cannot be in the future")
    return value.astimezone(UTC)


def choice(field: str, value: str, options: type[StrEnum]) -> str:
    """``value`` if it is one of the enum's values; otherwise a ValidationFailed listing them."""
    if value not in options.__members__.values():
        raise ValidationFailed(field, f"must be one of {', '.join(options)}")
    return value

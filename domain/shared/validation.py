"""Input checks shared by commands; each failure names the offending field."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from domain.shared.errors import ValidationFailed

MAX_NAME = 200
MAX_TEXT = 20_000


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
    return datetime.now(UTC).date()


def not_in_future(field: str, value: date) -> date:
    if value > today_utc():
        raise ValidationFailed(field, "cannot be in the future")
    return value

"""Working days in England: weekends and bank holidays, in London time."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.shared.calendar import LONDON, add_working_days, is_working_day


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def test_christmas_eve_plus_one_working_day_is_the_monday_after_boxing_day():
    due = add_working_days(london(2025, 12, 24, 10, 0), 1)
    assert due.astimezone(LONDON).date().isoformat() == "2025-12-29"


def test_friday_plus_one_working_day_is_monday():
    due = add_working_days(london(2025, 12, 19, 15, 30), 1)
    assert due.astimezone(LONDON) == london(2025, 12, 22, 15, 30)


def test_easter_is_skipped():
    due = add_working_days(london(2026, 4, 2, 9, 0), 1)
    assert due.astimezone(LONDON).date().isoformat() == "2026-04-07"


def test_a_late_evening_receipt_keeps_its_london_day_across_utc_midnight():
    received = london(2026, 6, 4, 23, 30)  # Thursday in London, Thursday 22:30 UTC
    due = add_working_days(received, 1)
    assert due.astimezone(LONDON) == london(2026, 6, 5, 23, 30)


def test_the_clock_change_keeps_london_wall_time():
    received = london(2026, 3, 27, 9, 0)  # Friday before the clocks go forward
    due = add_working_days(received, 1)
    assert due.astimezone(LONDON) == london(2026, 3, 30, 9, 0)
    assert due.tzinfo == UTC


def test_a_weekend_receipt_counts_from_monday():
    due = add_working_days(london(2026, 6, 6, 11, 0), 1)  # Saturday
    assert due.astimezone(LONDON).date().isoformat() == "2026-06-08"


def test_the_early_may_bank_holiday_is_not_a_working_day():
    assert not is_working_day(london(2026, 5, 4).date())
    assert is_working_day(london(2026, 5, 5).date())

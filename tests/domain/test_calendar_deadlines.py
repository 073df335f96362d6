"""Deadlines on a London working day: "within one working day of receipt" (docs/rules.md §10)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.shared.calendar import LONDON, due_on_working_day, end_of_london_day


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def test_received_friday_morning_is_due_monday():
    assert due_on_working_day(london(2025, 12, 19, 9, 15), 1) == date(2025, 12, 22)


def test_received_late_friday_evening_is_still_due_monday():
    assert due_on_working_day(london(2025, 12, 19, 23, 30), 1) == date(2025, 12, 22)


def test_good_friday_and_easter_monday_are_skipped():
    assert due_on_working_day(london(2026, 4, 2, 10, 0), 1) == date(2026, 4, 7)


def test_christmas_eve_is_due_the_monday_after_boxing_day():
    assert due_on_working_day(london(2025, 12, 24, 10, 0), 1) == date(2025, 12, 29)


def test_a_saturday_receipt_is_due_monday():
    assert due_on_working_day(london(2026, 6, 6, 11, 0), 1) == date(2026, 6, 8)


def test_a_sunday_receipt_is_due_monday():
    assert due_on_working_day(london(2026, 6, 7, 11, 0), 1) == date(2026, 6, 8)


def test_just_after_midnight_in_winter_counts_from_that_friday():
    received = london(2026, 3, 27, 0, 30)  # GMT: also Friday 00:30 UTC
    assert received.astimezone(UTC).date() == date(2026, 3, 27)
    assert due_on_working_day(received, 1) == date(2026, 3, 30)


def test_just_after_midnight_in_summer_counts_the_london_friday_not_the_utc_thursday():
    received = london(2026, 10, 23, 0, 30)  # BST: Thursday 23:30 UTC
    assert received.astimezone(UTC) == datetime(2026, 10, 22, 23, 30, tzinfo=UTC)
    assert due_on_working_day(received, 1) == date(2026, 10, 26)


def test_a_utc_instant_is_read_on_its_london_day():
    received = datetime(2026, 10, 22, 23, 30, tzinfo=UTC)  # Friday 00:30 in London
    assert due_on_working_day(received, 1) == date(2026, 10, 26)


def test_the_clocks_going_forward_over_the_weekend_do_not_move_the_due_day():
    assert due_on_working_day(london(2026, 3, 27, 18, 0), 1) == date(2026, 3, 30)


def test_three_working_days_skip_the_weekend():
    assert due_on_working_day(london(2025, 12, 19, 9, 0), 3) == date(2025, 12, 24)


def test_three_working_days_skip_easter():
    assert due_on_working_day(london(2026, 4, 2, 9, 0), 3) == date(2026, 4, 9)


def test_three_working_days_over_christmas():
    assert due_on_working_day(london(2025, 12, 23, 9, 0), 3) == date(2025, 12, 30)


def test_zero_working_days_is_refused():
    with pytest.raises(ValueError):
        due_on_working_day(london(2025, 12, 19, 9, 0), 0)


def test_a_due_day_in_summer_time_ends_at_23_00_utc():
    end = end_of_london_day(date(2026, 3, 30))
    assert end == datetime(2026, 3, 30, 23, 0, tzinfo=UTC)
    assert end.isoformat() == "2026-03-30T23:00:00+00:00"


def test_a_due_day_in_winter_ends_at_utc_midnight():
    end = end_of_london_day(date(2025, 12, 22))
    assert end.isoformat() == "2025-12-23T00:00:00+00:00"


def test_the_day_the_clocks_go_forward_ends_at_23_00_utc():
    assert end_of_london_day(date(2026, 3, 29)) == datetime(2026, 3, 29, 23, 0, tzinfo=UTC)


def test_the_day_the_clocks_go_back_ends_at_utc_midnight():
    assert end_of_london_day(date(2026, 10, 25)) == datetime(2026, 10, 26, 0, 0, tzinfo=UTC)


def test_the_end_of_a_due_day_is_a_utc_instant():
    assert end_of_london_day(date(2026, 3, 30)).tzinfo == UTC

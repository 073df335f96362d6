"""The incidents' rules as pure functions: given plain values and now, then a result."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.incidents.rules import (
    PatternKind,
    PatternLimits,
    incident_action,
    triage_due_at,
    triage_overdue,
)
from domain.shared.errors import ValidationFailed
from domain.shared.policy import Action

# Tuesday 3 March 2026, 10:00 in London (GMT)
TUESDAY = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
FRIDAY = datetime(2026, 3, 6, 16, 30, tzinfo=UTC)
SATURDAY = datetime(2026, 3, 7, 11, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


# --- who works on or reads an incident -----------------------------------------------------


def test_an_incident_is_read_with_the_view_action():
    assert incident_action(False, managing=False) is Action.VIEW_INCIDENT


def test_an_incident_is_worked_on_with_the_manage_action():
    assert incident_action(False, managing=True) is Action.MANAGE_INCIDENT


def test_reading_an_incident_about_staff_conduct_is_the_headteachers_action():
    assert incident_action(True, managing=False) is Action.HANDLE_STAFF_CONDUCT_INCIDENT


def test_working_on_an_incident_about_staff_conduct_is_the_headteachers_action():
    assert incident_action(True, managing=True) is Action.HANDLE_STAFF_CONDUCT_INCIDENT


# --- triage due ------------------------------------------------------------------------------


def test_triage_is_due_one_working_day_after_the_report():
    assert triage_due_at(TUESDAY) == TUESDAY + timedelta(days=1)


def test_triage_of_a_friday_report_is_due_on_monday():
    assert triage_due_at(FRIDAY) == FRIDAY + timedelta(days=3)


def test_triage_of_a_weekend_report_is_due_at_the_end_of_monday():
    assert triage_due_at(SATURDAY) == datetime(2026, 3, 9, 23, 59, 59, tzinfo=UTC)


def test_triage_is_not_overdue_before_its_due_time():
    assert not triage_overdue(TUESDAY, TUESDAY + timedelta(hours=23))


def test_triage_is_not_overdue_at_its_due_time():
    assert not triage_overdue(TUESDAY, TUESDAY + timedelta(days=1))


def test_triage_is_overdue_after_its_due_time():
    assert triage_overdue(TUESDAY, TUESDAY + timedelta(days=1, seconds=1))


def test_a_friday_report_is_not_overdue_over_the_weekend():
    assert not triage_overdue(FRIDAY, FRIDAY + timedelta(days=2))


# --- pattern-flag limits ---------------------------------------------------------------------


def test_the_default_limits_are_those_the_api_offers():
    limits = PatternLimits()
    assert (
        limits.pupil_threshold,
        limits.pupil_window_days,
        limits.spike_window_days,
        limits.spike_baseline_weeks,
        limits.spike_factor,
        limits.spike_minimum,
        limits.group_threshold,
        limits.group_window_days,
    ) == (3, 90, 7, 8, 2.0, 3, 3, 180)


@pytest.mark.parametrize(
    ("argument", "field"),
    [
        ("pupil_threshold", "pupilThreshold"),
        ("group_threshold", "groupThreshold"),
        ("spike_minimum", "spikeMinimum"),
    ],
)
def test_a_threshold_under_two_is_refused(argument, field):
    with pytest.raises(ValidationFailed) as error:
        PatternLimits(**{argument: 1})
    assert (error.value.field, error.value.message) == (field, f"{field}: must be at least 2")


def test_a_threshold_of_two_is_accepted():
    assert PatternLimits(pupil_threshold=2, group_threshold=2, spike_minimum=2)


@pytest.mark.parametrize(
    ("argument", "field"),
    [
        ("pupil_window_days", "pupilWindowDays"),
        ("spike_window_days", "spikeWindowDays"),
        ("spike_baseline_weeks", "spikeBaselineWeeks"),
        ("group_window_days", "groupWindowDays"),
    ],
)
@pytest.mark.parametrize("value", [0, 3661])
def test_a_window_outside_1_to_3660_is_refused(argument, field, value):
    with pytest.raises(ValidationFailed) as error:
        PatternLimits(**{argument: value})
    assert (error.value.field, error.value.message) == (field, f"{field}: must be from 1 to 3660")


def test_windows_of_1_and_3660_are_accepted():
    assert PatternLimits(pupil_window_days=1, group_window_days=3660)


def test_thresholds_are_checked_before_windows():
    with pytest.raises(ValidationFailed) as error:
        PatternLimits(spike_minimum=1, pupil_window_days=0)
    assert error.value.field == "spikeMinimum"


def test_a_pupils_incidents_are_counted_within_the_pupil_window():
    assert PatternLimits(pupil_window_days=30).pupil_since(NOW) == NOW - timedelta(days=30)


def test_a_groups_incidents_are_counted_within_the_group_window():
    assert PatternLimits(group_window_days=60).group_since(NOW) == NOW - timedelta(days=60)


# --- what a flag says ------------------------------------------------------------------------


def test_a_repeated_pupil_flag_names_the_count_window_and_threshold():
    assert PatternLimits().explanation(PatternKind.PUPIL_REPEATED, 4) == (
        "in 4 incidents within 90 days (threshold 3)"
    )


def test_a_platform_spike_flag_names_the_count_window_factor_and_baseline():
    limits = PatternLimits(spike_window_days=14, spike_factor=2.5, spike_baseline_weeks=6)
    assert limits.explanation(PatternKind.PLATFORM_SPIKE, 5) == (
        "5 incidents in 14 days, at least 2.5x the weekly rate of the previous 6 weeks"
    )


def test_a_repeated_group_flag_names_the_count_window_and_threshold():
    assert PatternLimits(group_threshold=4).explanation("group_repeated", 6) == (
        "together in 6 incidents within 180 days (threshold 4)"
    )


def test_an_unknown_flag_kind_has_no_explanation():
    with pytest.raises(ValueError):
        PatternLimits().explanation("teacher_repeated", 3)

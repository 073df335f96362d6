"""The retention rules as pure functions (docs/rules.md §9): each rule's due date at its
boundary, what a trust may configure, and what blocks erasure on a day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from domain.retention.rules import (
    BlockerKind,
    Facts,
    HoldFact,
    Rule,
    Settings,
    access_log_cutoff,
    access_log_due,
    add_years,
    allegation_due,
    blockers,
    concern_due,
    configured_value,
    incident_due,
    pupil_due,
)
from domain.shared.errors import ValidationFailed

BORN = date(2010, 5, 17)
DAY = timedelta(days=1)


def test_a_pupil_with_a_safeguarding_record_is_due_on_their_25th_birthday_then_review():
    due = pupil_due(BORN, True, left_on=date(2021, 7, 20))
    assert (due.rule, due.due_on, due.review) == (Rule.PUPIL_FILE, date(2035, 5, 17), True)


def test_a_pupil_file_is_kept_to_the_age_the_trust_configured():
    due = pupil_due(BORN, True, None, Settings({Rule.PUPIL_FILE: 30}))
    assert due.due_on == date(2040, 5, 17)


def test_a_birthday_on_29_february_falls_on_1_march_in_a_common_year():
    assert add_years(date(2008, 2, 29), 25) == date(2033, 3, 1)


def test_a_pupil_without_a_safeguarding_record_is_kept_as_a_consent_record_until_they_leave():
    due = pupil_due(BORN, False, left_on=date(2021, 7, 20))
    assert (due.rule, due.due_on, due.review) == (Rule.CONSENT_RECORD, date(2021, 7, 20), True)


def test_a_consent_record_on_roll_is_not_yet_due():
    due = pupil_due(BORN, False, left_on=None)
    assert (due.due_on, due.why) == (None, "when the pupil leaves")


def test_a_consent_record_is_kept_the_configured_years_after_leaving():
    due = pupil_due(BORN, False, date(2021, 7, 20), Settings({Rule.CONSENT_RECORD: 2}))
    assert due.due_on == date(2023, 7, 20)


def test_an_incident_is_due_at_the_latest_25th_birthday_of_the_pupils_it_involves():
    due = incident_due([BORN, date(2012, 1, 3), date(2009, 12, 1)])
    assert (due.rule, due.due_on, due.review) == (Rule.PUPIL_FILE, date(2037, 1, 3), True)


def test_an_incident_with_no_known_pupil_is_not_yet_due():
    assert incident_due([]).due_on is None


RECEIVED = datetime(2020, 3, 10, 9, 0, tzinfo=UTC)


def test_a_substantiated_allegation_is_kept_ten_years_when_pension_age_comes_first():
    due = allegation_due("substantiated", False, RECEIVED, RECEIVED, date(2025, 1, 1))
    assert (due.rule, due.due_on, due.review) == (Rule.ALLEGATION, date(2030, 3, 10), False)


def test_an_unfounded_allegation_is_kept_until_pension_age_when_that_is_later():
    due = allegation_due("unfounded", False, RECEIVED, RECEIVED, date(2041, 6, 30))
    assert due.due_on == date(2041, 6, 30)


def test_an_allegation_without_a_recorded_pension_age_is_not_yet_due():
    due = allegation_due("unsubstantiated", False, RECEIVED, RECEIVED, None)
    assert due.due_on is None and "pension age" in due.why


def test_the_allegation_years_are_configurable():
    due = allegation_due(
        "substantiated",
        False,
        RECEIVED,
        RECEIVED,
        date(2025, 1, 1),
        Settings({Rule.ALLEGATION: 15}),
    )
    assert due.due_on == date(2035, 3, 10)


def test_a_malicious_allegation_is_due_at_once_on_its_outcome_day():
    decided = datetime(2020, 6, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 June in London
    due = allegation_due("malicious", False, RECEIVED, decided, date(2041, 6, 30))
    assert (due.rule, due.due_on, due.review) == (
        Rule.ALLEGATION_REMOVED,
        date(2020, 6, 2),
        False,
    )


def test_a_false_allegation_kept_with_consent_follows_the_first_rule():
    due = allegation_due("false", True, RECEIVED, RECEIVED, date(2025, 1, 1))
    assert (due.rule, due.due_on) == (Rule.ALLEGATION, date(2030, 3, 10))


def test_an_allegation_with_no_outcome_is_not_yet_due():
    assert allegation_due(None, False, RECEIVED, None, date(2041, 6, 30)).due_on is None


def test_a_low_level_concern_is_due_when_the_member_of_staff_leaves_then_review():
    due = concern_due(date(2024, 8, 31))
    assert (due.rule, due.due_on, due.review) == (Rule.LOW_LEVEL_CONCERN, date(2024, 8, 31), True)


def test_a_low_level_concern_about_someone_still_employed_is_not_yet_due():
    assert concern_due(None).due_on is None


def test_the_access_log_is_due_when_its_oldest_entry_passes_six_years():
    due = access_log_due(datetime(2020, 1, 15, 12, tzinfo=UTC))
    assert (due.rule, due.due_on, due.review) == (Rule.ACCESS_LOG, date(2026, 1, 15), False)


def test_access_log_entries_before_the_cutoff_are_past_the_configured_years():
    assert access_log_cutoff(date(2026, 1, 15), Settings({Rule.ACCESS_LOG: 2})) == date(2024, 1, 15)


@pytest.mark.parametrize(
    ("rule", "value", "bound"),
    [
        ("pupil_file", 24, "at least 25"),
        ("pupil_file", 101, "at most 100"),
        ("allegation", 9, "at least 10"),
        ("access_log", 0, "at least 1"),
        ("consent_record", -1, "at least 0"),
    ],
)
def test_a_value_outside_what_the_law_allows_is_refused_naming_the_bound(rule, value, bound):
    with pytest.raises(ValidationFailed) as refused:
        configured_value(rule, value)
    assert refused.value.field == "value" and bound in refused.value.message


def test_the_removal_of_malicious_and_false_allegations_is_not_configurable():
    with pytest.raises(ValidationFailed) as refused:
        configured_value("allegation_removed", 5)
    assert refused.value.field == "rule"


DUE = date(2035, 5, 17)


def kinds(found):
    return [b.kind for b in found]


def test_a_record_is_not_erasable_the_day_before_it_is_due():
    found = blockers(Facts(DUE), DUE - DAY)
    assert kinds(found) == [BlockerKind.NOT_DUE] and found[0].until == DUE


def test_a_record_without_review_is_erasable_the_day_it_is_due():
    assert blockers(Facts(DUE), DUE) == ()


def test_a_record_with_no_due_date_is_blocked_saying_why():
    found = blockers(Facts(None, True, why="when the pupil leaves"), DUE)
    assert kinds(found) == [BlockerKind.NOT_DUE] and "when the pupil leaves" in found[0].reason


def test_a_reviewed_record_awaits_review_on_the_day_it_is_due():
    assert kinds(blockers(Facts(DUE, True), DUE)) == [BlockerKind.AWAITING_REVIEW]


def test_a_destroy_decision_recorded_on_the_due_date_makes_it_erasable():
    assert blockers(Facts(DUE, True, "destroy", DUE), DUE) == ()


def test_a_destroy_decision_recorded_before_the_due_date_does_not_count():
    found = blockers(Facts(DUE, True, "destroy", DUE - DAY), DUE)
    assert kinds(found) == [BlockerKind.AWAITING_REVIEW]


def test_keep_until_moves_the_due_date():
    later = DUE + timedelta(days=365)
    found = blockers(Facts(DUE, True, "keep", DUE, later), later - DAY)
    assert kinds(found) == [BlockerKind.KEPT] and found[0].until == later


def test_once_kept_until_passes_the_record_awaits_a_new_review():
    later = DUE + timedelta(days=365)
    assert kinds(blockers(Facts(DUE, True, "keep", DUE, later), later)) == [
        BlockerKind.AWAITING_REVIEW
    ]


def test_every_active_legal_hold_blocks_even_a_record_otherwise_erasable():
    holds = [HoldFact(uuid4(), "inquiry"), HoldFact(uuid4(), "police")]
    found = blockers(Facts(DUE, holds=holds), DUE)
    assert [b.hold_id for b in found] == [h.hold_id for h in holds]

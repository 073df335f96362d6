"""The staff-case rules a reader's view depends on: given plain values, then the answer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from domain.shared.calendar import end_of_london_day
from domain.shared.errors import ValidationFailed
from domain.staff_cases.model import REMOVED_OUTCOMES, Outcome
from domain.staff_cases.rules import (
    PATTERN_WINDOW,
    REPEATED_CONTACT,
    ContactAttemptFact,
    awaits_reference_declaration,
    erasure_due,
    lado_due_at,
    lado_overdue,
    may_be_cited_in_reference,
    on_personnel_record,
    pattern_since,
    pattern_threshold,
    sql_list,
    staff_pattern_flags,
)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
SINCE = NOW - PATTERN_WINDOW
KEPT = ["substantiated", "unsubstantiated", "unfounded"]

# --- erasure and the personnel record ---------------------------------------------------


@pytest.mark.parametrize("outcome", ["malicious", "false"])
def test_a_malicious_or_false_allegation_without_consent_is_due_for_erasure(outcome):
    assert erasure_due(outcome, retention_consent=False) is True


@pytest.mark.parametrize("outcome", ["malicious", "false"])
def test_consent_to_retention_keeps_a_malicious_or_false_allegation(outcome):
    assert erasure_due(outcome, retention_consent=True) is False


@pytest.mark.parametrize("outcome", KEPT)
def test_other_outcomes_are_never_due_for_erasure(outcome):
    assert erasure_due(outcome, retention_consent=False) is False


def test_an_undecided_allegation_is_not_due_for_erasure():
    assert erasure_due(None, retention_consent=False) is False


def test_an_undecided_allegation_is_not_on_the_personnel_record():
    assert on_personnel_record(None, retention_consent=True) is False


@pytest.mark.parametrize("outcome", KEPT)
def test_a_decided_allegation_is_on_the_personnel_record(outcome):
    assert on_personnel_record(outcome, retention_consent=False) is True


def test_a_malicious_allegation_without_consent_is_not_on_the_personnel_record():
    assert on_personnel_record("malicious", retention_consent=False) is False


def test_a_false_allegation_with_consent_is_on_the_personnel_record():
    assert on_personnel_record("false", retention_consent=True) is True


def test_the_sql_list_of_removed_outcomes_names_exactly_the_rules_outcomes():
    assert sql_list(REMOVED_OUTCOMES) == "'false', 'malicious'"


# --- references -------------------------------------------------------------------------


def test_a_substantiated_allegation_declared_for_references_may_be_cited():
    assert may_be_cited_in_reference("substantiated", will_be_referred_to=True) is True


def test_a_substantiated_allegation_not_declared_for_references_may_not_be_cited():
    assert may_be_cited_in_reference("substantiated", will_be_referred_to=None) is False


@pytest.mark.parametrize("outcome", ["unsubstantiated", "malicious", "false", "unfounded"])
def test_no_other_outcome_may_be_cited_in_a_reference(outcome):
    assert may_be_cited_in_reference(outcome, will_be_referred_to=True) is False


def test_a_substantiated_allegation_with_no_declaration_awaits_one():
    assert awaits_reference_declaration(Outcome.SUBSTANTIATED.value, None) is True


def test_a_declared_substantiated_allegation_awaits_no_declaration():
    assert awaits_reference_declaration("substantiated", False) is False


def test_an_unfounded_allegation_awaits_no_reference_declaration():
    assert awaits_reference_declaration("unfounded", None) is False


# --- the LADO deadline ------------------------------------------------------------------

DUE = date(2026, 3, 9)


def test_the_lado_is_due_by_the_end_of_the_london_day():
    assert lado_due_at(DUE) == end_of_london_day(DUE)


def test_not_consulted_before_the_deadline_is_not_overdue():
    assert lado_overdue(DUE, None, lado_due_at(DUE) - timedelta(seconds=1)) is False


def test_not_consulted_once_the_deadline_has_passed_is_overdue():
    assert lado_overdue(DUE, None, lado_due_at(DUE)) is True


def test_consulted_in_time_is_never_overdue():
    assert lado_overdue(DUE, lado_due_at(DUE) - timedelta(hours=1), NOW) is False


def test_consulted_after_the_deadline_stays_overdue():
    assert lado_overdue(DUE, lado_due_at(DUE) + timedelta(hours=1), NOW) is True


# --- pattern flags ----------------------------------------------------------------------


def test_the_pattern_window_is_twelve_months():
    assert pattern_since(NOW) == NOW - timedelta(days=365)


def test_the_trusts_threshold_applies_unless_another_is_asked_for():
    assert pattern_threshold(3, None) == 3


def test_a_threshold_asked_for_replaces_the_trusts():
    assert pattern_threshold(3, 5) == 5


@pytest.mark.parametrize("asked", [0, 51])
def test_a_threshold_outside_one_to_fifty_is_refused(asked):
    with pytest.raises(ValidationFailed) as error:
        pattern_threshold(3, asked)
    assert error.value.field == "threshold"


def test_concerns_at_the_threshold_raise_a_flag():
    concerns = [uuid4(), uuid4(), uuid4()]
    [flag] = staff_pattern_flags(SINCE, 3, concerns, None)
    assert (flag.kind, flag.count, flag.threshold, flag.record_ids) == (
        "low_level_concerns",
        3,
        3,
        tuple(concerns),
    )
    assert flag.since == SINCE.date()


def test_concerns_below_the_threshold_raise_no_flag():
    assert staff_pattern_flags(SINCE, 3, [uuid4(), uuid4()], None) == []


def _attempt(at: datetime, person=None) -> ContactAttemptFact:
    return ContactAttemptFact(uuid4(), at, person)


def test_contact_attempts_at_the_threshold_raise_a_flag():
    attempts = [_attempt(NOW - timedelta(days=d)) for d in (1, 2, 3)]
    [flag] = staff_pattern_flags(SINCE, 3, [], attempts)
    assert (flag.kind, flag.count) == ("contact_attempts", 3)


def test_contact_attempts_before_the_window_are_not_counted():
    attempts = [_attempt(NOW - timedelta(days=d)) for d in (1, 2, 400)]
    assert staff_pattern_flags(SINCE, 3, [], attempts) == []


def test_repeated_contact_by_one_person_raises_a_flag_of_its_own():
    person = uuid4()
    attempts = [_attempt(NOW - timedelta(days=d), person) for d in range(REPEATED_CONTACT)]
    [flag] = staff_pattern_flags(SINCE, 3, [], attempts)
    assert (flag.kind, flag.count, flag.threshold) == ("repeated_contact", 2, REPEATED_CONTACT)
    assert str(person) in flag.explanation


def test_one_attempt_by_a_person_is_not_repeated_contact():
    attempts = [_attempt(NOW, uuid4()), _attempt(NOW, uuid4())]
    assert staff_pattern_flags(SINCE, 3, [], attempts) == []


def test_a_reader_who_may_not_see_social_media_gets_no_contact_flags():
    assert staff_pattern_flags(SINCE, 1, [], None) == []

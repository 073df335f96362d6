"""The consent feature's pure rules (``domain.consent.rules``): given plain values, then a
result. Who may post and run a posting check; how many pupils a check names; whether a register
line has a record and is current for the year; whether a post came after the withdrawal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.consent.model import PosterPeriod
from domain.consent.rules import (
    MAX_PUPILS_PER_PUBLICATION,
    check_posting_check_size,
    current_for_year,
    has_record_by,
    may_post,
    posted_after_withdrawal,
    posting_check_detailed,
)
from domain.shared.errors import NotAuthorised, ValidationFailed
from domain.shared.policy import Grant, Principal, Role, Target

TRUST, SCHOOL, OTHER_SCHOOL = uuid4(), uuid4(), uuid4()
AT_SCHOOL = Target(TRUST, SCHOOL)
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
FROM = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)
STAFF = uuid4()
REPORTER = Grant(Role.STAFF_REPORTER, TRUST, SCHOOL)
DATA_LEAD = Grant(Role.DATA_LEAD, TRUST, SCHOOL)


def authorised(since: datetime = FROM, until: datetime | None = None) -> PosterPeriod:
    return PosterPeriod("dana@oak", STAFF, since, until)


# --- may_post ----------------------------------------------------------------------------------


def test_a_poster_authorised_now_with_a_role_at_the_school_may_post() -> None:
    assert may_post([authorised()], [REPORTER], AT_SCHOOL, NOW)


def test_a_poster_whose_authorisation_was_revoked_may_not_post() -> None:
    assert not may_post([authorised(until=NOW - timedelta(days=1))], [REPORTER], AT_SCHOOL, NOW)


def test_a_poster_may_post_up_to_the_instant_of_revocation_but_not_at_it() -> None:
    period = authorised(until=NOW)
    assert may_post([period], [REPORTER], AT_SCHOOL, NOW - timedelta(microseconds=1))
    assert not may_post([period], [REPORTER], AT_SCHOOL, NOW)


def test_a_poster_authorised_only_later_may_not_post_now() -> None:
    assert not may_post([authorised(since=NOW + timedelta(hours=1))], [REPORTER], AT_SCHOOL, NOW)


def test_a_poster_without_a_role_at_the_channels_school_may_not_post() -> None:
    elsewhere = Grant(Role.STAFF_REPORTER, TRUST, OTHER_SCHOOL)
    assert not may_post([authorised()], [elsewhere], AT_SCHOOL, NOW)


def test_a_role_without_an_authorisation_on_the_channel_does_not_let_anyone_post() -> None:
    assert not may_post([], [REPORTER], AT_SCHOOL, NOW)


# --- posting_check_detailed --------------------------------------------------------------------


def check_of(*pupils):
    return Target(TRUST, SCHOOL, frozenset(pupils))


def test_the_schools_data_lead_sees_why_in_a_posting_check() -> None:
    lead = Principal("lead@oak", frozenset({DATA_LEAD}))
    assert posting_check_detailed(lead, check_of(uuid4()), [], NOW) is True


def test_an_authorised_poster_sees_only_yes_or_no_in_a_posting_check() -> None:
    poster = Principal("dana@oak", frozenset({REPORTER}))
    assert posting_check_detailed(poster, check_of(uuid4()), [authorised()], NOW) is False


def test_a_member_of_staff_not_authorised_on_the_channel_may_not_run_its_posting_check() -> None:
    staff = Principal("dana@oak", frozenset({REPORTER}))
    with pytest.raises(NotAuthorised):
        posting_check_detailed(staff, check_of(uuid4()), [], NOW)


def test_a_poster_whose_authorisation_was_revoked_may_not_run_the_posting_check() -> None:
    poster = Principal("dana@oak", frozenset({REPORTER}))
    revoked = authorised(until=NOW - timedelta(days=1))
    with pytest.raises(NotAuthorised):
        posting_check_detailed(poster, check_of(uuid4()), [revoked], NOW)


def test_a_poster_who_is_one_of_the_pupils_asked_about_is_refused() -> None:
    pupil = uuid4()
    poster = Principal("dana@oak", frozenset({REPORTER}), subject_of=frozenset({pupil}))
    with pytest.raises(NotAuthorised):
        posting_check_detailed(poster, check_of(pupil, uuid4()), [authorised()], NOW)


# --- check_posting_check_size ------------------------------------------------------------------


def test_a_posting_check_names_at_least_one_pupil() -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_posting_check_size(0)
    assert caught.value.field == "pupilIds"


def test_a_posting_check_may_name_as_many_pupils_as_one_post_may_show() -> None:
    check_posting_check_size(1)
    check_posting_check_size(MAX_PUPILS_PER_PUBLICATION)


def test_a_posting_check_names_no_more_pupils_than_one_post_may_show() -> None:
    with pytest.raises(ValidationFailed):
        check_posting_check_size(MAX_PUPILS_PER_PUBLICATION + 1)


# --- the register's lines ----------------------------------------------------------------------


def test_a_pupil_has_a_record_from_the_instant_the_first_decision_was_received() -> None:
    assert has_record_by(NOW, NOW)
    assert not has_record_by(NOW, NOW - timedelta(microseconds=1))


def test_a_pupil_nobody_has_decided_for_has_no_record() -> None:
    assert not has_record_by(None, NOW)


def test_a_record_confirmed_for_the_year_is_current_for_it() -> None:
    assert current_for_year("2025/26", ("2025/26",), None)


def test_a_decision_received_during_the_year_makes_the_record_current_for_it() -> None:
    # 2025/26 starts on 1 September 2025 in London (British Summer Time: 23:00 UTC before).
    assert current_for_year("2025/26", (), datetime(2025, 8, 31, 23, 0, tzinfo=UTC))


def test_a_decision_received_before_the_year_does_not_make_the_record_current() -> None:
    last = datetime(2025, 8, 31, 22, 59, tzinfo=UTC)
    assert not current_for_year("2025/26", ("2024/25",), last)


# --- takedowns ---------------------------------------------------------------------------------


def test_a_post_published_after_the_withdrawal_was_received_is_flagged() -> None:
    assert posted_after_withdrawal(NOW, NOW)
    assert posted_after_withdrawal(NOW + timedelta(hours=1), NOW)


def test_a_post_published_before_the_withdrawal_was_received_is_not_flagged() -> None:
    assert not posted_after_withdrawal(NOW - timedelta(hours=1), NOW)

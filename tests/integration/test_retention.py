"""The retention schedule on real PostgreSQL (docs/rules.md §9): each record's rule and due date
from the views, the trust's configuration as events within the law's bounds, review decisions,
and legal holds of each scope blocking erasure until lifted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain.directory.commands import RecordPupilLeft, RecordStaffLeft
from domain.incidents.commands import ReportIncident
from domain.retention.commands import (
    ConfigureRetention,
    LiftLegalHold,
    PlaceLegalHold,
    RecordRetentionReview,
)
from domain.retention.rules import BlockerKind, access_log_id
from domain.shared.actor import acting_as
from domain.shared.errors import NotFound, ValidationFailed
from domain.shared.policy import Principal, Role
from domain.shared.validation import today_utc
from domain.staff_cases.commands import (
    AllegationDetails,
    ChildConcerned,
    RaiseLowLevelConcern,
    RecordAllegationOutcome,
    RecordPensionAge,
)
from projections.retention import queries
from projections.retention.queries import Scheduled
from tests import builders as make
from tests.at_rest import assert_no_plaintext

OPERATOR = Principal.operator("tests")
BORN = date(2013, 4, 1)
YOUNGER = date(2015, 9, 30)
DAY = timedelta(days=1)


@dataclass
class World:
    trust: UUID
    school: UUID
    other_school: UUID


@pytest.fixture
def world(container) -> World:
    app = container.app
    with acting_as(OPERATOR):
        trust = make.trust(app)
        school = make.school_with(app, trust, "head@oak", Role.HEADTEACHER, "Oak", "100001")
        make.grant(app, "dsl@oak", Role.DSL, trust, school)
        other = make.school_with(app, trust, "head@elm", Role.HEADTEACHER, "Elm", "100002")
        make.grant(app, "dpo@trust", Role.DPO, trust)
        make.grant(app, "dpo@elm", Role.DPO, trust, other)
        make.grant(app, "tsl@trust", Role.TRUST_SAFEGUARDING_LEAD, trust)
    return World(trust, school, other)


def as_user(container, user: str):
    return acting_as(container.app.principal_for(user))


def schedule(container, world: World, **kwargs) -> dict[UUID, Scheduled]:
    for worker in container.workers():
        worker.catch_up()
    with container.pool.connection() as conn:
        rows = queries.schedule(conn, container.keyring, world.trust, **kwargs)
    return {r.record_id: r for r in rows}


def kinds(row: Scheduled, as_of: date) -> list[BlockerKind]:
    return [b.kind for b in row.blockers(as_of)]


def incident(app, school: UUID, *pupils: UUID) -> UUID:
    now = datetime.now(UTC)
    incident_id, _ = app.report_incident(
        ReportIncident(
            school_id=school,
            occurred_at=now - timedelta(hours=1),
            reported_at=now,
            category="cyberbullying",
            description="Messages in a group chat",
            people=[(p, "pupil_harmed") for p in pupils],
        )
    )
    return incident_id


def events(container) -> int:
    return container.app.recorder.max_notification_id() or 0


# --- the rules, from the views ---------------------------------------------------------------


def test_an_incident_is_due_at_the_latest_25th_birthday_of_its_pupils_then_reviewed(
    container, world
):
    app = container.app
    with as_user(container, "dsl@oak"):
        older = make.pupil(app, world.school, "Ada", BORN)
        younger = make.pupil(app, world.school, "Ben", YOUNGER)
        case = incident(app, world.school, older, younger)
    row = schedule(container, world)[case]
    assert (row.rule, row.due_on, row.review) == ("pupil_file", date(2040, 9, 30), True)
    assert kinds(row, date(2040, 9, 29)) == [BlockerKind.NOT_DUE]
    assert kinds(row, date(2040, 9, 30)) == [BlockerKind.AWAITING_REVIEW]
    assert row.subject_ids == (case,)


def test_a_pupil_with_an_incident_keeps_their_file_until_their_25th_birthday(container, world):
    app = container.app
    with as_user(container, "dsl@oak"):
        pupil = make.pupil(app, world.school, "Ada", BORN)
        incident(app, world.school, pupil)
    row = schedule(container, world)[pupil]
    assert (row.rule, row.due_on, row.review) == ("pupil_file", date(2038, 4, 1), True)
    assert kinds(row, date(2038, 3, 31)) == [BlockerKind.NOT_DUE]


def test_a_pupil_named_on_an_allegation_keeps_their_file_until_their_25th_birthday(
    container, world
):
    app = container.app
    with as_user(container, "head@oak"):
        pupil = make.pupil(app, world.school, "Ada", BORN)
        teacher = make.staff(app, world.school, "Sam Jones")
        make.allegation(
            app,
            teacher,
            "Grabbed an arm",
            details=AllegationDetails(children=[ChildConcerned(pupil, "concerned")]),
        )
    assert schedule(container, world)[pupil].rule == "pupil_file"


def test_a_pupil_on_roll_with_no_safeguarding_record_is_not_yet_due(container, world):
    with as_user(container, "head@oak"):
        pupil = make.pupil(container.app, world.school, "Ada", BORN)
    row = schedule(container, world)[pupil]
    assert (row.rule, row.due_on, row.why) == ("consent_record", None, "when the pupil leaves")


def test_a_pupil_who_left_is_due_as_a_consent_record_on_the_day_they_left(container, world):
    app = container.app
    left = today_utc() - timedelta(days=3)
    with as_user(container, "head@oak"):
        pupil = make.pupil(app, world.school, "Ada", BORN)
        app.record_pupil_left(RecordPupilLeft(pupil, left))
    row = schedule(container, world)[pupil]
    assert (row.rule, row.due_on, row.review) == ("consent_record", left, True)
    assert kinds(row, left - DAY) == [BlockerKind.NOT_DUE]
    assert kinds(row, left) == [BlockerKind.AWAITING_REVIEW]


def test_erasing_a_pupil_destroys_their_key_and_their_parents_linked_to_no_other_pupil(
    container, world
):
    app = container.app
    with as_user(container, "head@oak"):
        pupil = make.pupil(app, world.school, "Ada", BORN)
        sibling = make.pupil(app, world.school, "Ben", YOUNGER)
        mother = make.parent(app, pupil, "Cara")
        make.parent(app, sibling, parent_id=mother)
        father = make.parent(app, pupil, "Dan", "father")
    assert schedule(container, world)[pupil].subject_ids == (pupil, father)
    assert mother not in schedule(container, world)[sibling].subject_ids


def allegation_with_outcome(container, world, outcome: str, pension: date | None) -> UUID:
    return allegation_about(container, world, outcome, pension)[0]


def allegation_about(container, world, outcome: str, pension: date | None) -> tuple[UUID, UUID]:
    """An allegation received 10 March 2024 and decided a month later, and its subject."""
    app = container.app
    with as_user(container, "head@oak"):
        teacher = make.staff(app, world.school, "Sam Jones")
        if pension is not None:
            app.record_pension_age(RecordPensionAge(teacher, pension))
        received = datetime(2024, 3, 10, 9, tzinfo=UTC)
        case = make.allegation(app, teacher, "Grabbed an arm", received)
        app.record_allegation_outcome(
            RecordAllegationOutcome(case, outcome, received + timedelta(days=30), "x", "x")
        )
    return case, teacher


def test_an_unfounded_allegation_is_due_at_the_later_of_pension_age_and_ten_years(container, world):
    case = allegation_with_outcome(container, world, "unfounded", date(2041, 6, 30))
    row = schedule(container, world)[case]
    assert (row.rule, row.due_on, row.review) == ("allegation", date(2041, 6, 30), False)
    assert kinds(row, date(2041, 6, 29)) == [BlockerKind.NOT_DUE]
    assert row.blockers(date(2041, 6, 30)) == ()


def test_a_substantiated_allegation_is_kept_ten_years_from_receipt_when_that_is_later(
    container, world
):
    case = allegation_with_outcome(container, world, "substantiated", date(2030, 1, 1))
    assert schedule(container, world)[case].due_on == date(2034, 3, 10)


def test_a_false_allegation_is_due_at_once(container, world):
    case = allegation_with_outcome(container, world, "false", date(2041, 6, 30))
    row = schedule(container, world)[case]
    assert (row.rule, row.due_on) == ("allegation_removed", date(2024, 4, 9))
    assert row.blockers(today_utc()) == ()


def test_a_low_level_concern_is_due_when_the_member_of_staff_leaves(container, world):
    app = container.app
    left = today_utc() - timedelta(days=1)
    with as_user(container, "head@oak"):
        teacher = make.staff(app, world.school, "Sam Jones", started_on=date(2020, 9, 1))
        concern, _ = app.raise_low_level_concern(RaiseLowLevelConcern(teacher, "Over-friendly"))
    assert schedule(container, world)[concern].due_on is None
    with as_user(container, "head@oak"):
        app.record_staff_left(RecordStaffLeft(teacher, left))
    row = schedule(container, world)[concern]
    assert (row.rule, row.due_on, row.review) == ("low_level_concern", left, True)


def test_the_access_log_is_one_record_of_the_trust(container, world):
    rows = schedule(container, world)
    row = rows[access_log_id(world.trust)]
    assert (row.record_type, row.rule, row.due_on, row.subject_ids) == (
        "access_log",
        "access_log",
        None,
        (),
    )
    assert access_log_id(world.trust) not in schedule(container, world, school_id=world.school)


# --- configuration ------------------------------------------------------------------------


def test_a_trust_configures_a_rule_as_an_event_and_the_schedule_follows(container, world):
    app = container.app
    with as_user(container, "dsl@oak"):
        pupil = make.pupil(app, world.school, "Ada", BORN)
        incident(app, world.school, pupil)
    with as_user(container, "dpo@trust"):
        app.configure_retention(ConfigureRetention(world.trust, "pupil_file", 30, "IICSA"))
    assert schedule(container, world)[pupil].due_on == date(2043, 4, 1)
    with container.pool.connection() as conn:
        (row,) = queries.configuration(conn, world.trust)
    assert (row.rule, row.value, container.keyring.open(row.reason)) == ("pupil_file", 30, "IICSA")


def test_a_value_below_the_law_is_refused_naming_the_bound_and_nothing_is_recorded(
    container, world
):
    before = events(container)
    with as_user(container, "dpo@trust"), pytest.raises(ValidationFailed) as refused:
        container.app.configure_retention(ConfigureRetention(world.trust, "allegation", 9, "x"))
    assert (refused.value.field, "at least 10" in refused.value.message) == ("value", True)
    assert events(container) == before


def test_only_a_trust_wide_dpo_configures_the_trust(container, world):
    before = events(container)
    for user in ("dpo@elm", "tsl@trust", "head@oak"):
        with as_user(container, user), pytest.raises(NotFound):
            container.app.configure_retention(ConfigureRetention(world.trust, "access_log", 7, "x"))
    assert events(container) == before


# --- review decisions ---------------------------------------------------------------------


def left_pupil(container, world) -> UUID:
    app = container.app
    with as_user(container, "head@oak"):
        pupil = make.pupil(app, world.school, "Ada", BORN)
        app.record_pupil_left(RecordPupilLeft(pupil, today_utc() - timedelta(days=2)))
    return pupil


def test_a_destroy_decision_on_or_after_the_due_date_makes_a_reviewed_record_erasable(
    container, world
):
    pupil = left_pupil(container, world)
    with as_user(container, "dpo@trust"):
        container.app.record_retention_review(
            RecordRetentionReview("pupil", pupil, "destroy", "No longer needed")
        )
    row = schedule(container, world)[pupil]
    assert (row.decision, row.decided_on) == ("destroy", today_utc())
    assert row.blockers(today_utc()) == ()


def test_a_keep_decision_moves_the_due_date_and_its_reason_is_sealed_with_the_records_key(
    container, world
):
    pupil = left_pupil(container, world)
    until = today_utc() + timedelta(days=90)
    with as_user(container, "dpo@trust"):
        container.app.record_retention_review(
            RecordRetentionReview("pupil", pupil, "keep", "Sibling's case open", until)
        )
    row = schedule(container, world)[pupil]
    assert (row.decision, row.keep_until) == ("keep", until)
    assert kinds(row, until - DAY) == [BlockerKind.KEPT]
    assert kinds(row, until) == [BlockerKind.AWAITING_REVIEW]
    with container.pool.connection() as conn:
        sealed = conn.execute("SELECT reason FROM ret_reviews").fetchone()["reason"]
    assert sealed[1:17] == pupil.bytes


def test_keep_until_today_is_refused_and_nothing_is_recorded(container, world):
    pupil = left_pupil(container, world)
    before = events(container)
    with as_user(container, "dpo@trust"), pytest.raises(ValidationFailed) as refused:
        container.app.record_retention_review(
            RecordRetentionReview("pupil", pupil, "keep", "x", today_utc())
        )
    assert refused.value.field == "keepUntil"
    assert events(container) == before


def test_a_school_dpo_may_not_review_another_schools_record(container, world):
    pupil = left_pupil(container, world)
    with as_user(container, "dpo@elm"), pytest.raises(NotFound):
        container.app.record_retention_review(RecordRetentionReview("pupil", pupil, "destroy", "x"))


# --- legal holds ----------------------------------------------------------------------------


def hold(container, user: str, scope: str, target: UUID) -> UUID:
    with as_user(container, user):
        hold_id, _ = container.app.place_legal_hold(
            PlaceLegalHold(scope, target, "inquiry", "Inquiry direction 2015")
        )
    return hold_id


def false_allegation(container, world) -> UUID:
    return allegation_with_outcome(container, world, "false", None)


def test_a_record_hold_blocks_an_erasable_record_until_it_is_lifted(container, world):
    case = false_allegation(container, world)
    hold_id = hold(container, "dpo@trust", "record", case)
    row = schedule(container, world)[case]
    assert [h.hold_id for h in row.holds] == [hold_id]
    assert kinds(row, today_utc()) == [BlockerKind.LEGAL_HOLD]
    with as_user(container, "dpo@trust"):
        container.app.lift_legal_hold(LiftLegalHold(hold_id, "Inquiry closed"))
    assert schedule(container, world)[case].blockers(today_utc()) == ()


def test_a_person_hold_on_a_member_of_staff_covers_the_allegations_about_them(container, world):
    case, teacher = allegation_about(container, world, "false", None)
    hold(container, "tsl@trust", "person", teacher)
    assert kinds(schedule(container, world)[case], today_utc()) == [BlockerKind.LEGAL_HOLD]


def test_a_person_hold_on_a_pupil_covers_their_file_and_their_incidents(container, world):
    app = container.app
    with as_user(container, "dsl@oak"):
        pupil = make.pupil(app, world.school, "Ada", BORN)
        case = incident(app, world.school, pupil)
    hold_id = hold(container, "dpo@trust", "person", pupil)
    rows = schedule(container, world)
    assert [h.hold_id for h in rows[pupil].holds] == [hold_id]
    assert [h.hold_id for h in rows[case].holds] == [hold_id]


def test_a_school_hold_covers_every_record_of_that_school_only(container, world):
    case = false_allegation(container, world)
    with as_user(container, "head@elm"):
        elsewhere = make.pupil(container.app, world.other_school, "Eve", BORN)
    hold(container, "dpo@trust", "school", world.school)
    rows = schedule(container, world)
    assert kinds(rows[case], today_utc()) == [BlockerKind.LEGAL_HOLD]
    assert rows[elsewhere].holds == ()


def test_a_school_dpo_holds_only_in_their_school(container, world):
    case = false_allegation(container, world)
    before = events(container)
    with as_user(container, "dpo@elm"), pytest.raises(NotFound):
        container.app.place_legal_hold(PlaceLegalHold("school", world.school, "police", "x"))
    with as_user(container, "dpo@elm"), pytest.raises(NotFound):
        container.app.place_legal_hold(PlaceLegalHold("record", case, "police", "x"))
    assert events(container) == before


def test_a_hold_needs_a_known_authority(container, world):
    with as_user(container, "dpo@trust"), pytest.raises(ValidationFailed) as refused:
        container.app.place_legal_hold(PlaceLegalHold("school", world.school, "rumour", "x"))
    assert refused.value.field == "authority"


def test_a_hold_on_an_unknown_record_is_not_found(container, world):
    with as_user(container, "dpo@trust"), pytest.raises(NotFound):
        container.app.place_legal_hold(PlaceLegalHold("record", uuid4(), "police", "x"))


def test_a_hold_is_lifted_once(container, world):
    hold_id = hold(container, "dpo@trust", "school", world.school)
    with as_user(container, "dpo@trust"):
        container.app.lift_legal_hold(LiftLegalHold(hold_id, "Closed"))
        with pytest.raises(ValidationFailed):
            container.app.lift_legal_hold(LiftLegalHold(hold_id, "Closed"))


# --- what the schedule shows, and what it stores ------------------------------------------


def test_the_schedule_leaves_out_the_records_about_the_reader(container, world):
    app = container.app
    with as_user(container, "head@oak"):
        teacher = make.staff(app, world.school, "Sam Jones")
        case = make.allegation(app, teacher, "Grabbed an arm")
        concern, _ = app.raise_low_level_concern(RaiseLowLevelConcern(teacher, "Over-friendly"))
        pupil = make.pupil(app, world.school, "Ada", BORN)
    with as_user(container, "dsl@oak"):
        now = datetime.now(UTC)
        named, _ = app.report_incident(
            ReportIncident(
                school_id=world.school,
                occurred_at=now - timedelta(hours=1),
                reported_at=now,
                category="cyberbullying",
                description="x",
                people=[(pupil, "pupil_harmed"), (teacher, "staff_member")],
            )
        )
    rows = schedule(container, world, exclude_subjects={teacher})
    assert case not in rows and concern not in rows and named not in rows
    assert pupil in rows


def test_no_reason_is_stored_in_plaintext(container, world):
    app = container.app
    pupil = left_pupil(container, world)
    with as_user(container, "dpo@trust"):
        app.configure_retention(ConfigureRetention(world.trust, "access_log", 7, "Config-Marker"))
        app.record_retention_review(RecordRetentionReview("pupil", pupil, "destroy", "Review-Mk"))
        hold_id, _ = app.place_legal_hold(
            PlaceLegalHold("school", world.school, "police", "Hold-Marker")
        )
        app.lift_legal_hold(LiftLegalHold(hold_id, "Lift-Marker"))
    schedule(container, world)
    assert_no_plaintext(container, ["Config-Marker", "Review-Mk", "Hold-Marker", "Lift-Marker"])

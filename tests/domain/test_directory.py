"""Directory: given events, when a command, then events or a named error."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID, uuid4

import pytest

from domain.application import CaseworkApplication
from domain.directory.aggregates import ParentCarer, Pupil, School, StaffMember
from domain.directory.commands import (
    RecordPupilLeft,
    RecordStaffLeft,
    RegisterPupil,
)
from domain.directory.rules import (
    age_in_years,
    is_pupil_age,
    is_relationship,
    is_year_group,
    person_target,
    school_target,
)
from domain.shared.actor import NoActingPrincipal, acting_as
from domain.shared.errors import NotAuthorised, NotFound, ValidationFailed, VersionConflict
from domain.shared.policy import Role, Target
from domain.shared.sealing import ERASED
from tests import builders as make
from tests.domain.conftest import OPERATOR, as_user

DOB = date(2014, 5, 17)


@pytest.fixture
def data_lead(app: CaseworkApplication, trust_id: UUID, school_id: UUID) -> str:
    with acting_as(OPERATOR):
        make.grant(app, "data.lead@oak", Role.DATA_LEAD, trust_id, school_id)
    return "data.lead@oak"


def register_pupil(app: CaseworkApplication, school_id: UUID, user: str, **overrides) -> UUID:
    fields = {"full_name": "Amira Khan", "date_of_birth": DOB, "year_group": 6} | overrides
    with as_user(app, user):
        pupil_id, _ = app.register_pupil(RegisterPupil(school_id=school_id, **fields))
    return pupil_id


def test_registering_a_pupil_records_sealed_personal_data(app, school_id, data_lead):
    pupil_id = register_pupil(app, school_id, data_lead)

    pupil = app.repository.get(pupil_id)
    assert isinstance(pupil, Pupil)
    assert app.keyring.open(pupil.full_name) == "Amira Khan"
    assert app.keyring.open(pupil.date_of_birth) == DOB.isoformat()
    assert b"Amira" not in pupil.full_name.token


def test_every_event_records_the_actor_and_the_school(app, school_id, data_lead):
    pupil_id = register_pupil(app, school_id, data_lead)

    (registered,) = app.events.get(pupil_id)
    assert registered.actor == data_lead
    assert registered.school_id == school_id


def test_a_command_with_nobody_acting_is_refused(app, school_id):
    with pytest.raises(NoActingPrincipal):
        make.pupil(app, school_id, "Amira Khan", DOB, year_group=6)


def test_a_pupil_cannot_be_registered_with_a_future_date_of_birth(app, school_id, data_lead):
    with pytest.raises(ValidationFailed) as error:
        register_pupil(app, school_id, data_lead, date_of_birth=date.today() + timedelta(days=1))
    assert error.value.field == "dateOfBirth"


def test_a_blank_name_is_refused_naming_the_field(app, school_id, data_lead):
    with pytest.raises(ValidationFailed) as error:
        register_pupil(app, school_id, data_lead, full_name="   ")
    assert error.value.field == "fullName"


def test_a_year_group_out_of_range_is_refused(app, school_id, data_lead):
    with pytest.raises(ValidationFailed) as error:
        register_pupil(app, school_id, data_lead, year_group=14)
    assert error.value.field == "yearGroup"


def test_a_rejected_command_appends_no_event(app, school_id, data_lead):
    before = app.recorder.max_notification_id()
    with pytest.raises(ValidationFailed):
        register_pupil(app, school_id, data_lead, full_name="")
    assert app.recorder.max_notification_id() == before


def test_registering_a_pupil_in_an_unknown_school_is_not_found(app, data_lead):
    with pytest.raises(NotFound):
        register_pupil(app, uuid4(), data_lead)


def test_a_role_in_another_school_does_not_reach_this_one(app, trust_id, school_id):
    with acting_as(OPERATOR):
        make.school_with(app, trust_id, "lead@secondary", Role.DATA_LEAD, "Oak Secondary", "654321")
    with pytest.raises(NotAuthorised):
        register_pupil(app, school_id, "lead@secondary")


def test_a_school_of_another_trust_answers_exactly_as_an_unknown_school(app, school_id):
    with acting_as(OPERATOR):
        elm = make.trust(app, "Elm Trust")
        make.school_with(app, elm, "lead@elm", Role.DATA_LEAD, "Elm", "765432")
    unknown = uuid4()
    answers = []
    for school in (school_id, unknown):
        with pytest.raises(NotFound) as caught:
            register_pupil(app, school, "lead@elm")
        answers.append((caught.value.code, caught.value.message.replace(str(school), "ID")))
    assert answers[0] == answers[1]


def test_a_staff_reporter_cannot_register_pupils(app, trust_id, school_id):
    with acting_as(OPERATOR):
        make.grant(app, "teacher@oak", Role.STAFF_REPORTER, trust_id, school_id)
    with pytest.raises(NotAuthorised):
        register_pupil(app, school_id, "teacher@oak")


def test_a_duplicate_urn_is_refused(app, trust_id, school_id):
    with acting_as(OPERATOR), pytest.raises(ValidationFailed) as error:
        make.school(app, trust_id, "Another", "123456")
    assert error.value.field == "urn"


def test_registering_a_school_needs_a_trust_role(app, trust_id, school_id, data_lead):
    with as_user(app, data_lead), pytest.raises(NotAuthorised):
        make.school(app, trust_id, "Elm Primary", "222222")


def test_a_trust_safeguarding_lead_registers_schools_in_their_trust(app, trust_id):
    with acting_as(OPERATOR):
        make.grant(app, "tsl@oak", Role.TRUST_SAFEGUARDING_LEAD, trust_id)
    with as_user(app, "tsl@oak"):
        school_id = make.school(app, trust_id, "Elm Primary", "222222")
    school = app.repository.get(school_id)
    assert isinstance(school, School)
    assert school.trust_id == trust_id


def test_staff_member_with_a_login_becomes_subject_of_their_record(app, trust_id, school_id):
    with acting_as(OPERATOR):
        make.grant(app, "head@oak", Role.HEADTEACHER, trust_id, school_id)
    with as_user(app, "head@oak"):
        staff_id = make.staff(app, school_id, "Sam Jones", "teacher", "sam@oak")
    assert staff_id in app.principal_for("sam@oak").subject_of


def test_an_unknown_staff_role_is_refused(app, trust_id, school_id):
    with acting_as(OPERATOR):
        make.grant(app, "head@oak", Role.HEADTEACHER, trust_id, school_id)
    with as_user(app, "head@oak"), pytest.raises(ValidationFailed) as error:
        make.staff(app, school_id, "Sam Jones", "janitor")
    assert error.value.field == "role"


def test_nobody_acts_on_a_record_of_which_they_are_the_subject(app, trust_id, school_id):
    with acting_as(OPERATOR):
        make.grant(app, "head@oak", Role.HEADTEACHER, trust_id, school_id)
    with as_user(app, "head@oak"):
        staff_id = make.staff(app, school_id, "Pat Head", "headteacher", "head@oak")
    with as_user(app, "head@oak"), pytest.raises(NotAuthorised):
        app.record_staff_left(RecordStaffLeft(staff_member_id=staff_id, left_on=date.today()))


def test_a_staff_member_leaving_is_an_event(app, trust_id, school_id):
    with acting_as(OPERATOR):
        make.grant(app, "head@oak", Role.HEADTEACHER, trust_id, school_id)
    with as_user(app, "head@oak"):
        staff_id = make.staff(app, school_id, "Sam Jones", "supply")
        app.record_staff_left(
            RecordStaffLeft(staff_member_id=staff_id, left_on=date.today(), reason="contract ended")
        )
    staff = app.repository.get(staff_id)
    assert isinstance(staff, StaffMember)
    assert staff.has_left
    assert isinstance(list(app.events.get(staff_id))[-1], StaffMember.Left)


def test_a_pupil_cannot_leave_twice(app, school_id, data_lead):
    pupil_id = register_pupil(app, school_id, data_lead)
    with as_user(app, data_lead):
        app.record_pupil_left(RecordPupilLeft(pupil_id=pupil_id, left_on=date.today()))
        with pytest.raises(ValidationFailed):
            app.record_pupil_left(RecordPupilLeft(pupil_id=pupil_id, left_on=date.today()))


def test_a_stale_expected_version_is_a_conflict(app, school_id, data_lead):
    pupil_id = register_pupil(app, school_id, data_lead)
    with as_user(app, data_lead), pytest.raises(VersionConflict):
        app.record_pupil_left(
            RecordPupilLeft(pupil_id=pupil_id, left_on=date.today(), expected_version=7)
        )


def test_linking_a_new_parent_with_parental_responsibility(app, school_id, data_lead):
    pupil_id = register_pupil(app, school_id, data_lead)
    with as_user(app, data_lead):
        parent_id = make.parent(app, pupil_id, "Leila Khan", "mother")
    parent = app.repository.get(parent_id)
    assert isinstance(parent, ParentCarer)
    assert parent.has_parental_responsibility_for(pupil_id)


def test_linking_needs_a_parent_or_a_name(app, school_id, data_lead):
    pupil_id = register_pupil(app, school_id, data_lead)
    with as_user(app, data_lead), pytest.raises(ValidationFailed) as error:
        make.parent(app, pupil_id, relationship="mother")
    assert error.value.field == "fullName"


def test_a_destroyed_data_key_reads_as_erased(app, school_id, data_lead):
    pupil_id = register_pupil(app, school_id, data_lead)
    app.keyring.destroy(pupil_id)

    pupil = app.repository.get(pupil_id)
    assert app.keyring.open(pupil.full_name) is ERASED


def test_nothing_new_is_recorded_about_an_erased_pupil(app, school_id, data_lead):
    from domain.shared.sealing import SubjectErased

    pupil_id = register_pupil(app, school_id, data_lead)
    app.keyring.destroy(pupil_id)
    with as_user(app, data_lead), pytest.raises(SubjectErased):
        app.record_pupil_left(
            RecordPupilLeft(pupil_id=pupil_id, left_on=date.today(), destination="Elm Academy")
        )


# --- the directory's rules, as pure functions ---------------------------------------------------

TODAY = date(2026, 9, 1)


def test_year_groups_run_from_nursery_one_to_year_thirteen():
    assert [g for g in range(-5, 20) if is_year_group(g)] == list(range(-2, 14))


def test_a_relationship_must_be_one_the_directory_knows():
    assert is_relationship("foster carer")
    assert not is_relationship("neighbour")


def test_an_age_counts_a_year_as_three_hundred_and_sixty_five_and_a_quarter_days():
    assert age_in_years(date(2016, 9, 1), TODAY) == pytest.approx(10, abs=0.01)


def test_a_pupil_may_be_from_one_to_twenty_six_years_old():
    assert is_pupil_age(date(2025, 8, 31), TODAY)
    assert is_pupil_age(date(2000, 9, 2), TODAY)


def test_a_date_of_birth_giving_under_a_year_is_not_a_pupils():
    assert not is_pupil_age(date(2026, 1, 1), TODAY)


def test_a_date_of_birth_giving_over_twenty_six_years_is_not_a_pupils():
    assert not is_pupil_age(date(1999, 1, 1), TODAY)


def test_a_school_is_decided_on_by_its_tenancy_alone():
    trust, school = uuid4(), uuid4()
    assert school_target(trust, school) == Target(trust, school)


def test_a_person_record_is_about_its_person():
    trust, school, person = uuid4(), uuid4(), uuid4()
    assert person_target(trust, school, person) == Target(trust, school, frozenset({person}))

"""Role grants are events; the policy decides every action."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.access.aggregates import UserAccess, access_id_for
from domain.access.commands import RevokeRole
from domain.access.rules import roles_in_order
from domain.shared.actor import acting_as
from domain.shared.errors import NotAuthorised, ValidationFailed
from domain.shared.policy import (
    Action,
    Grant,
    Principal,
    Role,
    Target,
    authorise,
    authorise_case,
    case_reach,
    reach,
    schools_in_trust,
)
from tests import builders as make
from tests.domain.conftest import OPERATOR, as_user

TRUST, OTHER_TRUST, SCHOOL, OTHER_SCHOOL = uuid4(), uuid4(), uuid4(), uuid4()


def test_a_school_grant_reaches_its_own_school_only():
    dsl = Principal("dsl", frozenset({Grant(Role.DSL, TRUST, SCHOOL)}))
    authorise(dsl, Action.VIEW_PUPIL, Target(TRUST, SCHOOL))
    with pytest.raises(NotAuthorised):
        authorise(dsl, Action.VIEW_PUPIL, Target(TRUST, OTHER_SCHOOL))


def test_a_trust_grant_reaches_every_school_of_its_trust_and_no_other_trust():
    lead = Principal("tsl", frozenset({Grant(Role.TRUST_SAFEGUARDING_LEAD, TRUST)}))
    authorise(lead, Action.VIEW_PUPIL, Target(TRUST, OTHER_SCHOOL))
    with pytest.raises(NotAuthorised):
        authorise(lead, Action.VIEW_PUPIL, Target(OTHER_TRUST, uuid4()))


def test_nobody_sees_a_record_of_which_they_are_the_subject_whatever_their_role():
    me = uuid4()
    head = Principal("head", frozenset({Grant(Role.HEADTEACHER, TRUST, SCHOOL)}), frozenset({me}))
    with pytest.raises(NotAuthorised):
        authorise(head, Action.VIEW_STAFF, Target(TRUST, SCHOOL, frozenset({me})))


def test_not_even_the_operator_reaches_a_record_about_themselves():
    me = uuid4()
    operator = Principal("operator:x", subject_of=frozenset({me}), is_operator=True)
    with pytest.raises(NotAuthorised):
        authorise(operator, Action.VIEW_STAFF, Target(TRUST, SCHOOL, frozenset({me})))


def test_a_staff_reporter_sees_no_pupil_records():
    reporter = Principal("r", frozenset({Grant(Role.STAFF_REPORTER, TRUST, SCHOOL)}))
    with pytest.raises(NotAuthorised):
        authorise(reporter, Action.VIEW_PUPIL, Target(TRUST, SCHOOL))


def test_reach_lists_trusts_and_schools_separately():
    p = Principal("p", frozenset({Grant(Role.DPO, TRUST), Grant(Role.DSL, TRUST, SCHOOL)}))
    r = reach(p, Action.VIEW_PUPIL)
    assert r.trust_ids == {TRUST}
    assert r.school_ids == {SCHOOL}


def test_granting_a_role_records_an_event(app, trust_id, school_id):
    with acting_as(OPERATOR):
        make.grant(app, "dsl@oak", Role.DSL, trust_id, school_id)
    event = list(app.events.get(access_id_for("dsl@oak")))[-1]
    assert isinstance(event, UserAccess.RoleGranted)
    assert (event.role, event.school_id, event.actor) == ("dsl", school_id, OPERATOR.user_id)


def test_revoking_a_role_removes_it_from_the_principal(app, trust_id, school_id):
    with acting_as(OPERATOR):
        make.grant(app, "dsl@oak", Role.DSL, trust_id, school_id)
        app.revoke_role(
            RevokeRole(user_id="dsl@oak", role=Role.DSL, trust_id=trust_id, school_id=school_id)
        )
    assert app.principal_for("dsl@oak").grants == frozenset()


def test_who_held_access_when_is_on_the_record(app, trust_id, school_id):
    with acting_as(OPERATOR):
        make.grant(app, "dsl@oak", Role.DSL, trust_id, school_id)
        app.revoke_role(
            RevokeRole(user_id="dsl@oak", role=Role.DSL, trust_id=trust_id, school_id=school_id)
        )
    then = app.repository.get(access_id_for("dsl@oak"), version=2)
    assert Grant(Role.DSL, trust_id, school_id) in then.grants


def test_a_trust_only_role_cannot_be_granted_in_a_school(app, trust_id, school_id):
    with acting_as(OPERATOR), pytest.raises(ValidationFailed) as error:
        make.grant(app, "x", Role.TRUST_SAFEGUARDING_LEAD, trust_id, school_id)
    assert error.value.field == "schoolId"


def test_an_unknown_role_is_refused(app, trust_id, school_id):
    with acting_as(OPERATOR), pytest.raises(ValidationFailed) as error:
        make.grant(app, "x", "superuser", trust_id, school_id)
    assert error.value.field == "role"


def test_granting_a_role_twice_is_refused(app, trust_id, school_id):
    with acting_as(OPERATOR):
        make.grant(app, "dsl@oak", Role.DSL, trust_id, school_id)
        with pytest.raises(ValidationFailed):
            make.grant(app, "dsl@oak", Role.DSL, trust_id, school_id)


def test_nobody_grants_themselves_a_role(app, trust_id, school_id):
    with acting_as(OPERATOR):
        make.grant(app, "head@oak", Role.HEADTEACHER, trust_id, school_id)
    with as_user(app, "head@oak"), pytest.raises(NotAuthorised):
        make.grant(app, "head@oak", Role.DSL, trust_id, school_id)


def test_a_headteacher_grants_school_roles_but_not_trust_roles(app, trust_id, school_id):
    with acting_as(OPERATOR):
        make.grant(app, "head@oak", Role.HEADTEACHER, trust_id, school_id)
    with as_user(app, "head@oak"):
        make.grant(app, "dsl@oak", Role.DSL, trust_id, school_id)
        with pytest.raises(NotAuthorised):
            make.grant(app, "dpo@oak", Role.DPO, trust_id)


# --- the subject of a record cannot appoint its reader (issue 14 §3) ------------------------


def _appointed_by_subject(role: Role, me: frozenset) -> Principal:
    return Principal(
        "appointee", frozenset({Grant(role, TRUST, SCHOOL, "head", granter_subjects=me)})
    )


def test_a_grant_never_reaches_a_record_whose_subject_made_it():
    head_record = frozenset({uuid4()})
    appointee = _appointed_by_subject(Role.HEADTEACHER, head_record)
    with pytest.raises(NotAuthorised):
        authorise(appointee, Action.HANDLE_LOW_LEVEL_CONCERN, Target(TRUST, SCHOOL, head_record))


def test_a_grant_made_by_the_subject_still_reaches_everyone_else_s_records():
    appointee = _appointed_by_subject(Role.HEADTEACHER, frozenset({uuid4()}))
    authorise(
        appointee, Action.HANDLE_LOW_LEVEL_CONCERN, Target(TRUST, SCHOOL, frozenset({uuid4()}))
    )


def test_another_grant_not_made_by_the_subject_still_reaches_their_record():
    head_record = frozenset({uuid4()})
    appointee = Principal(
        "appointee",
        frozenset(
            {
                Grant(Role.HEADTEACHER, TRUST, SCHOOL, "head", granter_subjects=head_record),
                Grant(Role.TRUST_SAFEGUARDING_LEAD, TRUST, granted_by="operator:x"),
            }
        ),
    )
    authorise(appointee, Action.HANDLE_LOW_LEVEL_CONCERN, Target(TRUST, SCHOOL, head_record))


def test_a_named_case_member_whose_only_role_came_from_the_subject_is_refused():
    head_record = frozenset({uuid4()})
    appointee = _appointed_by_subject(Role.HEADTEACHER, head_record)
    with pytest.raises(NotAuthorised):
        authorise_case(
            appointee,
            Action.HANDLE_LOW_LEVEL_CONCERN,
            Target(TRUST, SCHOOL, head_record),
            frozenset({"appointee"}),
            "head",
        )


def test_listings_through_a_grant_leave_out_its_makers_records():
    head_record = frozenset({uuid4()})
    appointee = _appointed_by_subject(Role.HEADTEACHER, head_record)
    assert reach(appointee, Action.HANDLE_LOW_LEVEL_CONCERN).excluded_subjects == head_record
    assert case_reach(appointee).excluded_subjects == head_record


def test_a_refusal_never_tells_the_subject_the_record_is_about_them():
    me = uuid4()
    head = Principal("head", frozenset({Grant(Role.HEADTEACHER, TRUST, SCHOOL)}), frozenset({me}))
    with pytest.raises(NotAuthorised) as about_me:
        authorise(head, Action.VIEW_STAFF, Target(TRUST, SCHOOL, frozenset({me})))
    with pytest.raises(NotAuthorised) as elsewhere:
        authorise(head, Action.VIEW_STAFF, Target(TRUST, OTHER_SCHOOL))
    assert about_me.value.message == elsewhere.value.message
    assert "subject" not in about_me.value.message


def test_a_grant_carries_the_records_of_which_its_granter_is_the_subject(app, trust_id, school_id):
    with acting_as(OPERATOR):
        make.grant(app, "head@oak", Role.HEADTEACHER, trust_id, school_id)
    with as_user(app, "head@oak"):
        staff_id = make.staff(app, school_id, "Hana Head", "teacher", "head@oak")
    with as_user(app, "head@oak"):
        make.grant(app, "second@oak", Role.HEADTEACHER, trust_id, school_id)
    (grant,) = app.principal_for("second@oak").grants
    assert (grant.granted_by, grant.granter_subjects) == ("head@oak", frozenset({staff_id}))


def test_a_grant_made_through_the_subjects_appointee_carries_the_subjects_records(
    app, trust_id, school_id
):
    with acting_as(OPERATOR):
        make.grant(app, "head@oak", Role.HEADTEACHER, trust_id, school_id)
    with as_user(app, "head@oak"):
        staff_id = make.staff(app, school_id, "Hana Head", "teacher", "head@oak")
        make.grant(app, "second@oak", Role.HEADTEACHER, trust_id, school_id)
    with as_user(app, "second@oak"):
        make.grant(app, "third@oak", Role.HEADTEACHER, trust_id, school_id)
    (grant,) = app.principal_for("third@oak").grants
    assert (grant.granted_by, grant.granter_subjects) == ("second@oak", frozenset({staff_id}))


def test_grants_made_in_a_circle_still_end(app, trust_id, school_id):
    with acting_as(OPERATOR):
        make.grant(app, "head@oak", Role.HEADTEACHER, trust_id, school_id)
    with as_user(app, "head@oak"):
        make.grant(app, "second@oak", Role.HEADTEACHER, trust_id, school_id)
    with as_user(app, "second@oak"):
        make.grant(app, "head@oak", Role.DSL, trust_id, school_id)
    assert {g.granted_by for g in app.principal_for("head@oak").grants} == {
        OPERATOR.user_id,
        "second@oak",
    }


# A staff case read from a view names its people by their logins' blind indexes (the view keeps
# no login in plain): the caller is then matched by theirs, with the same outcome as by login.
MEMBER_IX, SUBJECT_IX, OTHER_IX = b"ix-member", b"ix-subject", b"ix-other"


def test_a_case_member_named_by_blind_index_reads_the_case():
    member = Principal("member", frozenset({Grant(Role.STAFF_REPORTER, TRUST, SCHOOL)}))
    target = Target(TRUST, SCHOOL, frozenset({uuid4()}))
    authorise_case(
        member, Action.OVERSEE_ALLEGATIONS, target, {MEMBER_IX}, SUBJECT_IX, caller=MEMBER_IX
    )
    with pytest.raises(NotAuthorised):
        authorise_case(
            member, Action.OVERSEE_ALLEGATIONS, target, {MEMBER_IX}, SUBJECT_IX, caller=OTHER_IX
        )


def test_the_subject_named_by_blind_index_never_reads_their_case_even_as_trust_lead():
    lead = Principal("lead", frozenset({Grant(Role.TRUST_SAFEGUARDING_LEAD, TRUST)}))
    target = Target(TRUST, SCHOOL, frozenset({uuid4()}))
    with pytest.raises(NotAuthorised):
        authorise_case(
            lead, Action.OVERSEE_ALLEGATIONS, target, {SUBJECT_IX}, SUBJECT_IX, caller=SUBJECT_IX
        )


# --- which schools of a trust a reader reaches ---------------------------------------------------


def test_a_trust_role_reaches_the_whole_trust():
    lead = Principal("lead", frozenset({Grant(Role.TRUST_SAFEGUARDING_LEAD, TRUST)}))
    assert schools_in_trust(lead, Action.VIEW_INCIDENT_OVERVIEW, TRUST) is None


def test_school_roles_reach_their_schools_of_the_trust():
    head = Principal("head", frozenset({Grant(Role.HEADTEACHER, TRUST, SCHOOL)}))
    assert schools_in_trust(head, Action.VIEW_INCIDENT_OVERVIEW, TRUST) == [SCHOOL]


def test_school_roles_in_another_trust_reach_none_of_this_one():
    head = Principal("head", frozenset({Grant(Role.HEADTEACHER, OTHER_TRUST, OTHER_SCHOOL)}))
    with pytest.raises(NotAuthorised):
        schools_in_trust(head, Action.VIEW_INCIDENT_OVERVIEW, TRUST)


def test_a_role_not_permitted_the_action_reaches_no_school():
    reporter = Principal("r", frozenset({Grant(Role.STAFF_REPORTER, TRUST, SCHOOL)}))
    with pytest.raises(NotAuthorised):
        schools_in_trust(reporter, Action.VIEW_INCIDENT_OVERVIEW, TRUST)


# --- the order roles are shown in ------------------------------------------------------------


def test_roles_are_shown_by_trust_then_school_then_role():
    first, second = sorted([uuid4(), uuid4()], key=str)
    grants = [
        Grant(Role.HEADTEACHER, second, SCHOOL),
        Grant(Role.DSL, first, SCHOOL),
        Grant(Role.DATA_LEAD, first, SCHOOL),
    ]
    assert roles_in_order(grants) == [grants[2], grants[1], grants[0]]

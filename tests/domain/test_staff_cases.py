"""Allegations against staff, low-level concerns and staff social media (KCSIE Part four):
given events, when a command, then events or a named error."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain.access.commands import RevokeRole
from domain.directory.aggregates import School, StaffMember
from domain.shared.actor import acting_as
from domain.shared.calendar import LONDON
from domain.shared.errors import NotAuthorised, NotFound, ValidationFailed
from domain.shared.policy import Role
from domain.shared.sealing import Sealed
from domain.staff_cases.allegations import Allegation
from domain.staff_cases.commands import (
    AddToCaseTeam,
    AssignCaseManager,
    CloseAllegation,
    CloseLowLevelConcern,
    ConfigureStaffCases,
    DeclareSocialMediaRelationship,
    EscalateLowLevelConcerns,
    RaiseLowLevelConcern,
    ReceiveAllegation,
    RecordAllegationAction,
    RecordAllegationOutcome,
    RecordDeclarationAdvice,
    RecordLadoConsultation,
    RecordOnlinePresenceCheck,
    RecordPensionAge,
    RecordReferenceDeclaration,
    RecordRetentionConsent,
    ReportContactAttempt,
    ReviewLowLevelConcern,
    UpdateSocialMediaDeclaration,
)
from domain.staff_cases.concerns import LowLevelConcern
from domain.staff_cases.errors import (
    BelowHarmThreshold,
    CaseClosed,
    NoCaseManager,
    OutcomeRequired,
    ReferenceNotPermitted,
    SubjectCannotBeOnCase,
)
from domain.staff_cases.model import HarmTests
from domain.staff_cases.social_media import ContactAttempt, PresenceCheck, SocialMediaDeclaration
from tests import builders as make
from tests.domain.conftest import (
    OPERATOR,
    appends_nothing,
    as_user,
    events,
    last_event,
    oak_staff,
    refused_as,
)

NOW = datetime.now(UTC).replace(microsecond=0)
RECEIVED = NOW - timedelta(days=2)
MET = HarmTests(harmed_child=True, possible_offence=False, risk_of_harm=False, unsuitable=False)
NONE_MET = HarmTests(
    harmed_child=False, possible_offence=False, risk_of_harm=False, unsuitable=False
)
NOT_SUBSTANTIATED = ["unsubstantiated", "malicious", "false", "unfounded"]
ALL_OUTCOMES = ["substantiated", *NOT_SUBSTANTIATED]


@pytest.fixture
def people(app, trust_id, school_id):
    staff = oak_staff(app, trust_id, school_id, [("dsl@oak", Role.DSL), ("deputy@oak", Role.DSL)])
    with acting_as(OPERATOR):
        make.grant(app, "tsl@oak", Role.TRUST_SAFEGUARDING_LEAD, trust_id)
        make.grant(app, "chair@oak", Role.CHAIR_OF_GOVERNORS, trust_id)
    with as_user(app, "head@oak"):
        dsl = make.staff(app, school_id, "Sam Doyle", "teacher", "dsl@oak")
        pupil = make.pupil(app, school_id, "Mia Patel", date(2013, 4, 1), year_group=7)
    return staff | {"dsl": dsl, "pupil": pupil}


def name_headteacher_case_manager(
    app, trust_id, user="chair@oak", by="tsl@oak", **overrides
) -> None:
    fields = {
        "headteacher_case_manager": user,
        "headteacher_case_manager_title": "Chair of governors",
    } | overrides
    with as_user(app, by):
        app.configure_staff_cases(ConfigureStaffCases(trust_id=trust_id, **fields))


def lado_days(trust_id, days: int) -> ConfigureStaffCases:
    """A trust's setting of the working days allowed for the LADO, naming no case manager."""
    return ConfigureStaffCases(trust_id, None, None, lado_working_days=days)


def receive(app, staff_id, user="dsl@oak", **overrides):
    fields = {
        "received_at": RECEIVED,
        "source": "pupil",
        "received_via": "in_person",
        "description": "Grabbed a pupil by the arm in the corridor",
        "harm_tests": MET,
    } | overrides
    with as_user(app, user):
        return app.receive_allegation(ReceiveAllegation(staff_member_id=staff_id, **fields))


def allege(app, staff_id, user="dsl@oak", **overrides) -> UUID:
    return receive(app, staff_id, user, **overrides).record_id


def assign(app, allegation_id: UUID, user_id: str, reason: str) -> None:
    app.assign_case_manager(AssignCaseManager(allegation_id, user_id, reason))


def add_to_team(app, allegation_id: UUID, user_id: str, responsibility: str) -> None:
    app.add_to_case_team(AddToCaseTeam(allegation_id, user_id, responsibility))


def consult_lado(app, allegation_id, user="dsl@oak") -> None:
    with as_user(app, user):
        app.record_lado_consultation(
            RecordLadoConsultation(
                allegation_id=allegation_id,
                consulted_at=NOW,
                lado_name="Pat LADO",
                advice="Investigate internally",
                agreed_action="Head to investigate",
            )
        )


def decide(app, allegation_id, outcome, user="head@oak", **more) -> None:
    fields = {"decided_at": NOW, "summary": "Summary", "rationale": "Rationale"} | more
    with as_user(app, user):
        app.record_allegation_outcome(
            RecordAllegationOutcome(allegation_id=allegation_id, outcome=outcome, **fields)
        )


def raise_concern(app, staff_id, user="lee@oak", **overrides) -> UUID:
    fields = {"details": "Keeps a pupil behind alone after lessons"} | overrides
    with as_user(app, user):
        concern_id, _ = app.raise_low_level_concern(
            RaiseLowLevelConcern(staff_member_id=staff_id, **fields)
        )
    return concern_id


def review(app, concern_id, user="head@oak") -> None:
    with as_user(app, user):
        app.review_low_level_concern(
            ReviewLowLevelConcern(
                concern_id=concern_id,
                action_taken="Spoke to them",
                rationale="Reminded of the code",
            )
        )


# --- who manages an allegation -----------------------------------------------------------


def test_granting_the_headteacher_role_appoints_the_schools_headteacher(app, school_id, people):
    school = app.repository.get(school_id)
    assert school.headteachers == ["head@oak"]
    appointed = [e for e in events(app, school_id) if isinstance(e, School.HeadteacherAppointed)]
    assert [e.user_id for e in appointed] == ["head@oak"]


def test_revoking_the_headteacher_role_stands_the_headteacher_down(
    app, trust_id, school_id, people
):
    with acting_as(OPERATOR):
        app.revoke_role(
            RevokeRole(
                user_id="head@oak", role=Role.HEADTEACHER, trust_id=trust_id, school_id=school_id
            )
        )
    assert isinstance(last_event(app, school_id), School.HeadteacherStoodDown)
    assert app.repository.get(school_id).headteachers == []


def test_an_allegation_about_a_teacher_is_managed_by_the_headteacher(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    received = events(app, allegation_id)[0]
    assert isinstance(received, Allegation.Received)
    assert (received.case_manager, received.case_manager_basis) == ("head@oak", "headteacher")


def test_the_receiver_joins_the_case_team(app, school_id, people):
    allegation_id = allege(app, people["dana"], user="dsl@oak")
    assert events(app, allegation_id)[0].case_team == ["dsl@oak"]
    assert app.repository.get(allegation_id).members == {"head@oak", "dsl@oak"}


def test_a_headteacher_receiving_it_is_not_also_on_the_team(app, school_id, people):
    allegation_id = allege(app, people["dana"], user="head@oak")
    assert events(app, allegation_id)[0].case_team == []


def test_the_allegation_records_its_subject(app, school_id, people):
    received = events(app, allege(app, people["dana"]))[0]
    assert (received.subject_id, received.subject_user_id) == (people["dana"], "dana@oak")
    assert received.actor == "dsl@oak"


def test_the_description_is_sealed_with_the_allegations_own_key(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    description = events(app, allegation_id)[0].description
    assert description.subject_id == allegation_id
    assert app.keyring.open(description) == "Grabbed a pupil by the arm in the corridor"


def test_an_allegation_about_the_headteacher_goes_to_the_trusts_named_person(
    app, trust_id, school_id, people
):
    name_headteacher_case_manager(app, trust_id)
    received = events(app, allege(app, people["head"]))[0]
    assert (received.case_manager, received.case_manager_basis) == (
        "chair@oak",
        "trust_named_person",
    )


def test_a_headteacher_recognised_by_their_grant_goes_to_the_named_person(
    app, trust_id, school_id, people
):
    name_headteacher_case_manager(app, trust_id)
    with as_user(app, "head@oak"):
        other = make.staff(app, school_id, "Co Head", "teacher", "cohead@oak")
    with acting_as(OPERATOR):
        make.grant(app, "cohead@oak", Role.HEADTEACHER, trust_id, school_id)
    received = events(app, allege(app, other))[0]
    assert received.case_manager == "chair@oak"


def test_about_the_headteacher_with_no_named_person_there_is_no_case_manager(
    app, school_id, people
):
    with appends_nothing(app), pytest.raises(NoCaseManager) as error:
        receive(app, people["head"])
    assert error.value.code == "NO_CASE_MANAGER"
    assert error.value.field == "staffMemberId"


def test_a_school_without_a_headteacher_has_no_case_manager(app, trust_id, school_id, people):
    with acting_as(OPERATOR):
        elm = make.school_with(app, trust_id, "dsl@elm", Role.DSL, "Elm Primary", "222222")
        make.grant(app, "data@elm", Role.DATA_LEAD, trust_id, elm)
    with as_user(app, "data@elm"):
        teacher = make.staff(app, elm, "Ola Elm", "teacher", "ola@elm")
    with appends_nothing(app), pytest.raises(NoCaseManager):
        receive(app, teacher, user="dsl@elm")


def test_a_stood_down_headteacher_no_longer_manages_allegations(app, trust_id, school_id, people):
    with acting_as(OPERATOR):
        app.revoke_role(
            RevokeRole(
                user_id="head@oak", role=Role.HEADTEACHER, trust_id=trust_id, school_id=school_id
            )
        )
    with appends_nothing(app), pytest.raises(NoCaseManager):
        receive(app, people["dana"])


def test_the_subject_cannot_be_assigned_as_case_manager(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    with refused_as(app, "head@oak", SubjectCannotBeOnCase) as error:
        assign(app, allegation_id, "dana@oak", "She knows the pupil best")
    assert error.value.code == "SUBJECT_EXCLUDED"
    assert error.value.field == "userId"


def test_reassigning_the_case_manager_needs_a_reason(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    with refused_as(app, "head@oak", ValidationFailed) as error:
        assign(app, allegation_id, "deputy@oak", "  ")
    assert error.value.field == "reason"


def test_reassigning_the_case_manager_is_recorded_with_the_reason(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    with as_user(app, "head@oak"):
        assign(app, allegation_id, "deputy@oak", "Head is a witness")
    event = last_event(app, allegation_id)
    assert isinstance(event, Allegation.CaseManagerAssigned)
    assert event.user_id == "deputy@oak"
    assert app.keyring.open(event.reason) == "Head is a witness"
    assert app.repository.get(allegation_id).case_manager == "deputy@oak"


def test_a_user_with_no_role_at_the_school_cannot_be_case_manager(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    with refused_as(app, "head@oak", ValidationFailed) as error:
        assign(app, allegation_id, "stranger@elsewhere", "Independent")
    assert error.value.field == "userId"


def test_only_the_case_manager_reassigns_the_case(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    with refused_as(app, "dsl@oak", NotAuthorised):
        assign(app, allegation_id, "deputy@oak", "I would rather")


# --- the harm threshold ------------------------------------------------------------------


def test_below_the_harm_threshold_is_not_an_allegation(app, school_id, people):
    with appends_nothing(app), pytest.raises(BelowHarmThreshold) as error:
        receive(app, people["dana"], harm_tests=NONE_MET)
    assert error.value.code == "HARM_THRESHOLD_NOT_MET"
    assert error.value.field == "harmTests"


def test_below_the_threshold_it_may_be_recorded_as_a_low_level_concern(app, school_id, people):
    result = receive(app, people["dana"], harm_tests=NONE_MET, record_as_low_level_concern=True)
    assert result.as_low_level_concern is True
    assert isinstance(app.repository.get(result.record_id), LowLevelConcern)


def test_a_screened_concern_keeps_the_screening_answers(app, school_id, people):
    result = receive(app, people["dana"], harm_tests=NONE_MET, record_as_low_level_concern=True)
    raised = events(app, result.record_id)[0]
    assert isinstance(raised, LowLevelConcern.Raised)
    assert raised.screening is not None
    assert raised.screening | {"received_at": None} == {
        "harmed_child": False,
        "possible_offence": False,
        "risk_of_harm": False,
        "unsuitable": False,
        "outside_work": False,
        "source": "pupil",
        "received_via": "in_person",
        "received_at": None,
    }
    assert datetime.fromisoformat(raised.screening["received_at"]) == RECEIVED


def test_a_screened_concern_goes_to_the_headteacher(app, school_id, people):
    result = receive(app, people["dana"], harm_tests=NONE_MET, record_as_low_level_concern=True)
    raised = events(app, result.record_id)[0]
    assert (raised.recipient, raised.recipient_basis) == ("head@oak", "headteacher")


def test_any_one_harm_test_makes_it_an_allegation(app, school_id, people):
    only_unsuitable = HarmTests(False, False, False, True)
    result = receive(app, people["dana"], harm_tests=only_unsuitable)
    assert result.as_low_level_concern is False
    assert events(app, result.record_id)[0].harm_tests["unsuitable"] is True


# --- the LADO deadline -------------------------------------------------------------------


def test_the_lado_is_due_one_working_day_after_receipt(app, school_id, people):
    allegation_id = allege(
        app, people["dana"], received_at=datetime(2025, 12, 19, 16, 0, tzinfo=LONDON)
    )
    assert events(app, allegation_id)[0].lado_due_on == date(2025, 12, 22)


def test_the_lado_deadline_counts_the_london_day_of_receipt(app, school_id, people):
    received = datetime(2026, 10, 23, 0, 30, tzinfo=LONDON)  # Thursday 23:30 UTC
    allegation_id = allege(app, people["dana"], received_at=received)
    assert events(app, allegation_id)[0].lado_due_on == date(2026, 10, 26)


def test_the_lado_deadline_skips_bank_holidays(app, school_id, people):
    allegation_id = allege(
        app, people["dana"], received_at=datetime(2026, 4, 2, 10, 0, tzinfo=LONDON)
    )
    assert events(app, allegation_id)[0].lado_due_on == date(2026, 4, 7)


def test_a_trust_may_allow_more_working_days_for_the_lado(app, trust_id, school_id, people):
    with as_user(app, "tsl@oak"):
        app.configure_staff_cases(lado_days(trust_id, 3))
    allegation_id = allege(
        app, people["dana"], received_at=datetime(2025, 12, 19, 16, 0, tzinfo=LONDON)
    )
    assert events(app, allegation_id)[0].lado_due_on == date(2025, 12, 24)


def test_more_than_ten_working_days_for_the_lado_is_refused(app, trust_id, people):
    with refused_as(app, "tsl@oak", ValidationFailed) as error:
        app.configure_staff_cases(lado_days(trust_id, 11))
    assert error.value.field == "ladoWorkingDays"


# --- staff case settings ------------------------------------------------------------------


def test_the_named_person_and_title_are_trust_settings(app, trust_id, people):
    name_headteacher_case_manager(app, trust_id)
    settings = app.repository.get(trust_id).staff_case_settings
    assert settings.headteacher_case_manager == "chair@oak"
    assert settings.headteacher_case_manager_title == "Chair of governors"


def test_the_named_person_must_hold_a_role_in_the_trust(app, trust_id, people):
    with appends_nothing(app), pytest.raises(ValidationFailed) as error:
        name_headteacher_case_manager(app, trust_id, user="stranger@elsewhere")
    assert error.value.field == "headteacherCaseManager"


def test_the_named_person_needs_a_title(app, trust_id, people):
    with appends_nothing(app), pytest.raises(ValidationFailed) as error:
        name_headteacher_case_manager(app, trust_id, headteacher_case_manager_title=None)
    assert error.value.field == "headteacherCaseManagerTitle"


def test_only_the_trust_safeguarding_lead_configures_staff_cases(app, trust_id, people):
    with appends_nothing(app), pytest.raises(NotAuthorised):
        name_headteacher_case_manager(app, trust_id, by="head@oak")


# --- outcomes ----------------------------------------------------------------------------


def test_an_outcome_outside_the_five_is_refused(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    with appends_nothing(app), pytest.raises(ValidationFailed) as error:
        decide(app, allegation_id, "inconclusive")
    assert error.value.field == "outcome"


@pytest.mark.parametrize("outcome", ALL_OUTCOMES)
def test_each_of_the_five_outcomes_is_recorded(app, school_id, people, outcome):
    allegation_id = allege(app, people["dana"])
    decide(app, allegation_id, outcome)
    event = last_event(app, allegation_id)
    assert isinstance(event, Allegation.OutcomeRecorded)
    assert event.outcome == outcome


def test_a_second_outcome_is_refused(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    decide(app, allegation_id, "unfounded")
    with appends_nothing(app), pytest.raises(ValidationFailed) as error:
        decide(app, allegation_id, "substantiated")
    assert error.value.field == "outcome"


def test_an_outcome_before_receipt_is_refused(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    with refused_as(app, "head@oak", ValidationFailed) as error:
        decide(app, allegation_id, "unfounded", decided_at=RECEIVED - timedelta(hours=1))
    assert error.value.field == "decidedAt"


def test_only_the_case_manager_records_the_outcome(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    with appends_nothing(app), pytest.raises(NotAuthorised):
        decide(app, allegation_id, "unfounded", user="dsl@oak")


def test_closing_without_an_outcome_is_refused(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    with refused_as(app, "head@oak", OutcomeRequired) as error:
        app.close_allegation(CloseAllegation(allegation_id=allegation_id))
    assert error.value.code == "OUTCOME_REQUIRED"


def test_closing_after_the_outcome_closes_the_allegation(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    decide(app, allegation_id, "unfounded")
    with as_user(app, "head@oak"):
        app.close_allegation(CloseAllegation(allegation_id=allegation_id, note="No further action"))
    assert isinstance(last_event(app, allegation_id), Allegation.Closed)


def test_a_reference_declaration_needs_an_outcome(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    with refused_as(app, "head@oak", OutcomeRequired):
        app.record_reference_declaration(
            RecordReferenceDeclaration(
                allegation_id=allegation_id,
                will_be_referred_to=False,
                declaration="Not to be mentioned",
            )
        )


@pytest.mark.parametrize("outcome", NOT_SUBSTANTIATED)
def test_a_reference_may_not_cite_an_allegation_that_was_not_substantiated(
    app, school_id, people, outcome
):
    allegation_id = allege(app, people["dana"])
    decide(app, allegation_id, outcome)
    with refused_as(app, "head@oak", ReferenceNotPermitted) as error:
        app.record_reference_declaration(
            RecordReferenceDeclaration(
                allegation_id=allegation_id,
                will_be_referred_to=True,
                declaration="Will be mentioned",
            )
        )
    assert error.value.code == "REFERENCE_NOT_PERMITTED"
    assert error.value.field == "willBeReferredTo"


def test_a_reference_may_cite_a_substantiated_allegation(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    decide(app, allegation_id, "substantiated")
    with as_user(app, "head@oak"):
        app.record_reference_declaration(
            RecordReferenceDeclaration(
                allegation_id=allegation_id,
                will_be_referred_to=True,
                declaration="Will be mentioned",
            )
        )
    event = last_event(app, allegation_id)
    assert isinstance(event, Allegation.ReferenceDeclared)
    assert event.will_be_referred_to is True


@pytest.mark.parametrize("outcome", ALL_OUTCOMES)
def test_declaring_a_reference_will_not_mention_it_is_allowed_for_any_outcome(
    app, school_id, people, outcome
):
    allegation_id = allege(app, people["dana"])
    decide(app, allegation_id, outcome)
    with as_user(app, "head@oak"):
        app.record_reference_declaration(
            RecordReferenceDeclaration(
                allegation_id=allegation_id,
                will_be_referred_to=False,
                declaration="Not to be mentioned",
            )
        )
    assert last_event(app, allegation_id).will_be_referred_to is False


@pytest.mark.parametrize("outcome", ["malicious", "false"])
def test_retention_consent_is_recorded_for_a_malicious_or_false_allegation(
    app, school_id, people, outcome
):
    allegation_id = allege(app, people["dana"])
    decide(app, allegation_id, outcome)
    with as_user(app, "head@oak"):
        app.record_retention_consent(
            RecordRetentionConsent(allegation_id=allegation_id, consented_at=NOW, method="written")
        )
    event = last_event(app, allegation_id)
    assert isinstance(event, Allegation.RetentionConsentRecorded)
    assert event.method == "written"


@pytest.mark.parametrize("outcome", ["substantiated", "unsubstantiated", "unfounded"])
def test_retention_consent_is_refused_for_an_allegation_retained_anyway(
    app, school_id, people, outcome
):
    allegation_id = allege(app, people["dana"])
    decide(app, allegation_id, outcome)
    with refused_as(app, "head@oak", ValidationFailed) as error:
        app.record_retention_consent(
            RecordRetentionConsent(allegation_id=allegation_id, consented_at=NOW, method="written")
        )
    assert error.value.field == "allegationId"


def test_retention_consent_is_recorded_once(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    decide(app, allegation_id, "malicious")
    with as_user(app, "head@oak"):
        app.record_retention_consent(
            RecordRetentionConsent(allegation_id=allegation_id, consented_at=NOW, method="email")
        )
    with refused_as(app, "head@oak", ValidationFailed) as error:
        app.record_retention_consent(
            RecordRetentionConsent(allegation_id=allegation_id, consented_at=NOW, method="email")
        )
    assert error.value.field == "allegationId"


def test_retention_consent_needs_an_outcome(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    with refused_as(app, "head@oak", OutcomeRequired):
        app.record_retention_consent(
            RecordRetentionConsent(allegation_id=allegation_id, consented_at=NOW, method="written")
        )


def test_retention_consent_by_an_unknown_method_is_refused(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    decide(app, allegation_id, "false")
    with refused_as(app, "head@oak", ValidationFailed) as error:
        app.record_retention_consent(
            RecordRetentionConsent(allegation_id=allegation_id, consented_at=NOW, method="verbal")
        )
    assert error.value.field == "method"


# --- who may work on an allegation --------------------------------------------------------


def test_a_dsl_not_on_the_case_cannot_record_a_lado_consultation(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    with appends_nothing(app), pytest.raises(NotAuthorised):
        consult_lado(app, allegation_id, user="deputy@oak")


def test_a_dsl_added_to_the_case_team_records_a_lado_consultation(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    with as_user(app, "head@oak"):
        add_to_team(app, allegation_id, "deputy@oak", "Liaise with the LADO")
    assert isinstance(last_event(app, allegation_id), Allegation.CaseTeamMemberAdded)
    consult_lado(app, allegation_id, user="deputy@oak")
    event = last_event(app, allegation_id)
    assert isinstance(event, Allegation.LadoConsulted)
    assert event.actor == "deputy@oak"


def test_the_trust_safeguarding_lead_oversees_any_allegation(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    consult_lado(app, allegation_id, user="tsl@oak")
    assert last_event(app, allegation_id).actor == "tsl@oak"


def test_the_named_person_manages_an_allegation_about_the_headteacher(
    app, trust_id, school_id, people
):
    name_headteacher_case_manager(app, trust_id)
    allegation_id = allege(app, people["head"])
    decide(app, allegation_id, "unfounded", user="chair@oak")
    assert last_event(app, allegation_id).actor == "chair@oak"


def test_the_subject_never_acts_even_as_trust_safeguarding_lead(app, trust_id, school_id, people):
    with acting_as(OPERATOR):
        make.grant(app, "dana@oak", Role.TRUST_SAFEGUARDING_LEAD, trust_id)
    allegation_id = allege(app, people["dana"])
    with appends_nothing(app), pytest.raises(NotAuthorised):
        consult_lado(app, allegation_id, user="dana@oak")


def test_the_subject_never_acts_even_as_headteacher(app, trust_id, school_id, people):
    name_headteacher_case_manager(app, trust_id)
    allegation_id = allege(app, people["head"])
    with appends_nothing(app), pytest.raises(NotAuthorised):
        consult_lado(app, allegation_id, user="head@oak")
    with refused_as(app, "head@oak", NotAuthorised):
        add_to_team(app, allegation_id, "deputy@oak", "Help me")


def test_a_headteacher_subject_with_oversight_still_cannot_act(app, trust_id, school_id, people):
    with acting_as(OPERATOR):
        make.grant(app, "head@oak", Role.TRUST_SAFEGUARDING_LEAD, trust_id)
    name_headteacher_case_manager(app, trust_id)
    allegation_id = allege(app, people["head"])
    with appends_nothing(app), pytest.raises(NotAuthorised):
        consult_lado(app, allegation_id, user="head@oak")


def test_the_subject_cannot_receive_an_allegation_about_themselves(
    app, trust_id, school_id, people
):
    with acting_as(OPERATOR):
        make.grant(app, "dana@oak", Role.DSL, trust_id, school_id)
    with appends_nothing(app), pytest.raises(NotAuthorised):
        receive(app, people["dana"], user="dana@oak")


def test_the_subject_cannot_be_added_to_the_case_team(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    with refused_as(app, "head@oak", SubjectCannotBeOnCase) as error:
        add_to_team(app, allegation_id, "dana@oak", "Give her side")
    assert error.value.code == "SUBJECT_EXCLUDED"


def test_a_member_of_the_team_is_not_added_twice(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    with refused_as(app, "head@oak", ValidationFailed) as error:
        add_to_team(app, allegation_id, "dsl@oak", "Again")
    assert error.value.field == "userId"


def test_a_closed_allegation_refuses_a_further_lado_consultation(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    decide(app, allegation_id, "unsubstantiated")
    with as_user(app, "head@oak"):
        app.close_allegation(CloseAllegation(allegation_id=allegation_id))
    with appends_nothing(app), pytest.raises(CaseClosed) as error:
        consult_lado(app, allegation_id)
    assert error.value.code == "CASE_CLOSED"


# --- low-level concerns ------------------------------------------------------------------


def test_any_member_of_staff_raises_a_concern_about_a_colleague(app, school_id, people):
    concern_id = raise_concern(app, people["dana"], user="lee@oak")
    raised = events(app, concern_id)[0]
    assert isinstance(raised, LowLevelConcern.Raised)
    assert (raised.subject_id, raised.self_reported, raised.actor) == (
        people["dana"],
        False,
        "lee@oak",
    )


def test_a_self_report_is_recorded_as_one(app, school_id, people):
    concern_id = raise_concern(app, people["dana"], user="dana@oak")
    assert events(app, concern_id)[0].self_reported is True


def test_a_concern_goes_to_the_headteacher(app, school_id, people):
    raised = events(app, raise_concern(app, people["dana"]))[0]
    assert (raised.recipient, raised.recipient_basis) == ("head@oak", "headteacher")


def test_a_concern_about_the_headteacher_goes_to_the_named_person(app, trust_id, school_id, people):
    name_headteacher_case_manager(app, trust_id)
    raised = events(app, raise_concern(app, people["head"]))[0]
    assert (raised.recipient, raised.recipient_basis) == ("chair@oak", "trust_named_person")


def test_a_concern_in_the_future_is_refused(app, school_id, people):
    with appends_nothing(app), pytest.raises(ValidationFailed) as error:
        raise_concern(app, people["dana"], occurred_on=date.today() + timedelta(days=2))
    assert error.value.field == "occurredOn"


def test_the_headteacher_reviews_a_concern(app, school_id, people):
    concern_id = raise_concern(app, people["dana"])
    review(app, concern_id)
    assert isinstance(last_event(app, concern_id), LowLevelConcern.Reviewed)


def test_the_named_person_reviews_a_concern_about_the_headteacher(app, trust_id, school_id, people):
    name_headteacher_case_manager(app, trust_id)
    concern_id = raise_concern(app, people["head"])
    review(app, concern_id, user="chair@oak")
    assert last_event(app, concern_id).actor == "chair@oak"


def test_a_dsl_cannot_review_a_concern(app, school_id, people):
    concern_id = raise_concern(app, people["dana"])
    with appends_nothing(app), pytest.raises(NotAuthorised):
        review(app, concern_id, user="dsl@oak")


def test_the_raiser_cannot_review_their_own_concern(app, school_id, people):
    concern_id = raise_concern(app, people["dana"], user="lee@oak")
    with appends_nothing(app), pytest.raises(NotAuthorised):
        review(app, concern_id, user="lee@oak")


def test_the_subject_cannot_review_a_concern_about_themselves(app, trust_id, school_id, people):
    name_headteacher_case_manager(app, trust_id)
    concern_id = raise_concern(app, people["head"])
    with appends_nothing(app), pytest.raises(NotAuthorised):
        review(app, concern_id, user="head@oak")


def test_closing_a_concern_before_review_is_refused(app, school_id, people):
    concern_id = raise_concern(app, people["dana"])
    with refused_as(app, "head@oak", ValidationFailed) as error:
        app.close_low_level_concern(CloseLowLevelConcern(concern_id=concern_id))
    assert error.value.field == "concernId"


def test_a_reviewed_concern_is_closed(app, school_id, people):
    concern_id = raise_concern(app, people["dana"])
    review(app, concern_id)
    with as_user(app, "head@oak"):
        app.close_low_level_concern(CloseLowLevelConcern(concern_id=concern_id, note="No pattern"))
    assert isinstance(last_event(app, concern_id), LowLevelConcern.Closed)


def escalate(app, concern_ids, user="head@oak") -> UUID:
    with as_user(app, user):
        allegation_id, _ = app.escalate_low_level_concerns(
            EscalateLowLevelConcerns(
                concern_ids=concern_ids,
                description="A pattern of keeping pupils behind alone",
                harm_tests=MET,
            )
        )
    return allegation_id


def test_escalated_concerns_become_an_allegation_that_lists_them(app, school_id, people):
    first = raise_concern(app, people["dana"])
    second = raise_concern(app, people["dana"], user="dsl@oak")
    allegation_id = escalate(app, [first, second])
    received = events(app, allegation_id)[0]
    assert isinstance(received, Allegation.Received)
    assert received.from_concerns == [first, second]
    assert received.received_via == "low_level_concern_review"
    assert received.subject_id == people["dana"]


def test_each_escalated_concern_names_the_allegation(app, school_id, people):
    first = raise_concern(app, people["dana"])
    second = raise_concern(app, people["dana"], user="dsl@oak")
    allegation_id = escalate(app, [first, second])
    for concern_id in (first, second):
        event = last_event(app, concern_id)
        assert isinstance(event, LowLevelConcern.Escalated)
        assert event.allegation_id == allegation_id


def test_concerns_about_different_people_are_not_escalated_together(app, school_id, people):
    first = raise_concern(app, people["dana"])
    second = raise_concern(app, people["lee"], user="dana@oak")
    with appends_nothing(app), pytest.raises(ValidationFailed) as error:
        escalate(app, [first, second])
    assert error.value.field == "concernIds"


def test_a_concern_is_escalated_once(app, school_id, people):
    first = raise_concern(app, people["dana"])
    second = raise_concern(app, people["dana"], user="dsl@oak")
    escalate(app, [first, second])
    with appends_nothing(app), pytest.raises(ValidationFailed) as error:
        escalate(app, [first])
    assert error.value.field == "concernIds"


def test_escalation_needs_a_harm_test_met(app, school_id, people):
    concern_id = raise_concern(app, people["dana"])
    with refused_as(app, "head@oak", ValidationFailed) as error:
        app.escalate_low_level_concerns(
            EscalateLowLevelConcerns(
                concern_ids=[concern_id], description="Pattern", harm_tests=NONE_MET
            )
        )
    assert error.value.field == "harmTests"


# --- staff social media ------------------------------------------------------------------


def declare(app, staff_id, user="dana@oak", **overrides) -> UUID:
    fields = {"platform": "Instagram", "relationship": "Follows her niece, who is a pupil"}
    with as_user(app, user):
        declaration_id, _ = app.declare_social_media_relationship(
            DeclareSocialMediaRelationship(staff_member_id=staff_id, **fields | overrides)
        )
    return declaration_id


def test_a_member_of_staff_declares_their_own_relationship(app, school_id, people):
    declaration_id = declare(app, people["dana"], pupil_ids=[people["pupil"]])
    declared = events(app, declaration_id)[0]
    assert isinstance(declared, SocialMediaDeclaration.Declared)
    assert declared.self_declared is True
    assert declared.pupil_ids == [people["pupil"]]


def test_the_headteacher_declares_on_someones_behalf(app, school_id, people):
    declaration_id = declare(app, people["dana"], user="head@oak")
    assert events(app, declaration_id)[0].self_declared is False


def test_a_colleague_cannot_declare_for_another(app, school_id, people):
    with appends_nothing(app), pytest.raises(NotAuthorised):
        declare(app, people["dana"], user="lee@oak")


def test_a_declaration_naming_a_pupil_of_another_school_is_not_found(
    app, trust_id, school_id, people
):
    stranger = pupil_at_elm(app, trust_id)
    with appends_nothing(app), pytest.raises(NotFound):
        declare(app, people["dana"], pupil_ids=[stranger])


def test_the_headteacher_records_advice_on_a_declaration(app, school_id, people):
    declaration_id = declare(app, people["dana"])
    with as_user(app, "head@oak"):
        app.record_declaration_advice(
            RecordDeclarationAdvice(
                declaration_id=declaration_id, advice="Keep it private", decision="May continue"
            )
        )
    event = last_event(app, declaration_id)
    assert isinstance(event, SocialMediaDeclaration.AdviceRecorded)
    assert app.keyring.open(event.advice) == "Keep it private"


def test_the_member_of_staff_cannot_advise_themselves(app, school_id, people):
    declaration_id = declare(app, people["dana"])
    with refused_as(app, "dana@oak", NotAuthorised):
        app.record_declaration_advice(
            RecordDeclarationAdvice(
                declaration_id=declaration_id, advice="Fine by me", decision="Continue"
            )
        )


def test_a_declaration_is_updated_when_circumstances_change(app, school_id, people):
    declaration_id = declare(app, people["dana"])
    with as_user(app, "dana@oak"):
        app.update_social_media_declaration(
            UpdateSocialMediaDeclaration(
                declaration_id=declaration_id, circumstances="Niece has left the school"
            )
        )
    event = last_event(app, declaration_id)
    assert isinstance(event, SocialMediaDeclaration.Updated)
    assert event.ended is False


def test_an_ended_relationship_takes_no_further_update(app, school_id, people):
    declaration_id = declare(app, people["dana"])
    with as_user(app, "dana@oak"):
        app.update_social_media_declaration(
            UpdateSocialMediaDeclaration(
                declaration_id=declaration_id, circumstances="Unfollowed", ended=True
            )
        )
    with refused_as(app, "dana@oak", ValidationFailed) as error:
        app.update_social_media_declaration(
            UpdateSocialMediaDeclaration(
                declaration_id=declaration_id, circumstances="Followed again"
            )
        )
    assert error.value.field == "declarationId"


def pupil_at_elm(app, trust_id) -> UUID:
    with acting_as(OPERATOR):
        elm = make.school_with(app, trust_id, "data@elm", Role.DATA_LEAD, "Elm Primary", "222222")
    with as_user(app, "data@elm"):
        pupil = make.pupil(app, elm, "Sam Elm", date(2013, 1, 1), year_group=7)
    return pupil


def contact(app, staff_id, from_person_id, user="dana@oak") -> UUID:
    with as_user(app, user):
        attempt_id, _ = app.report_contact_attempt(
            ReportContactAttempt(
                staff_member_id=staff_id,
                occurred_at=NOW - timedelta(hours=3),
                platform="Instagram",
                contact_from="pupil",
                description="Sent a follow request",
                from_person_id=from_person_id,
            )
        )
    return attempt_id


def test_a_contact_attempt_by_a_pupil_of_the_school_is_recorded(app, school_id, people):
    attempt_id = contact(app, people["dana"], people["pupil"])
    reported = events(app, attempt_id)[0]
    assert isinstance(reported, ContactAttempt.Reported)
    assert (reported.from_person_id, reported.contact_from) == (people["pupil"], "pupil")


def test_a_contact_attempt_by_a_pupil_of_another_school_is_not_found(
    app, trust_id, school_id, people
):
    stranger = pupil_at_elm(app, trust_id)
    with appends_nothing(app), pytest.raises(NotFound):
        contact(app, people["dana"], stranger)


def test_a_contact_attempt_naming_a_colleague_is_not_found(app, school_id, people):
    with appends_nothing(app), pytest.raises(NotFound):
        contact(app, people["dana"], people["lee"])


def check(app, staff_id, user="head@oak", outcome="no_concerns") -> UUID:
    with as_user(app, user):
        check_id, _ = app.record_online_presence_check(
            RecordOnlinePresenceCheck(
                staff_member_id=staff_id,
                checked_at=NOW - timedelta(hours=1),
                platforms="Facebook, Instagram",
                outcome=outcome,
            )
        )
    return check_id


def test_the_headteacher_records_an_online_presence_check(app, school_id, people):
    check_id = check(app, people["dana"], outcome="advice_given")
    recorded = events(app, check_id)[0]
    assert isinstance(recorded, PresenceCheck.Recorded)
    assert recorded.outcome == "advice_given"


def test_a_presence_check_outcome_outside_the_list_is_refused(app, school_id, people):
    with appends_nothing(app), pytest.raises(ValidationFailed) as error:
        check(app, people["dana"], outcome="all_good")
    assert error.value.field == "outcome"


def test_a_dsl_checks_a_colleague_but_not_themselves(app, school_id, people):
    check(app, people["dana"], user="dsl@oak")
    with appends_nothing(app), pytest.raises(NotAuthorised):
        check(app, people["dsl"], user="dsl@oak")


def test_an_ordinary_member_of_staff_cannot_record_a_presence_check(app, school_id, people):
    with appends_nothing(app), pytest.raises(NotAuthorised):
        check(app, people["lee"], user="dana@oak")


# --- free text is sealed in the events ----------------------------------------------------
# A reference identifies the case to whoever holds the other agency's file; a responsibility or
# a platform is free text. Each is sealed with its record's key, so erasing the record erases it.


def opened(app, value) -> str:
    assert isinstance(value, Sealed), value
    return app.keyring.open(value)


def test_the_lado_reference_is_sealed_with_the_allegations_key(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    with as_user(app, "dsl@oak"):
        app.record_lado_consultation(
            RecordLadoConsultation(
                allegation_id=allegation_id,
                consulted_at=NOW,
                lado_name="Pat LADO",
                advice="Advice",
                agreed_action="Action",
                reference="LADO-2026-0042",
            )
        )
    reference = last_event(app, allegation_id).reference
    assert reference.subject_id == allegation_id
    assert opened(app, reference) == "LADO-2026-0042"


def test_a_dbs_referral_reference_is_sealed_with_the_allegations_key(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    decide(app, allegation_id, "substantiated")
    with as_user(app, "head@oak"):
        app.record_allegation_action(
            RecordAllegationAction(
                allegation_id=allegation_id,
                kind="dbs_referral_made",
                taken_at=NOW,
                decision="Referred",
                rationale="Substantiated",
                reference="DBS-77-ABC",
            )
        )
    reference = last_event(app, allegation_id).reference
    assert reference.subject_id == allegation_id
    assert opened(app, reference) == "DBS-77-ABC"


def test_a_case_team_members_responsibility_is_sealed(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    with as_user(app, "head@oak"):
        add_to_team(app, allegation_id, "deputy@oak", "Liaise with the LADO")
    assert opened(app, last_event(app, allegation_id).responsibility) == "Liaise with the LADO"


def test_a_declared_relationships_platform_is_sealed_with_the_staff_members_key(
    app, school_id, people
):
    declared = events(app, declare(app, people["dana"], platform="Snapchat"))[0]
    assert declared.platform.subject_id == people["dana"]
    assert opened(app, declared.platform) == "Snapchat"


def test_a_contact_attempts_platform_is_sealed_with_the_staff_members_key(app, school_id, people):
    reported = events(app, contact(app, people["dana"], people["pupil"]))[0]
    assert reported.platform.subject_id == people["dana"]
    assert opened(app, reported.platform) == "Instagram"


def test_the_platforms_of_a_presence_check_are_sealed_with_the_staff_members_key(
    app, school_id, people
):
    recorded = events(app, check(app, people["dana"]))[0]
    assert recorded.platforms.subject_id == people["dana"]
    assert opened(app, recorded.platforms) == "Facebook, Instagram"


# --- pension age -------------------------------------------------------------------------


def test_the_state_pension_age_is_recorded(app, school_id, people):
    with as_user(app, "head@oak"):
        app.record_pension_age(
            RecordPensionAge(staff_member_id=people["dana"], reaches_on=date(2045, 5, 1))
        )
    event = last_event(app, people["dana"])
    assert isinstance(event, StaffMember.PensionAgeRecorded)
    assert event.reaches_on == date(2045, 5, 1)
    assert app.repository.get(people["dana"]).reaches_pension_age_on == date(2045, 5, 1)


def test_the_same_pension_age_is_not_recorded_twice(app, school_id, people):
    with as_user(app, "head@oak"):
        app.record_pension_age(
            RecordPensionAge(staff_member_id=people["dana"], reaches_on=date(2045, 5, 1))
        )
    with refused_as(app, "head@oak", ValidationFailed) as error:
        app.record_pension_age(
            RecordPensionAge(staff_member_id=people["dana"], reaches_on=date(2045, 5, 1))
        )
    assert error.value.field == "reachesOn"


def test_a_colleague_cannot_record_the_pension_age(app, school_id, people):
    with refused_as(app, "lee@oak", NotAuthorised):
        app.record_pension_age(
            RecordPensionAge(staff_member_id=people["dana"], reaches_on=date(2045, 5, 1))
        )


def test_an_unknown_staff_member_is_not_found(app, school_id, people):
    with appends_nothing(app), pytest.raises(NotFound):
        receive(app, uuid4())


# --- suspected defects: expected behaviour that the domain does not yet have -------------


def test_a_screened_concern_is_dated_the_london_day_of_receipt(app, school_id, people):
    received = datetime(2026, 10, 23, 0, 30, tzinfo=LONDON)  # Thursday 23:30 UTC
    result = receive(
        app,
        people["dana"],
        received_at=received,
        harm_tests=NONE_MET,
        record_as_low_level_concern=True,
    )
    assert events(app, result.record_id)[0].occurred_on == date(2026, 10, 23)


def test_the_named_person_escalates_concerns_about_the_headteacher(
    app, trust_id, school_id, people
):
    with acting_as(OPERATOR):
        make.grant(app, "ceo@oak", Role.DPO, trust_id)
    name_headteacher_case_manager(
        app, trust_id, user="ceo@oak", headteacher_case_manager_title="CEO"
    )
    first = raise_concern(app, people["head"])
    second = raise_concern(app, people["head"], user="dsl@oak")
    allegation_id = escalate(app, [first, second], user="ceo@oak")
    assert events(app, allegation_id)[0].case_manager == "ceo@oak"


def test_no_allegation_is_routed_to_a_named_person_who_cannot_reach_the_school(
    app, trust_id, school_id, people
):
    with acting_as(OPERATOR):
        make.school_with(
            app, trust_id, "chair@elm", Role.CHAIR_OF_GOVERNORS, "Elm Primary", "222222"
        )
    name_headteacher_case_manager(app, trust_id, user="chair@elm")
    with appends_nothing(app), pytest.raises(NoCaseManager):
        receive(app, people["head"])


# --- existence: a record the caller may not see answers as an unknown id (issue 14 §3) ------


def _refusal(app, user: str, allegation_id: UUID, expected_version: int | None = None):
    with appends_nothing(app), pytest.raises(NotFound) as caught:
        decide(app, allegation_id, "unfounded", user, expected_version=expected_version)
    return caught.value


def _as_unknown(error: NotFound, record_id: UUID) -> tuple[str, str, str]:
    return (error.code, error.message.replace(str(record_id), "ID"), error.kind)


def test_the_subject_acting_on_their_own_allegation_is_answered_as_for_an_unknown_id(
    app, school_id, people
):
    allegation_id, unknown = allege(app, people["dana"]), uuid4()
    assert _as_unknown(_refusal(app, "dana@oak", allegation_id), allegation_id) == _as_unknown(
        _refusal(app, "dana@oak", unknown), unknown
    )


def test_authorisation_comes_before_the_expected_version(app, trust_id, school_id, people):
    with acting_as(OPERATOR):
        other_trust = make.trust(app, "Elm Trust")
        make.grant(app, "tsl@elm", Role.TRUST_SAFEGUARDING_LEAD, other_trust)
    allegation_id, unknown = allege(app, people["dana"]), uuid4()
    assert _as_unknown(_refusal(app, "tsl@elm", allegation_id, 99), allegation_id) == (
        _as_unknown(_refusal(app, "tsl@elm", unknown, 99), unknown)
    )


def test_a_case_team_member_who_may_not_do_this_is_told_not_authorised(app, school_id, people):
    allegation_id = allege(app, people["dana"])  # the DSL who received it is on the team
    with refused_as(app, "dsl@oak", NotAuthorised) as caught:
        decide(app, allegation_id, "unfounded", user="dsl@oak")
    assert caught.value.code == "NOT_AUTHORISED"


def test_a_refusal_on_a_case_names_the_case_and_its_subject_for_the_access_log(
    app, school_id, people
):
    allegation_id = allege(app, people["dana"])
    refusal = _refusal(app, "lee@oak", allegation_id).refusal
    assert refusal is not None
    assert (refusal.record_type, refusal.record_id, refusal.subject_ids) == (
        "allegation",
        allegation_id,
        frozenset({people["dana"]}),
    )

"""An allegation's referral details (docs/rules.md §11): the children it concerns, where,
whether there was more than one incident or it followed an authorised physical intervention, any
injury and who else was told, given at receipt or amended later: given events, when a command,
then events or a named error."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from uuid import uuid4

import pytest

from domain.application import CaseworkApplication
from domain.directory.commands import RecordPupilLeft
from domain.shared.actor import acting_as
from domain.shared.errors import NotAuthorised, NotFound, ValidationFailed
from domain.shared.sealing import Sealed
from domain.staff_cases.allegations import Allegation
from domain.staff_cases.commands import (
    AllegationDetails,
    ChildConcerned,
    CloseAllegation,
    RecordAllegationDetails,
)
from domain.staff_cases.errors import CaseClosed, NothingToAmend, PupilNotOnRoll
from domain.staff_cases.model import MAX_LOCATION
from projections.staff_cases.chronology import entry_for
from tests import builders as make
from tests.domain import test_staff_cases
from tests.domain.conftest import OPERATOR, appends_nothing, as_user, events, last_event
from tests.domain.test_staff_cases import NONE_MET, RECEIVED, allege, decide, receive

people = test_staff_cases.people  # a fixture: Oak's staff, a DSL and a pupil

DETAILS = AllegationDetails(
    location="The science corridor",
    more_than_one_incident="no",
    after_physical_intervention="not_known",
    injury="A red mark on the forearm",
    others_told="The pupil's form tutor",
)


def opened(app: CaseworkApplication, value: Sealed | None) -> str | None:
    return None if value is None else str(app.keyring.open(value))


def amend(app, allegation_id, user="dsl@oak", **details):
    with as_user(app, user):
        return app.record_allegation_details(
            RecordAllegationDetails(allegation_id, AllegationDetails(**details))
        )


def amending_is_refused(app, allegation_id, error, user="dsl@oak", **details):
    """When ``user`` amends the details so, then ``error`` is raised and nothing is recorded."""
    with appends_nothing(app), pytest.raises(error) as caught:
        amend(app, allegation_id, user, **details)
    return caught.value


@pytest.fixture
def pupil_elsewhere(app, trust_id):
    """A pupil of another school of the trust."""
    with acting_as(OPERATOR):
        elsewhere = make.school(app, trust_id, "Ash Primary", "654321")
        return make.pupil(app, elsewhere, "Noor Khan", date(2013, 6, 1))


# --- at receipt ------------------------------------------------------------------------------


def test_the_details_given_at_receipt_are_on_the_received_event(app, school_id, people):
    child = ChildConcerned(people["pupil"], "concerned")
    allegation_id = allege(app, people["dana"], details=replace(DETAILS, children=[child]))
    received = events(app, allegation_id)[0]
    assert received.children == [{"pupil_id": people["pupil"], "relationship": "concerned"}]
    assert (received.more_than_one_incident, received.after_physical_intervention) == (
        "no",
        "not_known",
    )
    assert opened(app, received.location) == "The science corridor"
    assert opened(app, received.injury) == "A red mark on the forearm"
    assert opened(app, received.others_told) == "The pupil's form tutor"


def test_the_free_text_details_are_sealed_with_the_allegations_key(app, school_id, people):
    allegation_id = allege(app, people["dana"], details=DETAILS)
    received = events(app, allegation_id)[0]
    assert {v.subject_id for v in (received.location, received.injury, received.others_told)} == {
        allegation_id
    }


def test_an_allegation_received_without_details_records_none(app, school_id, people):
    received = events(app, allege(app, people["dana"]))[0]
    assert received.children == []
    assert [
        received.location,
        received.more_than_one_incident,
        received.after_physical_intervention,
        received.injury,
        received.others_told,
    ] == [None] * 5


def test_a_received_event_stored_before_the_details_loads_with_them_empty(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    [stored] = list(app.recorder.select_events(allegation_id))
    state = json.loads(stored.state)
    for name in ("class_version", "children", "location", "more_than_one_incident"):
        state.pop(name)
    for name in ("after_physical_intervention", "injury", "others_told"):
        state.pop(name)
    before = replace(stored, state=json.dumps(state).encode())
    old = CaseworkApplication(app.keyring, env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    try:
        old.recorder.insert_events([before])
        [received] = list(old.events.get(allegation_id))
        loaded = old.repository.get(allegation_id)
    finally:
        old.close()
    assert isinstance(received, Allegation.Received)
    assert received.children == [] and received.location is None and received.injury is None
    assert loaded.__dict__ == app.repository.get(allegation_id).__dict__


def test_details_are_refused_on_what_is_recorded_as_a_low_level_concern(app, school_id, people):
    with appends_nothing(app), pytest.raises(ValidationFailed) as error:
        receive(
            app,
            people["dana"],
            harm_tests=NONE_MET,
            record_as_low_level_concern=True,
            details=DETAILS,
        )
    assert error.value.field == "details"


def test_a_child_of_another_school_is_refused_at_receipt(app, school_id, people, pupil_elsewhere):
    child = ChildConcerned(pupil_elsewhere, "witness")
    with appends_nothing(app), pytest.raises(NotFound):
        allege(app, people["dana"], details=AllegationDetails(children=[child]))


# --- amendment -------------------------------------------------------------------------------


def test_an_amendment_records_only_the_details_it_gives(app, school_id, people):
    allegation_id = allege(app, people["dana"], details=DETAILS)
    amend(app, allegation_id, injury="Bruising, seen by the school nurse")
    amended = last_event(app, allegation_id)
    assert isinstance(amended, Allegation.DetailsRecorded)
    assert opened(app, amended.injury) == "Bruising, seen by the school nurse"
    assert amended.injury.subject_id == allegation_id
    assert [
        amended.children,
        amended.location,
        amended.more_than_one_incident,
        amended.after_physical_intervention,
        amended.others_told,
    ] == [None] * 5


def test_an_amendment_names_who_made_it(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    amend(app, allegation_id, user="head@oak", more_than_one_incident="yes")
    assert last_event(app, allegation_id).actor == "head@oak"


def test_an_amendment_gives_the_children_as_a_whole_list(app, school_id, people):
    with as_user(app, "head@oak"):
        witness = make.pupil(app, school_id, "Ella Stone", date(2013, 9, 1))
    allegation_id = allege(app, people["dana"])
    amend(
        app,
        allegation_id,
        children=[ChildConcerned(people["pupil"], "concerned"), ChildConcerned(witness, "witness")],
    )
    assert last_event(app, allegation_id).children == [
        {"pupil_id": people["pupil"], "relationship": "concerned"},
        {"pupil_id": witness, "relationship": "witness"},
    ]


def test_an_amendment_that_gives_nothing_is_refused(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    error = amending_is_refused(app, allegation_id, NothingToAmend, location="   ")
    assert (error.code, error.field) == ("NOTHING_TO_AMEND", "details")


def test_an_empty_list_of_children_is_refused(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    error = amending_is_refused(app, allegation_id, ValidationFailed, children=[])
    assert error.field == "childrenConcerned"


def test_a_child_named_twice_is_refused(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    twice = [ChildConcerned(people["pupil"], "concerned"), ChildConcerned(people["pupil"], "other")]
    error = amending_is_refused(app, allegation_id, ValidationFailed, children=twice)
    assert error.field == "childrenConcerned"


def test_an_unknown_pupil_is_refused(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    unknown = uuid4()
    error = amending_is_refused(
        app, allegation_id, NotFound, children=[ChildConcerned(unknown, "concerned")]
    )
    assert error.record_id == str(unknown)


def test_a_pupil_of_another_school_is_refused_as_an_unknown_one(
    app, school_id, people, pupil_elsewhere
):
    allegation_id = allege(app, people["dana"])
    error = amending_is_refused(
        app, allegation_id, NotFound, children=[ChildConcerned(pupil_elsewhere, "concerned")]
    )
    assert (error.kind, error.record_id) == ("Pupil", str(pupil_elsewhere))


def test_a_pupil_who_left_before_the_allegation_was_received_is_refused(app, school_id, people):
    left_on = (RECEIVED - timedelta(days=3)).date()
    with as_user(app, "head@oak"):
        app.record_pupil_left(RecordPupilLeft(people["pupil"], left_on))
    allegation_id = allege(app, people["dana"])
    error = amending_is_refused(
        app, allegation_id, PupilNotOnRoll, children=[ChildConcerned(people["pupil"], "witness")]
    )
    assert (error.code, error.field) == ("PUPIL_NOT_ON_ROLL", "childrenConcerned")


def test_a_relationship_outside_the_three_is_refused(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    error = amending_is_refused(
        app, allegation_id, ValidationFailed, children=[ChildConcerned(people["pupil"], "victim")]
    )
    assert error.field == "relationship"


def test_an_answer_other_than_yes_no_or_not_known_is_refused(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    error = amending_is_refused(
        app, allegation_id, ValidationFailed, after_physical_intervention="maybe"
    )
    assert error.field == "afterPhysicalIntervention"


def test_a_location_longer_than_its_limit_is_refused(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    error = amending_is_refused(
        app, allegation_id, ValidationFailed, location="x" * (MAX_LOCATION + 1)
    )
    assert (error.field, error.reason) == ("location", f"must be at most {MAX_LOCATION} characters")


def test_who_else_was_told_longer_than_any_free_text_is_refused(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    error = amending_is_refused(app, allegation_id, ValidationFailed, others_told="x" * 20_001)
    assert error.field == "othersTold"


def test_a_closed_allegation_refuses_an_amendment(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    decide(app, allegation_id, "unsubstantiated")
    with as_user(app, "head@oak"):
        app.close_allegation(CloseAllegation(allegation_id=allegation_id))
    error = amending_is_refused(app, allegation_id, CaseClosed, location="The hall")
    assert error.code == "CASE_CLOSED"


def test_someone_off_the_case_may_not_amend_it(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    amending_is_refused(app, allegation_id, NotAuthorised, user="deputy@oak", location="The hall")


# --- the chronology ------------------------------------------------------------------------


def test_the_chronology_names_the_text_an_amendment_changed_never_its_words(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    amend(app, allegation_id, location="The science corridor", others_told="Her tutor")
    entry = entry_for(last_event(app, allegation_id))
    assert (entry.kind, entry.summary) == (
        "details",
        "Details recorded: location; who else was told",
    )


def test_the_chronology_counts_the_children_by_relationship(app, school_id, people):
    with as_user(app, "head@oak"):
        witness = make.pupil(app, school_id, "Ella Stone", date(2013, 9, 1))
    allegation_id = allege(app, people["dana"])
    children = [ChildConcerned(witness, "witness"), ChildConcerned(people["pupil"], "concerned")]
    amend(app, allegation_id, children=children, more_than_one_incident="not_known")
    assert entry_for(last_event(app, allegation_id)).summary == (
        "Details recorded: children concerned: 2 (1 concerned, 1 witness); "
        "more than one incident: not known"
    )


def test_the_received_entry_names_the_details_given_at_receipt(app, school_id, people):
    allegation_id = allege(app, people["dana"], details=DETAILS)
    summary = entry_for(events(app, allegation_id)[0]).summary
    assert summary.endswith(
        "; details given: location; more than one incident: no; after an authorised physical "
        "intervention: not known; injury; who else was told"
    )


def test_the_received_entry_of_an_allegation_without_details_is_as_before(app, school_id, people):
    summary = entry_for(events(app, allege(app, people["dana"]))[0]).summary
    assert "details" not in summary

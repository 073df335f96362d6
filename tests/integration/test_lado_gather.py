"""Gathering an allegation for its LADO referral bundle, from a seeded case in the event store:
the referral's fields filled from the record, other pupils pseudonymised, and ``as_of``
gathering the case as it stood then."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import rfc8785

from api.lado.chronology_pdf import render
from api.lado.gather import gather
from domain.lado.referral import WITHHELD
from domain.shared.actor import acting_as
from domain.shared.errors import NotFound
from domain.shared.policy import Principal, Role
from domain.staff_cases.commands import (
    AllegationDetails,
    ChildConcerned,
    EscalateLowLevelConcerns,
    RaiseLowLevelConcern,
    RecordAllegationOutcome,
    RecordLadoConsultation,
    RecordSuspensionDecision,
    ReviewLowLevelConcern,
)
from domain.staff_cases.model import HarmTests
from tests import builders as make

OPERATOR = Principal.operator("tests")


def seeded(container):
    """Given Oak Primary with its headteacher, DSL and chair, a teacher with an earlier
    low-level concern, and an allegation about her concerning Amy Stone (whose mother is Jo
    Stone) whose description names another pupil, Ben Ward, and a LADO consultation: the ids,
    and the position just before the LADO was consulted."""
    app = container.app
    with acting_as(OPERATOR):
        trust_id = make.trust(app)
        school_id = make.school(app, trust_id)
        make.grant(app, "head@oak", Role.HEADTEACHER, trust_id, school_id)
        make.grant(app, "dsl@oak", Role.DSL, trust_id, school_id)
        make.grant(app, "chair@oak", Role.CHAIR_OF_GOVERNORS, trust_id, school_id)
        make.staff(app, school_id, "Hal Price", "headteacher", "head@oak")
    with acting_as(app.principal_for("head@oak")):
        make.staff(app, school_id, "Dee Shah", "teacher", "dsl@oak")
        make.staff(app, school_id, "Cal Moss", "governor", "chair@oak")
        adult = make.staff(app, school_id, "Dana Cole", "supply", None, date(2024, 9, 2))
        amy = make.pupil(app, school_id, "Amy Stone", date(2014, 5, 6), 7)
        make.pupil(app, school_id, "Ben Ward")
        jo = make.parent(app, amy, "Jo Stone", "mother", True)
        concern, _ = app.raise_low_level_concern(
            RaiseLowLevelConcern(adult, "Kept a pupil behind alone", occurred_on=date(2026, 3, 2))
        )
        app.review_low_level_concern(ReviewLowLevelConcern(concern, "Advice given", "First"))
        received = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
        allegation_id = make.allegation(
            app,
            adult,
            "Amy Stone said Ms Cole pushed her; Ben Ward saw it",
            at=received,
            source="anonymous",
            received_via="letter",
            details=AllegationDetails(
                children=[ChildConcerned(amy, "concerned")],
                location="Classroom 4",
                more_than_one_incident="no",
                injury="A bruise",
            ),
        )
        before = container.head()
        app.record_lado_consultation(
            RecordLadoConsultation(
                allegation_id, received + timedelta(hours=2), "A. Lado", "Strategy", "Proceed"
            )
        )
        app.record_suspension_decision(
            RecordSuspensionDecision(
                allegation_id, received + timedelta(hours=3), "Redeploy", "redeployed", "Safe"
            )
        )
    return {"allegation": allegation_id, "adult": adult, "amy": amy, "jo": jo, "before": before}


def test_the_referral_is_filled_from_the_record(container):
    case = seeded(container)
    referral = gather(container, case["allegation"]).referral
    assert referral["timing"] == {
        "incident": "",
        "reported_to_referrer": "2026-11-03T09:00:00+00:00",
        "referral": "2026-11-03T11:00:00+00:00",
    }
    assert referral["referrer"]["organisation"] == "Oak Primary"
    assert referral["designated_safeguarding_lead"] == {"name": "Dee Shah"}
    assert referral["headteacher"] == {"name": "Hal Price"}
    assert referral["chair_of_governors"] == {"name": "Cal Moss"}
    assert referral["case_manager"] == {"name": "Hal Price", "basis": "headteacher"}
    adult = referral["adult"]
    assert (adult["name"], adult["role"], adult["employer"]) == (
        "Dana Cole",
        "supply",
        "Oak Learning Trust",
    )
    assert (adult["employment_basis"], adult["length_of_service"]) == ("supply", "2 years 2 months")
    assert (adult["known_as"], adult["date_of_birth"]) == ("", "")
    assert [c["status"] for c in adult["previous_low_level_concerns"]] == ["reviewed"]
    allegation = referral["allegation"]
    assert allegation["made_by"]["anonymous"] is True
    assert allegation["made_by"]["name"] == ""
    assert allegation["summary"] == "Amy Stone said Ms Cole pushed her; Child A saw it"
    assert (allegation["location"], allegation["injury"]) == ("Classroom 4", "A bruise")
    assert allegation["action_so_far"]["suspension"]["decision"] == "redeployed"
    (child,) = referral["children"]
    assert (child["name"], child["date_of_birth"], child["year_group"]) == (
        "Amy Stone",
        "2014-05-06",
        7,
    )
    assert child["parents_carers"] == [
        {"name": "Jo Stone", "relationship": "mother", "parental_responsibility": True}
    ]


def test_the_description_naming_another_pupil_is_not_disclosed(container):
    case = seeded(container)
    bundle = gather(container, case["allegation"])
    received = next(e for e in bundle.events if e.aggregate_id == case["allegation"])
    assert "description" not in received.disclose
    assert {"children", "location", "injury"} <= received.disclose


def test_as_of_ignores_the_events_after_it(container):
    case = seeded(container)
    bundle = gather(container, case["allegation"], as_of=case["before"])
    assert bundle.referral["timing"]["referral"] == ""
    assert bundle.referral["allegation"]["action_so_far"]["suspension"] is None
    assert max(e.position for e in bundle.events) <= case["before"]


def test_every_aggregate_is_exported_from_version_one_to_its_head(container):
    case = seeded(container)
    bundle = gather(container, case["allegation"])
    versions: dict = {}
    for event in bundle.events:
        versions.setdefault(event.aggregate_id, []).append(event.version)
    assert all(v == list(range(1, len(v) + 1)) for v in versions.values())
    assert case["adult"] in versions and case["amy"] in versions


def test_a_value_whose_key_is_gone_reads_as_erased_and_is_never_disclosed(container):
    case = seeded(container)
    container.keyring.destroy(case["amy"])
    bundle = gather(container, case["allegation"])
    (child,) = bundle.referral["children"]
    assert (child["name"], child["date_of_birth"]) == ("[erased]", "[erased]")
    registered = next(e for e in bundle.events if e.aggregate_id == case["amy"])
    assert registered.disclose == {"year_group"}


def test_the_chronology_is_in_the_shape_the_pdf_takes(container):
    case = seeded(container)
    bundle = gather(container, case["allegation"])
    chronology = {
        "case_reference": bundle.case_reference,
        "school": bundle.school_name,
        "recipient": "LADO",
        "generated_at": "2026-12-01T18:00:00Z",
        "generated_by": {"role": "headteacher", "name": "Hal Price"},
        "bundle_fingerprint": "sha256:0",
        "entries": list(bundle.entries),
    }
    assert render(chronology).startswith(b"%PDF")
    assert rfc8785.dumps(dict(bundle.referral))  # the referral is JSON as the bag writes it
    assert [e["who"] for e in bundle.entries] == ["headteacher"] * 3


def test_an_allegation_not_yet_received_at_as_of_is_not_found(container):
    case = seeded(container)
    with pytest.raises(NotFound):
        gather(container, case["allegation"], as_of=case["before"] - 1)


def test_an_earlier_false_allegation_is_neither_listed_nor_exported(container):
    app = container.app
    with acting_as(OPERATOR):
        trust_id = make.trust(app)
        school_id = make.school(app, trust_id)
        make.grant(app, "head@oak", Role.HEADTEACHER, trust_id, school_id)
        make.staff(app, school_id, "Hal Price", "headteacher", "head@oak")
    with acting_as(app.principal_for("head@oak")):
        adult = make.staff(app, school_id, "Dana Cole", "teacher")
        at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        kept, false = (make.allegation(app, adult, "One", at=at) for _ in range(2))
        for earlier, outcome in ((kept, "unfounded"), (false, "false")):
            app.record_allegation_outcome(
                RecordAllegationOutcome(earlier, outcome, at + timedelta(days=9), "S", "R")
            )
        allegation_id = make.allegation(app, adult, "Three", at=at + timedelta(days=30))
    bundle = gather(container, allegation_id)
    listed = bundle.referral["adult"]["previous_allegations"]
    assert [(a["id"], a["outcome"]) for a in listed] == [(str(kept), "unfounded")]
    assert false not in {e.aggregate_id for e in bundle.events}


def test_escalated_concerns_are_in_the_chronology_and_a_withheld_reporter_is_marked(container):
    app = container.app
    with acting_as(OPERATOR):
        trust_id = make.trust(app)
        school_id = make.school(app, trust_id)
        make.grant(app, "head@oak", Role.HEADTEACHER, trust_id, school_id)
        make.grant(app, "lee@oak", Role.STAFF_REPORTER, trust_id, school_id)
        make.staff(app, school_id, "Hal Price", "headteacher", "head@oak")
    with acting_as(app.principal_for("head@oak")):
        adult = make.staff(app, school_id, "Dana Cole", "teacher")
        make.staff(app, school_id, "Lee Hart", "support", "lee@oak")
    with acting_as(app.principal_for("lee@oak")):
        concern, _ = app.raise_low_level_concern(
            RaiseLowLevelConcern(
                adult,
                "Alone with a pupil",
                occurred_on=date(2026, 2, 1),
                withhold_name_from_subject=True,
            )
        )
    with acting_as(app.principal_for("head@oak")):
        allegation_id, _ = app.escalate_low_level_concerns(
            EscalateLowLevelConcerns([concern], "A pattern", HarmTests(False, False, False, True))
        )
    bundle = gather(container, allegation_id)
    made_by = bundle.referral["allegation"]["made_by"]
    assert made_by["not_to_be_named_to_the_subject"] is True
    assert bundle.referral["timing"]["incident"] == "2026-02-01"
    assert bundle.entries[0]["who"] == WITHHELD
    assert {e["position"] for e in bundle.entries} >= {
        e.position for e in bundle.events if e.aggregate_id == concern
    }


def test_a_parent_linked_again_is_listed_once_as_last_linked(container):
    case = seeded(container)
    app = container.app
    with acting_as(app.principal_for("head@oak")):
        make.parent(app, case["amy"], None, "carer", False, parent_id=case["jo"])
    (child,) = gather(container, case["allegation"]).referral["children"]
    assert child["parents_carers"] == [
        {"name": "Jo Stone", "relationship": "carer", "parental_responsibility": False}
    ]

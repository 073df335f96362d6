"""What a LADO referral bundle says (docs/rules.md §13): given a gathered case, the referral's
fields, the chronology's entries, the pseudonyms and what each exported event discloses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from domain.lado.referral import (
    ERASED_TEXT,
    WITHHELD,
    Adult,
    Case,
    Event,
    Parent,
    Pupil,
    Wording,
    case_reference,
    chronology,
    contents,
    disclosures,
    left_out,
    pseudonyms,
    referral,
)
from domain.shared.sealing import ERASED

TRUST, SCHOOL, ADULT, ALLEGATION = uuid4(), uuid4(), uuid4(), uuid4()
AMY, BEN, CAL = uuid4(), uuid4(), uuid4()
RECEIVED = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
PUPILS = {
    AMY: Pupil(AMY, "Amy Stone", "2014-05-06", 7, (Parent("Jo Stone", "mother", True),)),
    BEN: Pupil(BEN, "Ben Ward", "2014-01-01", 7),
    CAL: Pupil(CAL, "Cal Reed", "2013-02-02", 8),
}


def received(**fields: Any) -> dict[str, Any]:
    return {
        "actor": "head@oak",
        "trust_id": TRUST,
        "school_id": SCHOOL,
        "subject_id": ADULT,
        "subject_user_id": None,
        "received_at": RECEIVED,
        "source": "pupil",
        "received_via": "in_person",
        "category": "physical",
        "description": "Ms Cole pushed Amy Stone",
        "harm_tests": {
            "harmed_child": True,
            "possible_offence": False,
            "risk_of_harm": False,
            "unsuitable": False,
        },
        "outside_work": False,
        "case_manager": "head@oak",
        "case_manager_basis": "headteacher",
        "case_team": [],
        "lado_due_on": date(2026, 11, 4),
        "from_concerns": [],
        "children": [{"pupil_id": AMY, "relationship": "concerned"}],
        "location": None,
        "more_than_one_incident": None,
        "after_physical_intervention": None,
        "injury": None,
        "others_told": None,
    } | fields


class History:
    """A case's events in store order: each added at the next position."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.versions: dict[UUID, int] = {}

    def add(
        self,
        aggregate: UUID,
        topic: str,
        fields: dict[str, Any],
        wording: Wording | None = None,
        role: str = "headteacher",
    ) -> Event:
        version = self.versions[aggregate] = self.versions.get(aggregate, 0) + 1
        position = len(self.events) + 10
        event = Event(
            position,
            aggregate,
            version,
            topic,
            RECEIVED + timedelta(minutes=position),
            role,
            fields,
            wording,
        )
        self.events.append(event)
        return event


def case(history: History, **overrides: Any) -> Case:
    given: dict[str, Any] = {
        "allegation_id": ALLEGATION,
        "trust_id": TRUST,
        "school_id": SCHOOL,
        "trust_name": "Oak Learning Trust",
        "school_name": "Oak Primary",
        "school_urn": "123456",
        "adult": Adult(ADULT, "Dana Cole", "supply", date(2024, 9, 2)),
        "events": history.events,
        "pupils": PUPILS,
        "dsl": "Dee Shah",
        "headteacher": "Hal Price",
        "chair": None,
        "case_manager": "Hal Price",
    }
    return Case(**(given | overrides))


def receipt(history: History, **fields: Any) -> Event:
    wording = Wording(
        "Allegation received; case manager {named}",
        named="Hal Price",
        what=fields.get("description", "Ms Cole pushed Amy Stone"),
    )
    return history.add(ALLEGATION, "Allegation.Received", received(**fields), wording)


# --- the referral ---------------------------------------------------------------------------


def test_the_referral_has_the_forms_sections_in_their_order():
    history = History()
    receipt(history)
    assert list(referral(case(history))) == [
        "timing",
        "referrer",
        "designated_safeguarding_lead",
        "headteacher",
        "chair_of_governors",
        "case_manager",
        "adult",
        "allegation",
        "children",
        "supporting_documents",
    ]


def test_the_adult_has_every_field_the_forms_ask_for_in_their_order():
    history = History()
    receipt(history)
    assert list(referral(case(history))["adult"]) == [
        "name",
        "known_as",
        "date_of_birth",
        "role",
        "employer",
        "employment_basis",
        "started_on",
        "length_of_service",
        "previous_low_level_concerns",
        "previous_allegations",
        "other_work_with_children",
    ]


def test_the_adult_is_filled_from_the_staff_record_and_what_it_does_not_hold_is_empty():
    history = History()
    receipt(history)
    adult = referral(case(history))["adult"]
    assert adult == {
        "name": "Dana Cole",
        "known_as": "",
        "date_of_birth": "",
        "role": "supply",
        "employer": "Oak Learning Trust",
        "employment_basis": "supply",
        "started_on": "2024-09-02",
        "length_of_service": "2 years 2 months",
        "previous_low_level_concerns": [],
        "previous_allegations": [],
        "other_work_with_children": "",
    }


def test_a_teachers_employment_basis_is_left_empty_not_guessed():
    history = History()
    receipt(history)
    adult = Adult(ADULT, "Dana Cole", "teacher", None)
    filled = referral(case(history, adult=adult))["adult"]
    assert (filled["employment_basis"], filled["length_of_service"]) == ("", "")


def test_the_timing_is_receipt_and_the_first_lado_consultation_with_no_incident_date():
    history = History()
    receipt(history)
    consulted = RECEIVED + timedelta(hours=2)
    history.add(ALLEGATION, "Allegation.LadoConsulted", {"consulted_at": consulted})
    assert referral(case(history))["timing"] == {
        "incident": "",
        "reported_to_referrer": RECEIVED.isoformat(),
        "referral": consulted.isoformat(),
    }


def test_the_people_are_named_and_one_the_record_does_not_name_is_empty():
    history = History()
    receipt(history)
    filled = referral(case(history))
    assert filled["designated_safeguarding_lead"] == {"name": "Dee Shah"}
    assert filled["headteacher"] == {"name": "Hal Price"}
    assert filled["chair_of_governors"] == {"name": ""}
    assert filled["case_manager"] == {"name": "Hal Price", "basis": "headteacher"}
    assert filled["referrer"]["organisation"] == "Oak Primary"
    assert filled["referrer"]["telephone"] == ""


def test_the_allegation_is_filled_from_receipt_and_amendments():
    history = History()
    receipt(history, location="Hall")
    history.add(
        ALLEGATION,
        "Allegation.DetailsRecorded",
        {
            "children": None,
            "location": "Classroom 4",
            "more_than_one_incident": "no",
            "after_physical_intervention": None,
            "injury": "A bruise",
            "others_told": None,
        },
    )
    allegation = referral(case(history))["allegation"]
    assert allegation["category"] == "physical"
    assert allegation["harm_tests"] == {
        "harmed_child": True,
        "possible_offence": False,
        "risk_of_harm": False,
        "unsuitable": False,
    }
    assert (allegation["location"], allegation["injury"]) == ("Classroom 4", "A bruise")
    assert allegation["more_than_one_incident"] == "no"
    assert (allegation["after_physical_intervention"], allegation["others_told"]) == ("", "")
    assert allegation["summary"] == "Ms Cole pushed Amy Stone"


def test_an_allegation_with_no_details_or_actions_has_them_present_and_empty():
    history = History()
    receipt(history, children=[])
    filled = referral(case(history))
    assert filled["allegation"]["action_so_far"] == {
        "actions": [],
        "strategy_discussions": [],
        "interviews": "",
        "statements": "",
        "suspension": None,
    }
    assert (filled["children"], filled["supporting_documents"]) == ([], [])
    assert filled["allegation"]["location"] == ""


def test_an_anonymous_source_is_said_to_be_anonymous_and_names_no_one():
    history = History()
    receipt(history, source="anonymous", received_via="letter")
    assert referral(case(history))["allegation"]["made_by"] == {
        "source": "anonymous",
        "how": "letter",
        "anonymous": True,
        "name": "",
        "contact": "",
        "not_to_be_named_to_the_subject": False,
    }


def test_a_pupils_allegation_is_not_anonymous_but_still_names_no_reporter():
    history = History()
    receipt(history)
    made_by = referral(case(history))["allegation"]["made_by"]
    assert (made_by["anonymous"], made_by["name"]) == (False, "")


def test_the_children_are_named_with_their_parents_and_empty_gender():
    history = History()
    receipt(history)
    assert referral(case(history))["children"] == [
        {
            "name": "Amy Stone",
            "date_of_birth": "2014-05-06",
            "gender": "",
            "year_group": 7,
            "relationship": "concerned",
            "parents_carers": [
                {"name": "Jo Stone", "relationship": "mother", "parental_responsibility": True}
            ],
            "professionals_involved": "",
        }
    ]


def test_the_suspension_decision_is_the_last_one_considered():
    history = History()
    receipt(history)
    for decision in ("not_suspended", "suspended"):
        history.add(
            ALLEGATION,
            "Allegation.SuspensionConsidered",
            {
                "considered_at": RECEIVED,
                "alternatives": "x",
                "decision": decision,
                "rationale": "r",
            },
        )
    suspension = referral(case(history))["allegation"]["action_so_far"]["suspension"]
    assert suspension["decision"] == "suspended"


def test_earlier_concerns_and_allegations_are_listed_with_their_outcomes():
    history = History()
    earlier, concern = uuid4(), uuid4()
    history.add(concern, "LowLevelConcern.Raised", {"subject_id": ADULT, "occurred_on": None})
    history.add(concern, "LowLevelConcern.Reviewed", {"action_taken": "Advice"})
    history.add(earlier, "Allegation.Received", received(category="conduct"))
    history.add(earlier, "Allegation.OutcomeRecorded", {"outcome": "unfounded"})
    history.add(earlier, "Allegation.Closed", {"note": None})
    receipt(history)
    adult = referral(case(history))["adult"]
    assert [(c["status"], c["outcome"]) for c in adult["previous_low_level_concerns"]] == [
        ("reviewed", "")
    ]
    assert [(a["category"], a["status"], a["outcome"]) for a in adult["previous_allegations"]] == [
        ("conduct", "closed", "unfounded")
    ]


def test_a_reporters_wish_not_to_be_named_to_the_subject_is_marked():
    history = History()
    concern = uuid4()
    history.add(
        concern,
        "LowLevelConcern.Raised",
        {"subject_id": ADULT, "withhold_name_from_subject": True, "occurred_on": date(2026, 3, 2)},
        Wording("Low-level concern raised by a colleague"),
        role="member of staff",
    )
    receipt(history, from_concerns=[concern])
    gathered = case(history, linked_concerns=frozenset({concern}))
    filled = referral(gathered)
    assert filled["allegation"]["made_by"]["not_to_be_named_to_the_subject"] is True
    assert filled["timing"]["incident"] == "2026-03-02"
    assert chronology(gathered)[0]["who"] == WITHHELD


def test_an_erased_value_reads_as_erased():
    history = History()
    receipt(history, description=ERASED)
    assert referral(case(history))["allegation"]["summary"] == ERASED_TEXT


# --- the chronology -------------------------------------------------------------------------


def test_the_chronology_has_an_entry_per_event_in_store_order_with_its_position():
    history = History()
    first = receipt(history)
    lado = history.add(
        ALLEGATION,
        "Allegation.LadoConsulted",
        {"consulted_at": RECEIVED},
        Wording(
            "LADO consulted, reference {detail}",
            detail="L-42",
            what="A. Lado",
            decision="Proceed",
            rationale="Threshold met",
        ),
        role="designated safeguarding lead",
    )
    assert chronology(case(history)) == [
        {
            "position": first.position,
            "when": first.recorded_at.isoformat(),
            "who": "headteacher",
            "what": "Allegation received; case manager Hal Price\nMs Cole pushed Amy Stone",
            "decision": None,
            "rationale": None,
        },
        {
            "position": lado.position,
            "when": lado.recorded_at.isoformat(),
            "who": "designated safeguarding lead",
            "what": "LADO consulted, reference L-42\nA. Lado",
            "decision": "Proceed",
            "rationale": "Threshold met",
        },
    ]


def test_the_chronology_leaves_out_the_adults_other_records():
    history = History()
    other = uuid4()
    history.add(other, "Allegation.Received", received(), Wording("Allegation received"))
    receipt(history)
    assert [e["position"] for e in chronology(case(history))] == [history.events[1].position]


def test_an_erased_rationale_reads_as_erased_in_the_chronology():
    history = History()
    receipt(history)
    history.add(ALLEGATION, "Allegation.OutcomeRecorded", {}, Wording("Outcome", rationale=ERASED))
    assert chronology(case(history))[1]["rationale"] == ERASED_TEXT


# --- pseudonyms -----------------------------------------------------------------------------


def named_twice() -> History:
    """Cal then Ben named in the description, and Ben again in the LADO's advice."""
    history = History()
    receipt(history, description="Cal Reed and Ben Ward saw Ms Cole push Amy Stone")
    history.add(
        ALLEGATION,
        "Allegation.LadoConsulted",
        {"advice": "Speak to ben ward's parents"},
        Wording("LADO consulted", rationale="Speak to ben ward's parents"),
    )
    return history


def test_other_pupils_are_child_a_b_by_first_appearance():
    assert pseudonyms(case(named_twice())) == {CAL: "Child A", BEN: "Child B"}


def test_the_pseudonyms_are_the_same_in_the_referral_and_the_chronology():
    gathered = case(named_twice())
    summary = referral(gathered)["allegation"]["summary"]
    entries = chronology(gathered)
    assert summary == "Child A and Child B saw Ms Cole push Amy Stone"
    assert entries[0]["what"].endswith(summary)
    assert entries[1]["rationale"] == "Speak to Child B's parents"


def test_the_pseudonyms_are_stable():
    assert contents(case(named_twice())).pseudonyms == pseudonyms(case(named_twice()))


def test_a_concerned_child_keeps_their_name():
    assert AMY not in pseudonyms(case(named_twice()))


def test_a_child_taken_off_the_allegation_is_pseudonymised():
    history = History()
    receipt(history, children=[{"pupil_id": BEN, "relationship": "witness"}])
    history.add(
        ALLEGATION,
        "Allegation.DetailsRecorded",
        {"children": [{"pupil_id": AMY, "relationship": "concerned"}]},
    )
    assert pseudonyms(case(history)) == {BEN: "Child A"}


# --- what each event discloses --------------------------------------------------------------


def test_a_field_naming_another_pupil_is_not_disclosed():
    gathered = case(named_twice())
    shown = disclosures(gathered)
    assert "description" not in shown[gathered.events[0].position]
    assert "advice" not in shown[gathered.events[1].position]


def test_a_field_naming_only_the_concerned_child_is_disclosed():
    history = History()
    receipt(history)
    assert "description" in disclosures(case(history))[history.events[0].position]


def test_a_field_holding_another_pupil_is_not_disclosed():
    history = History()
    receipt(history, children=[{"pupil_id": BEN, "relationship": "witness"}])
    history.add(
        ALLEGATION,
        "Allegation.DetailsRecorded",
        {"children": [{"pupil_id": AMY, "relationship": "concerned"}]},
    )
    shown = disclosures(case(history))
    assert "children" not in shown[history.events[0].position]
    assert "children" in shown[history.events[1].position]


def test_an_erased_value_is_never_disclosed():
    history = History()
    receipt(history, injury=ERASED)
    assert "injury" not in disclosures(case(history))[history.events[0].position]


def test_a_login_the_bundle_does_not_show_is_not_disclosed():
    history = History()
    receipt(history)
    shown = disclosures(case(history))[history.events[0].position]
    assert shown.isdisjoint({"actor", "case_manager", "case_team", "subject_user_id"})


def test_an_earlier_allegation_discloses_only_what_the_referral_shows_of_it():
    history = History()
    earlier = uuid4()
    history.add(earlier, "Allegation.Received", received())
    receipt(history)
    assert disclosures(case(history))[history.events[0].position] == {
        "subject_id",
        "received_at",
        "category",
    }


def test_a_parents_link_to_a_pupil_not_concerned_is_not_disclosed():
    history = History()
    receipt(history)
    parent = uuid4()
    history.add(parent, "ParentCarer.Registered", {"full_name": "Jo Stone"})
    link = {"relationship": "mother", "parental_responsibility": True}
    history.add(parent, "ParentCarer.LinkedToPupil", {"pupil_id": AMY, **link})
    history.add(parent, "ParentCarer.LinkedToPupil", {"pupil_id": CAL, **link})
    shown = disclosures(case(history))
    assert "pupil_id" in shown[history.events[2].position]
    assert shown[history.events[3].position] == set()


def test_every_event_gathered_is_exported_in_store_order():
    history = named_twice()
    exported = contents(case(history)).events
    assert [(e.position, e.aggregate_id, e.version) for e in exported] == [
        (e.position, e.aggregate_id, e.version) for e in history.events
    ]


# --- what stays out, and the case's reference --------------------------------------------


def decided(outcome: str, consented: bool = False) -> list[Event]:
    history = History()
    earlier = uuid4()
    history.add(earlier, "Allegation.Received", received())
    history.add(earlier, "Allegation.OutcomeRecorded", {"outcome": outcome})
    if consented:
        history.add(earlier, "Allegation.RetentionConsentRecorded", {"method": "written"})
    return history.events


def test_an_earlier_false_allegation_stays_out_of_the_bundle():
    assert left_out(decided("false"))


def test_an_earlier_malicious_allegation_kept_with_consent_is_in_the_bundle():
    assert not left_out(decided("malicious", consented=True))


def test_an_earlier_unfounded_allegation_is_in_the_bundle():
    assert not left_out(decided("unfounded"))


def test_the_case_reference_is_the_lados_last_reference():
    history = History()
    receipt(history)
    for reference in ("L-1", None, "L-2"):
        history.add(ALLEGATION, "Allegation.LadoConsulted", {"reference": reference})
    assert case_reference(case(history)) == "L-2"


def test_without_a_lado_reference_the_case_reference_is_the_allegations_id():
    history = History()
    receipt(history)
    assert contents(case(history)).case_reference == str(ALLEGATION)


def test_an_amendment_that_empties_the_children_leaves_none():
    history = History()
    receipt(history)
    history.add(ALLEGATION, "Allegation.DetailsRecorded", {"children": []})
    assert referral(case(history))["children"] == []


def test_a_name_is_found_whatever_its_case_and_spacing():
    history = History()
    receipt(history, description="Seen by BEN\n  ward")
    assert referral(case(history))["allegation"]["summary"] == "Seen by Child A"


def test_a_name_inside_a_longer_name_is_not_another_pupils():
    history = History()
    receipt(history, description="Seen by Ben Wardle")
    assert pseudonyms(case(history)) == {}


def staff_registered(history: History, staff_id: UUID) -> Event:
    return history.add(
        staff_id,
        "StaffMember.Registered",
        {
            "full_name": "Someone",
            "staff_role": "teacher",
            "user_id": "someone@oak",
            "started_on": date(2020, 1, 6),
        },
    )


def test_the_adults_staff_record_discloses_their_name_role_and_start():
    history = History()
    registered = staff_registered(history, ADULT)
    receipt(history)
    assert disclosures(case(history))[registered.position] == {
        "full_name",
        "staff_role",
        "started_on",
    }


def test_another_staff_record_discloses_only_the_name_the_referral_shows():
    history = History()
    registered = staff_registered(history, uuid4())
    receipt(history)
    assert disclosures(case(history))[registered.position] == {"full_name"}

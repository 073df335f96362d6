"""An allegation's referral details end to end over HTTP (issue 18; docs/rules.md §11): given at
receipt, amended with recordAllegationDetails, shown on the allegation and in its chronology;
bad values refused with a typed error, appending nothing."""

from __future__ import annotations

from tests.api_client import Client, staff_ids
from tests.integration.test_staff_cases_api import CHANGED, decide, receive, step

DETAILS = (
    "query($id: ID!, $p: Position) { allegation(id: $id, minPosition: $p) { "
    "childrenConcerned { pupilId relationship } location { value } moreThanOneIncident "
    "afterPhysicalIntervention injury { value } othersTold { value } "
    "chronology { kind summary actor } } }"
)


def pupils(client: Client) -> dict[str, str]:
    edges = client.data("{ pupils(first: 50) { edges { node { id fullName { value } } } } }")[
        "pupils"
    ]["edges"]
    return {e["node"]["fullName"]["value"]: e["node"]["id"] for e in edges}


def details_of(client: Client, allegation_id: str, position: str) -> dict:
    return client.data(DETAILS, {"id": allegation_id, "p": position})["allegation"]


def amend(client: Client, allegation_id: str, **details) -> dict:
    return client.mutate(
        "recordAllegationDetails",
        "RecordAllegationDetailsInput",
        {"allegationId": allegation_id, "details": details},
        CHANGED,
    )


def a_case(users) -> tuple[Client, Client, str]:
    """The headteacher, the DSL who received it, and an allegation about a teacher."""
    dsl, head = users("dsl@primary.demo"), users("head@primary.demo")
    received = receive(dsl, staff_ids(head)["Sam Jones (primary)"])
    return head, dsl, received["allegationId"]


def test_details_given_at_receipt_then_amended_are_shown_with_the_amendment_in_the_chronology(
    users, demo
):
    dsl, head = users("dsl@primary.demo"), users("head@primary.demo")
    [concerned, witness, *_] = pupils(head).values()
    received = receive(
        dsl,
        staff_ids(head)["Sam Jones (primary)"],
        details={
            "childrenConcerned": [{"pupilId": concerned, "relationship": "CONCERNED"}],
            "location": "The science corridor",
            "moreThanOneIncident": "NOT_KNOWN",
            "injury": "A red mark on the forearm",
        },
    )
    case = received["allegationId"]
    amended = amend(
        head,
        case,
        childrenConcerned=[
            {"pupilId": concerned, "relationship": "CONCERNED"},
            {"pupilId": witness, "relationship": "WITNESS"},
        ],
        moreThanOneIncident="YES",
        afterPhysicalIntervention="NO",
        othersTold="The pupil's form tutor, the same afternoon",
    )
    assert amended["__typename"] == "StaffCaseChanged", amended

    seen = details_of(head, case, amended["position"])
    assert seen["childrenConcerned"] == [
        {"pupilId": concerned, "relationship": "CONCERNED"},
        {"pupilId": witness, "relationship": "WITNESS"},
    ]
    assert seen["location"] == {"value": "The science corridor"}
    assert seen["injury"] == {"value": "A red mark on the forearm"}
    assert seen["othersTold"] == {"value": "The pupil's form tutor, the same afternoon"}
    assert (seen["moreThanOneIncident"], seen["afterPhysicalIntervention"]) == ("YES", "NO")
    assert seen["chronology"][-1] == {
        "kind": "details",
        "summary": "Details recorded: children concerned: 2 (1 concerned, 1 witness); more than "
        "one incident: yes; after an authorised physical intervention: no; who else was told",
        "actor": "head@primary.demo",
    }


def test_an_allegation_received_without_details_shows_none(users, demo):
    dsl, head = users("dsl@primary.demo"), users("head@primary.demo")
    received = receive(dsl, staff_ids(head)["Sam Jones (primary)"])
    seen = details_of(head, received["allegationId"], received["position"])
    assert seen["childrenConcerned"] == []
    assert [seen[f] for f in ("location", "moreThanOneIncident", "injury", "othersTold")] == [
        None
    ] * 4


def test_a_pupil_of_another_school_is_refused_as_not_found(users, demo, container):
    head, _, case = a_case(users)
    elsewhere = next(iter(pupils(users("head@academy.demo")).values()))
    before = container.head()
    refused = amend(
        head, case, childrenConcerned=[{"pupilId": elsewhere, "relationship": "WITNESS"}]
    )
    assert (refused["__typename"], refused["code"]) == ("NotFoundError", "NOT_FOUND")
    assert container.head() == before


def test_an_amendment_that_gives_nothing_is_refused(users, demo, container):
    head, _, case = a_case(users)
    before = container.head()
    refused = amend(head, case)
    assert (refused["code"], refused["field"]) == ("NOTHING_TO_AMEND", "details")
    assert container.head() == before


def test_a_location_too_long_is_refused_at_receipt(users, demo, container):
    dsl, head = users("dsl@primary.demo"), users("head@primary.demo")
    before = container.head()
    refused = receive(dsl, staff_ids(head)["Sam Jones (primary)"], details={"location": "x" * 501})
    assert (refused["code"], refused["field"]) == ("VALIDATION_ERROR", "location")
    assert container.head() == before


def test_a_closed_allegation_refuses_an_amendment(users, demo, container):
    head, _, case = a_case(users)
    decide(head, case, "UNFOUNDED")
    step(head, "closeAllegation", "CloseAllegationInput", {"allegationId": case})
    before = container.head()
    refused = amend(head, case, injury="None seen")
    assert refused["code"] == "CASE_CLOSED"
    assert container.head() == before


def test_a_member_of_the_case_team_amends_the_details(users, demo):
    """The DSL who received it is on the case team, as for the LADO consultation."""
    _, dsl, case = a_case(users)
    amended = amend(dsl, case, location="The playground")
    assert amended["__typename"] == "StaffCaseChanged", amended

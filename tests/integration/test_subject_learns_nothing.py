"""The subject of a record learns nothing about it (issue 14 §3), end to end over HTTP from
`casework seed demo`: not who read it, not through a reader they appointed, not even that it
exists; and every refused attempt is evidence the DPO sees."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from api.wiring import Container
from domain.shared.actor import acting_as
from domain.shared.policy import Principal, Role
from tests import builders as make
from tests.api_client import Client, staff_ids

NOW = datetime.now(UTC).replace(microsecond=0)
MET = {"harmedChild": True, "possibleOffence": False, "riskOfHarm": False, "unsuitable": False}
ERROR = "... on NotFoundError { recordId } ... on VersionConflictError { actualVersion }"
LOG = (
    "query($r: ID!) { accessLog(recordId: $r, first: 100) { edges { node { userId action "
    "recordType recordId outcome } } } }"
)
CONCERN = (
    "query($id: ID!, $p: Position) { lowLevelConcern(id: $id, minPosition: $p) { raisedBy "
    "details { value } } }"
)
ALLEGATION = (
    "query($id: ID!, $p: Position) { allegation(id: $id, minPosition: $p) { description "
    "{ value } } }"
)


def receive(client: Client, staff_id: str) -> dict:
    received = client.mutate(
        "receiveAllegation",
        "ReceiveAllegationInput",
        {
            "staffMemberId": staff_id,
            "receivedAt": NOW.isoformat(),
            "source": "PARENT_CARER",
            "receivedVia": "EMAIL",
            "description": "A parent says the adult grabbed their child's arm",
            "harmTests": MET,
            "category": "PHYSICAL",
        },
        "... on AllegationReceived { allegationId position }",
    )
    assert received["__typename"] == "AllegationReceived", received
    return received


def grant(client: Client, user_id: str, role: str, demo: dict, school: str | None) -> str:
    fields = {"userId": user_id, "role": role, "trustId": demo["trust"]}
    if school is not None:
        fields["schoolId"] = demo[school]
    granted = client.mutate(
        "grantRole", "RoleGrantInput", fields, "... on GrantRoleSuccess { position }"
    )
    assert granted["__typename"] == "GrantRoleSuccess", granted
    return granted["position"]


def log_of(client: Client, record_id: str) -> list[tuple[str, str, str]]:
    edges = client.data(LOG, {"r": record_id})["accessLog"]["edges"]
    return [(e["node"]["userId"], e["node"]["action"], e["node"]["outcome"]) for e in edges]


def record_outcome(client: Client, allegation_id: str, expected_version: int | None = None):
    fields = {
        "allegationId": allegation_id,
        "outcome": "UNFOUNDED",
        "decidedAt": NOW.isoformat(),
        "summary": "No basis found",
        "rationale": "Witnesses saw nothing",
        "expectedVersion": expected_version,
    }
    return client.mutate("recordAllegationOutcome", "RecordAllegationOutcomeInput", fields, ERROR)


def as_unknown(answer: dict, record_id: str) -> dict:
    """An answer with the record's id replaced, to compare with the answer for an unknown id."""
    return {k: str(v).replace(record_id, "ID") for k, v in answer.items()}


@pytest.fixture
def dpo_as_subject(users, demo) -> tuple[str, str]:
    """The trust's DPO also works at the primary school (a staff record with their login), and a
    second DPO, appointed at the school by the headteacher, reads that school's access log."""
    head = users("head@primary.demo")
    registered = head.mutate(
        "registerStaffMember",
        "RegisterStaffMemberInput",
        {
            "schoolId": demo["primary"],
            "fullName": "Priya Shah",
            "role": "TEACHER",
            "userId": "dpo@demo.trust",
        },
        "... on RegisterStaffMemberSuccess { staffMemberId }",
    )
    grant(head, "dpo2@primary.demo", "DPO", demo, "primary")
    received = receive(users("dsl@primary.demo"), registered["staffMemberId"])
    return received["allegationId"], received["position"]


def test_the_dpo_who_is_the_subject_of_an_allegation_never_sees_who_read_it(users, dpo_as_subject):
    allegation_id, position = dpo_as_subject
    users("head@primary.demo").data(ALLEGATION, {"id": allegation_id, "p": position})
    assert ("head@primary.demo", "view", "READ") in log_of(
        users("dpo2@primary.demo"), allegation_id
    )
    assert log_of(users("dpo@demo.trust"), allegation_id) == []


def test_the_dpo_named_in_an_incident_never_sees_who_read_it(users, demo, dpo_as_subject):
    dsl = users("dsl@primary.demo")
    pupil = dsl.data("{ pupils(first: 1) { edges { node { id } } } }")["pupils"]["edges"][0]
    reported = users("teacher@primary.demo").mutate(
        "reportIncident",
        "ReportIncidentInput",
        {
            "schoolId": demo["primary"],
            "occurredAt": NOW.isoformat(),
            "reportedAt": NOW.isoformat(),
            "category": "cyberbullying",
            "description": "Messages in a class group, a member of staff added",
            "people": [
                {"personId": pupil["node"]["id"], "part": "PUPIL_HARMED"},
                {"personId": staff_ids(dsl)["Priya Shah"], "part": "STAFF_MEMBER"},
            ],
        },
        "... on IncidentChanged { incidentId position }",
    )
    dsl.data(
        "query($id: ID!, $p: Position) { incident(id: $id, minPosition: $p) { status } }",
        {"id": reported["incidentId"], "p": reported["position"]},
    )
    assert ("dsl@primary.demo", "view", "READ") in log_of(
        users("dpo2@primary.demo"), reported["incidentId"]
    )
    assert log_of(users("dpo@demo.trust"), reported["incidentId"]) == []


def test_a_refused_read_is_in_the_dpo_s_access_log_and_never_shown_to_the_subject(
    users, dpo_as_subject
):
    allegation_id, position = dpo_as_subject
    body = users("dpo@demo.trust").gql(ALLEGATION, {"id": allegation_id, "p": position})
    assert body["data"]["allegation"] is None
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert ("dpo@demo.trust", "view", "REFUSED") in log_of(
        users("dpo2@primary.demo"), allegation_id
    )
    assert log_of(users("dpo@demo.trust"), allegation_id) == []


@pytest.fixture
def concern_about_the_head(users) -> tuple[str, str]:
    """A teacher raises a low-level concern about the headteacher, asking not to be named."""
    teacher = users("teacher@primary.demo")
    head_record = staff_ids(users("dsl@primary.demo"))["Head of primary"]
    raised = teacher.mutate(
        "raiseLowLevelConcern",
        "RaiseLowLevelConcernInput",
        {
            "staffMemberId": head_record,
            "details": "Kept a pupil behind a closed door at lunchtime",
            "withholdNameFromSubject": True,
        },
        "... on StaffCaseChanged { id position }",
    )
    assert raised["__typename"] == "StaffCaseChanged", raised
    return raised["id"], raised["position"]


def test_a_reader_the_subject_appointed_cannot_read_the_concern_about_them(
    users, demo, concern_about_the_head
):
    concern_id, _ = concern_about_the_head
    position = grant(
        users("head@primary.demo"), "second@primary.demo", "HEADTEACHER", demo, "primary"
    )
    body = users("second@primary.demo").gql(CONCERN, {"id": concern_id, "p": position})
    assert body["data"]["lowLevelConcern"] is None
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_a_reader_the_subject_appointed_does_not_find_the_concern_in_listings(
    users, demo, concern_about_the_head
):
    concern_id, _ = concern_about_the_head
    position = grant(
        users("head@primary.demo"), "second@primary.demo", "HEADTEACHER", demo, "primary"
    )
    listed = users("second@primary.demo").data(
        "query($p: Position) { lowLevelConcerns(minPosition: $p) { edges { node { id } } } }",
        {"p": position},
    )["lowLevelConcerns"]["edges"]
    assert concern_id not in [e["node"]["id"] for e in listed]


def test_the_appointee_s_attempt_on_the_concern_is_logged_for_the_dpo(
    users, demo, concern_about_the_head
):
    concern_id, _ = concern_about_the_head
    position = grant(
        users("head@primary.demo"), "second@primary.demo", "HEADTEACHER", demo, "primary"
    )
    users("second@primary.demo").gql(CONCERN, {"id": concern_id, "p": position})
    assert ("second@primary.demo", "view", "REFUSED") in log_of(users("dpo@demo.trust"), concern_id)


def test_a_mutation_on_another_school_s_record_answers_exactly_as_an_unknown_id(users):
    primary_dsl, academy_head = users("dsl@primary.demo"), users("head@academy.demo")
    allegation_id = receive(primary_dsl, staff_ids(primary_dsl)["Sam Jones (primary)"])[
        "allegationId"
    ]
    unknown = str(uuid4())
    assert as_unknown(record_outcome(academy_head, allegation_id), allegation_id) == as_unknown(
        record_outcome(academy_head, unknown), unknown
    )


def test_the_subject_acting_on_their_own_allegation_gets_exactly_the_unknown_id_answer(users):
    dsl, subject = users("dsl@primary.demo"), users("teacher@primary.demo")
    allegation_id = receive(dsl, staff_ids(dsl)["Sam Jones (primary)"])["allegationId"]
    unknown = str(uuid4())
    answer = record_outcome(subject, allegation_id)
    assert answer["code"] == "NOT_FOUND"
    assert as_unknown(answer, allegation_id) == as_unknown(
        record_outcome(subject, unknown), unknown
    )


def test_a_stale_expected_version_from_another_trust_gets_the_unknown_id_answer(
    users, container: Container
):
    with acting_as(Principal.operator("tests")):
        trust_id = make.trust(container.app, "Elm Trust")
        make.grant(container.app, "tsl@elm.trust", Role.TRUST_SAFEGUARDING_LEAD, trust_id)
    dsl, elm_lead = users("dsl@primary.demo"), users("tsl@elm.trust")
    allegation_id = receive(dsl, staff_ids(dsl)["Sam Jones (primary)"])["allegationId"]
    unknown = str(uuid4())
    assert as_unknown(record_outcome(elm_lead, allegation_id, 7), allegation_id) == as_unknown(
        record_outcome(elm_lead, unknown, 7), unknown
    )


def test_a_refused_command_on_a_case_is_in_the_dpo_s_access_log(users):
    dsl, academy_head = users("dsl@primary.demo"), users("head@academy.demo")
    allegation_id = receive(dsl, staff_ids(dsl)["Sam Jones (primary)"])["allegationId"]
    record_outcome(academy_head, allegation_id)
    assert ("head@academy.demo", "recordAllegationOutcome", "REFUSED") in log_of(
        users("dpo@demo.trust"), allegation_id
    )

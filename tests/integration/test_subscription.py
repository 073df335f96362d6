"""The DSL's live feed over graphql-transport-ws: authorised at connection and per event."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from api.auth import issue_dev_token
from tests.api_client import Client

SUBSCRIBE = (
    "subscription($s: ID!) { incidentReported(schoolId: $s) { incidentId schoolId category } }"
)


def connect_with(live, token: str):
    """A graphql-transport-ws connection, initialised with ``token``."""
    ws = connect(
        live.url.replace("http", "ws") + "/graphql",
        subprotocols=["graphql-transport-ws"],
        open_timeout=10,
    ).__enter__()
    ws.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    )
    assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
    return ws


def subscribe(ws, query: str, variables: dict | None = None, id: str = "1") -> None:
    ws.send(
        json.dumps(
            {"id": id, "type": "subscribe", "payload": {"query": query, "variables": variables}}
        )
    )


def open_feed(live, settings, user: str, school: str, token: str | None = None):
    ws = connect_with(live, token or issue_dev_token(settings, user))
    subscribe(ws, SUBSCRIBE, {"s": school})
    return ws


def report_one(live, settings, school: str) -> str:
    dsl = Client(live.url, settings, "dsl@primary.demo")
    pupil = dsl.data("{ pupils(first: 1) { edges { node { id } } } }")["pupils"]["edges"][0][
        "node"
    ]["id"]
    now = datetime.now(UTC)
    result = dsl.mutate(
        "reportIncident",
        "ReportIncidentInput",
        {
            "schoolId": school,
            "occurredAt": (now - timedelta(hours=1)).isoformat(),
            "reportedAt": now.isoformat(),
            "category": "cyberbullying",
            "description": "Messages",
            "people": [{"personId": pupil, "part": "PUPIL_HARMED"}],
        },
        "... on IncidentChanged { incidentId }",
    )
    return result["incidentId"]


def test_a_dsl_receives_new_incidents_of_their_school(live, settings, demo):
    with open_feed(live, settings, "dsl@primary.demo", demo["primary"]) as ws:
        incident_id = report_one(live, settings, demo["primary"])
        message = json.loads(ws.recv(timeout=15))
    assert message["type"] == "next"
    assert message["payload"]["data"]["incidentReported"] == {
        "incidentId": incident_id,
        "schoolId": demo["primary"],
        "category": "cyberbullying",
    }


def test_another_schools_dsl_is_refused_the_feed(live, settings, demo):
    with open_feed(live, settings, "dsl@academy.demo", demo["primary"]) as ws:
        message = json.loads(ws.recv(timeout=15))
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    assert message["type"] == "error" or message["payload"].get("data") is None


def test_a_connection_without_a_valid_token_is_closed(live, settings, demo):
    with connect(
        live.url.replace("http", "ws") + "/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:
        ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": "Bearer nonsense"}})
        )
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert "4403" in str(closed.value)


def test_a_revoked_dsl_stops_receiving(live, settings, demo, container):
    head = Client(live.url, settings, "head@primary.demo")
    with open_feed(live, settings, "dsl@primary.demo", demo["primary"]) as ws:
        # the feed is running (past its access check at the start) once it delivers
        report_one(live, settings, demo["primary"])
        assert json.loads(ws.recv(timeout=15))["type"] == "next"
        revoked = head.mutate(
            "revokeRole",
            "RoleGrantInput",
            {
                "userId": "dsl@primary.demo",
                "role": "DSL",
                "trustId": demo["trust"],
                "schoolId": demo["primary"],
            },
            "... on RevokeRoleSuccess { position }",
        )
        assert revoked["__typename"] == "RevokeRoleSuccess"
        message = json.loads(ws.recv(timeout=15))
    errors = message["payload"] if message["type"] == "error" else message["payload"].get("errors")
    assert errors and errors[0]["extensions"]["code"] == "NOT_AUTHORISED"


def test_a_feed_ends_when_its_token_expires_though_no_event_arrives(live, settings, demo):
    token = issue_dev_token(settings, "dsl@primary.demo", hours=2 / 3600)  # two seconds
    with open_feed(live, settings, "dsl@primary.demo", demo["primary"], token) as ws:
        message = json.loads(ws.recv(timeout=15))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=15)
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "TOKEN_EXPIRED"
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


def test_a_query_over_the_websocket_is_answered(live, settings, demo):
    with connect_with(live, issue_dev_token(settings, "dsl@primary.demo")) as ws:
        subscribe(ws, "{ me { userId } }", id="q")
        answer, done = json.loads(ws.recv(timeout=15)), json.loads(ws.recv(timeout=15))
    cost = answer["payload"].pop("extensions")["cost"]  # as over HTTP (api.query_cost)
    assert answer == {
        "id": "q",
        "type": "next",
        "payload": {"data": {"me": {"userId": "dsl@primary.demo"}}},
    }
    assert (cost["requested"], cost["actual"]) == (2, 2)
    assert done == {"id": "q", "type": "complete"}


def test_a_mutation_over_the_websocket_is_recorded(live, settings, demo):
    mutation = (
        "mutation($i: RegisterPupilInput!) { registerPupil(input: $i) { __typename "
        "... on RegisterPupilSuccess { pupilId position } } }"
    )
    pupil = {"schoolId": demo["primary"], "fullName": "Zara Ahmed", "dateOfBirth": "2016-02-03"}
    with connect_with(live, issue_dev_token(settings, "datalead@primary.demo")) as ws:
        subscribe(ws, mutation, {"i": pupil | {"yearGroup": 3}}, id="m")
        answer = json.loads(ws.recv(timeout=15))
    registered = answer["payload"]["data"]["registerPupil"]
    assert registered["__typename"] == "RegisterPupilSuccess"
    lead = Client(live.url, settings, "datalead@primary.demo")
    read = lead.data(
        "query($id: ID!, $p: Position) { pupil(id: $id, minPosition: $p) { id } }",
        {"id": registered["pupilId"], "p": registered["position"]},
    )
    assert read == {"pupil": {"id": registered["pupilId"]}}


def test_a_read_over_the_websocket_is_written_to_the_access_log(live, settings, demo):
    with connect_with(live, issue_dev_token(settings, "dsl@primary.demo")) as ws:
        subscribe(ws, "{ pupils(first: 1) { edges { node { id } } } }", id="q")
        answer = json.loads(ws.recv(timeout=15))
        assert json.loads(ws.recv(timeout=15))["type"] == "complete"
    pupil = answer["payload"]["data"]["pupils"]["edges"][0]["node"]["id"]
    dpo = Client(live.url, settings, "dpo@demo.trust")
    entries = dpo.data(
        "query($r: ID) { accessLog(recordId: $r) { edges { node { userId action } } } }",
        {"r": pupil},
    )["accessLog"]["edges"]
    assert {"userId": "dsl@primary.demo", "action": "list"} in [e["node"] for e in entries]

"""Nothing personal in the logs: bad input through every door of the API leaves none of its
values in any logger's output; refusals make at most one line per request; an unexpected error
one line, with the id the client was given."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from websockets.sync.client import connect

from api.auth import issue_dev_token
from tests.api_client import Client

NARRATIVE = "MARKER-NARRATIVE disclosed abuse by his uncle"
BORN = "MARKER-BORN-2016-02-30"
MARKERS = ("MARKER-NARRATIVE", "MARKER-BORN", "MARKER-ID", "MARKER-NOTE")
UNKNOWN = "00000000-0000-4000-8000-000000000000"
EVERY_LOGGER = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "strawberry", "graphql")
CLIENT_LOGGERS = ("httpx", "httpcore", "websockets.client")

REPORT = "mutation Report($i: ReportIncidentInput!) { reportIncident(input: $i) { __typename } }"


def misspelt_report(school: str) -> dict:
    """An incident report with a misspelt field and a mistyped date, as the issue found."""
    return {
        "schoolId": school,
        "occurredAt": BORN,
        "reportedAt": "2026-11-21T08:40:00Z",
        "category": "cyberbullying",
        "description": NARRATIVE,
        "peopel": [{"personId": "MARKER-ID", "part": "PUPIL_HARMED"}],
    }


@pytest.fixture
def logs(caplog) -> Iterator[pytest.LogCaptureFixture]:
    """Every record of every logger at DEBUG, uvicorn's own (which do not propagate) included."""
    caplog.set_level(logging.DEBUG)
    attached = [logging.getLogger(name) for name in EVERY_LOGGER if name]
    levels = [logger.level for logger in attached]
    for logger in attached:
        logger.addHandler(caplog.handler)
        logger.setLevel(logging.DEBUG)
    yield caplog
    for logger, level in zip(attached, levels, strict=True):
        logger.removeHandler(caplog.handler)
        logger.setLevel(level)


def captured(logs: pytest.LogCaptureFixture) -> str:
    """Each record as a handler would write it, the exception's traceback included."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(r) for r in server_records(logs))


def server_records(logs: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The service's records, not the test's own clients'."""
    return [r for r in logs.records if not r.name.startswith(CLIENT_LOGGERS)]


def send_over_json_literals(live, settings, demo) -> None:
    dsl = Client(live.url, settings, "dsl@primary.demo")
    dsl.post(
        f'mutation {{ reportIncident(input: {{schoolId: "{demo["primary"]}", occurredAt: "{BORN}", '
        f'reportedAt: "2026-11-21T08:40:00Z", category: "cyberbullying", '
        f'description: "{NARRATIVE}", '
        'peopel: [{personId: "MARKER-ID", part: PUPIL_HARMED}]}) { __typename } }'
    )
    dsl.post('{ pupil(id: "MARKER-ID") { id } }')


def send_over_variables(live, settings, demo) -> None:
    dsl = Client(live.url, settings, "dsl@primary.demo")
    dsl.post(REPORT, {"i": misspelt_report(demo["primary"])})
    dsl.post(REPORT, {"i": misspelt_report(demo["primary"]) | {"peopel": None, "people": []}})
    lead = Client(live.url, settings, "datalead@primary.demo")
    lead.post(
        "mutation($i: RegisterPupilInput!) { registerPupil(input: $i) { __typename } }",
        {"i": {"schoolId": demo["primary"], "fullName": NARRATIVE, "dateOfBirth": BORN}},
    )


def send_over_multipart(live, settings, demo) -> None:
    dsl = Client(live.url, settings, "dsl@primary.demo")
    operations = {
        "query": "mutation($i: AttachEvidenceInput!) { attachEvidence(input: $i) { __typename } }",
        "variables": {"i": {"incidentId": "MARKER-ID", "file": None, "nmoe": "MARKER-NOTE"}},
    }
    dsl.http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.i.file"]})},
        files={"0": ("MARKER-NOTE.png", b"MARKER-NOTE", "image/png")},
        headers=dsl.headers,
    )


def send_over_websocket(live, settings, demo) -> None:
    token = issue_dev_token(settings, "dsl@primary.demo")
    with connect(
        live.url.replace("http", "ws") + "/graphql",
        subprotocols=["graphql-transport-ws"],
        open_timeout=10,
    ) as ws:
        ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        subscription = "subscription($s: ID!) { incidentReported(schoolId: $s) { incidentId } }"
        for n, variables in enumerate(({"s": ["MARKER-ID", NARRATIVE]}, {"s": "MARKER-ID"})):
            ws.send(
                json.dumps(
                    {
                        "id": str(n),
                        "type": "subscribe",
                        "payload": {"query": subscription, "variables": variables},
                    }
                )
            )
            assert json.loads(ws.recv(timeout=10))["type"] in ("error", "next")


@pytest.mark.parametrize(
    "send",
    [send_over_json_literals, send_over_variables, send_over_multipart, send_over_websocket],
    ids=["json body", "variables", "multipart", "websocket"],
)
def test_bad_input_through_any_door_leaves_none_of_its_values_in_the_logs(
    live, settings, demo, logs, send
):
    send(live, settings, demo)
    text = captured(logs)
    assert [m for m in MARKERS if m in text] == [], text


def test_a_misspelt_input_field_is_answered_without_echoing_the_input(live, settings, demo):
    dsl = Client(live.url, settings, "dsl@primary.demo")
    response = dsl.post(REPORT, {"i": misspelt_report(demo["primary"])})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["BAD_REQUEST"] * len(errors)
    assert any("peopel" in e["message"] for e in errors)
    assert [m for m in MARKERS if m in response.text] == []


def test_twenty_aliased_not_founds_log_one_line_naming_the_operation_and_code(
    live, settings, demo, logs
):
    dsl = Client(live.url, settings, "dsl@primary.demo")
    aliases = " ".join(f'p{n}: pupil(id: "{UNKNOWN}") {{ id }}' for n in range(20))
    body = dsl.gql(f"query Twenty {{ {aliases} }}")
    assert len(body["errors"]) == 20
    lines = [r for r in server_records(logs) if not r.name.startswith("uvicorn")]
    assert [(r.levelname, r.getMessage().split(" (request")[0]) for r in lines] == [
        ("INFO", "operation Twenty refused: NOT_FOUNDx20")
    ]


def test_an_unexpected_error_is_logged_once_with_the_request_id_the_client_was_given(
    live, settings, demo, logs, monkeypatch
):
    from projections.directory import queries

    def broken(*args, **kwargs):
        raise RuntimeError("internal detail")

    monkeypatch.setattr(queries, "pupils", broken)
    response = Client(live.url, settings, "dsl@primary.demo").post(
        "{ pupils { edges { node { id } } } }"
    )
    request_id = response.headers["x-request-id"]
    assert response.json()["errors"][0]["extensions"] == {
        "code": "INTERNAL",
        "requestId": request_id,
    }
    errors = [r for r in server_records(logs) if r.levelno >= logging.ERROR]
    assert [(request_id in r.getMessage(), r.exc_info is not None) for r in errors] == [
        (True, True)
    ]


def test_a_well_formed_request_id_sent_is_kept_and_a_malformed_one_replaced(live, settings, demo):
    dsl = Client(live.url, settings, "dsl@primary.demo")
    query = {"query": "{ me { userId } }"}
    kept = dsl.http.post("/graphql", json=query, headers=dsl.headers | {"x-request-id": "abc-123"})
    replaced = dsl.http.post(
        "/graphql", json=query, headers=dsl.headers | {"x-request-id": "MARKER NARRATIVE/../"}
    )
    assert kept.headers["x-request-id"] == "abc-123"
    assert replaced.headers["x-request-id"] not in ("", "MARKER NARRATIVE/../")

"""Incidents end to end over HTTP, from `casework seed demo`: the DSL's daily work."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.api_client import Client

NOW = datetime.now(UTC).replace(microsecond=0)
RESULT = "... on IncidentChanged { incidentId position } ... on ValidationError { field }"


def as_user(live, settings, user: str) -> Client:
    return Client(live.url, settings, user)


def pupils(client: Client) -> dict[str, str]:
    edges = client.data("{ pupils(first: 50) { edges { node { id fullName { value } } } } }")[
        "pupils"
    ]["edges"]
    return {e["node"]["fullName"]["value"]: e["node"]["id"] for e in edges}


def report(client: Client, school: str, people: list[dict], **overrides) -> dict:
    fields = {
        "schoolId": school,
        "occurredAt": (NOW - timedelta(hours=20)).isoformat(),
        "reportedAt": NOW.isoformat(),
        "category": "cyberbullying",
        "description": "Amira was sent unkind messages in the Year 6 class WhatsApp group",
        "people": people,
        "platform": "WhatsApp",
        "source": "PUPIL_DISCLOSURE",
        "onSite": False,
        "device": "PERSONAL",
    } | overrides
    return client.mutate("reportIncident", "ReportIncidentInput", fields, RESULT)


def incident_detail(client: Client, incident_id: str, position: str) -> dict:
    return client.data(
        "query($id: ID!, $p: Position) { incident(id: $id, minPosition: $p) { status risk category "
        "description { value } people { part name { value } } "
        "chronology { kind summary actor actorRoles actorName { value } decision { value } "
        "rationale { value } what { value } } "
        "evidence { filename { value } sha256 size downloadPath } linkedIncidentIds } }",
        {"id": incident_id, "p": position},
    )["incident"]


def test_a_cyberbullying_report_from_report_to_closure_with_lessons_learnt(live, settings, demo):
    """Seeds 000/002/003: a report about a class WhatsApp group is triaged, parents informed,
    pastoral support given, and the case closed with lessons learnt."""
    teacher = as_user(live, settings, "teacher@primary.demo")
    dsl = as_user(live, settings, "dsl@primary.demo")
    kids = pupils(dsl)
    people = [
        {"personId": kids["Amira Khan"], "part": "PUPIL_HARMED"},
        {"personId": kids["Oliver Smith"], "part": "PUPIL_ALLEGED"},
    ]
    reported = report(teacher, demo["primary"], people)
    assert reported["__typename"] == "IncidentChanged"
    incident_id = reported["incidentId"]

    steps = [
        (
            "triageIncident",
            "TriageIncidentInput",
            {
                "incidentId": incident_id,
                "risk": "MEDIUM",
                "meetsCpThreshold": False,
                "rationale": "Peer unkindness; no child-protection concern",
            },
        ),
        (
            "recordIncidentAction",
            "RecordIncidentActionInput",
            {
                "incidentId": incident_id,
                "kind": "PARENTS_INFORMED",
                "takenAt": NOW.isoformat(),
                "decision": "Both families phoned",
                "rationale": "Policy: share concerns with parents",
            },
        ),
        (
            "recordIncidentAction",
            "RecordIncidentActionInput",
            {
                "incidentId": incident_id,
                "kind": "PASTORAL_SUPPORT",
                "takenAt": NOW.isoformat(),
                "decision": "Weekly check-in with the learning mentor",
                "rationale": "Amira upset",
            },
        ),
        (
            "closeIncident",
            "CloseIncidentInput",
            {
                "incidentId": incident_id,
                "outcome": "Messages stopped; apology given",
                "lessonsLearnt": "Year 6 PSHE lesson on group chats",
                "policyChanges": "Add group chats to the acceptable use agreement",
            },
        ),
    ]
    position = reported["position"]
    for field, input_type, fields in steps:
        result = dsl.mutate(field, input_type, fields, RESULT)
        assert result["__typename"] == "IncidentChanged", result
        position = result["position"]

    detail = incident_detail(dsl, incident_id, position)
    assert (detail["status"], detail["risk"]) == ("CLOSED", "MEDIUM")
    assert [e["kind"] for e in detail["chronology"]] == [
        "reported",
        "triaged",
        "action:parents_informed",
        "action:pastoral_support",
        "closed",
    ]
    first, triage = detail["chronology"][0], detail["chronology"][1]
    assert first["actor"] == "teacher@primary.demo" and first["what"]["value"].startswith(
        "Amira was sent"
    )
    assert triage["actorRoles"] == ["DSL"] and triage["actorName"]["value"] == "DSL of primary"
    assert detail["chronology"][-1]["decision"]["value"] == "Year 6 PSHE lesson on group chats"
    assert {p["name"]["value"] for p in detail["people"]} == {"Amira Khan", "Oliver Smith"}

    status = teacher.data("{ myReports { edges { node { incidentId status } } } }")["myReports"][
        "edges"
    ]
    assert status == [{"node": {"incidentId": incident_id, "status": "CLOSED"}}]


def test_the_reporter_cannot_read_the_incident_itself(live, settings, demo):
    teacher = as_user(live, settings, "teacher@primary.demo")
    dsl = as_user(live, settings, "dsl@primary.demo")
    kids = pupils(dsl)
    reported = report(
        teacher, demo["primary"], [{"personId": kids["Amira Khan"], "part": "PUPIL_HARMED"}]
    )
    body = teacher.gql(
        "query($id: ID!) { incident(id: $id) { description { value } } }",
        {"id": reported["incidentId"]},
    )
    assert body["data"] is None or body["data"]["incident"] is None
    assert "Amira was sent" not in json.dumps(body)


def test_a_pupils_chronology_spans_every_incident_they_appear_in(live, settings, demo):
    dsl = as_user(live, settings, "dsl@primary.demo")
    kids = pupils(dsl)
    first = report(
        dsl, demo["primary"], [{"personId": kids["Grace Okafor"], "part": "PUPIL_HARMED"}]
    )
    second = report(
        dsl,
        demo["primary"],
        [{"personId": kids["Grace Okafor"], "part": "PUPIL_WITNESS"}],
        category="inappropriate_content",
        platform="TikTok",
    )
    dsl.data(
        "query($p: Position) { incidents(minPosition: $p) { edges { node { id } } } }",
        {"p": second["position"]},
    )
    chronology = dsl.data(
        "query($id: ID!) { pupil(id: $id) { chronology { incidentId kind } } }",
        {"id": kids["Grace Okafor"]},
    )["pupil"]["chronology"]
    assert [(e["incidentId"], e["kind"]) for e in chronology] == [
        (first["incidentId"], "reported"),
        (second["incidentId"], "reported"),
    ]


def test_incident_filters_by_category_and_pupil(live, settings, demo):
    dsl = as_user(live, settings, "dsl@primary.demo")
    kids = pupils(dsl)
    report(dsl, demo["primary"], [{"personId": kids["Leo Nowak"], "part": "PUPIL_HARMED"}])
    last = report(
        dsl,
        demo["primary"],
        [{"personId": kids["Oliver Smith"], "part": "PUPIL_HARMED"}],
        category="filtering_breach",
        platform=None,
    )
    found = dsl.data(
        "query($p: Position, $pupil: ID) { incidents(minPosition: $p, category: "
        '"filtering_breach", pupilId: $pupil) '
        "{ edges { node { id category } } } }",
        {"p": last["position"], "pupil": kids["Oliver Smith"]},
    )["incidents"]["edges"]
    assert [e["node"]["id"] for e in found] == [last["incidentId"]]


def test_a_pupil_in_three_incidents_is_flagged_with_the_incidents_behind_it(live, settings, demo):
    dsl = as_user(live, settings, "dsl@primary.demo")
    kids = pupils(dsl)
    ids = [
        report(dsl, demo["primary"], [{"personId": kids["Leo Nowak"], "part": "PUPIL_ALLEGED"}])
        for _ in range(3)
    ]
    flags = dsl.data(
        "query($s: ID!, $p: Position) { patternFlags(schoolId: $s, minPosition: $p) { kind "
        "subject count incidentIds explanation } }",
        {"s": demo["primary"], "p": ids[-1]["position"]},
    )["patternFlags"]
    pupil_flags = [f for f in flags if f["kind"] == "pupil_repeated"]
    assert pupil_flags[0]["subject"] == kids["Leo Nowak"]
    assert set(pupil_flags[0]["incidentIds"]) == {r["incidentId"] for r in ids}
    assert any(f["kind"] == "platform_spike" and f["subject"] == "WhatsApp" for f in flags)
    assert "within 90 days" in pupil_flags[0]["explanation"]


def test_the_dashboard_counts_open_incidents_by_risk(live, settings, demo):
    dsl = as_user(live, settings, "dsl@primary.demo")
    kids = pupils(dsl)
    reported = report(
        dsl, demo["primary"], [{"personId": kids["Amira Khan"], "part": "PUPIL_HARMED"}]
    )
    triaged = dsl.mutate(
        "triageIncident",
        "TriageIncidentInput",
        {
            "incidentId": reported["incidentId"],
            "risk": "HIGH",
            "meetsCpThreshold": True,
            "rationale": "Threats",
        },
        RESULT,
    )
    report(
        dsl,
        demo["primary"],
        [{"personId": kids["Leo Nowak"], "part": "PUPIL_HARMED"}],
        reportedAt=(NOW - timedelta(days=6)).isoformat(),
        occurredAt=(NOW - timedelta(days=7)).isoformat(),
    )
    last = dsl.mutate(
        "recordIncidentAction",
        "RecordIncidentActionInput",
        {
            "incidentId": reported["incidentId"],
            "kind": "PARENTS_INFORMED",
            "takenAt": NOW.isoformat(),
            "decision": "Call parents",
            "rationale": "Policy",
            "planned": True,
            "dueOn": (NOW - timedelta(days=2)).date().isoformat(),
        },
        RESULT,
    )
    board = dsl.data(
        "query($s: ID!, $p: Position) { schoolDashboard(schoolId: $s, minPosition: $p) { "
        "openByRisk { risk openIncidents } "
        "awaitingTriageOverOneWorkingDay { incidentId } overdueActions { kind } } }",
        {"s": demo["primary"], "p": last["position"]},
    )["schoolDashboard"]
    assert {r["risk"]: r["openIncidents"] for r in board["openByRisk"]} == {
        "high": 1,
        "untriaged": 1,
    }
    assert len(board["awaitingTriageOverOneWorkingDay"]) == 1
    assert board["overdueActions"] == [{"kind": "PARENTS_INFORMED"}]
    assert triaged["__typename"] == "IncidentChanged"


def test_the_trust_overview_has_counts_and_no_pupil_identities(live, settings, demo):
    dsl = as_user(live, settings, "dsl@primary.demo")
    kids = pupils(dsl)
    last = report(dsl, demo["primary"], [{"personId": kids["Amira Khan"], "part": "PUPIL_HARMED"}])
    tsl = as_user(live, settings, "tsl@demo.trust")
    body = tsl.gql(
        "query($t: ID!, $p: Position) { trustOverview(trustId: $t, minPosition: $p) "
        "{ schoolName category term academicYear incidents openIncidents } }",
        {"t": demo["trust"], "p": last["position"]},
    )
    rows = body["data"]["trustOverview"]
    assert [(r["schoolName"], r["category"], r["incidents"]) for r in rows] == [
        ("Demo Primary School", "cyberbullying", 1)
    ]
    assert kids["Amira Khan"] not in json.dumps(body) and "Amira" not in json.dumps(body)


def test_the_trust_lead_cannot_read_a_schools_incidents(live, settings, demo):
    dsl = as_user(live, settings, "dsl@primary.demo")
    kids = pupils(dsl)
    reported = report(
        dsl, demo["primary"], [{"personId": kids["Amira Khan"], "part": "PUPIL_HARMED"}]
    )
    tsl = as_user(live, settings, "tsl@demo.trust")
    body = tsl.gql("query($id: ID!) { incident(id: $id) { id } }", {"id": reported["incidentId"]})
    assert body["data"] is None or body["data"]["incident"] is None


# --- evidence --------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"


def upload(
    client: Client, incident_id: str, content: bytes, filename: str, content_type: str
) -> httpx.Response:
    operations = {
        "query": "mutation($i: AttachEvidenceInput!) { attachEvidence(input: $i) { __typename "
        "... on EvidenceAttached { fileId sha256 size position } ... on ValidationError { field "
        "code message } "
        "... on Error { code } } }",
        "variables": {
            "i": {"incidentId": incident_id, "file": None, "note": "Screen capture of the post"}
        },
    }
    return client.http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.i.file"]})},
        files={"0": (filename, content, content_type)},
        headers=client.headers,
    )


def test_evidence_is_uploaded_encrypted_and_downloaded_intact_with_each_download_logged(
    live, settings, demo, container
):
    dsl = as_user(live, settings, "dsl@primary.demo")
    kids = pupils(dsl)
    reported = report(
        dsl, demo["primary"], [{"personId": kids["Amira Khan"], "part": "PUPIL_HARMED"}]
    )
    content = b"%PDF-1.4 screen capture of the harmful post"
    response = upload(dsl, reported["incidentId"], content, "capture.pdf", "application/pdf")
    assert response.status_code == 200, response.text
    attached = response.json()["data"]["attachEvidence"]
    assert attached["__typename"] == "EvidenceAttached"
    assert attached["sha256"] == hashlib.sha256(content).hexdigest()

    detail = incident_detail(dsl, reported["incidentId"], attached["position"])
    (evidence,) = detail["evidence"]
    download = dsl.http.get(evidence["downloadPath"], headers=dsl.headers)
    assert download.status_code == 200 and download.content == content
    assert download.headers["content-type"] == "application/pdf"

    with container.pool.connection() as conn:
        stored = conn.execute("SELECT sealed FROM evidence_blobs").fetchone()["sealed"]
        logged = conn.execute(
            "SELECT count(*) AS n FROM access_log WHERE record_type = 'evidence'"
        ).fetchone()["n"]
    assert content not in bytes(stored)
    assert logged == 1


def nudes_incident(dsl: Client, demo: dict[str, str]) -> dict:
    """A nudes or semi-nudes incident about a primary pupil, reported by its DSL."""
    return report(
        dsl,
        demo["primary"],
        [{"personId": pupils(dsl)["Amira Khan"], "part": "PUPIL_HARMED"}],
        category="nudes_sharing",
        platform="Snapchat",
    )


def test_an_image_upload_on_a_nudes_incident_is_refused_and_nothing_is_stored(
    live, settings, demo, container
):
    dsl = as_user(live, settings, "dsl@primary.demo")
    reported = nudes_incident(dsl, demo)
    head = container.head()
    result = upload(dsl, reported["incidentId"], b"\x89PNG fake", "photo.png", "image/png").json()
    assert result["data"]["attachEvidence"]["code"] == "IMAGERY_REFUSED"
    with container.pool.connection() as conn:
        assert conn.execute("SELECT count(*) AS n FROM evidence_blobs").fetchone()["n"] == 0
    assert container.head() == head


@pytest.mark.parametrize("declared", ["application/pdf", "text/plain"])
def test_a_png_declared_as_another_type_is_refused_on_a_nudes_incident(
    live, settings, demo, container, declared
):
    dsl = as_user(live, settings, "dsl@primary.demo")
    reported = nudes_incident(dsl, demo)
    head = container.head()
    result = upload(dsl, reported["incidentId"], PNG, "capture.pdf", declared).json()
    assert result["data"]["attachEvidence"]["code"] == "IMAGERY_REFUSED"
    with container.pool.connection() as conn:
        assert conn.execute("SELECT count(*) AS n FROM evidence_blobs").fetchone()["n"] == 0
    assert container.head() == head


def test_a_download_is_sent_as_the_type_its_content_was_verified_as(live, settings, demo):
    dsl = as_user(live, settings, "dsl@primary.demo")
    kids = pupils(dsl)
    reported = report(
        dsl, demo["primary"], [{"personId": kids["Amira Khan"], "part": "PUPIL_HARMED"}]
    )
    attached = upload(dsl, reported["incidentId"], PNG, "capture.jpg", "image/jpeg").json()
    detail = incident_detail(
        dsl, reported["incidentId"], attached["data"]["attachEvidence"]["position"]
    )
    download = dsl.http.get(detail["evidence"][0]["downloadPath"], headers=dsl.headers)
    assert download.headers["content-type"] == "image/png"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"].startswith("attachment;")


def test_an_uploaded_file_is_never_written_to_a_temporary_file(live, settings, demo, monkeypatch):
    """Evidence is sealed before it is stored: its plaintext must not reach the disk on the
    way in, however large it is within the limit."""
    import tempfile

    from starlette import formparsers

    spilled: list[int] = []

    class Watched(tempfile.SpooledTemporaryFile):
        def rollover(self) -> None:
            spilled.append(self.tell())
            super().rollover()

    monkeypatch.setattr(formparsers, "SpooledTemporaryFile", Watched)
    dsl = as_user(live, settings, "dsl@primary.demo")
    kids = pupils(dsl)
    reported = report(
        dsl, demo["primary"], [{"personId": kids["Amira Khan"], "part": "PUPIL_HARMED"}]
    )
    notes = b"Transcript of the group chat.\n" * 100_000  # 3 MB
    result = upload(dsl, reported["incidentId"], notes, "chat.txt", "text/plain").json()
    assert result["data"]["attachEvidence"]["__typename"] == "EvidenceAttached"
    assert spilled == []


def test_a_disallowed_file_type_is_refused(live, settings, demo):
    dsl = as_user(live, settings, "dsl@primary.demo")
    kids = pupils(dsl)
    reported = report(
        dsl, demo["primary"], [{"personId": kids["Amira Khan"], "part": "PUPIL_HARMED"}]
    )
    result = upload(
        dsl, reported["incidentId"], b"MZ...", "tool.exe", "application/x-msdownload"
    ).json()
    assert result["data"]["attachEvidence"]["field"] == "file"


def test_an_oversized_upload_is_refused_with_413(live, settings, demo):
    dsl = as_user(live, settings, "dsl@primary.demo")
    kids = pupils(dsl)
    reported = report(
        dsl, demo["primary"], [{"personId": kids["Amira Khan"], "part": "PUPIL_HARMED"}]
    )
    response = upload(
        dsl,
        reported["incidentId"],
        b"x" * (settings.max_upload_bytes + 1),
        "big.pdf",
        "application/pdf",
    )
    assert response.status_code == 413


def test_someone_who_cannot_see_the_incident_cannot_download_its_evidence(
    live, settings, demo, container
):
    dsl = as_user(live, settings, "dsl@primary.demo")
    kids = pupils(dsl)
    reported = report(
        dsl, demo["primary"], [{"personId": kids["Amira Khan"], "part": "PUPIL_HARMED"}]
    )
    attached = upload(
        dsl, reported["incidentId"], b"text evidence", "note.txt", "text/plain"
    ).json()["data"]["attachEvidence"]
    other = as_user(live, settings, "dsl@academy.demo")
    container.wait_for(["incidents"], int(attached["position"]), timeout=10)
    response = other.http.get(f"/files/evidence/{attached['fileId']}", headers=other.headers)
    assert response.status_code == 404


def test_report_validation_errors_name_the_field(live, settings, demo, container):
    dsl = as_user(live, settings, "dsl@primary.demo")
    kids = pupils(dsl)
    head = container.head()
    result = report(
        dsl,
        demo["primary"],
        [{"personId": kids["Amira Khan"], "part": "PUPIL_HARMED"}],
        occurredAt=NOW.isoformat(),
        reportedAt=(NOW - timedelta(hours=1)).isoformat(),
    )
    assert (result["__typename"], result["field"]) == ("ValidationError", "occurredAt")
    assert container.head() == head


def test_a_pupil_of_another_school_is_not_found(live, settings, demo):
    academy = pupils(as_user(live, settings, "dsl@academy.demo"))
    dsl = as_user(live, settings, "dsl@primary.demo")
    result = report(
        dsl, demo["primary"], [{"personId": academy["Amira Khan"], "part": "PUPIL_HARMED"}]
    )
    assert result["__typename"] == "NotFoundError"

"""Nothing identifying in plaintext at rest in the directory, access and incidents tables:
markers typed into every login and free-text input through the public API, then a dump's view
of every table (issue 14 §2)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from tests.api_client import Client
from tests.at_rest import Markers, assert_no_plaintext, wait_for_views
from tests.integration.test_incidents_api import upload

NOW = datetime.now(UTC).replace(microsecond=0)
ANY = "... on Error { code message } ... on ValidationError { field }"


def _position(result: dict) -> str:
    assert "position" in result, result
    return result["position"]


def _mutate(client: Client, field: str, input_type: str, fields: dict, returns: str) -> dict:
    result = client.mutate(field, input_type, fields, f"... on {returns} {{ position }} {ANY}")
    assert result["__typename"] == returns, result
    return result


def test_no_login_or_free_text_of_the_directory_access_or_incidents_is_stored_in_plaintext(
    live, settings, demo, container
):
    m = Markers()
    school, trust = demo["primary"], demo["trust"]
    head = Client(live.url, settings, "head@primary.demo")
    lead = Client(live.url, settings, "datalead@primary.demo")

    # The directory: a pupil, a parent, a member of staff with a login, their leavings.
    pupil = lead.mutate(
        "registerPupil",
        "RegisterPupilInput",
        {
            "schoolId": school,
            "fullName": m("PupilName"),
            "dateOfBirth": "2015-03-04",
            "yearGroup": 5,
        },
        f"... on RegisterPupilSuccess {{ pupilId }} {ANY}",
    )["pupilId"]
    _mutate(
        lead,
        "linkParent",
        "LinkParentInput",
        {
            "pupilId": pupil,
            "relationship": "mother",
            "parentalResponsibility": True,
            "fullName": m("ParentName"),
        },
        "LinkParentSuccess",
    )
    staff_login = m.login("StaffLogin")
    staff = lead.mutate(
        "registerStaffMember",
        "RegisterStaffMemberInput",
        {"schoolId": school, "fullName": m("StaffName"), "role": "TEACHER", "userId": staff_login},
        f"... on RegisterStaffMemberSuccess {{ staffMemberId }} {ANY}",
    )["staffMemberId"]

    # Access: a granter, grantees, a revocation, each a login of its own.
    granter, dsl_login, reporter_login = (
        m.login("Granter"),
        m.login("Grantee"),
        m.login("Reporter"),
    )
    grant = {"trustId": trust, "schoolId": school}
    _mutate(
        head,
        "grantRole",
        "RoleGrantInput",
        {**grant, "userId": granter, "role": "HEADTEACHER"},
        "GrantRoleSuccess",
    )
    as_granter = Client(live.url, settings, granter)
    for login, role in (
        (dsl_login, "DSL"),
        (reporter_login, "STAFF_REPORTER"),
        (staff_login, "DEPUTY_DSL"),
        (staff_login, "STAFF_REPORTER"),
    ):
        _mutate(
            as_granter,
            "grantRole",
            "RoleGrantInput",
            {**grant, "userId": login, "role": role},
            "GrantRoleSuccess",
        )
    _mutate(
        as_granter,
        "revokeRole",
        "RoleGrantInput",
        {**grant, "userId": staff_login, "role": "DEPUTY_DSL"},
        "RevokeRoleSuccess",
    )

    # Incidents: every free-text input, by marker logins.
    reporter, dsl = (Client(live.url, settings, u) for u in (reporter_login, dsl_login))

    def report(description: str, **more: str) -> str:
        fields = {
            "schoolId": school,
            "occurredAt": (NOW - timedelta(hours=3)).isoformat(),
            "reportedAt": (NOW - timedelta(hours=2)).isoformat(),
            "category": "cyberbullying",
            "description": description,
            "people": [{"personId": pupil, "part": "PUPIL_HARMED"}],
        } | more
        changed = f"... on IncidentChanged {{ incidentId }} {ANY}"
        result = reporter.mutate("reportIncident", "ReportIncidentInput", fields, changed)
        return result["incidentId"]

    incident = report(
        m("Description"), platform=m("Platform"), source="PUPIL_DISCLOSURE", device="PERSONAL"
    )
    other = report(m("OtherDescription"))
    changed = "IncidentChanged"
    _mutate(
        dsl,
        "triageIncident",
        "TriageIncidentInput",
        {
            "incidentId": incident,
            "risk": "MEDIUM",
            "meetsCpThreshold": False,
            "rationale": m("TriageRationale"),
            "category": "online_abuse_disclosure",
            "categoryReason": m("CategoryReason"),
        },
        changed,
    )
    _mutate(
        dsl,
        "recordIncidentAction",
        "RecordIncidentActionInput",
        {
            "incidentId": incident,
            "kind": "PARENTS_INFORMED",
            "takenAt": (NOW - timedelta(hours=1)).isoformat(),
            "decision": m("ActionDecision"),
            "rationale": m("ActionRationale"),
        },
        changed,
    )
    content = b"%PDF-1.4 " + m("FileContent").encode()
    uploaded = upload(dsl, incident, content, m("FileName") + ".pdf", "application/pdf")
    assert uploaded.json()["data"]["attachEvidence"]["__typename"] == "EvidenceAttached"
    _mutate(
        dsl,
        "linkIncidents",
        "LinkIncidentsInput",
        {"incidentId": incident, "otherIncidentId": other, "reason": m("LinkReason")},
        changed,
    )
    _mutate(
        dsl,
        "closeIncident",
        "CloseIncidentInput",
        {
            "incidentId": incident,
            "outcome": m("Outcome"),
            "lessonsLearnt": m("Lessons"),
            "policyChanges": m("PolicyChanges"),
        },
        changed,
    )
    _mutate(
        dsl,
        "reopenIncident",
        "ReopenIncidentInput",
        {"incidentId": incident, "reason": m("ReopenReason")},
        changed,
    )
    _mutate(
        lead,
        "recordPupilLeft",
        "RecordPupilLeftInput",
        {"pupilId": pupil, "leftOn": NOW.date().isoformat(), "destination": m("Destination")},
        "RecordPupilLeftSuccess",
    )
    last = _mutate(
        lead,
        "recordStaffLeft",
        "RecordStaffLeftInput",
        {"staffMemberId": staff, "leftOn": NOW.date().isoformat(), "reason": m("LeavingReason")},
        "RecordStaffLeftSuccess",
    )
    wait_for_views(container, _position(last))

    # Reads by marker logins go to the access log; what was typed reads back as typed.
    read = dsl.data(
        "query($id: ID!) { incident(id: $id) { platform reportedBy chronology { actor } } }",
        {"id": incident},
    )["incident"]
    assert (read["platform"], read["reportedBy"]) == (m.seeded["Platform"], reporter_login)
    assert {e["actor"] for e in read["chronology"]} == {reporter_login, dsl_login}
    dsl.data("{ pupils(first: 5) { edges { node { id } } } }")

    needles = [*m.values(), hashlib.sha256(content).hexdigest()]
    assert_no_plaintext(container, needles)

"""Nothing identifying in plaintext in the staff-cases view (issue 14 §2): logins are sealed with
their holder's key (matched by blind index), and references, responsibilities, platforms and
free text (an allegation's referral details and its supporting documents' names, notes and bytes
among it, issue 18) with their record's, also those that events of before carry in plain."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from domain.shared.actor import acting_as
from domain.shared.logins import login_subject
from domain.staff_cases.social_media import SocialMediaDeclaration
from tests.api_client import Client, staff_ids
from tests.at_rest import Markers, find_plaintext, wait_for_views
from tests.integration.test_staff_cases_api import receive, step

NOW = datetime.now(UTC).replace(microsecond=0)
OLD_REFERENCE = "LADO-Legacy-Plain-0042"
OLD_PLATFORM = "Legacy-Plain-Platform"


def chronology(client: Client, allegation_id: str) -> list[str]:
    seen = client.data(
        "query($id: ID!) { allegation(id: $id) { chronology { summary } } }", {"id": allegation_id}
    )["allegation"]
    return [e["summary"] for e in seen["chronology"]]


def test_the_chronology_quotes_the_lado_and_dbs_references_to_its_readers(users, demo):
    dsl, head = users("dsl@primary.demo"), users("head@primary.demo")
    case = receive(dsl, staff_ids(head)["Sam Jones (primary)"])["allegationId"]
    later = (NOW + timedelta(minutes=1)).isoformat()
    on_case = {"allegationId": case, "consultedAt": later}
    step(
        head,
        "recordLadoConsultation",
        "RecordLadoConsultationInput",
        on_case
        | {"ladoName": "Pat LADO", "advice": "a", "agreedAction": "b", "reference": "LADO-42"},
    )
    done = step(
        head,
        "recordAllegationAction",
        "RecordAllegationActionInput",
        {
            "allegationId": case,
            "kind": "DBS_REFERRAL_MADE",
            "takenAt": later,
            "decision": "c",
            "rationale": "d",
            "reference": "DBS-7",
        },
    )
    head.data(
        "query($p: Position) { allegations(minPosition: $p) { edges { cursor } } }",
        {"p": done["position"]},
    )
    summaries = chronology(head, case)
    assert "LADO consulted, reference LADO-42" in summaries
    assert "Dbs referral made (reference DBS-7)" in summaries


def test_a_reference_an_older_event_carries_in_plain_is_sealed_in_the_view(users, demo, container):
    dsl, head = users("dsl@primary.demo"), users("head@primary.demo")
    case = UUID(receive(dsl, staff_ids(head)["Sam Jones (primary)"])["allegationId"])
    app = container.app
    with acting_as(app.principal_for("head@primary.demo")):
        allegation = app.repository.get(case)
        seal = app.keyring.session()
        # As recorded before the command sealed it: the reference in plain.
        allegation._lado(
            consulted_at=NOW,
            lado_name=seal.seal(case, "Pat"),
            reference=OLD_REFERENCE,
            advice=seal.seal(case, "a"),
            agreed_action=seal.seal(case, "b"),
        )
        position = app.record(allegation)
    container.wait_for(["staff_cases"], position, timeout=20)
    assert find_plaintext(container.database.conninfo, [OLD_REFERENCE]) == []
    assert f"LADO consulted, reference {OLD_REFERENCE}" in chronology(head, str(case))


def test_a_platform_an_older_event_carries_in_plain_is_sealed_in_the_view(users, demo, container):
    head = users("head@primary.demo")
    staff = UUID(staff_ids(head)["Sam Jones (primary)"])
    app = container.app
    with acting_as(app.principal_for("head@primary.demo")):
        member = app.repository.get(staff)
        declaration = SocialMediaDeclaration(
            id=uuid4(),
            trust_id=member.trust_id,
            school_id=member.school_id,
            staff_id=staff,
            declared_at=NOW,
            platform=OLD_PLATFORM,
            relationship=app.keyring.session().seal(staff, "Cousin"),
            pupil_ids=[],
            self_declared=False,
        )
        position = app.record(declaration)
    container.wait_for(["staff_cases"], position, timeout=20)
    assert find_plaintext(container.database.conninfo, [OLD_PLATFORM]) == []
    seen = head.data(
        "query($id: ID!) { staffMember(id: $id) { concernHistory { socialMedia { platform } } } }",
        {"id": str(staff)},
    )["staffMember"]["concernHistory"]["socialMedia"]
    assert seen == [{"platform": OLD_PLATFORM}]


def test_erasing_a_login_erases_it_from_the_case_while_its_holder_stays_on_the_team(
    users, demo, container
):
    dsl, head = users("dsl@primary.demo"), users("head@primary.demo")
    case = receive(dsl, staff_ids(head)["Sam Jones (primary)"])["allegationId"]
    added = step(
        head,
        "addToCaseTeam",
        "AddToCaseTeamInput",
        {"allegationId": case, "userId": "datalead@primary.demo", "responsibility": "HR"},
    )
    container.wait_for(["staff_cases"], int(added["position"]), timeout=20)
    container.keyring.destroy(login_subject("datalead@primary.demo"))
    seen = head.data(
        "query($id: ID!) { allegation(id: $id) { caseTeam { userId responsibility } "
        "chronology { kind summary } } }",
        {"id": case},
    )["allegation"]
    assert {"userId": None, "responsibility": "HR"} in seen["caseTeam"]
    assert {"kind": "case_team", "summary": "[erased] added to the case team (HR)"} in seen[
        "chronology"
    ]
    as_member = users("datalead@primary.demo").data(
        "query($id: ID!) { allegation(id: $id) { id } }", {"id": case}
    )
    assert as_member["allegation"] == {"id": case}


# --- the scan: a marker in every login, reference, platform and free-text input -------------


class Seeder:
    """Drives the public API with markers (``tests.at_rest.Markers``) as inputs and logins."""

    def __init__(self, live, settings, markers: Markers) -> None:
        self.live, self.settings, self.markers = live, settings, markers
        self.position = "0"

    def client(self, login: str) -> Client:
        return Client(self.live.url, self.settings, login)

    def mutate(self, login: str, field: str, input_type: str, fields: dict, select: str) -> dict:
        result = self.client(login).mutate(field, input_type, fields, select)
        assert "position" in result, result
        self.position = result["position"]
        return result

    def step(self, login: str, field: str, input_type: str, fields: dict) -> str:
        return self.mutate(login, field, input_type, fields, CHANGED)["id"]

    def attach(self, login: str, allegation_id: str, filename: str, text: str, note: str) -> None:
        """A supporting document, as a GraphQL multipart request: its name, bytes and note."""
        client = self.client(login)
        operations = {
            "query": "mutation($i: AttachAllegationEvidenceInput!) { attachAllegationEvidence("
            "input: $i) { __typename ... on AllegationEvidenceAttached { position } } }",
            "variables": {"i": {"allegationId": allegation_id, "file": None, "note": note}},
        }
        response = client.http.post(
            "/graphql",
            data={
                "operations": json.dumps(operations),
                "map": json.dumps({"0": ["variables.i.file"]}),
            },
            files={"0": (filename, f"The document says {text}.".encode(), "text/plain")},
            headers=client.headers,
        )
        result = response.json()["data"]["attachAllegationEvidence"]
        assert "position" in result, result
        self.position = result["position"]


CHANGED = "... on StaffCaseChanged { id position }"
MET = {"harmedChild": True, "possibleOffence": False, "riskOfHarm": False, "unsuitable": False}


def test_no_table_holds_a_staff_cases_login_reference_platform_or_free_text_in_plaintext(
    live, settings, demo, container
):
    m = Markers()
    s = Seeder(live, settings, m)
    tsl, trust = "tsl@demo.trust", demo["trust"]
    head, receiver, member = m.login("headteacher"), m.login("receiver"), m.login("teamMember")
    manager, raiser, subject = m.login("newManager"), m.login("raiser"), m.login("subject")
    school = s.mutate(
        tsl,
        "registerSchool",
        "RegisterSchoolInput",
        {"trustId": trust, "name": "Scan Primary", "urn": "700001"},
        "... on RegisterSchoolSuccess { schoolId position }",
    )["schoolId"]
    for login, role in (
        (head, "HEADTEACHER"),
        (receiver, "DSL"),
        (member, "DEPUTY_DSL"),
        (manager, "DSL"),
        (raiser, "STAFF_REPORTER"),
        (subject, "STAFF_REPORTER"),
    ):
        s.mutate(
            tsl,
            "grantRole",
            "RoleGrantInput",
            {"userId": login, "role": role, "trustId": trust, "schoolId": school},
            "... on GrantRoleSuccess { position }",
        )
    staff = s.mutate(
        head,
        "registerStaffMember",
        "RegisterStaffMemberInput",
        {"schoolId": school, "fullName": "Casey Scan", "role": "TEACHER", "userId": subject},
        "... on RegisterStaffMemberSuccess { staffMemberId position }",
    )["staffMemberId"]
    _an_allegation_with_every_input(s, m, staff, head, receiver, member, manager)
    _low_level_concerns_with_every_input(s, m, staff, head, raiser)
    _social_media_with_every_input(s, m, staff, head, subject)
    wait_for_views(container, s.position)
    assert find_plaintext(container.database.conninfo, m.values()) == []


def _an_allegation_with_every_input(s, m, staff, head, receiver, member, manager) -> None:
    at = (NOW + timedelta(minutes=1)).isoformat()
    case = s.mutate(
        receiver,
        "receiveAllegation",
        "ReceiveAllegationInput",
        {
            "staffMemberId": staff,
            "receivedAt": NOW.isoformat(),
            "source": "PUPIL",
            "receivedVia": "IN_PERSON",
            "description": m("allegation"),
            "harmTests": MET,
            "details": {
                "location": m("location"),
                "injury": m("injury"),
                "othersTold": m("othersTold"),
                "moreThanOneIncident": "NOT_KNOWN",
            },
        },
        "... on AllegationReceived { allegationId position }",
    )["allegationId"]
    on = {"allegationId": case}
    s.step(
        receiver,
        "recordAllegationDetails",
        "RecordAllegationDetailsInput",
        on
        | {
            "details": {
                "location": m("amendedLocation"),
                "injury": m("amendedInjury"),
                "othersTold": m("amendedOthersTold"),
                "afterPhysicalIntervention": "NO",
            }
        },
    )
    s.step(
        head,
        "addToCaseTeam",
        "AddToCaseTeamInput",
        on | {"userId": member, "responsibility": m("responsibility")},
    )
    s.attach(
        member,
        case,
        m("documentName") + ".txt",
        m("documentBytes"),
        m("documentNote"),
    )
    s.step(
        head,
        "recordLadoConsultation",
        "RecordLadoConsultationInput",
        on
        | {
            "consultedAt": at,
            "ladoName": m("ladoName"),
            "advice": m("ladoAdvice"),
            "agreedAction": m("agreedAction"),
            "reference": m("ladoReference"),
        },
    )
    s.step(
        head,
        "recordAllegationAction",
        "RecordAllegationActionInput",
        on
        | {
            "kind": "IMMEDIATE_POLICE_REFERRAL",
            "takenAt": at,
            "decision": m("actionDecision"),
            "rationale": m("actionRationale"),
            "reference": m("policeReference"),
        },
    )
    s.step(
        head,
        "recordStrategyDiscussion",
        "RecordStrategyDiscussionInput",
        on
        | {
            "heldAt": at,
            "attendees": [m("attendee")],
            "decisions": m("decisions"),
            "actions": m("actions"),
        },
    )
    s.step(
        head,
        "recordSuspensionDecision",
        "RecordSuspensionDecisionInput",
        on
        | {
            "consideredAt": at,
            "alternatives": m("alternatives"),
            "decision": "NOT_SUSPENDED",
            "rationale": m("suspensionRationale"),
        },
    )
    s.step(
        head,
        "recordAllegationOutcome",
        "RecordAllegationOutcomeInput",
        on
        | {
            "outcome": "SUBSTANTIATED",
            "decidedAt": at,
            "summary": m("outcomeSummary"),
            "rationale": m("outcomeRationale"),
        },
    )
    s.step(
        head,
        "recordReferenceDeclaration",
        "RecordReferenceDeclarationInput",
        on | {"willBeReferredTo": True, "declaration": m("declaration")},
    )
    s.step(
        head,
        "recordAllegationAction",
        "RecordAllegationActionInput",
        on
        | {
            "kind": "DBS_REFERRAL_MADE",
            "takenAt": at,
            "decision": m("dbsDecision"),
            "rationale": m("dbsRationale"),
            "reference": m("dbsReference"),
        },
    )
    s.step(
        head,
        "recordLessonsLearnt",
        "RecordLessonsLearntInput",
        on | {"lessons": m("lessons"), "changes": m("changes")},
    )
    s.step(
        head,
        "assignCaseManager",
        "AssignCaseManagerInput",
        on | {"userId": manager, "reason": m("overrideReason")},
    )
    s.step(manager, "closeAllegation", "CloseAllegationInput", on | {"note": m("closingNote")})
    malicious = s.mutate(
        receiver,
        "receiveAllegation",
        "ReceiveAllegationInput",
        {
            "staffMemberId": staff,
            "receivedAt": NOW.isoformat(),
            "source": "ANONYMOUS",
            "receivedVia": "LETTER",
            "description": m("secondAllegation"),
            "harmTests": MET,
        },
        "... on AllegationReceived { allegationId position }",
    )["allegationId"]
    on = {"allegationId": malicious}
    s.step(
        head,
        "recordAllegationOutcome",
        "RecordAllegationOutcomeInput",
        on
        | {
            "outcome": "MALICIOUS",
            "decidedAt": at,
            "summary": m("maliciousSummary"),
            "rationale": m("maliciousRationale"),
        },
    )
    s.step(
        head,
        "recordRetentionConsent",
        "RecordRetentionConsentInput",
        on | {"consentedAt": at, "method": "written", "note": m("retentionNote")},
    )


def _low_level_concerns_with_every_input(s, m, staff, head, raiser) -> None:
    concern = s.step(
        raiser,
        "raiseLowLevelConcern",
        "RaiseLowLevelConcernInput",
        {"staffMemberId": staff, "details": m("concernDetails"), "context": m("concernContext")},
    )
    s.step(
        head,
        "reviewLowLevelConcern",
        "ReviewLowLevelConcernInput",
        {"concernId": concern, "actionTaken": m("actionTaken"), "rationale": m("reviewRationale")},
    )
    s.step(
        head,
        "closeLowLevelConcern",
        "CloseLowLevelConcernInput",
        {"concernId": concern, "note": m("concernNote")},
    )
    second = s.step(
        raiser,
        "raiseLowLevelConcern",
        "RaiseLowLevelConcernInput",
        {"staffMemberId": staff, "details": m("secondConcern")},
    )
    s.step(
        head,
        "escalateLowLevelConcerns",
        "EscalateLowLevelConcernsInput",
        {"concernIds": [second], "description": m("escalation"), "harmTests": MET},
    )


def _social_media_with_every_input(s, m, staff, head, subject) -> None:
    at = (NOW - timedelta(hours=1)).isoformat()
    declared = s.step(
        subject,
        "declareSocialMediaRelationship",
        "DeclareSocialMediaRelationshipInput",
        {
            "staffMemberId": staff,
            "platform": m("declaredPlatform"),
            "relationship": m("relationship"),
        },
    )
    s.step(
        subject,
        "updateSocialMediaDeclaration",
        "UpdateSocialMediaDeclarationInput",
        {"declarationId": declared, "circumstances": m("circumstances")},
    )
    s.step(
        head,
        "recordDeclarationAdvice",
        "RecordDeclarationAdviceInput",
        {"declarationId": declared, "advice": m("advice"), "decision": m("adviceDecision")},
    )
    s.step(
        subject,
        "reportContactAttempt",
        "ReportContactAttemptInput",
        {
            "staffMemberId": staff,
            "occurredAt": at,
            "platform": m("contactPlatform"),
            "contactFrom": "OTHER",
            "description": m("contactDescription"),
            "response": m("contactResponse"),
        },
    )
    s.step(
        head,
        "recordOnlinePresenceCheck",
        "RecordOnlinePresenceCheckInput",
        {
            "staffMemberId": staff,
            "checkedAt": at,
            "platforms": m("checkedPlatforms"),
            "outcome": "NO_CONCERNS",
            "notes": m("checkNotes"),
        },
    )

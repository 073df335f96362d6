"""Allegations, low-level concerns and staff social-media records end to end over HTTP, from
`casework seed demo` (KCSIE Part four)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import psycopg

from domain.staff_cases.allegations import Allegation
from domain.staff_cases.former_topics import FORMER_MODULE
from tests.api_client import Client, staff_ids

NOW = datetime.now(UTC).replace(microsecond=0)
CHANGED = "... on StaffCaseChanged { id position }"
RECEIVED = (
    "... on AllegationReceived { allegationId caseManager ladoDueOn position } "
    "... on RecordedAsLowLevelConcern { concernId position }"
)
MET = {"harmedChild": True, "possibleOffence": False, "riskOfHarm": False, "unsuitable": False}
NONE_MET = {
    "harmedChild": False,
    "possibleOffence": False,
    "riskOfHarm": False,
    "unsuitable": False,
}
ALLEGATION = (
    "query($id: ID!, $p: Position) { allegation(id: $id, minPosition: $p) { status caseManager "
    "caseManagerBasis caseTeam { userId responsibility } ladoDueOn ladoOverdue ladoConsultedAt "
    "outcome retainUntil erasureDue onPersonnelRecord retentionConsent suspensionDecision "
    "referenceDeclaration { willBeReferredTo } linkedConcernIds description { value } "
    "staffMemberName { value } chronology { kind summary actor } } }"
)


def receive(client: Client, staff_id: str, **overrides) -> dict:
    fields = {
        "staffMemberId": staff_id,
        "receivedAt": NOW.isoformat(),
        "source": "PARENT_CARER",
        "receivedVia": "EMAIL",
        "description": "A parent says the teacher grabbed their child's arm in the corridor",
        "harmTests": MET,
        "category": "PHYSICAL",
    } | overrides
    return client.mutate("receiveAllegation", "ReceiveAllegationInput", fields, RECEIVED)


def step(client: Client, field: str, input_type: str, fields: dict) -> dict:
    result = client.mutate(field, input_type, fields, CHANGED)
    assert result["__typename"] == "StaffCaseChanged", result
    return result


def decide(client: Client, case: str, outcome: str, summary="x", rationale="x") -> dict:
    """The case manager records the outcome now."""
    fields = {"outcome": outcome, "summary": summary, "rationale": rationale}
    return step(
        client,
        "recordAllegationOutcome",
        "RecordAllegationOutcomeInput",
        {"allegationId": case, "decidedAt": NOW.isoformat(), **fields},
    )


def detail(client: Client, allegation_id: str, position: str | None = None) -> dict:
    return client.data(ALLEGATION, {"id": allegation_id, "p": position})["allegation"]


def test_an_allegation_from_receipt_to_closure(users, demo):
    """A DSL receives an allegation about a teacher; the headteacher manages it with the LADO
    to a substantiated outcome, declares it for references, learns lessons and closes it."""
    dsl, head = users("dsl@primary.demo"), users("head@primary.demo")
    teacher = staff_ids(head)["Sam Jones (primary)"]
    received = receive(dsl, teacher)
    assert received["__typename"] == "AllegationReceived"
    assert received["caseManager"] == "head@primary.demo"
    case = received["allegationId"]
    later = (NOW + timedelta(minutes=1)).isoformat()
    on_case = {"allegationId": case}
    step(
        head,
        "addToCaseTeam",
        "AddToCaseTeamInput",
        on_case | {"userId": "datalead@primary.demo", "responsibility": "HR"},
    )
    step(
        head,
        "recordLadoConsultation",
        "RecordLadoConsultationInput",
        on_case
        | {
            "consultedAt": later,
            "ladoName": "Pat LADO",
            "advice": "Strategy discussion",
            "agreedAction": "Investigate",
            "reference": "LADO-42",
        },
    )
    step(
        dsl,
        "recordAllegationAction",
        "RecordAllegationActionInput",
        on_case
        | {
            "kind": "CHILD_WELFARE_SUPPORT",
            "takenAt": later,
            "decision": "Check-ins with the pupil",
            "rationale": "Welfare",
        },
    )
    step(
        head,
        "recordStrategyDiscussion",
        "RecordStrategyDiscussionInput",
        on_case
        | {
            "heldAt": later,
            "attendees": ["Pat LADO", "DC Lee"],
            "decisions": "Single-agency investigation",
            "actions": "HR to interview",
        },
    )
    step(
        head,
        "recordSuspensionDecision",
        "RecordSuspensionDecisionInput",
        on_case
        | {
            "consideredAt": later,
            "alternatives": "Redeployment to non-teaching duties",
            "decision": "REDEPLOYED",
            "rationale": "Protects pupils without suspension",
        },
    )
    step(
        head,
        "recordAllegationAction",
        "RecordAllegationActionInput",
        on_case
        | {
            "kind": "SUBJECT_INFORMED",
            "takenAt": later,
            "decision": "Told in person with union rep",
            "rationale": "Agreed with LADO",
        },
    )
    step(
        head,
        "recordAllegationOutcome",
        "RecordAllegationOutcomeInput",
        on_case
        | {
            "outcome": "SUBSTANTIATED",
            "decidedAt": later,
            "summary": "CCTV confirms",
            "rationale": "Sufficient evidence",
        },
    )
    step(
        head,
        "recordReferenceDeclaration",
        "RecordReferenceDeclarationInput",
        on_case | {"willBeReferredTo": True, "declaration": "Will be included"},
    )
    step(
        head,
        "recordAllegationAction",
        "RecordAllegationActionInput",
        on_case
        | {
            "kind": "DBS_REFERRAL_MADE",
            "takenAt": later,
            "decision": "Referred",
            "rationale": "Harm threshold met and substantiated",
        },
    )
    step(
        head,
        "recordLessonsLearnt",
        "RecordLessonsLearntInput",
        on_case | {"lessons": "Corridor supervision", "changes": "Rota changed"},
    )
    closed = step(head, "closeAllegation", "CloseAllegationInput", on_case)

    seen = detail(head, case, closed["position"])
    assert seen["status"] == "CLOSED"
    assert seen["outcome"] == "SUBSTANTIATED"
    assert seen["suspensionDecision"] == "REDEPLOYED"
    assert seen["ladoOverdue"] is False
    assert seen["onPersonnelRecord"] is True and seen["erasureDue"] is False
    assert seen["retainUntil"] == NOW.date().replace(year=NOW.year + 10).isoformat()
    assert seen["staffMemberName"]["value"] == "Sam Jones (primary)"
    assert {m["userId"] for m in seen["caseTeam"]} == {
        "head@primary.demo",
        "dsl@primary.demo",
        "datalead@primary.demo",
    }
    assert [e["kind"] for e in seen["chronology"]] == [
        "received",
        "case_team",
        "lado_consulted",
        "action:child_welfare_support",
        "strategy_discussion",
        "suspension_considered",
        "action:subject_informed",
        "outcome",
        "reference_declaration",
        "action:dbs_referral_made",
        "lessons_learnt",
        "closed",
    ]
    reference = head.data(
        "query($id: ID!) { staffMember(id: $id) { referenceView { citableInReference "
        "{ allegationId outcome } personnelRecord { allegationId } } } }",
        {"id": teacher},
    )["staffMember"]["referenceView"]
    assert reference["citableInReference"] == [{"allegationId": case, "outcome": "SUBSTANTIATED"}]


def test_a_later_pension_age_extends_retention(users, demo):
    head, dsl = users("head@primary.demo"), users("dsl@primary.demo")
    teacher = staff_ids(head)["Sam Jones (primary)"]
    case = receive(dsl, teacher)["allegationId"]
    decide(head, case, "UNFOUNDED")
    moved = step(
        head,
        "recordStaffPensionAge",
        "RecordStaffPensionAgeInput",
        {"staffMemberId": teacher, "reachesOn": "2061-05-01"},
    )
    assert detail(head, case, moved["position"])["retainUntil"] == "2061-05-01"


def test_a_malicious_allegation_leaves_the_personnel_record_unless_consent_is_recorded(users, demo):
    head, dsl = users("head@primary.demo"), users("dsl@primary.demo")
    teacher = staff_ids(head)["Sam Jones (primary)"]
    case = receive(dsl, teacher)["allegationId"]
    done = decide(head, case, "MALICIOUS", "Fabricated", "Admitted")
    seen = detail(head, case, done["position"])
    assert (seen["onPersonnelRecord"], seen["erasureDue"], seen["retainUntil"]) == (
        False,
        True,
        None,
    )
    record = head.data(
        "query($id: ID!) { staffMember(id: $id) { "
        "referenceView { personnelRecord { allegationId } } } }",
        {"id": teacher},
    )["staffMember"]["referenceView"]["personnelRecord"]
    assert record == []
    consent = step(
        head,
        "recordRetentionConsent",
        "RecordRetentionConsentInput",
        {"allegationId": case, "consentedAt": NOW.isoformat(), "method": "written"},
    )
    seen = detail(head, case, consent["position"])
    assert (seen["onPersonnelRecord"], seen["erasureDue"]) == (True, False)


def test_a_reference_may_not_mention_an_unsubstantiated_allegation(users, demo, container):
    head, dsl = users("head@primary.demo"), users("dsl@primary.demo")
    teacher = staff_ids(head)["Sam Jones (primary)"]
    case = receive(dsl, teacher)["allegationId"]
    decide(head, case, "UNSUBSTANTIATED")
    before = container.head()
    refused = head.mutate(
        "recordReferenceDeclaration",
        "RecordReferenceDeclarationInput",
        {"allegationId": case, "willBeReferredTo": True, "declaration": "x"},
    )
    assert (refused["code"], refused["field"]) == ("REFERENCE_NOT_PERMITTED", "willBeReferredTo")
    assert container.head() == before


def test_closing_without_an_outcome_is_refused_and_appends_nothing(users, demo, container):
    head, dsl = users("head@primary.demo"), users("dsl@primary.demo")
    case = receive(dsl, staff_ids(head)["Sam Jones (primary)"])["allegationId"]
    before = container.head()
    refused = head.mutate("closeAllegation", "CloseAllegationInput", {"allegationId": case})
    assert refused["code"] == "OUTCOME_REQUIRED"
    assert container.head() == before


def test_an_outcome_outside_the_five_is_rejected_by_the_schema(users, demo, container):
    head, dsl = users("head@primary.demo"), users("dsl@primary.demo")
    case = receive(dsl, staff_ids(head)["Sam Jones (primary)"])["allegationId"]
    before = container.head()
    response = head.post(
        "mutation($i: RecordAllegationOutcomeInput!) { recordAllegationOutcome(input: $i) "
        "{ __typename } }",
        {
            "i": {
                "allegationId": case,
                "outcome": "PROVEN",
                "decidedAt": NOW.isoformat(),
                "summary": "x",
                "rationale": "x",
            }
        },
    )
    assert response.status_code == 400
    message = response.json()["errors"][0]["message"]
    assert ".outcome" in message and "does not exist in 'Outcome' enum" in message
    assert container.head() == before


def test_below_the_harm_threshold_is_refused_then_recorded_as_a_low_level_concern(
    users, demo, container
):
    head, dsl = users("head@primary.demo"), users("dsl@primary.demo")
    teacher = staff_ids(head)["Sam Jones (primary)"]
    before = container.head()
    refused = receive(dsl, teacher, harmTests=NONE_MET)
    assert (refused["code"], refused["field"]) == ("HARM_THRESHOLD_NOT_MET", "harmTests")
    assert container.head() == before
    recorded = receive(dsl, teacher, harmTests=NONE_MET, recordAsLowLevelConcern=True)
    assert recorded["__typename"] == "RecordedAsLowLevelConcern"
    concern = head.data(
        "query($id: ID!, $p: Position) { lowLevelConcern(id: $id, minPosition: $p) "
        "{ screenedAsAllegation recipient details { value } } }",
        {"id": recorded["concernId"], "p": recorded["position"]},
    )["lowLevelConcern"]
    assert concern["screenedAsAllegation"] is True
    assert concern["recipient"] == "head@primary.demo"


def test_an_allegation_about_the_headteacher_goes_to_the_chair_and_the_head_sees_only_counts(
    users, demo
):
    dsl, head, chair = (
        users("dsl@primary.demo"),
        users("head@primary.demo"),
        users("chair@demo.trust"),
    )
    head_record = staff_ids(dsl)["Head of primary"]
    received = receive(dsl, head_record)
    assert received["caseManager"] == "chair@demo.trust"
    seen = detail(chair, received["allegationId"], received["position"])
    assert seen["caseManagerBasis"] == "TRUST_NAMED_PERSON"
    listed = head.data(
        "query($p: Position) { allegations(minPosition: $p) { edges { node { id } } } }",
        {"p": received["position"]},
    )["allegations"]["edges"]
    assert listed == []
    body = head.gql(ALLEGATION, {"id": received["allegationId"], "p": None})
    assert body["data"]["allegation"] is None
    counts = head.data(
        "query($t: ID!) { staffCaseCounts(trustId: $t) { schoolId openAllegations } }",
        {"t": demo["trust"]},
    )["staffCaseCounts"]
    assert all(c["openAllegations"] == 0 for c in counts), "a case about the head is not counted"


def test_a_dsl_off_the_case_team_sees_counts_not_the_case(users, demo):
    head, dsl, academy_head = (
        users("head@primary.demo"),
        users("dsl@primary.demo"),
        users("head@academy.demo"),
    )
    teacher = staff_ids(head)["Sam Jones (primary)"]
    received = receive(head, teacher)  # the head receives it: the DSL is not on the team
    history = dsl.data(
        "query($id: ID!, $p: Position) { staffMember(id: $id, minPosition: $p) { concernHistory "
        "{ allegationCount allegations { id } } } allegations { edges { node { id } } } }",
        {"id": teacher, "p": received["position"]},
    )
    assert history["staffMember"]["concernHistory"] == {"allegationCount": 1, "allegations": []}
    assert history["allegations"]["edges"] == []
    counts = dsl.data(
        "query($t: ID!) { staffCaseCounts(trustId: $t) { schoolId openAllegations awaitingLado } }",
        {"t": demo["trust"]},
    )["staffCaseCounts"]
    assert {c["schoolId"]: c["openAllegations"] for c in counts} == {demo["primary"]: 1}
    assert (
        academy_head.gql(ALLEGATION, {"id": received["allegationId"], "p": None})["data"][
            "allegation"
        ]
        is None
    )


def test_a_data_lead_sees_the_staff_member_but_not_their_concern_history(users, demo):
    datalead = users("datalead@primary.demo")
    teacher = staff_ids(datalead)["Sam Jones (primary)"]
    body = datalead.gql(
        "query($id: ID!) { staffMember(id: $id) { id concernHistory { allegationCount } } }",
        {"id": teacher},
    )
    assert (
        body["data"]["staffMember"] is None or body["data"]["staffMember"]["concernHistory"] is None
    )
    assert body["errors"]


def test_an_unconsulted_allegation_received_days_ago_is_overdue(users, demo):
    head, dsl = users("head@primary.demo"), users("dsl@primary.demo")
    teacher = staff_ids(head)["Sam Jones (primary)"]
    old = receive(dsl, teacher, receivedAt=(NOW - timedelta(days=8)).isoformat())
    fresh = receive(dsl, teacher)
    due = head.data(
        "query($p: Position) { deadlines(minPosition: $p) { allegationId overdue dueOn } }",
        {"p": fresh["position"]},
    )["deadlines"]
    overdue = {d["allegationId"]: d["overdue"] for d in due}
    assert overdue == {old["allegationId"]: True, fresh["allegationId"]: False}
    assert due[0]["allegationId"] == old["allegationId"]
    consulted = step(
        head,
        "recordLadoConsultation",
        "RecordLadoConsultationInput",
        {
            "allegationId": old["allegationId"],
            "consultedAt": NOW.isoformat(),
            "ladoName": "Pat",
            "advice": "x",
            "agreedAction": "x",
        },
    )
    after = head.data(
        "query($p: Position) { deadlines(minPosition: $p) { allegationId } }",
        {"p": consulted["position"]},
    )["deadlines"]
    assert after == [{"allegationId": fresh["allegationId"]}]
    assert detail(head, old["allegationId"])["ladoOverdue"] is True  # consulted late


def test_a_pattern_of_low_level_concerns_is_flagged_and_escalated_with_links_both_ways(users, demo):
    head, teacher_user = users("head@primary.demo"), users("teacher@primary.demo")
    colleague = staff_ids(head)["DSL of primary"]
    concerns = [
        step(
            teacher_user,
            "raiseLowLevelConcern",
            "RaiseLowLevelConcernInput",
            {
                "staffMemberId": colleague,
                "details": f"Concern {n}: one-to-one behind a closed door",
                "withholdNameFromSubject": True,
            },
        )
        for n in range(3)
    ]
    flags = head.data(
        "query($id: ID!, $p: Position) { staffMember(id: $id, minPosition: $p) { patternFlags "
        "{ kind count threshold recordIds } } }",
        {"id": colleague, "p": concerns[-1]["position"]},
    )["staffMember"]["patternFlags"]
    assert flags == [
        {
            "kind": "low_level_concerns",
            "count": 3,
            "threshold": 3,
            "recordIds": [c["id"] for c in concerns],
        }
    ]
    escalated = step(
        head,
        "escalateLowLevelConcerns",
        "EscalateLowLevelConcernsInput",
        {
            "concernIds": [c["id"] for c in concerns],
            "description": "Together these suggest grooming behaviour",
            "harmTests": {**NONE_MET, "riskOfHarm": True},
        },
    )
    allegation = detail(head, escalated["id"], escalated["position"])
    assert sorted(allegation["linkedConcernIds"]) == sorted(c["id"] for c in concerns)
    concern = head.data(
        "query($id: ID!) { lowLevelConcern(id: $id) { status escalatedToAllegationId "
        "nameWithheldFromSubject } }",
        {"id": concerns[0]["id"]},
    )["lowLevelConcern"]
    assert concern == {
        "status": "ESCALATED",
        "escalatedToAllegationId": escalated["id"],
        "nameWithheldFromSubject": True,
    }


def test_social_media_declarations_and_repeated_contact_attempts(users, demo):
    head, teacher_user = users("head@primary.demo"), users("teacher@primary.demo")
    staff = staff_ids(head)
    me = staff["Sam Jones (primary)"]
    pupil = head.data("{ pupils(first: 1) { edges { node { id } } } }")["pupils"]["edges"][0][
        "node"
    ]["id"]
    declared = step(
        teacher_user,
        "declareSocialMediaRelationship",
        "DeclareSocialMediaRelationshipInput",
        {
            "staffMemberId": me,
            "platform": "Facebook",
            "relationship": "My nephew's mother; friends before I joined",
            "pupilIds": [pupil],
        },
    )
    step(
        head,
        "recordDeclarationAdvice",
        "RecordDeclarationAdviceInput",
        {
            "declarationId": declared["id"],
            "advice": "Keep it private; no school talk",
            "decision": "May stay connected",
        },
    )
    for hours in (3, 2):
        step(
            teacher_user,
            "reportContactAttempt",
            "ReportContactAttemptInput",
            {
                "staffMemberId": me,
                "occurredAt": (NOW - timedelta(hours=hours)).isoformat(),
                "platform": "Instagram",
                "contactFrom": "PUPIL",
                "fromPersonId": pupil,
                "description": "Follow request",
            },
        )
    last = step(
        head,
        "recordOnlinePresenceCheck",
        "RecordOnlinePresenceCheckInput",
        {
            "staffMemberId": me,
            "checkedAt": NOW.isoformat(),
            "platforms": "Facebook, Instagram",
            "outcome": "ADVICE_GIVEN",
        },
    )
    seen = head.data(
        "query($id: ID!, $p: Position) { staffMember(id: $id, minPosition: $p) { concernHistory "
        "{ socialMedia { kind platform detail { value } } } patternFlags { kind count } } }",
        {"id": me, "p": last["position"]},
    )["staffMember"]
    kinds = [e["kind"] for e in seen["concernHistory"]["socialMedia"]]
    assert kinds == [
        "declaration",
        "declaration_advice",
        "contact_attempt",
        "contact_attempt",
        "presence_check",
    ]
    assert {"kind": "repeated_contact", "count": 2} in seen["patternFlags"]


def test_every_read_of_an_allegation_is_in_the_access_log(users, demo, container):
    head, dsl, dpo = (
        users("head@primary.demo"),
        users("dsl@primary.demo"),
        users("dpo@demo.trust"),
    )
    received = receive(dsl, staff_ids(head)["Sam Jones (primary)"])
    detail(head, received["allegationId"], received["position"])
    log = dpo.data(
        "query($r: ID!) { accessLog(recordId: $r, first: 100) { edges { node { userId "
        "recordType recordId action } } } }",
        {"r": received["allegationId"]},
    )["accessLog"]["edges"]
    reads = [
        (e["node"]["userId"], e["node"]["action"])
        for e in log
        if e["node"]["recordType"] == "allegation"
        and e["node"]["recordId"] == received["allegationId"]
    ]
    assert ("head@primary.demo", "view") in reads


def test_the_lado_deadline_follows_the_trusts_interval(users, demo):
    tsl, dsl, head = (
        users("tsl@demo.trust"),
        users("dsl@primary.demo"),
        users("head@primary.demo"),
    )
    step(
        tsl,
        "configureStaffCases",
        "ConfigureStaffCasesInput",
        {
            "trustId": demo["trust"],
            "headteacherCaseManager": "chair@demo.trust",
            "headteacherCaseManagerTitle": "chair of governors",
            "ladoWorkingDays": 3,
        },
    )
    received = receive(
        dsl, staff_ids(head)["Sam Jones (primary)"], receivedAt="2025-12-19T10:00:00+00:00"
    )
    assert received["ladoDueOn"] == date(2025, 12, 24).isoformat()


def test_an_allegation_stored_under_its_former_topics_is_read_and_worked_on(
    users, demo, container, monkeypatch
):
    """Events recorded while the staff-case aggregates shared one module carry that module in
    their topic: the view still reads them, and the case still loads for its next command."""
    dsl, head = users("dsl@primary.demo"), users("head@primary.demo")
    teacher = staff_ids(head)["Sam Jones (primary)"]
    mapper = container.app.events.mapper
    to_stored_event = mapper.to_stored_event
    moved = f"{Allegation.__module__}:"

    def as_formerly_stored(event):
        stored = to_stored_event(event)
        return replace(stored, topic=stored.topic.replace(moved, f"{FORMER_MODULE}:"))

    monkeypatch.setattr(mapper, "to_stored_event", as_formerly_stored)
    received = receive(dsl, teacher)
    monkeypatch.undo()
    case = received["allegationId"]
    with psycopg.connect(container.database.conninfo) as conn:
        topics = conn.execute(
            "SELECT topic FROM casework_events WHERE originator_id = %s", (UUID(case),)
        ).fetchall()
    assert topics == [(f"{FORMER_MODULE}:Allegation.Received",)]
    assert detail(head, case, received["position"])["status"] == "OPEN"
    consulted = step(
        head,
        "recordLadoConsultation",
        "RecordLadoConsultationInput",
        {
            "allegationId": case,
            "consultedAt": NOW.isoformat(),
            "ladoName": "Pat",
            "advice": "x",
            "agreedAction": "x",
        },
    )
    assert detail(head, case, consulted["position"])["ladoConsultedAt"] is not None

"""Walks every query and mutation in the schema and proves that cross-school, cross-trust and
subject-of-record access is refused. A field without a case here fails the walk, so a new field
cannot slip past."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from api.graphql.schema import Mutation, Query
from api.ledger import Checkpointer
from domain.directory.commands import (
    RegisterStaffMember,
)
from domain.incidents.commands import ReportIncident
from domain.retention.commands import PlaceLegalHold
from domain.retention.erasure_commands import RequestErasure
from domain.retention.erasure_rules import Candidate
from domain.shared.actor import acting_as
from domain.shared.calendar import academic_year_of, london_today
from domain.shared.policy import Principal, Role
from domain.staff_cases.commands import (
    AllegationDetails,
    AttachAllegationEvidence,
    ChildConcerned,
    ConfigureStaffCases,
    DeclareSocialMediaRelationship,
    RaiseLowLevelConcern,
)
from domain.webhooks.commands import RegisterWebhookEndpoint
from tests import builders as make
from tests.api_client import Client

OPERATOR = Principal.operator("tests")
MARKER = "Quentin Marker-Subject"


@dataclass(frozen=True)
class World:
    trust_a: UUID
    school_a1: UUID
    school_a2: UUID
    trust_b: UUID
    school_b1: UUID
    pupil: UUID
    parent: UUID
    staff: UUID  # the staff record whose subject is SUBJECT
    incident: UUID  # in A1, about the pupil and naming the staff member `staff`
    allegation: UUID  # about `staff` (A1's headteacher), managed by the trust's chair
    concern: UUID  # a low-level concern about `staff`
    declaration: UUID  # `staff`'s own social-media declaration
    channel: UUID  # A1's official channel; `staff` is authorised to post on it
    publication: UUID  # on `channel`, featuring the pupil; in the takedown queue
    staff_position: int  # where `staff` was registered: a ledger proof of a restricted record
    hold: UUID  # a legal hold on `allegation`, its reason MARKER
    erasure: UUID  # a requested erasure of `allegation`, its reason MARKER
    endpoint: UUID  # the trust safeguarding lead's webhook endpoint for trust A
    delivery: UUID  # its delivery of `allegation`


SUBJECT = "subject@a1"  # headteacher of A1, and the subject of staff record `staff`
CROSS_SCHOOL = "all@a2"  # every school role in A2 (same trust)
CROSS_TRUST = "all@b"  # every trust role in trust B, and every school role in B1

SCHOOL_ROLES = (
    Role.HEADTEACHER,
    Role.DSL,
    Role.DEPUTY_DSL,
    Role.DATA_LEAD,
    Role.DPO,
    Role.CHAIR_OF_GOVERNORS,
    Role.STAFF_REPORTER,
)
TRUST_ROLES = (Role.TRUST_SAFEGUARDING_LEAD, Role.DPO, Role.CHAIR_OF_GOVERNORS)


@pytest.fixture
def world(container) -> World:
    app = container.app
    with acting_as(OPERATOR):
        trust_a = make.trust(app, "Trust A")
        a1 = make.school(app, trust_a, "A1", "310001")
        a2 = make.school(app, trust_a, "A2", "310002")
        trust_b = make.trust(app, "Trust B")
        b1 = make.school(app, trust_b, "B1", "320001")
        for role in SCHOOL_ROLES:
            make.grant(app, CROSS_SCHOOL, role, trust_a, a2)
            make.grant(app, CROSS_TRUST, role, trust_b, b1)
        for role in TRUST_ROLES:
            make.grant(app, CROSS_TRUST, role, trust_b)
        make.grant(app, SUBJECT, Role.HEADTEACHER, trust_a, a1)
        make.grant(app, SUBJECT, Role.DPO, trust_a, a1)
        make.grant(app, SUBJECT, Role.DSL, trust_a, a1)
        make.grant(app, "lead@a1", Role.DATA_LEAD, trust_a, a1)
    with acting_as(app.principal_for("lead@a1")):
        pupil = make.pupil(app, a1, MARKER, date(2014, 1, 1), year_group=6)
        parent = make.parent(app, pupil, MARKER, "mother")
    with acting_as(app.principal_for(SUBJECT)):
        staff, staff_position = app.register_staff_member(
            RegisterStaffMember(
                school_id=a1, full_name=MARKER, staff_role="headteacher", user_id=SUBJECT
            )
        )
    with acting_as(OPERATOR):
        make.grant(app, "tsl@a", Role.TRUST_SAFEGUARDING_LEAD, trust_a)
    with acting_as(app.principal_for("tsl@a")):
        endpoint = app.register_webhook_endpoint(
            RegisterWebhookEndpoint(trust_a, "http://127.0.0.1:9/", ["allegation_received"])
        ).endpoint_id
    with acting_as(app.principal_for("lead@a1")):
        now = datetime.now(UTC)
        incident, position = app.report_incident(
            ReportIncident(
                school_id=a1,
                occurred_at=now - timedelta(hours=2),
                reported_at=now,
                category="cyberbullying",
                description=MARKER,
                people=[(pupil, "pupil_harmed"), (staff, "staff_member")],
                platform="WhatsApp",
            )
        )
    with acting_as(OPERATOR):
        make.grant(app, "chair@a", Role.CHAIR_OF_GOVERNORS, trust_a)
    with acting_as(app.principal_for("tsl@a")):
        app.configure_staff_cases(ConfigureStaffCases(trust_a, "chair@a", "chair of governors"))
    with acting_as(app.principal_for("chair@a")):
        allegation = make.allegation(
            app,
            staff,
            MARKER,
            now,
            source="parent_carer",
            received_via="email",
            details=AllegationDetails(
                children=[ChildConcerned(pupil, "concerned")],
                location=MARKER,
                injury=MARKER,
                others_told=MARKER,
            ),
        )
        app.attach_allegation_evidence(
            AttachAllegationEvidence(
                allegation_id=allegation,
                filename=f"{MARKER}.txt",
                content_type="text/plain",
                content=MARKER.encode(),
                note=MARKER,
            )
        )
    with acting_as(app.principal_for("lead@a1")):
        concern, _ = app.raise_low_level_concern(
            RaiseLowLevelConcern(staff_member_id=staff, details=MARKER)
        )
    with acting_as(app.principal_for(SUBJECT)):
        declaration, position = app.declare_social_media_relationship(
            DeclareSocialMediaRelationship(
                staff_member_id=staff, platform="Facebook", relationship=MARKER
            )
        )
    social = "school_social_media"
    with acting_as(app.principal_for("lead@a1")):
        make.parental_consent(
            app, pupil, parent, "photo", social, now - timedelta(hours=3), reference=MARKER
        )
        channel = make.channel(
            app,
            a1,
            staff,
            date(2025, 9, 1),
            platform="Facebook",
            account_name=MARKER,
            purpose=MARKER,
            risk_assessment_approved_by="A1 head",
            risk_assessment_approved_on=date(2025, 8, 1),
        )
        publication = make.post_then_withdrawal(
            app, channel, social, pupil, parent, staff, now - timedelta(hours=3), MARKER
        )
    with acting_as(OPERATOR):
        hold, _ = app.place_legal_hold(PlaceLegalHold("record", allegation, "inquiry", MARKER))
        erasure = app.request_erasure(
            RequestErasure(trust_a, [erasable(allegation, a1, staff)], MARKER)
        ).erasure_id
        position = container.head()
    with acting_as(app.principal_for(CROSS_SCHOOL)), pytest.raises(Exception):
        make.pupil(app, a1, "x", date(2014, 1, 1), year_group=6)
    container.wait_for(list(container.views), position, timeout=20)
    Checkpointer(container.pool, container.keyring, container.settings).sign()  # proofs exist
    with container.pool.connection() as conn:
        row = conn.execute(
            "SELECT delivery_id FROM wh_deliveries WHERE endpoint_id = %s", (endpoint,)
        ).fetchone()
    assert row is not None, "the world's allegation has no webhook delivery"
    return World(
        trust_a,
        a1,
        a2,
        trust_b,
        b1,
        pupil,
        parent,
        staff,
        incident,
        allegation,
        concern,
        declaration,
        channel,
        publication,
        staff_position,
        hold,
        erasure,
        endpoint,
        row["delivery_id"],
    )


def erasable(record_id: UUID, school_id: UUID, about: UUID) -> Candidate:
    """A record as the schedule would give it once erasable (the world's erasure names it)."""
    return Candidate(
        "allegation",
        record_id,
        school_id,
        "allegation",
        "KCSIE",
        None,
        (record_id,),
        (),
        (),
        frozenset({about}),
    )


@dataclass(frozen=True)
class Case:
    """One way to reach for a record of A1; ``refused`` tells whether the response gave it away."""

    query: str
    variables: Any  # World -> dict
    subject_applies: bool = False


def no_edges(field: str):
    def check(body: dict) -> bool:
        data = body.get("data") or {}
        return data.get(field) is None or data[field]["edges"] == []

    return check


def null_with_error(field: str):
    def check(body: dict) -> bool:
        return (body.get("data") or {}).get(field) is None and bool(body.get("errors"))

    return check


def by_id(field: str, select: str, record: str, subject_applies: bool = False):
    """Fetching one of the world's records by id; refused means null with an error."""
    return (
        Case(
            f"query($id: ID!) {{ {field}(id: $id) {select} }}",
            lambda w: {"id": str(getattr(w, record))},
            subject_applies=subject_applies,
        ),
        null_with_error(field),
    )


def school_list(field: str, select: str, subject_applies: bool = False):
    """Listing A1's records; refused means no edges."""
    return (
        Case(
            f"query($s: ID) {{ {field}(schoolId: $s) {select} }}",
            lambda w: {"s": str(w.school_a1)},
            subject_applies=subject_applies,
        ),
        no_edges(field),
    )


def refused_result(field: str):
    def check(body: dict) -> bool:
        return body["data"][field]["__typename"] in ("NotAuthorisedError", "NotFoundError")

    return check


def only_self(field: str):
    def check(body: dict) -> bool:
        return body["data"][field]["roles"] is not None and MARKER not in str(body)

    return check


def mutation(field: str, input_type: str) -> str:
    return f"mutation($i: {input_type}!) {{ {field}(input: $i) {{ __typename }} }}"


def mutation_case(field: str, input_type: str, variables: Any, subject_applies: bool = False):
    """A mutation on A1's records; refused means a not-authorised or not-found result."""
    return (
        Case(mutation(field, input_type), variables, subject_applies=subject_applies),
        refused_result(field),
    )


def all_counts_zero(body: dict) -> bool:
    rows = (body.get("data") or {}).get("staffCaseCounts") or []
    return all(
        r["openAllegations"] == r["openLowLevelConcerns"] == r["awaitingLado"] == 0 for r in rows
    )


NOW = "2026-01-05T10:00:00Z"


def staff_case(field: str, input_type: str, subject: bool, fields: Any) -> tuple[Case, Any]:
    """A staff-case mutation: refused for outsiders, and for the subject when ``subject``."""
    return (
        Case(mutation(field, input_type), lambda w: {"i": fields(w)}, subject_applies=subject),
        refused_result(field),
    )


def on_allegation(**extra: Any) -> Any:
    return lambda w: {"allegationId": str(w.allegation), **extra}


# What an allegation's reader sees of its description, referral details and documents.
ALLEGATION_TEXT = (
    "description { value } location { value } injury { value } othersTold { value } "
    "childrenConcerned { pupilId relationship } evidence { filename { value } note { value } }"
)

STAFF_CASES: dict[str, tuple[Case, Any]] = {
    "allegations": school_list(
        "allegations", f"{{ edges {{ node {{ id {ALLEGATION_TEXT} }} }} }}", subject_applies=True
    ),
    "allegation": by_id(
        "allegation", f"{{ {ALLEGATION_TEXT} }}", "allegation", subject_applies=True
    ),
    "lowLevelConcerns": school_list(
        "lowLevelConcerns", "{ edges { node { id details { value } } } }", subject_applies=True
    ),
    "lowLevelConcern": by_id(
        "lowLevelConcern", "{ details { value } }", "concern", subject_applies=True
    ),
    "deadlines": (
        Case(
            "query($s: ID) { deadlines(schoolId: $s) { allegationId dueOn } }",
            lambda w: {"s": str(w.school_a1)},
            subject_applies=True,
        ),
        lambda body: not (body.get("data") or {}).get("deadlines"),
    ),
    "staffCaseCounts": (
        Case(
            "query($t: ID!) { staffCaseCounts(trustId: $t) { schoolId openAllegations "
            "awaitingLado openLowLevelConcerns } }",
            lambda w: {"t": str(w.trust_a)},
            subject_applies=True,
        ),
        all_counts_zero,
    ),
    "receiveAllegation": staff_case(
        "receiveAllegation",
        "ReceiveAllegationInput",
        True,
        lambda w: {
            "staffMemberId": str(w.staff),
            "receivedAt": NOW,
            "source": "PUPIL",
            "receivedVia": "IN_PERSON",
            "description": "x",
            "harmTests": {
                "harmedChild": True,
                "possibleOffence": False,
                "riskOfHarm": False,
                "unsuitable": False,
            },
        },
    ),
    "recordAllegationDetails": staff_case(
        "recordAllegationDetails",
        "RecordAllegationDetailsInput",
        True,
        on_allegation(details={"location": "x", "moreThanOneIncident": "NOT_KNOWN"}),
    ),
    "assignCaseManager": staff_case(
        "assignCaseManager",
        "AssignCaseManagerInput",
        True,
        on_allegation(userId="lead@a1", reason="x"),
    ),
    "addToCaseTeam": staff_case(
        "addToCaseTeam",
        "AddToCaseTeamInput",
        True,
        on_allegation(userId="lead@a1", responsibility="x"),
    ),
    "recordLadoConsultation": staff_case(
        "recordLadoConsultation",
        "RecordLadoConsultationInput",
        True,
        on_allegation(consultedAt=NOW, ladoName="x", advice="x", agreedAction="x"),
    ),
    "recordAllegationAction": staff_case(
        "recordAllegationAction",
        "RecordAllegationActionInput",
        True,
        on_allegation(kind="SUBJECT_INFORMED", takenAt=NOW, decision="x", rationale="x"),
    ),
    "recordStrategyDiscussion": staff_case(
        "recordStrategyDiscussion",
        "RecordStrategyDiscussionInput",
        True,
        on_allegation(heldAt=NOW, attendees=["x"], decisions="x", actions="x"),
    ),
    "recordSuspensionDecision": staff_case(
        "recordSuspensionDecision",
        "RecordSuspensionDecisionInput",
        True,
        on_allegation(consideredAt=NOW, alternatives="x", decision="NOT_SUSPENDED", rationale="x"),
    ),
    "recordAllegationOutcome": staff_case(
        "recordAllegationOutcome",
        "RecordAllegationOutcomeInput",
        True,
        on_allegation(outcome="FALSE", decidedAt=NOW, summary="x", rationale="x"),
    ),
    "recordReferenceDeclaration": staff_case(
        "recordReferenceDeclaration",
        "RecordReferenceDeclarationInput",
        True,
        on_allegation(willBeReferredTo=False, declaration="x"),
    ),
    "recordRetentionConsent": staff_case(
        "recordRetentionConsent",
        "RecordRetentionConsentInput",
        True,
        on_allegation(consentedAt=NOW, method="written"),
    ),
    "recordLessonsLearnt": staff_case(
        "recordLessonsLearnt", "RecordLessonsLearntInput", True, on_allegation(lessons="x")
    ),
    "closeAllegation": staff_case("closeAllegation", "CloseAllegationInput", True, on_allegation()),
    "attachAllegationEvidence": staff_case(
        "attachAllegationEvidence",
        "AttachAllegationEvidenceInput",
        True,
        on_allegation(file="not-a-file"),
    ),
    "exportLadoReferral": staff_case(
        "exportLadoReferral",
        "ExportLadoReferralInput",
        True,
        on_allegation(recipient="LADO, Northshire County Council"),
    ),
    # Raising a concern about yourself is self-reporting, and welcome.
    "raiseLowLevelConcern": staff_case(
        "raiseLowLevelConcern",
        "RaiseLowLevelConcernInput",
        False,
        lambda w: {"staffMemberId": str(w.staff), "details": "x"},
    ),
    "reviewLowLevelConcern": staff_case(
        "reviewLowLevelConcern",
        "ReviewLowLevelConcernInput",
        True,
        lambda w: {"concernId": str(w.concern), "actionTaken": "x", "rationale": "x"},
    ),
    "closeLowLevelConcern": staff_case(
        "closeLowLevelConcern",
        "CloseLowLevelConcernInput",
        True,
        lambda w: {"concernId": str(w.concern)},
    ),
    "escalateLowLevelConcerns": staff_case(
        "escalateLowLevelConcerns",
        "EscalateLowLevelConcernsInput",
        True,
        lambda w: {
            "concernIds": [str(w.concern)],
            "description": "x",
            "harmTests": {
                "harmedChild": False,
                "possibleOffence": False,
                "riskOfHarm": True,
                "unsuitable": False,
            },
        },
    ),
    # A member of staff declares their own relationships and reports contact to their accounts.
    "declareSocialMediaRelationship": staff_case(
        "declareSocialMediaRelationship",
        "DeclareSocialMediaRelationshipInput",
        False,
        lambda w: {"staffMemberId": str(w.staff), "platform": "x", "relationship": "x"},
    ),
    "updateSocialMediaDeclaration": staff_case(
        "updateSocialMediaDeclaration",
        "UpdateSocialMediaDeclarationInput",
        False,
        lambda w: {"declarationId": str(w.declaration), "circumstances": "x"},
    ),
    "recordDeclarationAdvice": staff_case(
        "recordDeclarationAdvice",
        "RecordDeclarationAdviceInput",
        True,
        lambda w: {"declarationId": str(w.declaration), "advice": "x", "decision": "x"},
    ),
    "reportContactAttempt": staff_case(
        "reportContactAttempt",
        "ReportContactAttemptInput",
        False,
        lambda w: {
            "staffMemberId": str(w.staff),
            "occurredAt": NOW,
            "platform": "x",
            "contactFrom": "PUPIL",
            "description": "x",
        },
    ),
    "recordOnlinePresenceCheck": staff_case(
        "recordOnlinePresenceCheck",
        "RecordOnlinePresenceCheckInput",
        True,
        lambda w: {
            "staffMemberId": str(w.staff),
            "checkedAt": NOW,
            "platforms": "x",
            "outcome": "NO_CONCERNS",
        },
    ),
    "configureStaffCases": staff_case(
        "configureStaffCases",
        "ConfigureStaffCasesInput",
        True,
        lambda w: {"trustId": str(w.trust_a), "ladoWorkingDays": 2},
    ),
    "recordStaffPensionAge": staff_case(
        "recordStaffPensionAge",
        "RecordStaffPensionAgeInput",
        True,
        lambda w: {"staffMemberId": str(w.staff), "reachesOn": "2050-01-01"},
    ),
}


CASES: dict[str, tuple[Case, Any]] = {
    # queries
    "me": (Case("{ me { userId roles { role schoolId } } }", lambda w: {}), only_self("me")),
    "schools": (
        Case("{ schools { edges { node { id name } } } }", lambda w: {}),
        lambda body: "A1" not in {e["node"]["name"] for e in body["data"]["schools"]["edges"]},
    ),
    "school": by_id("school", "{ name }", "school_a1"),
    "pupils": (
        Case(
            "query($s: ID) { pupils(schoolId: $s) { edges { node { id } } } }",
            lambda w: {"s": str(w.school_a1)},
        ),
        no_edges("pupils"),
    ),
    "pupil": by_id("pupil", "{ fullName { value } }", "pupil"),
    "staffMembers": school_list(
        "staffMembers", "{ edges { node { id fullName { value } } } }", subject_applies=True
    ),
    "staffMember": by_id("staffMember", "{ fullName { value } }", "staff", subject_applies=True),
    "roleGrants": (
        Case("{ roleGrants(first: 100) { edges { node { userId } } } }", lambda w: {}),
        lambda body: "lead@a1" not in str(body),
    ),
    "ledgerProof": (
        Case(
            "query($p: Position!) { ledgerProof(position: $p) { entry proof } }",
            lambda w: {"p": str(w.staff_position)},
            subject_applies=True,
        ),
        null_with_error("ledgerProof"),
    ),
    # The ledger's status names no school and no person: reaching it gives nothing of A1 away
    # (the walk still checks the response for A1's marker).
    "ledgerStatus": (Case("{ ledgerStatus { size } }", lambda w: {}), lambda body: True),
    # A trust's public signing keys are told to anyone with a role in the trust, so to A2's
    # staff too: public material about no school and no person (the walk still checks for A1's
    # marker). Another trust's staff get NOT_FOUND: tests/integration/test_trust_keys.py.
    "trustSigningKey": (
        Case(
            "query($t: ID!) { trustSigningKey(trustId: $t) { ed25519PublicKey } }",
            lambda w: {"t": str(w.trust_a)},
        ),
        lambda body: True,
    ),
    "accessLog": (
        Case(
            "{ accessLog(first: 100) { edges { node { recordId } } } }",
            lambda w: {},
            subject_applies=True,
        ),
        no_edges("accessLog"),
    ),
    # mutations
    "registerSchool": mutation_case(
        "registerSchool",
        "RegisterSchoolInput",
        lambda w: {"i": {"trustId": str(w.trust_a), "name": "Z", "urn": "399999"}},
    ),
    "registerPupil": mutation_case(
        "registerPupil",
        "RegisterPupilInput",
        lambda w: {
            "i": {
                "schoolId": str(w.school_a1),
                "fullName": "Z",
                "dateOfBirth": "2015-01-01",
                "yearGroup": 4,
            }
        },
    ),
    "registerStaffMember": mutation_case(
        "registerStaffMember",
        "RegisterStaffMemberInput",
        lambda w: {"i": {"schoolId": str(w.school_a1), "fullName": "Z", "role": "TEACHER"}},
    ),
    "linkParent": mutation_case(
        "linkParent",
        "LinkParentInput",
        lambda w: {
            "i": {
                "pupilId": str(w.pupil),
                "relationship": "carer",
                "parentalResponsibility": False,
                "fullName": "Z",
            }
        },
    ),
    "recordPupilLeft": mutation_case(
        "recordPupilLeft",
        "RecordPupilLeftInput",
        lambda w: {"i": {"pupilId": str(w.pupil), "leftOn": "2025-01-01"}},
    ),
    "recordStaffLeft": mutation_case(
        "recordStaffLeft",
        "RecordStaffLeftInput",
        lambda w: {"i": {"staffMemberId": str(w.staff), "leftOn": "2025-01-01"}},
        subject_applies=True,
    ),
    "grantRole": mutation_case(
        "grantRole",
        "RoleGrantInput",
        lambda w: {
            "i": {
                "userId": "new@a1",
                "role": "DSL",
                "trustId": str(w.trust_a),
                "schoolId": str(w.school_a1),
            }
        },
    ),
    # incidents
    "incidents": school_list("incidents", "{ edges { node { id description { value } } } }"),
    "incident": by_id("incident", "{ description { value } }", "incident", subject_applies=True),
    "schoolDashboard": (
        Case(
            "query($s: ID!) { schoolDashboard(schoolId: $s) "
            "{ openByRisk { risk openIncidents } } }",
            lambda w: {"s": str(w.school_a1)},
        ),
        null_with_error("schoolDashboard"),
    ),
    "patternFlags": (
        Case(
            "query($s: ID!) { patternFlags(schoolId: $s, pupilThreshold: 2) "
            "{ subject incidentIds } }",
            lambda w: {"s": str(w.school_a1)},
        ),
        null_with_error("patternFlags"),
    ),
    "trustOverview": (
        Case(
            "query($t: ID!) { trustOverview(trustId: $t) { schoolName incidents } }",
            lambda w: {"t": str(w.trust_a)},
        ),
        lambda body: (
            body.get("data") is None
            or all(r["schoolName"] != "A1" for r in body["data"]["trustOverview"])
        ),
    ),
    "myReports": (
        Case("{ myReports { edges { node { incidentId } } } }", lambda w: {}),
        no_edges("myReports"),
    ),
    "incidentCategories": (
        Case(
            "query($s: ID!) { incidentCategories(schoolId: $s) { code } }",
            lambda w: {"s": str(w.school_a1)},
        ),
        null_with_error("incidentCategories"),
    ),
    "reportIncident": mutation_case(
        "reportIncident",
        "ReportIncidentInput",
        lambda w: {
            "i": {
                "schoolId": str(w.school_a1),
                "occurredAt": "2025-01-01T10:00:00Z",
                "reportedAt": "2025-01-01T11:00:00Z",
                "category": "cyberbullying",
                "description": "x",
                "people": [{"personId": str(w.pupil), "part": "PUPIL_HARMED"}],
            }
        },
    ),
    "triageIncident": mutation_case(
        "triageIncident",
        "TriageIncidentInput",
        lambda w: {
            "i": {
                "incidentId": str(w.incident),
                "risk": "LOW",
                "meetsCpThreshold": False,
                "rationale": "x",
            }
        },
        subject_applies=True,
    ),
    "recordIncidentAction": mutation_case(
        "recordIncidentAction",
        "RecordIncidentActionInput",
        lambda w: {
            "i": {
                "incidentId": str(w.incident),
                "kind": "PARENTS_INFORMED",
                "takenAt": "2025-01-01T12:00:00Z",
                "decision": "x",
                "rationale": "x",
            }
        },
        subject_applies=True,
    ),
    "attachEvidence": mutation_case(
        "attachEvidence",
        "AttachEvidenceInput",
        lambda w: {"i": {"incidentId": str(w.incident), "file": "not-a-file"}},
        subject_applies=True,
    ),
    "linkIncidents": mutation_case(
        "linkIncidents",
        "LinkIncidentsInput",
        lambda w: {"i": {"incidentId": str(w.incident), "otherIncidentId": str(w.incident)}},
        subject_applies=True,
    ),
    "closeIncident": mutation_case(
        "closeIncident",
        "CloseIncidentInput",
        lambda w: {"i": {"incidentId": str(w.incident), "outcome": "x", "lessonsLearnt": "x"}},
        subject_applies=True,
    ),
    "reopenIncident": mutation_case(
        "reopenIncident",
        "ReopenIncidentInput",
        lambda w: {"i": {"incidentId": str(w.incident), "reason": "x"}},
        subject_applies=True,
    ),
    "addIncidentCategory": mutation_case(
        "addIncidentCategory",
        "AddIncidentCategoryInput",
        lambda w: {"i": {"trustId": str(w.trust_a), "code": "new_one", "label": "x"}},
    ),
    "revokeRole": mutation_case(
        "revokeRole",
        "RoleGrantInput",
        lambda w: {
            "i": {
                "userId": "lead@a1",
                "role": "DATA_LEAD",
                "trustId": str(w.trust_a),
                "schoolId": str(w.school_a1),
            }
        },
    ),
}


CASES.update(STAFF_CASES)


def consent_case(field: str, input_type: str, fields: Any) -> tuple[Case, Any]:
    """A consent mutation on A1's records: refused to anyone outside A1."""
    return Case(mutation(field, input_type), lambda w: {"i": fields(w)}), refused_result(field)


def school_query(field: str, select: str) -> tuple[Case, Any]:
    return (
        Case(
            f"query($s: ID!) {{ {field}(schoolId: $s) {select} }}",
            lambda w: {"s": str(w.school_a1)},
        ),
        null_with_error(field),
    )


def consent_of(w: World, **extra: Any) -> dict[str, Any]:
    return {
        "pupilId": str(w.pupil),
        "consenterKind": "PARENT_CARER",
        "parentCarerId": str(w.parent),
        "method": "LETTER",
        "reference": "x",
        "receivedAt": NOW,
        **extra,
    }


CHOICES = [{"media": ["PHOTO"], "channels": ["SCHOOL_WEBSITE"], "granted": True}]

CONSENT: dict[str, tuple[Case, Any]] = {
    "consentStatus": (
        Case(
            "query($p: ID!) { consentStatus(pupilId: $p, medium: PHOTO, channel: "
            "SCHOOL_SOCIAL_MEDIA) { status decidedBy { reference } } }",
            lambda w: {"p": str(w.pupil)},
        ),
        null_with_error("consentStatus"),
    ),
    "consentRegister": school_query(
        "consentRegister", "{ edges { node { pupilId pupilName { value } } } }"
    ),
    "postingCheck": (
        Case(
            "query($c: ID!, $p: ID!) { postingCheck(channelId: $c, media: PHOTO, "
            "pupilIds: [$p]) { pupils { mayAppear } } }",
            lambda w: {"c": str(w.channel), "p": str(w.pupil)},
        ),
        null_with_error("postingCheck"),
    ),
    "takedownQueue": school_query("takedownQueue", "{ edges { node { publicationId } } }"),
    "channels": school_query("channels", "{ accountName purpose { value } }"),
    "publications": school_query("publications", "{ edges { node { description { value } } } }"),
    "recordCompetenceAssessment": consent_case(
        "recordCompetenceAssessment",
        "RecordCompetenceAssessmentInput",
        lambda w: {"pupilId": str(w.pupil), "assessedAt": NOW, "competent": True},
    ),
    "giveConsent": consent_case(
        "giveConsent",
        "GiveConsentInput",
        lambda w: consent_of(w, choices=CHOICES, statementVersion="v1"),
    ),
    "amendConsent": consent_case(
        "amendConsent",
        "AmendConsentInput",
        lambda w: consent_of(w, choices=CHOICES, statementVersion="v1"),
    ),
    "withdrawConsent": consent_case(
        "withdrawConsent",
        "WithdrawConsentInput",
        lambda w: consent_of(w, media=["PHOTO"], channels=["SCHOOL_SOCIAL_MEDIA"]),
    ),
    "confirmConsentForYear": consent_case(
        "confirmConsentForYear",
        "ConfirmConsentForYearInput",
        lambda w: {"pupilId": str(w.pupil), "academicYear": academic_year_of(london_today())},
    ),
    "openChannel": consent_case(
        "openChannel",
        "OpenChannelInput",
        lambda w: {
            "schoolId": str(w.school_a1),
            "kind": "SCHOOL_WEBSITE",
            "platform": "Website",
            "accountName": "x",
            "masterAdministratorId": str(w.staff),
            "purpose": "x",
            "openedOn": "2025-09-01",
            "riskAssessmentApprovedBy": "x",
            "riskAssessmentApprover": "CEO",
            "riskAssessmentApprovedOn": "2025-08-01",
            "mfaEnabled": True,
        },
    ),
    "authorisePoster": consent_case(
        "authorisePoster",
        "AuthorisePosterInput",
        lambda w: {"channelId": str(w.channel), "staffMemberId": str(w.staff)},
    ),
    "revokePoster": consent_case(
        "revokePoster",
        "RevokePosterInput",
        lambda w: {"channelId": str(w.channel), "staffMemberId": str(w.staff)},
    ),
    "closeChannel": consent_case(
        "closeChannel",
        "CloseChannelInput",
        lambda w: {"channelId": str(w.channel), "closedOn": "2026-01-01"},
    ),
    "setPublicationApproval": consent_case(
        "setPublicationApproval",
        "SetPublicationApprovalInput",
        lambda w: {"schoolId": str(w.school_a1), "required": True},
    ),
    "recordPublication": consent_case(
        "recordPublication",
        "RecordPublicationInput",
        lambda w: {
            "channelId": str(w.channel),
            "postedAt": NOW,
            "media": ["PHOTO"],
            "pupilIds": [str(w.pupil)],
            "identifiable": False,
            "captionNamesAnyone": False,
        },
    ),
    "approvePublication": consent_case(
        "approvePublication",
        "ApprovePublicationInput",
        lambda w: {"publicationId": str(w.publication)},
    ),
    "recordTakedown": consent_case(
        "recordTakedown",
        "RecordTakedownInput",
        lambda w: {"publicationId": str(w.publication), "outcome": "REMOVED", "doneAt": NOW},
    ),
}
CASES.update(CONSENT)


def empty_or_refused(field: str):
    def check(body: dict) -> bool:
        return null_with_error(field)(body) or body["data"][field] == []

    return check


SCHEDULED = "{ recordId holds { reason { value } } reviewReason { value } }"

RETENTION: dict[str, tuple[Case, Any]] = {
    "retentionSchedule": (
        Case(
            "query($t: ID!, $s: ID) { retentionSchedule(trustId: $t, schoolId: $s) "
            f"{SCHEDULED} }}",
            lambda w: {"t": str(w.trust_a), "s": str(w.school_a1)},
        ),
        null_with_error("retentionSchedule"),
    ),
    "retentionDue": (
        Case(
            "query($t: ID!, $s: ID) { retentionDue(trustId: $t, schoolId: $s, "
            f'asOf: "2100-01-01") {SCHEDULED} }}',
            lambda w: {"t": str(w.trust_a), "s": str(w.school_a1)},
        ),
        null_with_error("retentionDue"),
    ),
    "legalHolds": (
        Case(
            "query($t: ID!) { legalHolds(trustId: $t) { id reason { value } } }",
            lambda w: {"t": str(w.trust_a)},
            subject_applies=True,
        ),
        empty_or_refused("legalHolds"),
    ),
    "retentionConfiguration": (
        Case(
            "query($t: ID!) { retentionConfiguration(trustId: $t) { rule value } }",
            lambda w: {"t": str(w.trust_a)},
        ),
        null_with_error("retentionConfiguration"),
    ),
    "configureRetention": consent_case(
        "configureRetention",
        "ConfigureRetentionInput",
        lambda w: {"trustId": str(w.trust_a), "rule": "ACCESS_LOG", "value": 7, "reason": "x"},
    ),
    "recordRetentionReview": staff_case(
        "recordRetentionReview",
        "RecordRetentionReviewInput",
        True,
        lambda w: {
            "recordType": "ALLEGATION",
            "recordId": str(w.allegation),
            "decision": "DESTROY",
            "reason": "x",
        },
    ),
    "placeLegalHold": staff_case(
        "placeLegalHold",
        "PlaceLegalHoldInput",
        True,
        lambda w: {
            "scope": "RECORD",
            "targetId": str(w.allegation),
            "authority": "POLICE",
            "reason": "x",
        },
    ),
    "liftLegalHold": staff_case(
        "liftLegalHold",
        "LiftLegalHoldInput",
        True,
        lambda w: {"holdId": str(w.hold), "reason": "x"},
    ),
}
CASES.update(RETENTION)

ERASURE: dict[str, tuple[Case, Any]] = {
    "eraseRecords": staff_case(
        "eraseRecords",
        "EraseRecordsInput",
        True,
        lambda w: {"trustId": str(w.trust_a), "recordIds": [str(w.allegation)]},
    ),
    "approveErasure": staff_case(
        "approveErasure", "ApproveErasureInput", True, lambda w: {"erasureId": str(w.erasure)}
    ),
    "cancelErasure": staff_case(
        "cancelErasure",
        "CancelErasureInput",
        True,
        lambda w: {"erasureId": str(w.erasure), "reason": "x"},
    ),
    "erasures": (
        Case(
            "{ erasures { edges { node { id reason records { recordId } } } } }",
            lambda w: {},
            subject_applies=True,
        ),
        no_edges("erasures"),
    ),
}
CASES.update(ERASURE)

# The pickers search A1 for the world's MARKER pupil and its MARKER staff record, whose subject
# is SUBJECT: nobody outside A1 gets an answer, and SUBJECT is never offered their own record.
PICKERS: dict[str, tuple[Case, Any]] = {
    "pupilPicker": (
        Case(
            'query($s: ID!) { pupilPicker(schoolId: $s, search: "quentin") { id displayName } }',
            lambda w: {"s": str(w.school_a1)},
        ),
        null_with_error("pupilPicker"),
    ),
    "staffPicker": (
        Case(
            'query($s: ID!) { staffPicker(schoolId: $s, search: "quentin") { id displayName } }',
            lambda w: {"s": str(w.school_a1)},
            subject_applies=True,
        ),
        empty_or_refused("staffPicker"),
    ),
}
CASES.update(PICKERS)
WEBHOOKS: dict[str, tuple[Case, Any]] = {
    "webhookEndpoints": (
        Case(
            "query($t: ID!) { webhookEndpoints(trustId: $t) { id url } }",
            lambda w: {"t": str(w.trust_a)},
        ),
        empty_or_refused("webhookEndpoints"),
    ),
    "webhookDeliveries": (
        Case(
            "query($e: ID!) { webhookDeliveries(endpointId: $e) { edges { node { id } } } }",
            lambda w: {"e": str(w.endpoint)},
        ),
        null_with_error("webhookDeliveries"),
    ),
    "changes": (
        Case(
            "query($s: ID!) { changes(schoolId: $s) { edges { node { recordId kind } } } }",
            lambda w: {"s": str(w.school_a1)},
        ),
        null_with_error("changes"),
    ),
    "registerWebhookEndpoint": staff_case(
        "registerWebhookEndpoint",
        "RegisterWebhookEndpointInput",
        False,
        lambda w: {
            "trustId": str(w.trust_a),
            "schoolId": str(w.school_a1),
            "url": "https://hooks.example/a1",
            "kinds": ["INCIDENT_REPORTED"],
        },
    ),
    "changeWebhookEndpoint": staff_case(
        "changeWebhookEndpoint",
        "ChangeWebhookEndpointInput",
        False,
        lambda w: {"endpointId": str(w.endpoint), "url": "https://hooks.example/b"},
    ),
    "removeWebhookEndpoint": staff_case(
        "removeWebhookEndpoint",
        "RemoveWebhookEndpointInput",
        False,
        lambda w: {"endpointId": str(w.endpoint)},
    ),
    "replayWebhookDelivery": staff_case(
        "replayWebhookDelivery",
        "ReplayWebhookDeliveryInput",
        False,
        lambda w: {"deliveryId": str(w.delivery)},
    ),
}
CASES.update(WEBHOOKS)


def schema_fields() -> set[str]:
    from api.graphql.schema import build_schema
    from api.settings import Settings

    schema = build_schema(Settings(environment="test"))
    graphql_schema = schema._schema
    return set(graphql_schema.query_type.fields) | set(graphql_schema.mutation_type.fields)


def test_every_query_and_mutation_has_an_access_case():
    assert schema_fields() == set(CASES), "add a case to CASES for each new field"
    assert Query and Mutation


@pytest.mark.parametrize("outsider", [CROSS_SCHOOL, CROSS_TRUST])
def test_no_field_reaches_another_schools_or_trusts_records(
    live, settings, world, container, outsider
):
    client = Client(live.url, settings, outsider)
    before = container.head()
    leaks = []
    for field, (case, refused) in sorted(CASES.items()):
        body = client.gql(case.query, case.variables(world))
        if not refused(body) or MARKER in str(body):
            leaks.append((field, body))
    assert leaks == []
    assert container.head() == before, "a refused command appended an event"


def test_no_field_shows_a_user_the_record_of_which_they_are_the_subject(
    live, settings, world, container
):
    insider = Client(live.url, settings, "lead@a1")
    insider.data("query($id: ID!) { staffMember(id: $id) { id } }", {"id": str(world.staff)})
    client = Client(live.url, settings, SUBJECT)
    leaks = []
    for field, (case, refused) in sorted(CASES.items()):
        if case.subject_applies:
            body = client.gql(case.query, case.variables(world))
            if not refused(body) or MARKER in str(body):
                leaks.append((field, body))
    assert leaks == []


def test_the_walk_would_notice_an_insider(live, settings, world):
    """Guards the walk itself: the same cases do reach A1's records for A1's data lead."""
    client = Client(live.url, settings, "lead@a1")
    case, refused = CASES["pupil"]
    assert not refused(client.gql(case.query, case.variables(world)))


def test_the_walk_would_notice_a_picker_offering_the_subject_their_own_record(
    live, settings, world
):
    """Guards the staff picker's case: A1's data lead is offered the subject's staff record."""
    client = Client(live.url, settings, "lead@a1")
    case, _ = CASES["staffPicker"]
    assert MARKER in str(client.gql(case.query, case.variables(world)))


def test_the_walk_would_notice_an_insider_reading_an_allegations_documents(live, settings, world):
    """Guards the allegation's case: its case manager does read the documents' names."""
    client = Client(live.url, settings, "chair@a")
    case, refused = CASES["allegation"]
    body = client.gql(case.query, case.variables(world))
    assert not refused(body)
    assert body["data"]["allegation"]["evidence"] == [
        {"filename": {"value": f"{MARKER}.txt"}, "note": {"value": MARKER}}
    ]


def test_the_subject_sees_neither_the_incident_nor_its_counts(live, settings, world, container):
    client = Client(live.url, settings, SUBJECT)  # a DSL of A1, and named in the incident
    listed = client.data(
        "query($s: ID) { incidents(schoolId: $s) { edges { node { id } } } }",
        {"s": str(world.school_a1)},
    )["incidents"]["edges"]
    board = client.data(
        "query($s: ID!) { schoolDashboard(schoolId: $s) { openByRisk { openIncidents } } }",
        {"s": str(world.school_a1)},
    )["schoolDashboard"]
    assert listed == []
    assert board["openByRisk"] == []


def test_a_data_lead_who_sees_a_pupil_cannot_read_their_chronology(live, settings, world):
    client = Client(live.url, settings, "lead@a1")
    body = client.gql(
        "query($id: ID!) { pupil(id: $id) { id chronology { summary } } }", {"id": str(world.pupil)}
    )
    assert body["data"]["pupil"] is None or body["data"]["pupil"]["chronology"] is None
    assert MARKER not in str(body)

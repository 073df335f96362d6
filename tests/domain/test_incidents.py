"""Pupil online-safety incidents: given events, when a command, then events or a named error."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain.incidents.aggregates import Incident, IncidentClosed
from domain.incidents.commands import (
    AddIncidentCategory,
    AttachEvidence,
    CloseIncident,
    LinkIncidents,
    RecordIncidentAction,
    ReopenIncident,
    ReportIncident,
    TriageIncident,
)
from domain.incidents.evidence import ContentTypeMismatch, ImageryRefused
from domain.incidents.model import Status
from domain.shared.actor import acting_as
from domain.shared.errors import NotAuthorised, NotFound, ValidationFailed
from domain.shared.policy import Role
from tests import builders as make
from tests.domain.conftest import OPERATOR, as_user, last_event

NOW = datetime.now(UTC).replace(microsecond=0)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n"
EMAIL = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: photo\r\n\r\nsee attached\r\n"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def zipped(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


YESTERDAY = NOW - timedelta(days=1)


def attach(app, incident_id: UUID, filename: str, content_type: str, content: bytes):
    """Attach one file as evidence; returns the evidence the handler describes."""
    evidence, _ = app.attach_evidence(
        AttachEvidence(
            incident_id=incident_id, filename=filename, content_type=content_type, content=content
        )
    )
    return evidence


def record_action(app, incident_id: UUID, kind: str, decision: str, rationale: str, **more):
    """Record an action taken now (or, with ``planned=True``, one planned)."""
    fields = {"taken_at": NOW} | more
    app.record_incident_action(
        RecordIncidentAction(
            incident_id=incident_id, kind=kind, decision=decision, rationale=rationale, **fields
        )
    )


@pytest.fixture
def people(app, trust_id, school_id):
    with acting_as(OPERATOR):
        make.grant(app, "dsl@oak", Role.DSL, trust_id, school_id)
        make.grant(app, "teacher@oak", Role.STAFF_REPORTER, trust_id, school_id)
        make.grant(app, "head@oak", Role.HEADTEACHER, trust_id, school_id)
    with as_user(app, "dsl@oak"):
        harmed = make.pupil(app, school_id, "Mia Patel", date(2013, 4, 1), year_group=7)
        alleged = make.pupil(app, school_id, "Tom Reed", date(2013, 6, 1), year_group=7)
    with as_user(app, "head@oak"):
        staff = make.staff(app, school_id, "Dana Cole", "teacher", "dana@oak")
    return {"harmed": harmed, "alleged": alleged, "staff": staff}


def report(app, school_id, cast, user="teacher@oak", **overrides) -> UUID:
    fields = {
        "occurred_at": YESTERDAY,
        "reported_at": NOW,
        "category": "cyberbullying",
        "description": "Unkind messages in the class WhatsApp group",
        "people": [(cast["harmed"], "pupil_harmed"), (cast["alleged"], "pupil_alleged")],
        "platform": "WhatsApp",
    } | overrides
    with as_user(app, user):
        incident_id, _ = app.report_incident(ReportIncident(school_id=school_id, **fields))
    return incident_id


def triage(app, incident_id, **overrides) -> None:
    fields = {
        "risk": "medium",
        "meets_cp_threshold": False,
        "rationale": "Peer conflict, no CP concern",
    } | overrides
    with as_user(app, "dsl@oak"):
        app.triage_incident(TriageIncident(incident_id=incident_id, **fields))


def test_any_member_of_staff_reports_an_incident(app, school_id, people):
    incident_id = report(app, school_id, people)
    incident = app.repository.get(incident_id)
    assert isinstance(incident, Incident)
    assert incident.status is Status.REPORTED
    assert last_event(app, incident_id).actor == "teacher@oak"


def test_the_description_is_sealed_with_the_incidents_own_key(app, school_id, people):
    incident_id = report(app, school_id, people)
    event = last_event(app, incident_id)
    assert event.description.subject_id == incident_id
    assert app.keyring.open(event.description) == "Unkind messages in the class WhatsApp group"


def test_the_platform_is_sealed_with_the_incidents_own_key(app, school_id, people):
    incident_id = report(app, school_id, people)
    event = last_event(app, incident_id)
    assert event.platform.subject_id == incident_id
    assert app.keyring.open(event.platform) == "WhatsApp"


def test_occurred_after_reported_is_refused(app, school_id, people):
    with pytest.raises(ValidationFailed) as error:
        report(app, school_id, people, occurred_at=NOW, reported_at=YESTERDAY)
    assert error.value.field == "occurredAt"


def test_a_report_in_the_future_is_refused(app, school_id, people):
    with pytest.raises(ValidationFailed) as error:
        report(app, school_id, people, reported_at=NOW + timedelta(days=2), occurred_at=NOW)
    assert error.value.field == "reportedAt"


def test_a_naive_time_is_refused(app, school_id, people):
    with pytest.raises(ValidationFailed) as error:
        report(app, school_id, people, occurred_at=YESTERDAY.replace(tzinfo=None))
    assert error.value.field == "occurredAt"


def test_an_unknown_pupil_is_not_found(app, school_id, people):
    with pytest.raises(NotFound):
        report(app, school_id, people, people=[(uuid4(), "pupil_harmed")])


def test_a_pupil_of_another_school_is_not_found(app, trust_id, school_id, people):
    with acting_as(OPERATOR):
        other = make.school_with(app, trust_id, "lead@elm", Role.DATA_LEAD, "Elm", "222222")
    with as_user(app, "lead@elm"):
        stranger = make.pupil(app, other, "Sam Elm", date(2013, 1, 1), year_group=7)
    with pytest.raises(NotFound):
        report(app, school_id, people, people=[(stranger, "pupil_harmed")])


def test_an_unknown_category_is_refused(app, school_id, people):
    with pytest.raises(ValidationFailed) as error:
        report(app, school_id, people, category="gossip")
    assert error.value.field == "category"


def test_a_trust_may_add_its_own_category(app, trust_id, school_id, people):
    with acting_as(OPERATOR):
        make.grant(app, "tsl@oak", Role.TRUST_SAFEGUARDING_LEAD, trust_id)
    with as_user(app, "tsl@oak"):
        app.add_incident_category(
            AddIncidentCategory(
                trust_id=trust_id, code="gaming_chat", label="Abuse in in-game chat"
            )
        )
    incident_id = report(app, school_id, people, category="gaming_chat")
    assert app.repository.get(incident_id).category == "gaming_chat"


def test_triage_by_the_dsl_records_risk_and_threshold(app, school_id, people):
    incident_id = report(app, school_id, people)
    triage(app, incident_id, risk="high", meets_cp_threshold=True)
    event = last_event(app, incident_id)
    assert isinstance(event, Incident.Triaged)
    assert (event.risk, event.meets_cp_threshold, event.actor) == ("high", True, "dsl@oak")


def test_triage_by_a_non_dsl_is_refused(app, school_id, people):
    incident_id = report(app, school_id, people)
    with as_user(app, "teacher@oak"), pytest.raises(NotAuthorised):
        app.triage_incident(
            TriageIncident(
                incident_id=incident_id, risk="low", meets_cp_threshold=False, rationale="fine"
            )
        )


def test_correcting_the_category_needs_a_reason(app, school_id, people):
    incident_id = report(app, school_id, people)
    with pytest.raises(ValidationFailed) as error:
        triage(app, incident_id, category="inappropriate_contact")
    assert error.value.field == "categoryReason"


def test_a_corrected_category_is_a_new_event_with_its_reason(app, school_id, people):
    incident_id = report(app, school_id, people)
    triage(
        app, incident_id, category="inappropriate_contact", category_reason="It was a DM to staff"
    )
    assert app.repository.get(incident_id).category == "inappropriate_contact"
    assert isinstance(next(iter(app.events.get(incident_id))), Incident.Reported)


def test_closing_an_untriaged_incident_is_refused(app, school_id, people):
    incident_id = report(app, school_id, people)
    with as_user(app, "dsl@oak"), pytest.raises(ValidationFailed):
        app.close_incident(
            CloseIncident(incident_id=incident_id, outcome="Resolved", lessons_learnt="None")
        )


def test_actions_on_a_closed_incident_are_refused(app, school_id, people):
    incident_id = report(app, school_id, people)
    triage(app, incident_id)
    with as_user(app, "dsl@oak"):
        app.close_incident(
            CloseIncident(
                incident_id=incident_id,
                outcome="Resolved",
                lessons_learnt="PSHE lesson on group chats",
            )
        )
        with pytest.raises(IncidentClosed):
            record_action(app, incident_id, "parents_informed", "Phoned", "Policy")


def test_a_reopened_incident_takes_actions_again(app, school_id, people):
    incident_id = report(app, school_id, people)
    triage(app, incident_id)
    with as_user(app, "dsl@oak"):
        app.close_incident(
            CloseIncident(incident_id=incident_id, outcome="Resolved", lessons_learnt="None")
        )
        app.reopen_incident(
            ReopenIncident(incident_id=incident_id, reason="Messages started again")
        )
        record_action(app, incident_id, "pastoral_support", "Weekly check-in", "Ongoing")
    assert app.repository.get(incident_id).status is Status.REOPENED


def test_the_decision_not_to_contact_police_is_recorded_with_its_reason(app, school_id, people):
    incident_id = report(app, school_id, people)
    with as_user(app, "dsl@oak"):
        record_action(
            app,
            incident_id,
            "police_not_contacted",
            "Not reported to police",
            "Inadvertent; pupils are not criminalised (seed 001 §9.4)",
        )
    event = last_event(app, incident_id)
    assert event.kind == "police_not_contacted"
    assert "criminalised" in app.keyring.open(event.rationale)


def test_a_police_outcome_needs_a_home_office_code(app, school_id, people):
    incident_id = report(app, school_id, people)
    with as_user(app, "dsl@oak"), pytest.raises(ValidationFailed) as error:
        record_action(
            app, incident_id, "police_outcome", "Police closed", "n/a", outcome_code="outcome_99"
        )
    assert error.value.field == "outcomeCode"


def test_outcome_21_is_accepted(app, school_id, people):
    incident_id = report(app, school_id, people, category="nudes_sharing")
    with as_user(app, "dsl@oak"):
        record_action(
            app,
            incident_id,
            "police_outcome",
            "Outcome 21",
            "Not in public interest",
            outcome_code="outcome_21",
        )
    assert last_event(app, incident_id).outcome_code == "outcome_21"


def test_a_planned_action_needs_a_due_date(app, school_id, people):
    incident_id = report(app, school_id, people)
    with as_user(app, "dsl@oak"), pytest.raises(ValidationFailed) as error:
        record_action(app, incident_id, "parents_informed", "Call parents", "Policy", planned=True)
    assert error.value.field == "dueOn"


def test_an_action_completes_a_planned_one(app, school_id, people):
    incident_id = report(app, school_id, people)
    with as_user(app, "dsl@oak"):
        record_action(
            app,
            incident_id,
            "parents_informed",
            "Call parents",
            "Policy",
            planned=True,
            due_on=date.today(),
        )
        planned_id = last_event(app, incident_id).action_id
        record_action(app, incident_id, "parents_informed", "Called", "Done", completes=planned_id)
    assert app.repository.get(incident_id).actions[planned_id].completed


def test_any_image_upload_on_a_nudes_incident_is_refused(app, school_id, people):
    incident_id = report(app, school_id, people, category="nudes_sharing")
    with as_user(app, "dsl@oak"), pytest.raises(ImageryRefused):
        attach(app, incident_id, "capture.png", "image/png", b"\x89PNG....")
    assert len(list(app.events.get(incident_id))) == 1


def test_a_video_upload_on_a_nudes_incident_is_refused(app, school_id, people):
    incident_id = report(app, school_id, people, category="nudes_sharing")
    with as_user(app, "dsl@oak"), pytest.raises(ImageryRefused):
        attach(app, incident_id, "clip.mp4", "video/mp4", b"....")


def test_a_disallowed_file_type_is_refused(app, school_id, people):
    incident_id = report(app, school_id, people)
    with as_user(app, "dsl@oak"), pytest.raises(ValidationFailed) as error:
        attach(app, incident_id, "run.exe", "application/x-msdownload", b"MZ")
    assert error.value.field == "file"


def test_evidence_records_its_sha256(app, school_id, people):
    incident_id = report(app, school_id, people)
    with as_user(app, "dsl@oak"):
        evidence = attach(app, incident_id, "capture.png", "image/png", PNG)
    event = last_event(app, incident_id)
    digest = app.keyring.open(event.sha256)
    assert digest == evidence.sha256 == hashlib.sha256(PNG).hexdigest()


def test_a_declared_type_that_contradicts_the_content_is_refused_on_any_incident(
    app, school_id, people
):
    incident_id = report(app, school_id, people)
    with as_user(app, "dsl@oak"), pytest.raises(ContentTypeMismatch) as error:
        attach(app, incident_id, "capture.pdf", "application/pdf", PNG)
    assert error.value.field == "file"
    assert len(list(app.events.get(incident_id))) == 1


def test_the_stored_type_is_the_one_the_content_shows(app, school_id, people):
    incident_id = report(app, school_id, people)
    with as_user(app, "dsl@oak"):
        attach(app, incident_id, "capture.jpg", "image/jpeg", PNG)
    assert last_event(app, incident_id).content_type == "image/png"


def test_an_image_declared_as_text_is_refused_on_a_nudes_incident(app, school_id, people):
    incident_id = report(app, school_id, people, category="nudes_sharing")
    with as_user(app, "dsl@oak"), pytest.raises(ImageryRefused):
        attach(app, incident_id, "notes.txt", "text/plain", PNG)
    assert len(list(app.events.get(incident_id))) == 1


@pytest.mark.parametrize(
    ("filename", "declared", "content"),
    [
        ("capture.pdf", "application/pdf", PDF),
        ("notes.docx", DOCX, zipped("[Content_Types].xml", "word/document.xml")),
        ("photos.zip", "application/zip", zipped("photo.txt")),
        ("message.eml", "message/rfc822", EMAIL),
    ],
)
def test_a_file_that_can_carry_imagery_is_refused_on_a_nudes_incident(
    app, school_id, people, filename, declared, content
):
    incident_id = report(app, school_id, people, category="nudes_sharing")
    with as_user(app, "dsl@oak"), pytest.raises(ImageryRefused):
        attach(app, incident_id, filename, declared, content)
    assert len(list(app.events.get(incident_id))) == 1


@pytest.mark.parametrize(
    "text",
    [
        b'<img src="data:image/png;base64,' + base64.b64encode(PNG) + b'">',
        b"the picture, as it was pasted:\n" + base64.b64encode(PNG * 4),
    ],
    ids=["data uri", "bare base64"],
)
def test_an_image_carried_inside_text_is_refused_on_a_nudes_incident(app, school_id, people, text):
    incident_id = report(app, school_id, people, category="nudes_sharing")
    with as_user(app, "dsl@oak"), pytest.raises(ImageryRefused):
        attach(app, incident_id, "notes.txt", "text/plain", text)
    assert len(list(app.events.get(incident_id))) == 1


def test_plain_text_notes_are_kept_on_a_nudes_incident(app, school_id, people):
    incident_id = report(app, school_id, people, category="nudes_sharing")
    with as_user(app, "dsl@oak"):
        attach(app, incident_id, "notes.txt", "text/plain", "BMW mentioned at the café".encode())
    assert last_event(app, incident_id).content_type == "text/plain"


def test_unrecognised_binary_content_declared_as_text_is_refused(app, school_id, people):
    incident_id = report(app, school_id, people)
    with as_user(app, "dsl@oak"), pytest.raises(ContentTypeMismatch):
        attach(app, incident_id, "notes.txt", "text/plain", b"notes\x00\x01\x02")


def test_the_evidence_fingerprint_is_sealed_with_the_incidents_own_key(app, school_id, people):
    incident_id = report(app, school_id, people)
    with as_user(app, "dsl@oak"):
        attach(app, incident_id, "capture.png", "image/png", PNG)
    assert last_event(app, incident_id).sha256.subject_id == incident_id


def test_linked_incidents_reference_each_other(app, school_id, people):
    first = report(app, school_id, people)
    second = report(app, school_id, people)
    with as_user(app, "dsl@oak"):
        app.link_incidents(
            LinkIncidents(incident_id=first, other_incident_id=second, reason="Same group chat")
        )
    assert second in app.repository.get(first).links
    assert first in app.repository.get(second).links


def test_an_incident_about_staff_conduct_is_for_the_headteacher_not_the_dsl(app, school_id, people):
    incident_id = report(
        app,
        school_id,
        people,
        concerns_staff_conduct=True,
        people=[(people["harmed"], "pupil_harmed"), (people["staff"], "staff_member")],
    )
    with pytest.raises(NotAuthorised):
        triage(app, incident_id)
    with as_user(app, "head@oak"):
        app.triage_incident(
            TriageIncident(
                incident_id=incident_id,
                risk="high",
                meets_cp_threshold=False,
                rationale="Refer to the allegations process",
            )
        )


def test_the_member_of_staff_concerned_never_acts_on_the_incident(app, trust_id, school_id, people):
    with acting_as(OPERATOR):
        make.grant(app, "dana@oak", Role.DSL, trust_id, school_id)
    incident_id = report(
        app,
        school_id,
        people,
        people=[(people["harmed"], "pupil_harmed"), (people["staff"], "staff_member")],
    )
    with as_user(app, "dana@oak"), pytest.raises(NotAuthorised):
        app.triage_incident(
            TriageIncident(
                incident_id=incident_id,
                risk="low",
                meets_cp_threshold=False,
                rationale="nothing to see",
            )
        )

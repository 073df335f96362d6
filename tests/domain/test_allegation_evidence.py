"""An allegation's supporting documents (what LADO referral forms ask for): checked by their
bytes and sealed with the allegation's key, as an incident's evidence is; given events, when a
command, then events or a named error."""

from __future__ import annotations

import hashlib

from domain.shared.errors import NotAuthorised
from domain.shared.evidence import MAX_EVIDENCE_BYTES, ContentTypeMismatch, FileTooLarge
from domain.staff_cases.allegations import Allegation
from domain.staff_cases.commands import AttachAllegationEvidence, CloseAllegation
from domain.staff_cases.errors import CaseClosed
from projections.staff_cases.chronology import entry_for
from tests.domain import test_staff_cases
from tests.domain.conftest import as_user, last_event, refused_as
from tests.domain.test_staff_cases import allege, decide

people = test_staff_cases.people  # a fixture: Oak's staff, a DSL and a pupil

PDF = b"%PDF-1.4 the pupil's written account"
FILENAME = "Account by Mia Patel.pdf"


def attach(app, allegation_id, content=PDF, content_type="application/pdf", **more):
    fields = {"filename": FILENAME, "note": "Written the same afternoon"} | more
    return app.attach_allegation_evidence(
        AttachAllegationEvidence(
            allegation_id=allegation_id, content_type=content_type, content=content, **fields
        )
    )


def test_a_case_team_member_attaches_a_document_with_its_sha256(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    with as_user(app, "dsl@oak"):
        evidence, _ = attach(app, allegation_id)
    event = last_event(app, allegation_id)
    assert isinstance(event, Allegation.EvidenceAttached)
    assert (event.file_id, event.content_type, event.size) == (
        evidence.file_id,
        "application/pdf",
        len(PDF),
    )
    assert app.keyring.open(event.sha256) == evidence.sha256 == hashlib.sha256(PDF).hexdigest()


def test_the_name_note_and_fingerprint_are_sealed_with_the_allegations_own_key(
    app, school_id, people
):
    allegation_id = allege(app, people["dana"])
    with as_user(app, "head@oak"):
        attach(app, allegation_id)
    event = last_event(app, allegation_id)
    sealed = (event.filename, event.note, event.sha256)
    assert {value.subject_id for value in sealed} == {allegation_id}
    assert app.keyring.open(event.filename) == FILENAME


def test_a_document_on_a_closed_allegation_is_refused(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    decide(app, allegation_id, "unfounded")
    with as_user(app, "head@oak"):
        app.close_allegation(CloseAllegation(allegation_id=allegation_id))
    with refused_as(app, "head@oak", CaseClosed) as error:
        attach(app, allegation_id)
    assert error.value.code == "CASE_CLOSED"


def test_a_declared_type_the_content_contradicts_is_refused(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    with refused_as(app, "dsl@oak", ContentTypeMismatch) as error:
        attach(app, allegation_id, content=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert error.value.field == "file"


def test_a_document_over_the_size_limit_is_refused(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    with refused_as(app, "dsl@oak", FileTooLarge) as error:
        attach(app, allegation_id, content=PDF + b" " * MAX_EVIDENCE_BYTES)
    assert error.value.code == "FILE_TOO_LARGE"


def test_someone_who_may_not_read_the_allegation_may_not_attach_to_it(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    with refused_as(app, "lee@oak", NotAuthorised):
        attach(app, allegation_id)


def test_the_subject_may_not_attach_to_their_own_allegation(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    with refused_as(app, "dana@oak", NotAuthorised):
        attach(app, allegation_id)


def test_the_chronology_shows_the_attachment_but_never_its_filename(app, school_id, people):
    allegation_id = allege(app, people["dana"])
    with as_user(app, "dsl@oak"):
        attach(app, allegation_id)
    entry = entry_for(last_event(app, allegation_id))
    assert entry is not None
    assert entry.summary == f"Supporting document attached (application/pdf, {len(PDF)} bytes)"
    assert "Mia" not in entry.summary

"""An allegation's supporting documents end to end over HTTP, from `casework seed demo`:
attached by whoever reads the allegation, listed on it, downloaded intact with the SHA-256
recorded at upload, refused (as unknown) to anyone else, and gone with the allegation's key.
Then what the LADO bundle's exporter reads of them (``api.lado.evidence``)."""

from __future__ import annotations

import hashlib
import json
from uuid import UUID, uuid4

import httpx
import pytest

from api.lado.evidence import EvidenceErased, allegation_evidence, evidence_chunks
from tests.api_client import Client, staff_ids
from tests.integration.test_staff_cases_api import receive

PDF = b"%PDF-1.4 the pupil's written account of the corridor"
NOTES = b"Written up the same afternoon.\n" * 40
FILENAME = "Account by Mia.pdf"
EVIDENCE = (
    "query($id: ID!, $p: Position) { allegation(id: $id, minPosition: $p) { evidence { id "
    "filename { value erased } contentType size sha256 note { value } attachedAt attachedBy "
    "downloadPath } chronology { kind summary } } }"
)


def upload(
    client: Client,
    allegation_id: str,
    content: bytes = PDF,
    filename: str = FILENAME,
    content_type: str = "application/pdf",
) -> dict:
    operations = {
        "query": "mutation($i: AttachAllegationEvidenceInput!) { attachAllegationEvidence("
        "input: $i) { __typename ... on AllegationEvidenceAttached { allegationId fileId sha256 "
        "size position } ... on ValidationError { field } ... on Error { code } } }",
        "variables": {"i": {"allegationId": allegation_id, "file": None, "note": "From Mia"}},
    }
    response = client.http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.i.file"]})},
        files={"0": (filename, content, content_type)},
        headers=client.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]["attachAllegationEvidence"]


def download(client: Client, path: str) -> httpx.Response:
    return client.http.get(path, headers=client.headers)


@pytest.fixture
def case(users, demo) -> str:
    """An allegation about a primary teacher: received by the DSL, managed by the head."""
    head = users("head@primary.demo")
    received = receive(users("dsl@primary.demo"), staff_ids(head)["Sam Jones (primary)"])
    return received["allegationId"]


def evidence_of(client: Client, case: str, position: str) -> list[dict]:
    return client.data(EVIDENCE, {"id": case, "p": position})["allegation"]["evidence"]


def test_the_case_manager_attaches_a_document_and_it_is_listed_on_the_allegation(users, case):
    head = users("head@primary.demo")
    attached = upload(head, case)
    assert attached["__typename"] == "AllegationEvidenceAttached"
    (listed,) = evidence_of(head, case, attached["position"])
    assert listed == {
        "id": attached["fileId"],
        "filename": {"value": FILENAME, "erased": False},
        "contentType": "application/pdf",
        "size": len(PDF),
        "sha256": hashlib.sha256(PDF).hexdigest(),
        "note": {"value": "From Mia"},
        "attachedAt": listed["attachedAt"],
        "attachedBy": "head@primary.demo",
        "downloadPath": f"/files/allegation-evidence/{attached['fileId']}",
    }


def test_documents_are_listed_in_the_order_they_were_attached(users, case):
    dsl = users("dsl@primary.demo")
    first = upload(dsl, case)
    second = upload(dsl, case, NOTES, "notes.txt", "text/plain")
    listed = evidence_of(dsl, case, second["position"])
    assert [f["id"] for f in listed] == [first["fileId"], second["fileId"]]


def test_a_download_is_the_bytes_uploaded_with_the_sha256_recorded_at_upload(users, case):
    head = users("head@primary.demo")
    attached = upload(head, case)
    (listed,) = evidence_of(head, case, attached["position"])
    got = download(head, listed["downloadPath"])
    assert got.status_code == 200
    assert got.content == PDF
    assert hashlib.sha256(got.content).hexdigest() == listed["sha256"] == attached["sha256"]
    assert got.headers["x-content-sha256"] == listed["sha256"]
    assert got.headers["content-type"] == "application/pdf"


def test_each_download_is_in_the_access_log(users, case, container):
    head = users("head@primary.demo")
    attached = upload(head, case)
    evidence_of(head, case, attached["position"])
    download(head, f"/files/allegation-evidence/{attached['fileId']}")
    with container.pool.connection() as conn:
        logged = conn.execute(
            "SELECT count(*) AS n FROM access_log WHERE record_type = 'allegation_evidence' "
            "AND action = 'download' AND record_id = %s AND outcome = 'read'",
            (UUID(attached["fileId"]),),
        ).fetchone()["n"]
    assert logged == 1


def test_another_schools_headteacher_is_answered_as_for_an_unknown_file(users, case, container):
    head = users("head@primary.demo")
    attached = upload(head, case)
    evidence_of(head, case, attached["position"])
    other = users("head@academy.demo")
    refused = download(other, f"/files/allegation-evidence/{attached['fileId']}")
    unknown = download(other, f"/files/allegation-evidence/{uuid4()}")
    assert refused.status_code == unknown.status_code == 404
    assert refused.json() == unknown.json()


def test_a_refused_download_is_in_the_access_log(users, case, container):
    head = users("head@primary.demo")
    attached = upload(head, case)
    evidence_of(head, case, attached["position"])
    download(users("head@academy.demo"), f"/files/allegation-evidence/{attached['fileId']}")
    with container.pool.connection() as conn:
        refusals = conn.execute(
            "SELECT count(*) AS n FROM access_log WHERE record_type = 'allegation' "
            "AND record_id = %s AND outcome = 'refused'",
            (UUID(case),),
        ).fetchone()["n"]
    assert refusals == 1


def test_the_subject_attaching_to_their_own_allegation_is_answered_as_for_an_unknown_one(
    users, case, container
):
    """Sam Jones, the teacher the allegation is about, holds teacher@primary.demo."""
    subject = users("teacher@primary.demo")
    before = container.head()
    assert upload(subject, case)["__typename"] == "NotFoundError"
    assert upload(subject, str(uuid4()))["__typename"] == "NotFoundError"
    assert container.head() == before


def test_a_document_of_an_erased_allegation_answers_410(users, case, container):
    head = users("head@primary.demo")
    attached = upload(head, case)
    evidence_of(head, case, attached["position"])
    container.keyring.destroy(UUID(case))
    assert download(head, f"/files/allegation-evidence/{attached['fileId']}").status_code == 410


def test_the_chronology_shows_the_attachment_but_not_the_filename(users, case):
    head = users("head@primary.demo")
    attached = upload(head, case)
    seen = head.data(EVIDENCE, {"id": case, "p": attached["position"]})["allegation"]
    (entry,) = [e for e in seen["chronology"] if e["kind"] == "evidence"]
    assert entry["summary"] == f"Supporting document attached (application/pdf, {len(PDF)} bytes)"
    assert "Mia" not in json.dumps(seen["chronology"])


def test_a_declared_type_the_bytes_contradict_is_refused_and_appends_nothing(
    users, case, container
):
    head = users("head@primary.demo")
    before = container.head()
    refused = upload(head, case, PDF, "photo.png", "image/png")
    assert (refused["code"], refused["field"]) == ("CONTENT_TYPE_MISMATCH", "file")
    assert container.head() == before


# --- what the LADO bundle's exporter reads ---------------------------------------------------


def test_the_exporter_lists_the_documents_in_attach_order_with_their_recorded_sha256(
    users, case, container
):
    dsl = users("dsl@primary.demo")
    first = upload(dsl, case)
    second = upload(dsl, case, NOTES, "notes.txt", "text/plain")
    container.wait_for(["staff_cases"], int(second["position"]), timeout=20)
    listed = allegation_evidence(container, UUID(case))
    assert [
        (f.file_id, f.filename, f.content_type, f.size, f.sha256, f.erased) for f in listed
    ] == [
        (UUID(first["fileId"]), FILENAME, "application/pdf", len(PDF), first["sha256"], False),
        (UUID(second["fileId"]), "notes.txt", "text/plain", len(NOTES), second["sha256"], False),
    ]


def test_the_exporter_reads_a_document_in_chunks_that_join_to_its_bytes(users, case, container):
    attached = upload(users("dsl@primary.demo"), case, NOTES, "notes.txt", "text/plain")
    chunks = list(evidence_chunks(container, UUID(attached["fileId"]), chunk_size=100))
    assert len(chunks) == -(-len(NOTES) // 100)
    assert b"".join(chunks) == NOTES
    assert hashlib.sha256(b"".join(chunks)).hexdigest() == attached["sha256"]


def test_the_exporter_lists_an_erased_document_as_erased(users, case, container):
    attached = upload(users("dsl@primary.demo"), case)
    container.wait_for(["staff_cases"], int(attached["position"]), timeout=20)
    container.keyring.destroy(UUID(case))
    (listed,) = allegation_evidence(container, UUID(case))
    assert (listed.filename, listed.sha256, listed.erased) == (None, None, True)
    assert (listed.content_type, listed.size) == ("application/pdf", len(PDF))


def test_reading_an_erased_document_raises_evidence_erased(users, case, container):
    attached = upload(users("dsl@primary.demo"), case)
    # Listed first: the blob goes with the key (migration 0041), and only the view's listing
    # then tells an erased file from one never stored.
    container.wait_for(["staff_cases"], int(attached["position"]))
    container.keyring.destroy(UUID(case))
    with pytest.raises(EvidenceErased):
        evidence_chunks(container, UUID(attached["fileId"]))

"""The LADO referral export end to end (issue 18; docs/rules.md §13): exported over GraphQL by
the case team, recorded on the case, downloaded as a signed BagIt zip that an independent
validator accepts and `casework verify-bundle` checks offline with only the public keys; the
same from the command line; refused to anyone outside the case exactly as for an unknown
allegation, with the attempt logged."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any
from uuid import UUID

import bagit
import pytest

from api.ledger import Checkpointer, log_signer
from domain.lado.export import MAX_RECIPIENT
from tests.api_client import Client, staff_ids
from tests.integration.test_allegation_details_api import pupils
from tests.integration.test_allegation_evidence_api import PDF, upload
from tests.integration.test_staff_cases_api import receive

CASEWORK = Path(sys.executable).parent / "casework"
RECIPIENT = "LADO, Northshire County Council"
EXPORTED = "... on LadoReferralExported { exportId allegationId fingerprint downloadPath position }"
CHRONOLOGY = (
    "query($id: ID!, $p: Position) { allegation(id: $id, minPosition: $p) { "
    "chronology { kind summary } } }"
)
ACCESS = (
    "query($r: ID!) { accessLog(recordId: $r, first: 100) { edges { node { userId action "
    "outcome } } } }"
)


@pytest.fixture
def case(users) -> dict[str, Any]:
    """An allegation about a teacher at the demo primary school, naming a child it concerns."""
    dsl, head = users("dsl@primary.demo"), users("head@primary.demo")
    [concerned, *_] = pupils(head).values()
    received = receive(
        dsl,
        staff_ids(head)["Sam Jones (primary)"],
        details={
            "childrenConcerned": [{"pupilId": concerned, "relationship": "CONCERNED"}],
            "location": "The science corridor",
            "injury": "A red mark on the forearm",
        },
    )
    assert received["__typename"] == "AllegationReceived", received
    return {"id": received["allegationId"], "head": head, "dsl": dsl, "child": concerned}


def export(client: Client, allegation_id: str, recipient: str = RECIPIENT) -> dict[str, Any]:
    return client.mutate(
        "exportLadoReferral",
        "ExportLadoReferralInput",
        {"allegationId": allegation_id, "recipient": recipient},
        EXPORTED,
    )


def download(client: Client, path: str) -> bytes:
    response = client.http.get(path, headers=client.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    return response.content


def trust_key(container: Any, allegation_id: str) -> str:
    allegation = container.app.repository.get(UUID(allegation_id))
    keys = container.trust_keys.get(allegation.trust_id)
    assert keys is not None
    return keys.public().ed25519_base64


def verify_bundle(bundle: Path, *keys: str) -> subprocess.CompletedProcess:
    """`casework verify-bundle` as a third party runs it: no settings, no database."""
    bare = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
    return subprocess.run(
        [str(CASEWORK), "verify-bundle", str(bundle), *keys],
        env=bare,
        capture_output=True,
        text=True,
        timeout=120,
    )


def payload(bundle: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(bundle)) as zipped:
        (member,) = [n for n in zipped.namelist() if n.endswith("/data/" + name)]
        return zipped.read(member)


def test_the_case_manager_exports_a_bundle_that_verifies_offline_with_the_public_keys(
    case, container, settings, witness, tmp_path
):
    exported = export(case["head"], case["id"])
    assert exported["__typename"] == "LadoReferralExported", exported
    container.wait_for(["ledger"], int(exported["position"]))
    configured = settings.model_copy(update={"ledger_witnesses": f"{witness.url} {witness.vkey()}"})
    Checkpointer(container.pool, container.keyring, configured).tick()

    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(download(case["head"], exported["downloadPath"]))
    checked = verify_bundle(
        bundle,
        "--trust-key",
        trust_key(container, case["id"]),
        "--log-key",
        log_signer(container.keyring, settings).vkey(),
        "--witness-key",
        witness.vkey(),
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_an_independent_validator_accepts_the_bag(case, tmp_path):
    exported = export(case["head"], case["id"])
    with zipfile.ZipFile(io.BytesIO(download(case["head"], exported["downloadPath"]))) as z:
        z.extractall(tmp_path)
    (bag_dir,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    bagit.Bag(str(bag_dir)).validate()


def test_the_bundle_commits_to_the_fingerprint_the_export_recorded(case):
    exported = export(case["head"], case["id"])
    bundle = download(case["head"], exported["downloadPath"])
    chronology = json.loads(payload(bundle, "chronology.json"))
    assert chronology["bundle_fingerprint"] == exported["fingerprint"]
    assert chronology["recipient"] == RECIPIENT
    export_event = json.loads(payload(bundle, "proofs/export.disclosures.json"))
    assert export_event["disclosures"]  # the export's own event, with its fields shown


def test_the_referral_holds_the_children_the_allegation_concerns_and_its_details(case):
    exported = export(case["head"], case["id"])
    referral = payload(download(case["head"], exported["downloadPath"]), "referral.json")
    text = referral.decode()
    assert "The science corridor" in text and "A red mark on the forearm" in text
    assert "Sam Jones" in text


def test_the_export_is_in_the_case_chronology(case):
    exported = export(case["head"], case["id"])
    seen = case["head"].data(CHRONOLOGY, {"id": case["id"], "p": exported["position"]})
    last = seen["allegation"]["chronology"][-1]
    assert last["kind"] == "referral_exported"
    assert exported["fingerprint"] in last["summary"]


def test_the_export_and_its_download_are_in_the_access_log(case, users):
    exported = export(case["head"], case["id"])
    download(case["head"], exported["downloadPath"])
    log = users("dpo@demo.trust").data(ACCESS, {"r": case["id"]})["accessLog"]["edges"]
    actions = [(e["node"]["userId"], e["node"]["action"]) for e in log]
    assert ("head@primary.demo", "export_lado_referral") in actions
    assert ("head@primary.demo", "download_lado_export") in actions


def test_a_refused_export_is_logged_once(case, users):
    export(users("teacher@primary.demo"), case["id"])
    log = users("dpo@demo.trust").data(ACCESS, {"r": case["id"]})["accessLog"]["edges"]
    refused = [e for e in log if e["node"]["outcome"] == "REFUSED"]
    assert [e["node"]["userId"] for e in refused] == ["teacher@primary.demo"]


def test_someone_outside_the_case_is_answered_as_for_an_unknown_allegation_and_logged(case, users):
    outsider = users("teacher@primary.demo")
    refused = export(outsider, case["id"])
    unknown = export(outsider, "00000000-0000-4000-8000-000000000000")
    assert (refused["__typename"], refused["code"]) == (unknown["__typename"], unknown["code"])
    assert refused["message"].replace(case["id"], "X") == unknown["message"].replace(
        "00000000-0000-4000-8000-000000000000", "X"
    )
    log = users("dpo@demo.trust").data(ACCESS, {"r": case["id"]})["accessLog"]["edges"]
    assert any(
        e["node"]["userId"] == "teacher@primary.demo" and e["node"]["outcome"] == "REFUSED"
        for e in log
    )


def test_an_unknown_allegation_is_not_found(case):
    answer = export(case["head"], "00000000-0000-4000-8000-000000000000")
    assert answer["code"] == "NOT_FOUND", answer


@pytest.mark.parametrize("recipient", ["   ", "x" * (MAX_RECIPIENT + 1)])
def test_an_empty_or_absurdly_long_recipient_is_refused_and_nothing_is_recorded(
    case, container, recipient
):
    before = container.head()
    answer = export(case["head"], case["id"], recipient)
    assert (answer["__typename"], answer["field"]) == ("ValidationError", "recipient"), answer
    assert container.head() == before


def test_a_download_by_someone_outside_the_case_is_refused_as_unknown(case, users):
    exported = export(case["head"], case["id"])
    outsider = users("teacher@primary.demo")
    refused = outsider.http.get(exported["downloadPath"], headers=outsider.headers)
    unknown = outsider.http.get(
        exported["downloadPath"].replace(case["id"], "00000000-0000-4000-8000-000000000000"),
        headers=outsider.headers,
    )
    assert refused.status_code == unknown.status_code == 404
    assert refused.json() == unknown.json()


def test_the_command_line_exports_a_bundle_that_verifies(
    case, container, settings, server_database, tmp_path
):
    out = tmp_path / "from-cli.zip"
    env = os.environ | {
        "CASEWORK_DATABASE_URL": server_database.conninfo,
        "CASEWORK_DATA_DIR": str(settings.data_dir),
        "CASEWORK_ENVIRONMENT": "test",
    }
    command = ["export", "lado", case["id"], "--recipient", RECIPIENT, "--out", str(out)]
    made = subprocess.run(
        [str(CASEWORK), *command, "--as", "head@primary.demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert made.returncode == 0, made.stderr
    checked = verify_bundle(out, "--trust-key", trust_key(container, case["id"]))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_referral_is_written_in_the_forms_order(case):
    exported = export(case["head"], case["id"])
    referral = json.loads(
        payload(download(case["head"], exported["downloadPath"]), "referral.json")
    )
    assert list(referral)[:3] == ["timing", "referrer", "designated_safeguarding_lead"]
    assert list(referral)[-1] == "supporting_documents"


def test_a_supporting_document_is_in_the_bundle_decrypted_and_listed_in_the_referral(case):
    attached = upload(case["head"], case["id"])
    assert attached["__typename"] == "AllegationEvidenceAttached", attached
    exported = export(case["head"], case["id"])
    bundle = download(case["head"], exported["downloadPath"])
    with zipfile.ZipFile(io.BytesIO(bundle)) as zipped:
        (member,) = [n for n in zipped.namelist() if "/data/evidence/01-" in n]
        assert zipped.read(member) == PDF
    (document,) = json.loads(payload(bundle, "referral.json"))["supporting_documents"]
    assert (document["sha256"], document["size"]) == (attached["sha256"], len(PDF))


def test_a_document_attached_after_the_export_is_not_in_that_exports_bundle(case):
    exported = export(case["head"], case["id"])
    upload(case["head"], case["id"])
    bundle = download(case["head"], exported["downloadPath"])
    assert json.loads(payload(bundle, "referral.json"))["supporting_documents"] == []
    assert (
        json.loads(payload(bundle, "chronology.json"))["bundle_fingerprint"]
        == exported["fingerprint"]
    )

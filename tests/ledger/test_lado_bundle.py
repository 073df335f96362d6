"""A LADO bundle written from a real store (history, the ledger, a witnessed checkpoint, the
trust's keys) is a valid BagIt bag that `casework verify-bundle`, as a real process with no
settings, accepts with the right keys; and rejects, naming the file, each way it can be made
to lie: a referral changed (and the bag re-signed), a proof's hash, a proof against another
checkpoint, a disclosure, a missing version, the PDF, a wrong log key, a witness that did not
co-sign. The evidence is streamed: a 100 MiB file is bundled in bounded memory.

``gather()`` is written elsewhere, so the ``Contents`` is built here from the store's events;
the export's event is a stand-in (an aggregate of this module with the export event's fields,
``recipient``, ``fingerprint`` and ``heads``), appended where the real one will be."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tracemalloc
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import bagit
import bagit_profile
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.domain import Aggregate, event

from api.lado.bundle import bundle_fingerprint, entry_hashes, write_bundle
from api.ledger import Checkpointer, log_signer
from api.ledger_proofs import prove
from domain.lado.bag import PROFILE_IDENTIFIER, SIGNATURE_FILE
from domain.lado.contents import Contents, ExportedEvent, heads
from domain.lado.export import committed_heads
from domain.ledger.entry import ENVELOPE
from domain.ledger.note import Signer
from domain.shared.actor import acting_as
from domain.staff_cases.commands import AllegationDetails, RecordAllegationDetails
from projections.ledger.queries import latest_checkpoint
from tests.ledger.world import catch_up_ledger, record_some_history

CASEWORK = Path(sys.executable).parent / "casework"
HEAD = "head@Bundle Primary"
REFERENCE = "ALG-2026-0042"
TOP = f"LADO-{REFERENCE}"
GENERATED_AT = datetime(2026, 12, 1, 18, 56, 15, tzinfo=UTC)
MIB = 1 << 20
PROFILE = Path(__file__).resolve().parents[2] / "docs" / "lado-bundle.bagit-profile.json"


class ExportStandIn(Aggregate):
    """The export's event until the real one (the Allegation's ReferralExported) is used here:
    the same fields the checker reads."""

    @event("Exported")
    def __init__(self, recipient: str, fingerprint: str, heads: list[dict[str, Any]]) -> None:
        self.recipient, self.fingerprint, self.heads = recipient, fingerprint, heads


@dataclass(frozen=True)
class EvidenceFile:
    file_id: UUID
    filename: str | None
    content_type: str
    size: int
    sha256: str | None
    erased: bool


@dataclass
class Built:
    zipped: bytes
    trust_key: str
    log_key: str
    witness_key: str
    positions: dict[tuple[UUID, int], int]  # (aggregate, version) -> position
    other_proof: str  # the proof of an exported event against a later checkpoint
    sign: Any  # the trust's Ed25519 signing, to sign a changed bag again


_BUILT: dict[str, Built] = {}
EVIDENCE = {b"a note of the first conversation\n": "note.txt", b"%PDF-1.7 a scan": "scan?.pdf"}


def _history(container: Any) -> dict[str, Any]:
    made = record_some_history(container.app, "Bundle Primary", "700101")
    with acting_as(container.app.principal_for(HEAD)):
        for place in ("The playground", "The school hall"):
            container.app.record_allegation_details(
                RecordAllegationDetails(made["case"], AllegationDetails(location=place))
            )
    catch_up_ledger(container)
    return made


def _stored(container: Any) -> list[tuple[int, Any]]:
    notifications = container.app.recorder.select_notifications(start=1, limit=1_000_000)
    return [(n.id, container.app.mapper.to_domain_event(n)) for n in notifications]


def _contents(container: Any, made: dict[str, Any]) -> Contents:
    exported = {made["case"], made["staff"]}
    events = [
        ExportedEvent(
            position,
            stored.originator_id,
            stored.originator_version,
            frozenset(n for n in vars(stored) if n not in ENVELOPE),
        )
        for position, stored in _stored(container)
        if stored.originator_id in exported
    ]
    entries = [
        {
            "when": "2026-11-03T09:12:00Z",
            "who": "headteacher",
            "what": "Allegation received in person from a pupil",
            "decision": "Refer to the LADO",
            "rationale": "Harm test (a) met",
        }
    ]
    return Contents(
        allegation_id=made["case"],
        case_reference=REFERENCE,
        trust_id=made["trust"],
        school_id=made["school"],
        school_name="Bundle Primary",
        referral={"case_reference": REFERENCE, "summary": "Shouted at a pupil", "injury": None},
        entries=entries,
        events=events,
        pseudonyms={},
    )


def _evidence(erased: bool = True) -> tuple[list[EvidenceFile], dict[UUID, bytes]]:
    files, data = [], {}
    for content, name in EVIDENCE.items():
        file_id = uuid4()
        files.append(
            EvidenceFile(
                file_id,
                name,
                "text/plain",
                len(content),
                hashlib.sha256(content).hexdigest(),
                False,
            )
        )
        data[file_id] = content
    if erased:
        files.append(EvidenceFile(uuid4(), None, "image/jpeg", 1234, None, True))
    return files, data


def _fingerprint(
    container: Any, contents: Contents, evidence: list[EvidenceFile]
) -> tuple[str, dict[int, str]]:
    with container.pool.connection() as conn:
        hashes = entry_hashes(conn, [event.position for event in contents.events])
    return bundle_fingerprint(contents, evidence, hashes), hashes


def _export(container: Any, contents: Contents, evidence: list[EvidenceFile]) -> int:
    """The fingerprint and heads computed, then the export's event appended: its position."""
    fingerprint, hashes = _fingerprint(container, contents, evidence)
    committed = committed_heads(fingerprint, heads(contents.events, hashes))
    stand_in = ExportStandIn("LADO, Northshire County Council", fingerprint, committed)
    container.app.save(stand_in)
    ((position, _),) = [(p, e) for p, e in _stored(container) if e.originator_id == stand_in.id]
    catch_up_ledger(container)
    return position


def _checkpoint(container: Any, settings: Any, witnesses: str = "") -> None:
    configured = settings.model_copy(update={"ledger_witnesses": witnesses})
    Checkpointer(container.pool, container.keyring, configured).tick()


def _write(
    container: Any,
    out: Any,
    contents: Contents,
    evidence: list[EvidenceFile],
    chunks: Any,
    export_position: int,
) -> Any:
    trust = container.trust_keys.get_or_create(contents.trust_id, "Bundle Primary Trust")
    fingerprint, _ = _fingerprint(container, contents, evidence)
    return write_bundle(
        out,
        contents,
        container=container,
        recipient="LADO, Northshire County Council",
        generated_at=GENERATED_AT,
        generated_by={"role": "headteacher", "name": "A. Head"},
        fingerprint=fingerprint,
        evidence=evidence,
        evidence_chunks=chunks,
        export_position=export_position,
        trust=trust,
    )


@pytest.fixture
def built(request: Any, tmp_path: Path) -> Built:
    """One bundle for the module's checks (made once: the keys travel with it)."""
    if "bundle" in _BUILT:
        return _BUILT["bundle"]
    container = request.getfixturevalue("container")
    settings = request.getfixturevalue("settings")
    witness = request.getfixturevalue("witness")
    made = _history(container)
    contents = _contents(container, made)
    evidence, data = _evidence()
    export_position = _export(container, contents, evidence)
    _checkpoint(container, settings, f"{witness.url} {witness.vkey()}")
    out = io.BytesIO()
    _write(container, out, contents, evidence, lambda f: [data[f]], export_position)
    with acting_as(container.app.principal_for(HEAD)):
        container.app.record_allegation_details(
            RecordAllegationDetails(made["case"], AllegationDetails(location="The car park"))
        )
    catch_up_ledger(container)
    _checkpoint(container, settings)
    with container.pool.connection() as conn:
        other = prove(conn, contents.events[0].position, latest_checkpoint(conn)).text
    trust = container.trust_keys.get(contents.trust_id)
    _BUILT["bundle"] = Built(
        zipped=out.getvalue(),
        trust_key=trust.public().ed25519_base64,
        log_key=log_signer(container.keyring, settings).vkey(),
        witness_key=witness.vkey(),
        positions={(e.aggregate_id, e.version): e.position for e in contents.events},
        other_proof=other,
        sign=trust.sign,
    )
    return _BUILT["bundle"]


# --- helpers: the bundle's files, changed and signed again -------------------------------------


def unpack(zipped: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        return {i.filename.split("/", 1)[1]: archive.read(i) for i in archive.infolist()}


def rebag(files: dict[str, bytes], built: Built) -> bytes:
    """The files as a bag again: manifests, Payload-Oxum, tag manifest and the trust's
    signature all made anew, so that only the bundle's own checks can catch a change."""
    payload = {p: d for p, d in files.items() if p.startswith("data/")}
    for algorithm in ("sha256", "sha512"):
        files[f"manifest-{algorithm}.txt"] = "".join(
            f"{hashlib.new(algorithm, d).hexdigest()}  {p}\n" for p, d in sorted(payload.items())
        ).encode()
    oxum = f"{sum(len(d) for d in payload.values())}.{len(payload)}"
    files["bag-info.txt"] = re.sub(
        rb"Payload-Oxum: .*\n", f"Payload-Oxum: {oxum}\n".encode(), files["bag-info.txt"]
    )
    tagged = ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt")
    files["tagmanifest-sha256.txt"] = "".join(
        f"{hashlib.sha256(files[p]).hexdigest()}  {p}\n" for p in sorted(tagged)
    ).encode()
    files[SIGNATURE_FILE] = built.sign(files["tagmanifest-sha256.txt"])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            archive.writestr(f"{TOP}/{path}", data)
    return out.getvalue()


def verify_bundle(
    tmp: Path,
    zipped: bytes,
    built: Built,
    *,
    log_key: str | None = None,
    witnesses: list[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`casework verify-bundle` alone in a directory with the bundle, and no setting at all."""
    alone = tmp / "alone"
    alone.mkdir(exist_ok=True)
    (alone / "bundle.zip").write_bytes(zipped)
    keys = ["--trust-key", built.trust_key]
    if log_key != "":
        keys += ["--log-key", log_key or built.log_key]
    for key in [built.witness_key] if witnesses is None and log_key != "" else witnesses or []:
        keys += ["--witness-key", key]
    bare = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
    return subprocess.run(
        [str(CASEWORK), "verify-bundle", "bundle.zip", *keys],
        env=bare,
        cwd=alone,
        capture_output=True,
        text=True,
        timeout=120,
    )


def rejected(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert done.returncode == 1, (done.stdout, done.stderr)
    return [line.strip() for line in done.stdout.splitlines()[1:]]


def proof_files(files: dict[str, bytes]) -> list[str]:
    return sorted(p for p in files if re.fullmatch(r"data/proofs/\d+\.tlog-proof", p))


# --- the bundle as written ----------------------------------------------------------------------


def test_bagit_python_validates_the_bundle_against_its_profile(built, tmp_path):
    with zipfile.ZipFile(io.BytesIO(built.zipped)) as archive:
        archive.extractall(tmp_path)
    bag = bagit.Bag(str(tmp_path / TOP))
    bag.validate()
    profile = bagit_profile.Profile(PROFILE_IDENTIFIER, profile=json.loads(PROFILE.read_text()))
    assert profile.validate(bag), [str(e) for e in profile.report.errors]
    assert bag.info["External-Identifier"] == REFERENCE
    assert bag.info["Source-Organization"] == "Bundle Primary"
    assert bag.info["Bag-Software-Agent"].startswith("safeguarding-casework ")


def test_the_bundle_holds_the_layout_of_the_seam(built):
    files = unpack(built.zipped)
    index = json.loads(files["data/evidence/index.json"])["files"]
    assert [item["path"] for item in index] == [
        "data/evidence/01-note.txt",
        "data/evidence/02-scan_.pdf",
        None,
    ]
    assert files["data/evidence/01-note.txt"] == b"a note of the first conversation\n"
    assert len(proof_files(files)) == len(built.positions)
    for path in proof_files(files):
        shown = json.loads(files[path.replace(".tlog-proof", ".disclosures.json")])
        assert shown["position"] == int(path.rsplit("/", 1)[1].split(".")[0])
    assert "data/proofs/export.tlog-proof" in files
    assert files["data/proofs/trust-certificate.pem"].startswith(b"-----BEGIN CERTIFICATE-----")
    chronology = json.loads(files["data/chronology.json"])
    export = json.loads(files["data/proofs/export.disclosures.json"])["disclosures"]
    assert {"recipient", "fingerprint", "heads"} <= set(export)  # and the stand-in's topic
    assert re.fullmatch(r"[0-9a-f]{64}", chronology["bundle_fingerprint"])


def test_verify_bundle_accepts_it_with_the_right_keys(built, tmp_path):
    done = verify_bundle(tmp_path, built.zipped, built)
    assert done.returncode == 0, (done.stdout, done.stderr)
    lines = [line.strip() for line in done.stdout.splitlines()]
    assert lines[0] == "bundle intact"
    assert any(
        line.startswith("chronology PDF signed with the trust certificate") for line in lines
    )
    proofs = len(built.positions) + 1
    assert (
        f"{proofs} ledger proofs against one checkpoint signed by the log key, co-signed by "
        "1 witness key(s)"
    ) in lines
    assert any(line.startswith("fingerprint ") for line in lines)
    assert "2 records exported whole from version 1, as the export's heads name" in lines


def test_without_the_log_key_the_proofs_are_said_not_to_be_verified(built, tmp_path):
    done = verify_bundle(tmp_path, built.zipped, built, log_key="")
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert "ledger proofs NOT verified: no --log-key given" in done.stdout


# --- and each way it can lie --------------------------------------------------------------------


def test_a_changed_referral_is_caught_by_the_fingerprint_though_the_bag_is_signed_again(
    built, tmp_path
):
    files = unpack(built.zipped)
    files["data/referral.json"] = files["data/referral.json"].replace(b"Shouted", b"Shouter")
    assert rejected(verify_bundle(tmp_path, rebag(files, built), built)) == [
        "mismatch: data/chronology.json: its bundle_fingerprint is not that of referral.json, "
        "the chronology's entries, the evidence index and the exported entries",
        "mismatch: data/proofs/export.disclosures.json: its fingerprint is not that of "
        "referral.json, the chronology's entries, the evidence index and the exported entries",
    ]


def test_a_proof_with_a_wrong_hash_is_named(built, tmp_path):
    files = unpack(built.zipped)
    path = proof_files(files)[0]
    lines = files[path].decode().split("\n")
    lines[3] = base64.b64encode(bytes(32)).decode()  # the leaf's sibling
    files[path] = "\n".join(lines).encode()
    found = rejected(verify_bundle(tmp_path, rebag(files, built), built))
    assert [line.split(":")[:2] for line in found] == [["bad proof", f" {path}"]]


def test_a_proof_against_another_checkpoint_is_named(built, tmp_path):
    files = unpack(built.zipped)
    path = f"data/proofs/{min(built.positions.values())}.tlog-proof"
    files[path] = built.other_proof.encode()
    assert rejected(verify_bundle(tmp_path, rebag(files, built), built)) == [
        f"mismatch: {path}: is against another checkpoint than data/proofs/checkpoint.txt"
    ]


def test_an_altered_disclosure_is_named(built, tmp_path):
    files = unpack(built.zipped)
    path = proof_files(files)[0].replace(".tlog-proof", ".disclosures.json")
    document = json.loads(files[path])
    name = sorted(document["disclosures"])[0]
    salt, field, _ = json.loads(base64.urlsafe_b64decode(document["disclosures"][name] + "=="))
    forged = json.dumps([salt, field, "something else"]).encode()
    document["disclosures"][name] = base64.urlsafe_b64encode(forged).decode().rstrip("=")
    files[path] = json.dumps(document).encode()
    found = rejected(verify_bundle(tmp_path, rebag(files, built), built))
    assert found == [
        f"bad proof: {path}: the disclosure of {name!r} does not match the entry's digest"
    ]


def test_a_missing_middle_version_is_named(built, tmp_path):
    files = unpack(built.zipped)
    case = max(built.positions, key=lambda key: key[1])[0]  # the allegation has three versions
    for suffix in (".tlog-proof", ".disclosures.json"):
        del files[f"data/proofs/{built.positions[(case, 2)]}{suffix}"]
    found = rejected(verify_bundle(tmp_path, rebag(files, built), built))
    assert (
        f"missing: data/proofs/{built.positions[(case, 3)]}.tlog-proof: is version 3 of {case}; "
        "version 2 is not in the bundle"
    ) in found


def test_an_altered_pdf_is_named(built, tmp_path):
    files = unpack(built.zipped)
    pdf = files["data/chronology.pdf"]
    files["data/chronology.pdf"] = pdf.replace(b"/Producer", b"/Producex", 1)
    assert pdf != files["data/chronology.pdf"]
    found = rejected(verify_bundle(tmp_path, rebag(files, built), built))
    assert [line.split(":")[:2] for line in found] == [["bad signature", " data/chronology.pdf"]]


def test_a_wrong_log_key_is_named(built, tmp_path):
    origin = built.log_key.split("+", 1)[0]
    other = Signer(origin, Ed25519PrivateKey.generate()).vkey()
    found = rejected(verify_bundle(tmp_path, built.zipped, built, log_key=other))
    assert [line.split(":")[:2] for line in found] == [
        ["bad signature", " data/proofs/checkpoint.txt"]
    ]


def test_a_witness_key_that_did_not_cosign_is_named(built, tmp_path):
    stranger = Signer("witness.example/stranger", Ed25519PrivateKey.generate())
    keys = [built.witness_key, stranger.cosignature_vkey()]
    assert rejected(verify_bundle(tmp_path, built.zipped, built, witnesses=keys)) == [
        "bad signature: data/proofs/checkpoint.txt: witness witness.example/stranger has not "
        "co-signed the checkpoint"
    ]


# --- memory -------------------------------------------------------------------------------------

EVIDENCE_MIB = 100
BOUND = 48 * MIB  # generous: the chunks in flight, zlib's buffers, the PDF, the proofs


def big_evidence(block: bytes) -> Iterator[bytes]:
    for _ in range(EVIDENCE_MIB):
        yield block


def test_a_100_mib_evidence_file_is_bundled_in_bounded_memory(container, settings, tmp_path):
    made = _history(container)
    contents = _contents(container, made)
    block = os.urandom(MIB)
    digest = hashlib.sha256()
    for chunk in big_evidence(block):
        digest.update(chunk)
    evidence = [
        EvidenceFile(
            uuid4(), "recording.mp4", "video/mp4", EVIDENCE_MIB * MIB, digest.hexdigest(), False
        )
    ]
    export_position = _export(container, contents, evidence)
    _checkpoint(container, settings)
    bundle = tmp_path / "bundle.zip"
    tracemalloc.start()
    try:
        with bundle.open("wb") as out:
            written = _write(
                container, out, contents, evidence, lambda _: big_evidence(block), export_position
            )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert int(written.payload_oxum.split(".")[0]) > EVIDENCE_MIB * MIB
    assert bundle.stat().st_size > EVIDENCE_MIB * MIB
    assert peak < BOUND, peak

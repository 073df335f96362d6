"""The offline bundle checker's second half: do the bundle's files prove what they say?

``verify_bag`` shows the zip is the bag the trust signed; this shows what the bag holds agrees
with itself and with the ledger, with only the zip and public keys (no database, no service, no
settings), like ``domain/ledger/verify_proof.py``, whose checks it repeats for every proof. It
reports every problem, each naming the file, in the same :class:`BagReport`. The checks
(docs/rules.md §13.2):

1. The chronology PDF's signature (intact, covering the whole file, made with the key of
   ``data/proofs/trust-certificate.pem``) and the JSON attached to it, the same bytes as
   ``data/chronology.json``: done by the caller's ``pdf_check`` (``api/lado/verify_pdf.py``,
   which needs pyHanko), given the three files' bytes.
2. Every proof, ``<position>.tlog-proof`` and ``export.tlog-proof``, is against the one
   checkpoint ``data/proofs/checkpoint.txt``, which the log key signed and every given witness
   key co-signed; each proof verifies (``verify_proof``), with its disclosures. Without a log
   key the proofs are read but not verified, and the report says so.
3. The fingerprint (``domain/lado/contents.py``) recomputed from ``referral.json``,
   ``chronology.json``'s entries, the evidence index (each file's recorded SHA-256 being its
   digest in ``manifest-sha256.txt``) and the exported entries' hashes is both
   ``chronology.json``'s ``bundle_fingerprint`` and the export event's disclosed
   ``fingerprint``.
4. Each exported aggregate's entries are versions 1..head, each naming the entry hash of the
   version before it as ``previous``; the export event's disclosed ``heads`` are exactly those
   heads.
"""

from __future__ import annotations

import json
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from os import PathLike
from typing import Any, BinaryIO
from uuid import UUID

from domain.lado.bag import PAYLOAD_DIR
from domain.lado.contents import Head, fingerprint
from domain.lado.layout import (
    CERTIFICATE,
    CHECKPOINT,
    CHRONOLOGY_JSON,
    CHRONOLOGY_PDF,
    EVIDENCE_DIR,
    EVIDENCE_INDEX,
    EXPORT,
    EXPORT_FINGERPRINT,
    EXPORT_HEADS,
    PROOFS_DIR,
    REFERRAL,
    disclosures_path,
    items_from_index,
    proof_path,
)
from domain.lado.verify_bag import MAX_BYTES, BagReport, Kind, read_trust_key, verify_bag
from domain.ledger.entry import Entry, entry_hash, read_disclosure
from domain.ledger.note import Verifier
from domain.ledger.proof_format import ProofMalformed, parse_proof
from domain.ledger.verify_proof import (
    COSIGNATURE_V1,
    ED25519,
    ProofRejected,
    check_log_signature,
    check_witnesses,
    verifiers,
    verify_proof,
)

MAX_FILE = 256 << 20  # the largest non-evidence file read whole (the PDF, above all)
_PROOF = re.compile(rf"{PROOFS_DIR}/(0|[1-9][0-9]{{0,17}})\.tlog-proof")

# The PDF check: (pdf, certificate PEM, chronology.json) -> [(file, detail)] of what fails.
PdfCheck = Callable[[bytes, bytes, bytes], Iterable[tuple[str, str]]]


class KeyMalformed(ValueError):
    """A log or witness key given is not a verifier key of its kind."""


@dataclass(frozen=True)
class _Proved:
    """One proof file as read: its name, the entry it carries and its disclosures."""

    name: int | str
    text: str
    entry: Entry
    entry_bytes: bytes
    disclosures: dict[str, str] | None


class _Reader:
    def __init__(self, archive: zipfile.ZipFile, top: str, report: BagReport) -> None:
        self.archive = archive
        self.report = report
        self.members = {
            info.filename.split("/", 1)[1]: info
            for info in archive.infolist()
            if info.filename.startswith(f"{top}/") and not info.is_dir()
        }

    def read(self, path: str) -> bytes | None:
        info = self.members.get(path)
        if info is None:
            self.report.add(Kind.MISSING, path, "a bundle must have it")
            return None
        if info.file_size > MAX_FILE:
            self.report.add(Kind.MALFORMED, path, f"larger than {MAX_FILE} bytes")
            return None
        try:
            return self.archive.read(info)
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error, NotImplementedError):
            self.report.add(Kind.MALFORMED, path, "cannot be read")
            return None

    def json(self, path: str) -> Any:
        data = self.read(path)
        if data is None:
            return None
        try:
            return json.loads(data)
        except (UnicodeDecodeError, ValueError):
            self.report.add(Kind.MALFORMED, path, "not JSON")
            return None


def verify_bundle(
    source: str | PathLike[str] | BinaryIO,
    trust_key: bytes | str,
    log_keys: Iterable[str] = (),
    witness_keys: Iterable[str] = (),
    pdf_check: PdfCheck | None = None,
    max_bytes: int = MAX_BYTES,
) -> BagReport:
    """The bag's checks (``verify_bag``), then this module's. Raises ``TrustKeyMalformed`` or
    :class:`KeyMalformed` for a key that is not one, OSError if the file cannot be read."""
    read_trust_key(trust_key)
    try:
        logs = verifiers(log_keys, ED25519, "log")
        witnesses = verifiers(witness_keys, COSIGNATURE_V1, "witness")
    except ProofRejected as error:
        raise KeyMalformed(error.reason) from None
    if witnesses and not logs:
        raise KeyMalformed("a witness key is checked only with the log key (--log-key)")
    if isinstance(source, (str, PathLike)):
        with open(source, "rb") as stream:
            return _verify(stream, trust_key, logs, witnesses, pdf_check, max_bytes)
    return _verify(source, trust_key, logs, witnesses, pdf_check, max_bytes)


def _verify(
    stream: BinaryIO,
    trust_key: bytes | str,
    logs: list[Verifier],
    witnesses: list[Verifier],
    pdf_check: PdfCheck | None,
    max_bytes: int,
) -> BagReport:
    report = verify_bag(stream, trust_key, max_bytes)
    if report.bag is None:
        return report  # no bag to read
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            _check_contents(_Reader(archive, report.bag, report), logs, witnesses, pdf_check)
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as error:
        report.add(Kind.MALFORMED, "(zip)", f"cannot be read ({error.__class__.__name__})")
    return report


def _check_contents(
    files: _Reader, logs: list[Verifier], witnesses: list[Verifier], pdf_check: PdfCheck | None
) -> None:
    report = files.report
    chronology_bytes = files.read(CHRONOLOGY_JSON)
    if pdf_check is not None:
        pdf, certificate = files.read(CHRONOLOGY_PDF), files.read(CERTIFICATE)
        if pdf is not None and certificate is not None and chronology_bytes is not None:
            failures = list(pdf_check(pdf, certificate, chronology_bytes))
            for path, detail in failures:
                report.add(Kind.BAD_SIGNATURE, path, detail)
            if not failures:
                report.checked.append(
                    "chronology PDF signed with the trust certificate, its attached JSON "
                    "the same as chronology.json"
                )
    proved = _read_proofs(files)
    export = proved.pop(EXPORT, None)
    _check_proofs(files, logs, witnesses, [*proved.values(), *([export] if export else [])])
    disclosed = _export_fields(files, export)
    _check_fingerprint(files, chronology_bytes, proved, disclosed)
    _check_chains(files, proved, disclosed)


def _read_proofs(files: _Reader) -> dict[int | str, _Proved]:
    """Every proof file and its disclosures, by position (and ``export``)."""
    names: list[int | str] = []
    for path in sorted(files.members):
        matched = _PROOF.fullmatch(path)
        if matched:
            names.append(int(matched[1]))
        elif path.startswith(f"{PROOFS_DIR}/") and path not in (
            CHECKPOINT,
            CERTIFICATE,
            proof_path(EXPORT),
            disclosures_path(EXPORT),
        ):
            stem = path.removesuffix(".disclosures.json").rsplit("/", 1)[1]
            if not (path.endswith(".disclosures.json") and proof_path(stem) in files.members):
                files.report.add(Kind.ADDED, path, "not a file a bundle's proofs hold")
    proved: dict[int | str, _Proved] = {}
    ordered: list[int | str] = [*sorted(n for n in names if isinstance(n, int)), EXPORT]
    for name in ordered:
        data = files.read(proof_path(name))
        if data is None:
            continue
        try:
            text = data.decode("utf-8")
            proof = parse_proof(text)
            if proof.extra is None:
                raise ProofMalformed("it carries no entry")
            entry = Entry.from_bytes(proof.extra)
        except (UnicodeDecodeError, ProofMalformed, ValueError, KeyError, TypeError) as error:
            files.report.add(Kind.MALFORMED, proof_path(name), f"not a proof of an entry: {error}")
            continue
        if isinstance(name, int) and entry.position != name:
            files.report.add(
                Kind.MISMATCH, proof_path(name), f"proves the event at position {entry.position}"
            )
            continue
        proved[name] = _Proved(name, text, entry, proof.extra, _disclosures(files, name))
    return proved


def _disclosures(files: _Reader, name: int | str) -> dict[str, str] | None:
    path = disclosures_path(name)
    document = files.json(path)
    if document is None:
        return None
    shown = document.get("disclosures") if isinstance(document, dict) else None
    if not isinstance(shown, dict) or not all(isinstance(v, str) for v in shown.values()):
        files.report.add(Kind.MALFORMED, path, 'not {"position": P, "disclosures": {...}}')
        return None
    return shown


def _check_proofs(
    files: _Reader, logs: list[Verifier], witnesses: list[Verifier], proved: list[_Proved]
) -> None:
    """Check 2."""
    report = files.report
    data = files.read(CHECKPOINT)
    if data is None:
        return
    checkpoint = data.decode("utf-8", "replace")
    signed = False
    if logs:
        try:
            body = check_log_signature(checkpoint, logs)
            check_witnesses(checkpoint, body, witnesses)
            signed = True
        except ProofRejected as error:
            report.add(Kind.BAD_SIGNATURE, CHECKPOINT, error.reason)
    for item in proved:
        path = proof_path(item.name)
        if parse_proof(item.text).checkpoint_note != checkpoint:
            report.add(Kind.MISMATCH, path, f"is against another checkpoint than {CHECKPOINT}")
            continue
        if not signed:
            continue
        try:
            verify_proof(item.text, logs, witnesses)
        except ProofRejected as error:
            report.add(Kind.BAD_PROOF, path, error.reason)
            continue
        if item.disclosures is not None:
            try:
                verify_proof(item.text, logs, witnesses, disclosures=item.disclosures.values())
            except ProofRejected as error:
                report.add(Kind.BAD_PROOF, disclosures_path(item.name), error.reason)
    if signed:
        cosigned = f", co-signed by {len(witnesses)} witness key(s)" if witnesses else ""
        report.checked.append(
            f"{len(proved)} ledger proofs against one checkpoint signed by the log key{cosigned}"
        )
    elif not logs:
        report.checked.append("ledger proofs NOT verified: no --log-key given")


def _export_fields(files: _Reader, export: _Proved | None) -> dict[str, Any] | None:
    """The export event's disclosed fields (checked against its entry by check 2)."""
    if export is None or export.disclosures is None:
        return None
    shown: dict[str, Any] = {}
    for text in export.disclosures.values():
        try:
            name, value = read_disclosure(text.strip())
        except (ValueError, UnicodeError):
            files.report.add(Kind.MALFORMED, disclosures_path(EXPORT), "a disclosure is not one")
            return None
        shown[name] = value
    for name in (EXPORT_FINGERPRINT, EXPORT_HEADS):
        if name not in shown:
            files.report.add(Kind.MISSING, disclosures_path(EXPORT), f"discloses no {name!r}")
    return shown


def _check_fingerprint(
    files: _Reader,
    chronology_bytes: bytes | None,
    proved: dict[int | str, _Proved],
    disclosed: dict[str, Any] | None,
) -> None:
    """Check 3."""
    report = files.report
    referral = files.json(REFERRAL)
    index = files.json(EVIDENCE_INDEX)
    try:
        chronology = json.loads(chronology_bytes) if chronology_bytes is not None else None
    except (UnicodeDecodeError, ValueError):
        report.add(Kind.MALFORMED, CHRONOLOGY_JSON, "not JSON")
        chronology = None
    try:
        items = items_from_index(index) if index is not None else None
    except (ValueError, KeyError, TypeError):
        report.add(Kind.MALFORMED, EVIDENCE_INDEX, "not the evidence index")
        items = None
    if items is not None:
        _check_evidence(files, items)
    if not isinstance(chronology, dict) or not isinstance(chronology.get("entries"), list):
        if chronology is not None:
            report.add(Kind.MALFORMED, CHRONOLOGY_JSON, "not a chronology")
        return
    if referral is None or items is None:
        return
    computed = fingerprint(
        referral,
        chronology["entries"],
        [item.fingerprinted() for item in items],
        [(item.entry.position, entry_hash(item.entry_bytes).hex()) for item in proved.values()],
    )
    what = "referral.json, the chronology's entries, the evidence index and the exported entries"
    agreed = True
    if chronology.get("bundle_fingerprint") != computed:
        report.add(Kind.MISMATCH, CHRONOLOGY_JSON, f"its bundle_fingerprint is not that of {what}")
        agreed = False
    if disclosed is not None and disclosed.get(EXPORT_FINGERPRINT) != computed:
        report.add(
            Kind.MISMATCH, disclosures_path(EXPORT), f"its fingerprint is not that of {what}"
        )
        agreed = False
    if agreed and disclosed is not None:
        report.checked.append(f"fingerprint {computed} recomputed from the files")


def _check_evidence(files: _Reader, items: list[Any]) -> None:
    """Each listed file is there with the SHA-256 recorded at upload; none is unlisted."""
    digests = _manifest_sha256(files)
    listed = {item.path for item in items if item.path is not None}
    for item in items:
        if item.path is None:
            continue
        if item.path not in files.members:
            files.report.add(Kind.MISSING, item.path, f"listed in {EVIDENCE_INDEX}")
        elif item.sha256 is not None and digests.get(item.path) != item.sha256.lower():
            files.report.add(
                Kind.MISMATCH, item.path, f"not the SHA-256 {EVIDENCE_INDEX} records at upload"
            )
    for path in sorted(files.members):
        if path.startswith(f"{EVIDENCE_DIR}/") and path != EVIDENCE_INDEX and path not in listed:
            files.report.add(Kind.ADDED, path, f"not listed in {EVIDENCE_INDEX}")


def _manifest_sha256(files: _Reader) -> dict[str, str]:
    data = files.members.get("manifest-sha256.txt")
    if data is None:
        return {}  # the bag's checks said so
    digests = {}
    for line in files.archive.read(data).decode("utf-8", "replace").splitlines():
        digest, _, path = line.partition(" ")
        if path.strip().startswith(f"{PAYLOAD_DIR}/"):
            digests[path.strip()] = digest.lower()
    return digests


def _check_chains(
    files: _Reader, proved: dict[int | str, _Proved], disclosed: dict[str, Any] | None
) -> None:
    """Check 4."""
    report = files.report
    by_aggregate: dict[UUID, list[_Proved]] = {}
    for item in proved.values():
        by_aggregate.setdefault(item.entry.aggregate_id, []).append(item)
    unbroken = True
    found: list[Head] = []
    for aggregate, items in sorted(by_aggregate.items(), key=lambda pair: str(pair[0])):
        items.sort(key=lambda item: item.entry.version)
        previous: _Proved | None = None
        for item in items:
            entry, path = item.entry, proof_path(item.name)
            expected = 1 if previous is None else previous.entry.version + 1
            if entry.version != expected:
                report.add(
                    Kind.MISSING,
                    path,
                    f"is version {entry.version} of {aggregate}; version {expected} is not in "
                    "the bundle",
                )
                unbroken = False
            elif (previous is None and entry.previous is not None) or (
                previous is not None and entry.previous != entry_hash(previous.entry_bytes).hex()
            ):
                report.add(
                    Kind.MISMATCH,
                    path,
                    f"its previous entry hash is not that of version {expected - 1} in the bundle",
                )
                unbroken = False
            previous = item
        if previous is None:  # pragma: no cover - every group has an item
            continue
        found.append(
            Head(aggregate, previous.entry.version, entry_hash(previous.entry_bytes).hex())
        )
    if disclosed is None or EXPORT_HEADS not in disclosed:
        return
    expected_heads = [
        {"aggregate": str(h.aggregate_id), "version": h.version, "entry_hash": h.entry_hash}
        for h in found
    ]
    named = disclosed[EXPORT_HEADS]
    if not isinstance(named, list) or sorted(
        named, key=lambda h: json.dumps(h, sort_keys=True)
    ) != sorted(expected_heads, key=lambda h: json.dumps(h, sort_keys=True)):
        report.add(
            Kind.MISMATCH,
            disclosures_path(EXPORT),
            "its heads are not the last versions of the exported records",
        )
    elif unbroken:
        report.checked.append(
            f"{len(found)} records exported whole from version 1, as the export's heads name"
        )

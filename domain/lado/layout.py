"""Where each file of a LADO bundle sits, and the evidence index: shared by the writer
(``api/lado/bundle.py``), the lead's fingerprint (computed before the export event) and the
offline checker (``domain/lado/verify_bundle.py``), so the three can never disagree.

Evidence files are numbered in the order given, from 01 (more digits past 99), and named
``data/evidence/<NN>-<safe name>``: the number keeps two files of one name, or of names that
differ only in case, apart; the safe name is the uploaded name with every character a recipient's
system could refuse replaced by ``_``. An erased file keeps its number and its index entry (with
``"path": null``) and has no file.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.lado.bag import segment_problem

REFERRAL = "data/referral.json"
CHRONOLOGY_JSON = "data/chronology.json"
CHRONOLOGY_PDF = "data/chronology.pdf"
EVIDENCE_DIR = "data/evidence"
EVIDENCE_INDEX = f"{EVIDENCE_DIR}/index.json"
PROOFS_DIR = "data/proofs"
CHECKPOINT = f"{PROOFS_DIR}/checkpoint.txt"
CERTIFICATE = f"{PROOFS_DIR}/trust-certificate.pem"
EXPORT = "export"
# The fields of the export's event (the Allegation's ReferralExported) the checker reads.
EXPORT_FINGERPRINT = "fingerprint"
EXPORT_HEADS = "heads"
EXPORT_RECIPIENT = "recipient"
_NAME_BYTES = 200  # leaves room for the number within a segment's 255 bytes
_UNSAFE = frozenset('/\\%<>:"|?*')


def proof_path(name: int | str) -> str:
    """``data/proofs/<position>.tlog-proof`` (or ``export.tlog-proof``)."""
    return f"{PROOFS_DIR}/{name}.tlog-proof"


def disclosures_path(name: int | str) -> str:
    return f"{PROOFS_DIR}/{name}.disclosures.json"


@dataclass(frozen=True)
class EvidenceItem:
    """One evidence file as the index lists it."""

    file_id: UUID
    filename: str | None
    content_type: str
    size: int
    sha256: str | None  # as recorded at upload
    erased: bool
    path: str | None  # in the bag; None when erased

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "id": str(self.file_id),
            "name": self.filename,
            "type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
            "erased": self.erased,
        }

    def fingerprinted(self) -> tuple[str, str | None]:
        """What the fingerprint commits to: the path (``erased:<id>`` for an erased file) and
        the recorded SHA-256 (None when erased)."""
        if self.erased or self.path is None:
            return (f"erased:{self.file_id}", None)
        return (self.path, self.sha256)


def safe_name(filename: str | None) -> str:
    """The uploaded name as a bag can carry it: NFC, unsafe characters as ``_``, at most
    ``_NAME_BYTES`` bytes; ``file`` when nothing is left."""
    text = unicodedata.normalize("NFC", filename or "")
    text = "".join(
        "_" if ord(c) < 0x20 or ord(c) == 0x7F or c in _UNSAFE or (c.isspace() and c != " ") else c
        for c in text
    )
    text = text.strip().rstrip(".").strip()
    while len(text.encode("utf-8")) > _NAME_BYTES:
        text = text[:-1]
    text = text.rstrip(". ")
    return text or "file"


def evidence_items(files: Iterable[Any]) -> list[EvidenceItem]:
    """The index of ``files`` (each with ``file_id``, ``filename``, ``content_type``, ``size``,
    ``sha256`` and ``erased``, as ``api/lado/evidence.py``'s ``EvidenceFile``), in order."""
    listed = list(files)
    width = max(2, len(str(len(listed))))
    items = []
    for number, file in enumerate(listed, 1):
        path = None
        if not file.erased:
            path = f"{EVIDENCE_DIR}/{number:0{width}d}-{safe_name(file.filename)}"
            problem = segment_problem(path.rsplit("/", 1)[1])
            if problem is not None:  # a device name such as "01-CON" is not one; kept simple
                path = f"{EVIDENCE_DIR}/{number:0{width}d}-file"
        items.append(
            EvidenceItem(
                file.file_id,
                None if file.erased else file.filename,
                file.content_type,
                file.size,
                None if file.erased else file.sha256,
                bool(file.erased),
                path,
            )
        )
    return items


def index_json(items: Sequence[EvidenceItem]) -> dict[str, Any]:
    return {"files": [item.to_json() for item in items]}


def items_from_index(index: Mapping[str, Any]) -> list[EvidenceItem]:
    """The index as read back (raises ``ValueError``/``KeyError``/``TypeError`` if malformed)."""
    items = []
    for raw in index["files"]:
        path, sha = raw["path"], raw["sha256"]
        if path is not None and not isinstance(path, str):
            raise TypeError("path")
        if sha is not None and not isinstance(sha, str):
            raise TypeError("sha256")
        items.append(
            EvidenceItem(
                UUID(raw["id"]),
                raw["name"],
                raw["type"],
                int(raw["size"]),
                sha,
                raw["erased"] is True,
                path,
            )
        )
    return items

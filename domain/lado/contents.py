"""What a LADO referral bundle holds, as plain values, and the fingerprint that names it.

This is the seam between gathering a case (what the record says, redacted as the law requires)
and writing the bag (files, proofs, signatures). The bundle's layout (docs/rules.md §13):

    data/referral.json                   the referral form's fields, in the forms' order
    data/chronology.json                 the chronology (api.lado.chronology_pdf's shape)
    data/chronology.pdf                  the same, rendered as PDF/A and PAdES-signed
    data/evidence/index.json             every evidence file: path, id, name, type, size,
                                         the SHA-256 recorded at upload, erased or not
    data/evidence/<NN>-<name>            each file not erased, decrypted
    data/proofs/checkpoint.txt           the one checkpoint every proof is against, with its
                                         log signature and witnesses' co-signatures
    data/proofs/<position>.tlog-proof    each exported event's proof (its extra line carries
                                         the entry)
    data/proofs/<position>.disclosures.json
                                         {"position": P, "disclosures": {field: disclosure}}:
                                         the fields the bundle reveals; the rest stay digests
    data/proofs/export.tlog-proof, data/proofs/export.disclosures.json
                                         the same for the export's own event
    data/proofs/trust-certificate.pem    the certificate the PDF is signed with

The **fingerprint** commits to the facts, not to their renderings or proofs: the referral, the
chronology's entries, the evidence files (path and recorded SHA-256, or erased) and the exported
events (position and entry hash). It is computed before the export's event is appended (which
commits to it), printed on the PDF's cover and carried in ``chronology.json``; anyone can
compute it again from the bundle's files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from hashlib import sha256
from typing import Any
from uuid import UUID

import rfc8785

FORMAT = "safeguarding-casework/lado-bundle/1"


@dataclass(frozen=True)
class ExportedEvent:
    """One event the bundle exports with its proof. ``disclose`` names the fields whose
    disclosures the bundle carries (what it shows); every other field is there only as the
    entry's digest (what it redacts)."""

    position: int
    aggregate_id: UUID
    version: int
    disclose: frozenset[str]


@dataclass(frozen=True)
class Contents:
    """A case as the bundle shows it. ``events`` holds, for every aggregate it draws on, all of
    that aggregate's events from version 1 to its head, in store order, so that the entries'
    previous-entry hashes show nothing was left out. ``pseudonyms`` maps the pupils named in
    the records who are not among the children the allegation concerns to "Child A",
    "Child B", ..., as they are shown in every file."""

    allegation_id: UUID
    case_reference: str
    trust_id: UUID
    school_id: UUID | None
    school_name: str
    referral: Mapping[str, Any]
    entries: Sequence[Mapping[str, Any]]
    events: Sequence[ExportedEvent]
    pseudonyms: Mapping[UUID, str]


@dataclass(frozen=True)
class Head:
    """An exported aggregate's last exported version and that event's entry hash (hex)."""

    aggregate_id: UUID
    version: int
    entry_hash: str


def heads(events: Sequence[ExportedEvent], entry_hashes: Mapping[int, str]) -> list[Head]:
    """Each exported aggregate's head: its highest exported version, with the entry hash of
    that event (``entry_hashes`` by position), ordered by aggregate id."""
    last: dict[UUID, ExportedEvent] = {}
    for event in events:
        known = last.get(event.aggregate_id)
        if known is None or event.version > known.version:
            last[event.aggregate_id] = event
    return [
        Head(aggregate, event.version, entry_hashes[event.position])
        for aggregate, event in sorted(last.items(), key=lambda item: str(item[0]))
    ]


def fingerprint(
    referral: Mapping[str, Any],
    entries: Sequence[Mapping[str, Any]],
    evidence: Sequence[tuple[str, str | None]],
    events: Sequence[tuple[int, str]],
) -> str:
    """SHA-256 (hex) of the canonical JSON (RFC 8785) of ``{"format", "referral", "entries",
    "evidence": [[path, sha256 or null], ...], "events": [[position, entry hash], ...]}``,
    evidence sorted by path and events by position."""
    document: dict[str, Any] = {
        "format": FORMAT,
        "referral": referral,
        "entries": list(entries),
        "evidence": sorted([list(item) for item in evidence]),
        "events": sorted([list(item) for item in events]),
    }
    return sha256(rfc8785.dumps(document)).hexdigest()  # type: ignore[arg-type]

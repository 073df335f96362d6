"""Write a LADO referral bundle: the case's :class:`~domain.lado.contents.Contents`, its evidence
files and the ledger's proofs, as one signed BagIt bag (the layout in ``domain/lado/contents.py``,
the file names in ``domain/lado/layout.py``).

The order of work is the lead's: gather the case (``Contents``), compute the fingerprint
(:func:`bundle_fingerprint`, from the exported events' :func:`entry_hashes`), append the export
event (which records the fingerprint and the heads), then :func:`write_bundle` with that event's
position. Everything is streamed into ``out``: the evidence files chunk by chunk, never whole;
only the small files (JSON, proofs, the PDF) are made in memory.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from importlib.metadata import version
from typing import Any, BinaryIO, Protocol
from uuid import UUID

import rfc8785
from cryptography.hazmat.primitives.serialization import Encoding
from psycopg import Connection

from api.lado.chronology_pdf import chronology_json, render, sign
from api.ledger import Checkpointer
from api.ledger_proofs import prove
from api.trust_keys import TrustSigningKeys
from domain.lado import contents as seam
from domain.lado.bag import BagInfo, BagRefused, BagWriter, WrittenBag
from domain.lado.contents import Contents, ExportedEvent
from domain.lado.layout import (
    CERTIFICATE,
    CHECKPOINT,
    CHRONOLOGY_JSON,
    CHRONOLOGY_PDF,
    EVIDENCE_INDEX,
    EXPORT,
    REFERRAL,
    EvidenceItem,
    disclosures_path,
    evidence_items,
    index_json,
    proof_path,
    safe_name,
)
from projections.ledger.entries import EntryMaker, Stored
from projections.ledger.queries import Checkpoint, latest_checkpoint, leaf_at

SOFTWARE = "safeguarding-casework"
CHECKPOINT_ATTEMPTS = 20


class EvidenceFile(Protocol):
    """What the bundle needs of an evidence file (``api/lado/evidence.py``'s ``EvidenceFile``)."""

    @property
    def file_id(self) -> UUID: ...
    @property
    def filename(self) -> str | None: ...
    @property
    def content_type(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def sha256(self) -> str | None: ...
    @property
    def erased(self) -> bool: ...


class NoCheckpoint(RuntimeError):
    """No checkpoint covering the bundle's events could be had (the ledger is behind, or
    another process keeps signing): try the export again."""


class EvidenceChanged(BagRefused):
    """An evidence file's bytes are not the ones whose SHA-256 was recorded at upload."""

    def __init__(self, file_id: UUID) -> None:
        super().__init__(f"evidence file {file_id} does not match the SHA-256 recorded at upload")
        self.file_id = file_id


def entry_hashes(conn: Connection[Any], positions: Iterable[int]) -> dict[int, str]:
    """``{position: entry hash hex}`` of the ledger entries of the events at ``positions``
    (those the ledger has not integrated yet are absent)."""
    rows = conn.execute(
        "SELECT position, leaf_hash FROM ledger_entries WHERE position = ANY(%s)",
        (sorted(set(positions)),),
    ).fetchall()
    return {int(r["position"]): bytes(r["leaf_hash"]).hex() for r in rows}


def bundle_fingerprint(
    contents: Contents, evidence: Sequence[EvidenceFile], hashes: Mapping[int, str]
) -> str:
    """The fingerprint of the bundle ``contents`` and ``evidence`` make (the seam's
    :func:`~domain.lado.contents.fingerprint`), with the exported events' entry hashes
    (:func:`entry_hashes`): the caller has waited for the ledger to integrate them all."""
    positions = [event.position for event in contents.events]
    missing = sorted(set(positions) - set(hashes))
    if missing:
        raise NoCheckpoint(f"the ledger has not integrated positions {missing[:5]} yet")
    return seam.fingerprint(
        contents.referral,
        contents.entries,
        [item.fingerprinted() for item in evidence_items(evidence)],
        sorted((position, hashes[position]) for position in set(positions)),
    )


def checkpoint_covering(container: Any, position: int) -> Checkpoint:
    """A checkpoint (with its co-signatures) whose tree holds the event at ``position``: once
    the ledger has integrated it, the newest if it covers it, else one signed now."""
    container.wait_for(["ledger"], position)
    for _ in range(CHECKPOINT_ATTEMPTS):
        with container.pool.connection() as conn:
            leaf = leaf_at(conn, position)
            if leaf is None:
                raise NoCheckpoint(f"no event at position {position} is in the ledger")
            found = latest_checkpoint(conn)
        if found is not None and found.size > leaf.leaf_index:
            return found
        Checkpointer(container.pool, container.keyring, container.settings).tick()
        time.sleep(0.05)  # another process may hold the checkpoint lock
    raise NoCheckpoint(f"no checkpoint covers position {position}")


def _instant(when: dt.datetime) -> str:
    if when.utcoffset() is None:
        raise ValueError("generated_at must carry a UTC offset")
    return when.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _stored(maker: EntryMaker, container: Any, position: int) -> Stored:
    (n,) = container.app.recorder.select_notifications(start=position, limit=1, stop=position)
    return maker.read(n)


def _disclosed(maker: EntryMaker, stored: Stored, names: Iterable[str]) -> bytes:
    document: dict[str, Any] = {
        "position": stored.position,
        "disclosures": maker.disclosures(stored, names),
    }
    return rfc8785.dumps(document)


def _checked(chunks: Iterable[bytes], item: EvidenceItem) -> Iterator[bytes]:
    """The chunks as they pass, refusing at the end bytes that are not those recorded."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
        yield chunk
    if item.sha256 is not None and digest.hexdigest() != item.sha256.lower():
        raise EvidenceChanged(item.file_id)


def write_bundle(
    out: BinaryIO,
    contents: Contents,
    *,
    container: Any,
    recipient: str,
    generated_at: dt.datetime,
    generated_by: Mapping[str, str],
    fingerprint: str,
    evidence: Sequence[EvidenceFile],
    evidence_chunks: Callable[[UUID], Iterable[bytes]],
    export_position: int,
    trust: TrustSigningKeys,
    organisation: str | None = None,
) -> WrittenBag:
    """Write the whole bag into ``out``. ``fingerprint`` is the one the export event at
    ``export_position`` recorded (:func:`bundle_fingerprint`); ``generated_by`` is
    ``{"role", "name"}``; ``evidence_chunks(file_id)`` streams a file's decrypted bytes;
    ``organisation`` (Source-Organization) defaults to the school's name."""
    positions = [event.position for event in contents.events]
    checkpoint = checkpoint_covering(container, max([export_position, *positions]))
    chronology = {
        "case_reference": contents.case_reference,
        "school": contents.school_name,
        "recipient": recipient,
        "generated_at": _instant(generated_at),
        "generated_by": dict(generated_by),
        "bundle_fingerprint": fingerprint,
        "entries": list(contents.entries),
    }
    key, certificate = trust.pdf_signer()
    pdf = sign(render(chronology), key, certificate)
    items = evidence_items(evidence)
    info = BagInfo(
        source_organisation=organisation or contents.school_name,
        bagging_date=generated_at.astimezone(dt.UTC).date(),
        external_identifier=contents.case_reference,
        software_agent=f"{SOFTWARE} {version(SOFTWARE)}",
    )
    name = safe_name(f"LADO-{contents.case_reference}")
    maker = EntryMaker(container.keyring, container.app.mapper)
    with BagWriter(out, name, info, trust.sign) as writer:

        def add(path: str, data: bytes) -> None:
            writer.add(path.removeprefix("data/"), [data])

        # In the forms' order, as a reader expects it (the fingerprint is order-free).
        add(REFERRAL, json.dumps(contents.referral, ensure_ascii=False, indent=2).encode())
        add(CHRONOLOGY_JSON, chronology_json(chronology))
        add(CHRONOLOGY_PDF, pdf)
        add(EVIDENCE_INDEX, rfc8785.dumps(index_json(items)))
        for item, file in zip(items, evidence, strict=True):
            if item.path is not None:
                writer.add(
                    item.path.removeprefix("data/"),
                    _checked(evidence_chunks(file.file_id), item),
                )
        add(CHECKPOINT, checkpoint.note.encode("utf-8"))
        with container.pool.connection() as conn:
            for event in sorted(contents.events, key=lambda e: e.position):
                add(proof_path(event.position), _proof(conn, event, checkpoint))
                stored = _stored(maker, container, event.position)
                disclosed = _disclosed(maker, stored, event.disclose)
                add(disclosures_path(event.position), disclosed)
            add(proof_path(EXPORT), prove(conn, export_position, checkpoint).text.encode())
        export_event = _stored(maker, container, export_position)
        add(disclosures_path(EXPORT), _disclosed(maker, export_event, export_event.values))
        add(CERTIFICATE, certificate.public_bytes(Encoding.PEM))
        return writer.finish()


def _proof(conn: Connection[Any], event: ExportedEvent, checkpoint: Checkpoint) -> bytes:
    proof = prove(conn, event.position, checkpoint)
    if (proof.aggregate_id, proof.version) != (event.aggregate_id, event.version):
        raise ValueError(
            f"position {event.position} is version {proof.version} of {proof.aggregate_id}, "
            f"not version {event.version} of {event.aggregate_id}"
        )
    return proof.text.encode("utf-8")

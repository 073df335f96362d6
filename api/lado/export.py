"""Exporting an allegation's referral evidence for the LADO (docs/rules.md §13).

Two steps, as the doors (GraphQL, the download route, the command line) take them:

1. :func:`export_referral` — the export, as the case team member or trust safeguarding lead
   asking for it: the case gathered, its bundle's facts fixed and fingerprinted, and the export
   recorded as an event on the allegation that commits to the recipient, the fingerprint and the
   head of every record exported. Nothing is written to disk: a bundle holds the case decrypted,
   which is never kept at rest.
2. :func:`prepare_download` — the bundle of an earlier export, written when it is downloaded:
   the case gathered again as it stood just before the export's event, checked against the
   fingerprint the event recorded (a record erased since cannot come back, and a bundle that
   would differ from what was committed is refused), and streamed with every proof against one
   checkpoint that covers the export's event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import IO, Any
from uuid import UUID, uuid4

from api.lado.bundle import bundle_fingerprint, entry_hashes, write_bundle
from api.lado.evidence import EvidenceFile, allegation_evidence, evidence_chunks
from api.lado.gather import gather
from api.wiring import Container
from domain.directory.aggregates import Trust
from domain.lado.contents import Contents, heads
from domain.lado.export import recipient_of, role_of
from domain.shared import clock
from domain.shared.errors import DomainError, NotFound, VersionConflict
from domain.shared.policy import Target
from domain.staff_cases.allegations import Allegation
from domain.staff_cases.commands import RecordReferralExport

ATTEMPTS = 3  # a case that changes while its facts are gathered is gathered again


class ExportChanged(DomainError):
    """The bundle of an export can no longer be written as it was committed: a record it held
    has been erased or altered since."""

    code = "EXPORT_CHANGED"

    def __init__(self) -> None:
        super().__init__(
            "this export's records have changed since it was made (a record may have been "
            "erased); make a new export"
        )


@dataclass(frozen=True)
class Exported:
    export_id: UUID
    allegation_id: UUID
    position: int
    fingerprint: str
    download_path: str
    target: Target  # the case's tenancy and subject, for the access log


def download_path(allegation_id: UUID, export_id: UUID) -> str:
    return f"/files/allegations/{allegation_id}/lado-exports/{export_id}"


def export_referral(container: Container, allegation_id: UUID, recipient: str) -> Exported:
    """Export the case's referral evidence to ``recipient``, as the current principal."""
    recipient = recipient_of(recipient)
    app = container.app
    for attempt in range(ATTEMPTS):
        allegation = app.exportable_allegation(allegation_id)
        contents, evidence = _facts(container, allegation_id)
        export_id = uuid4()
        with container.pool.connection() as conn:
            hashes = entry_hashes(conn, [e.position for e in contents.events])
        fingerprint = bundle_fingerprint(contents, evidence, hashes)
        try:
            _, position = app.record_referral_export(
                RecordReferralExport(
                    allegation_id=allegation_id,
                    export_id=export_id,
                    recipient=recipient,
                    fingerprint=fingerprint,
                    heads=heads(contents.events, hashes),
                    expected_version=allegation.version,
                )
            )
        except VersionConflict:
            if attempt == ATTEMPTS - 1:
                raise
            continue
        return Exported(
            export_id,
            allegation_id,
            position,
            fingerprint,
            download_path(allegation_id, export_id),
            Target(allegation.trust_id, allegation.school_id, frozenset({allegation.subject_id})),
        )
    raise AssertionError("unreachable")


def _facts(
    container: Container, allegation_id: UUID, as_of: int | None = None
) -> tuple[Contents, list[EvidenceFile]]:
    """The case as the bundle shows it, and its supporting documents as they stood then (those
    the gathered events attached), once the ledger holds every event exported (their entry
    hashes are part of the fingerprint) and the view lists every document."""
    contents = gather(container, allegation_id, as_of=as_of)
    if not contents.events:
        return contents, []
    last = max(e.position for e in contents.events)
    container.wait_for(["ledger", "staff_cases"], last)
    version = max(e.version for e in contents.events if e.aggregate_id == allegation_id)
    attached = [
        e.file_id
        for e in container.app.events.get(allegation_id, lte=version)
        if isinstance(e, Allegation.EvidenceAttached)
    ]
    listed = {f.file_id: f for f in allegation_evidence(container, allegation_id)}
    evidence = [listed[file_id] for file_id in attached if file_id in listed]
    documents = [
        {
            "name": "[erased]" if f.erased or f.filename is None else f.filename,
            "content_type": f.content_type,
            "size": f.size,
            "sha256": f.sha256 or "",
        }
        for f in evidence
    ]
    referral = {**contents.referral, "supporting_documents": documents}
    return replace(contents, referral=referral), evidence


@dataclass(frozen=True)
class Download:
    """An export's bundle, ready to be written: ``write(out)`` streams it."""

    filename: str
    write: Callable[[IO[bytes]], None]


def prepare_download(container: Container, allegation_id: UUID, export_id: UUID) -> Download:
    """The bundle of export ``export_id`` of the allegation, as the current principal (who must
    be one who may export it); :class:`NotFound` for an unknown export."""
    allegation = container.app.exportable_allegation(allegation_id)
    exported, version = _export_event(container, allegation_id, export_id)
    position = _position(container, allegation_id, version)
    contents, evidence = _facts(container, allegation_id, as_of=position - 1)
    with container.pool.connection() as conn:
        hashes = entry_hashes(conn, [e.position for e in contents.events])
    if bundle_fingerprint(contents, evidence, hashes) != exported.fingerprint:
        raise ExportChanged()
    recipient = container.keyring.open(exported.recipient)
    if not isinstance(recipient, str):
        raise ExportChanged()
    trust: Trust = container.app.repository.get(allegation.trust_id)
    keys = container.trust_keys.get_or_create(allegation.trust_id, trust.name)
    principal = container.app.principal_for(exported.actor)
    by = {
        "role": role_of(principal.grants, Target(allegation.trust_id, allegation.school_id)),
        "name": exported.actor,
    }
    generated_at = clock.now().replace(microsecond=0)

    def write(out: IO[bytes]) -> None:
        write_bundle(
            out,  # type: ignore[arg-type]
            contents,
            container=container,
            recipient=recipient,
            generated_at=generated_at,
            generated_by=by,
            fingerprint=exported.fingerprint,
            evidence=evidence,
            evidence_chunks=lambda file_id: evidence_chunks(container, file_id),
            export_position=position,
            trust=keys,
        )

    return Download(f"lado-referral-{contents.case_reference}.zip", write)


def _export_event(container: Container, allegation_id: UUID, export_id: UUID) -> tuple[Any, int]:
    for event in container.app.events.get(allegation_id):
        if isinstance(event, Allegation.ReferralExported) and event.export_id == export_id:
            return event, event.originator_version
    raise NotFound("LADO export", export_id)


def _position(container: Container, aggregate_id: UUID, version: int) -> int:
    with container.pool.connection() as conn:
        row = conn.execute(
            "SELECT notification_id FROM casework_events "
            "WHERE originator_id = %s AND originator_version = %s",
            (aggregate_id, version),
        ).fetchone()
    if row is None:
        raise NotFound("LADO export", aggregate_id)
    return int(row["notification_id"])

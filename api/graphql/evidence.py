"""What every record that keeps files shares in GraphQL: the file a multipart request sent,
and an evidence file's record (an incident's evidence, an allegation's supporting documents)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import strawberry

from api.graphql.common import ERASED_LOGIN, Opened, Position, SealedText, to_id
from domain.shared.evidence import Evidence
from projections.evidence import EvidenceRow


@dataclass(frozen=True)
class UploadedFile:
    """A file from a GraphQL multipart request, read into memory within the size limit."""

    filename: str
    content_type: str
    content: bytes


NO_FILE = UploadedFile("", "", b"")


def sent_file(sent: object) -> dict[str, Any]:
    """The command fields of the file an input's ``Upload`` field holds (its name, declared
    type and bytes); not a multipart request: no file at all, refused (as empty) once the
    record is authorised."""
    upload = sent if isinstance(sent, UploadedFile) else NO_FILE
    return {
        "filename": upload.filename,
        "content_type": upload.content_type,
        "content": upload.content,
    }


def attached(evidence: Evidence, position: int) -> dict[str, Any]:
    """What every attach mutation answers of the file it stored: its id, its SHA-256 and its
    size, as stored, and where."""
    return {
        "file_id": to_id(evidence.file_id),
        "sha256": evidence.sha256,
        "size": evidence.size,
        "position": Position(position),
    }


@strawberry.type(
    description="An evidence file's record. Download it from `downloadPath` with your token."
)
class EvidenceFile:
    id: strawberry.ID
    filename: SealedText
    content_type: str = strawberry.field(description="As verified from the file's bytes.")
    size: int
    sha256: str | None = strawberry.field(
        description="The file's SHA-256 (hex), recorded at upload. Null when the record's data "
        "has been erased."
    )
    note: SealedText | None
    attached_at: datetime.datetime
    attached_by: str | None = strawberry.field(description=ERASED_LOGIN)
    download_path: str

    @classmethod
    def under(cls, route: str) -> Callable[[EvidenceRow, Opened], EvidenceFile]:
        """Builds each row's record, downloaded from ``route``/<file id>."""

        def build(row: EvidenceRow, opened: Opened) -> EvidenceFile:
            return cls(
                id=to_id(row.file_id),
                filename=opened.erasable(row.filename),
                content_type=row.content_type,
                size=row.size,
                sha256=opened.text(row.sha256),
                note=opened.sealed(row.note),
                attached_at=row.attached_at,
                attached_by=opened.text(row.attached_by),
                download_path=download_path(route, row.file_id),
            )

        return build


def download_path(route: str, file_id: UUID) -> str:
    return f"{route}/{file_id}"


INCIDENT_EVIDENCE = "/files/evidence"
ALLEGATION_EVIDENCE = "/files/allegation-evidence"

"""An allegation's supporting documents as the LADO bundle carries them (``data/evidence/``):
each file decrypted, with the SHA-256 recorded when it was uploaded; a file whose key has been
erased is listed as erased, and the export still succeeds.

Nothing here authorises: the exporter authorises the export as a whole, and calls these only
for an allegation it has.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from api.event_store import evidence_blob
from domain.shared.errors import NotFound
from domain.shared.sealing import Erased, Sealed
from projections.evidence import EvidenceRow
from projections.staff_cases import queries

if TYPE_CHECKING:
    from api.wiring import Container


class EvidenceErased(Exception):
    """The file's record has been erased: its key is destroyed, its bytes cannot be opened."""

    code = "ERASED"

    def __init__(self, file_id: UUID) -> None:
        super().__init__(f"evidence file {file_id} has been erased")
        self.file_id = file_id


@dataclass(frozen=True)
class EvidenceFile:
    file_id: UUID
    filename: str | None  # None when its key is gone
    content_type: str
    size: int
    sha256: str | None  # as recorded at upload; None when erased
    erased: bool


def allegation_evidence(container: Container, allegation_id: UUID) -> list[EvidenceFile]:
    """The allegation's supporting documents, in the order they were attached: their names and
    fingerprints opened with one key look-up; the bytes are read by :func:`evidence_chunks`.
    Read from the staff-cases view: a document attached a moment ago is listed once the view
    has applied its position (``container.wait_for(["staff_cases"], position)``)."""
    with container.pool.connection() as conn:
        rows = queries.evidence_of(conn, allegation_id)
    return _described(container, rows)


def _described(container: Container, rows: list[EvidenceRow]) -> list[EvidenceFile]:
    sealed = [value for row in rows for value in (row.filename, row.sha256) if value is not None]
    opened = dict(zip(sealed, container.keyring.open_many(sealed), strict=True))

    def text(value: Sealed | None) -> str | None:
        plain = None if value is None else opened[value]
        return plain if isinstance(plain, str) else None

    described = []
    for row in rows:
        filename, digest = text(row.filename), text(row.sha256)
        described.append(
            EvidenceFile(
                file_id=row.file_id,
                filename=filename,
                content_type=row.content_type,
                size=row.size,
                sha256=digest,
                erased=digest is None,
            )
        )
    return described


def evidence_chunks(
    container: Container, file_id: UUID, chunk_size: int = 1 << 20
) -> Iterator[bytes]:
    """The file's decrypted bytes, in chunks of ``chunk_size`` (the last may be shorter).

    The sealed blob is one AES-GCM token (nonce and ciphertext, authenticated as a whole), so it
    is opened whole before the first chunk: the file is held in memory twice over (sealed and
    plain), up to the 10 MB an evidence file may be. Read one file at a time, and let each
    iterator go before the next. Raises at once (before any chunk is asked for)
    :class:`EvidenceErased` when the file's key has been destroyed (its blob went with the key:
    migration 0041; the view still lists the file), and ``NotFound`` for a file that was never
    stored.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    stored = evidence_blob(container.pool, file_id)
    if stored is None:
        if _listed(container, file_id):
            raise EvidenceErased(file_id)
        raise NotFound("Evidence file", file_id)
    content = container.keyring.open_bytes(Sealed.from_bytes(stored))
    del stored
    if isinstance(content, Erased):
        raise EvidenceErased(file_id)
    return _chunks(content, chunk_size)


def _listed(container: Container, file_id: UUID) -> bool:
    """Whether a view lists the file (as an allegation's or an incident's)."""
    with container.pool.connection() as conn:
        row = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM sc_allegation_evidence WHERE file_id = %s) "
            "OR EXISTS (SELECT 1 FROM inc_evidence WHERE file_id = %s) AS listed",
            (file_id, file_id),
        ).fetchone()
    return bool(row and row["listed"])


def _chunks(content: bytes, chunk_size: int) -> Iterator[bytes]:
    view = memoryview(content)
    for start in range(0, len(view), chunk_size):
        yield bytes(view[start : start + chunk_size])

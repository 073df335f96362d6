"""An evidence file's row, as every view that keeps files stores it (an incident's
``inc_evidence``, an allegation's ``sc_allegation_evidence``): one shape, written and read in
one place. The file's bytes are not here: they are in the blob store (``evidence_blobs``),
sealed with the same record's key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, LiteralString
from uuid import UUID

from psycopg import Connection, Cursor

from domain.shared.sealing import Sealed
from projections.common import from_row, rows_of, sealed_column


@dataclass(frozen=True)
class EvidenceRow:
    file_id: UUID
    owner_id: UUID  # the incident or the allegation
    filename: Sealed
    content_type: str
    size: int
    sha256: Sealed | None
    note: Sealed | None
    attached_at: datetime
    attached_by: Sealed | None


@dataclass(frozen=True)
class EvidenceTable:
    """A view's table of evidence files, ``owner`` naming its record's id column."""

    table: LiteralString
    owner: LiteralString

    def insert(
        self, curs: Cursor[Any], e: Any, sha256: bytes | None, attached_by: bytes | None
    ) -> None:
        """The row of an ``EvidenceAttached`` event ``e``; its fingerprint and who attached it
        are given sealed, as the view seals them."""
        curs.execute(
            f"INSERT INTO {self.table} (file_id, {self.owner}, filename, content_type, size, "
            "sha256, note, attached_at, attached_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                e.file_id,
                e.originator_id,
                sealed_column(e.filename),
                e.content_type,
                e.size,
                sha256,
                sealed_column(e.note),
                e.timestamp,
                attached_by,
            ),
        )

    def _select(self) -> LiteralString:
        return (
            f"SELECT file_id, {self.owner} AS owner_id, filename, content_type, size, sha256, "
            f"note, attached_at, attached_by FROM {self.table}"
        )

    def of(self, conn: Connection[Any], owner_id: UUID) -> list[EvidenceRow]:
        """The record's files, in the order they were attached."""
        return rows_of(
            conn,
            EvidenceRow,
            self._select() + f" WHERE {self.owner} = %s ORDER BY attached_at, file_id",
            (owner_id,),
        )

    def file(self, conn: Connection[Any], file_id: UUID) -> EvidenceRow | None:
        row = conn.execute(self._select() + " WHERE file_id = %s", (file_id,)).fetchone()
        return None if row is None else from_row(EvidenceRow, row)

"""Erasures view: each erasure as the DPO reviews it, and the exports it could not recall."""

from __future__ import annotations

from base64 import b64decode
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.types.json import Jsonb

from domain.retention.erasure import Erasure
from projections.view import View, handles

# What the view keeps of each requested record: never its due date, which for a pupil's file
# is derived from their date of birth.
RECORD_FIELDS = ("record_type", "record_id", "school_id", "rule")


class ErasureView(View):
    name = "erasure"
    tables = ("er_exports", "er_erasures")

    @handles(Erasure.Requested)
    def requested(self, curs: Cursor[Any], e: Erasure.Requested, position: int) -> None:
        records = [{k: r.get(k) for k in RECORD_FIELDS} for r in e.records]
        curs.execute(
            "INSERT INTO er_erasures (erasure_id, trust_id, school_id, status, records, about, "
            "key_count, reason, requested_by, requested_at, seq) "
            "VALUES (%s, %s, %s, 'requested', %s, %s, %s, %s, %s, %s, %s)",
            (
                e.originator_id,
                e.trust_id,
                e.school_id,
                Jsonb(records),
                sorted({UUID(a) for r in e.records for a in r.get("about", ())}),
                len(e.subject_ids),
                e.reason.to_bytes(),
                self.logins.seal(e.actor),
                e.timestamp,
                position,
            ),
        )

    @handles(Erasure.CarriedOut)
    def carried_out(self, curs: Cursor[Any], e: Erasure.CarriedOut, position: int) -> None:
        self.purge(curs, e)  # an erased login that asked for or settled an erasure
        self._settle(curs, e, "carried_out", None)
        for sent in e.exports:
            recipient = sent.get("recipient")
            curs.execute(
                "INSERT INTO er_exports (erasure_id, export_id, allegation_id, exported_at, "
                "fingerprint, recipient) VALUES (%s, %s, %s, %s, %s, %s) "
                "ON CONFLICT DO NOTHING",
                (
                    e.originator_id,
                    sent["export_id"],
                    sent["allegation_id"],
                    datetime.fromisoformat(sent["exported_at"]),
                    sent["fingerprint"],
                    None if recipient is None else b64decode(recipient),
                ),
            )

    @handles(Erasure.Cancelled)
    def cancelled(self, curs: Cursor[Any], e: Erasure.Cancelled, position: int) -> None:
        self._settle(curs, e, "cancelled", e.reason.to_bytes())

    def _settle(self, curs: Cursor[Any], e: Any, status: str, reason: bytes | None) -> None:
        curs.execute(
            "UPDATE er_erasures SET status = %s, settled_by = %s, settled_at = %s, "
            "settled_reason = %s WHERE erasure_id = %s",
            (status, self.logins.seal(e.actor), e.timestamp, reason, e.originator_id),
        )

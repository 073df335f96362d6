"""JSON transcodings for the value types our events carry."""

from __future__ import annotations

from base64 import b64decode, b64encode
from datetime import date
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

from domain.shared.sealing import Sealed


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class SealedAsBase64(Transcoding):
    type = Sealed
    name = "sealed"

    def encode(self, obj: Sealed) -> str:
        return b64encode(obj.to_bytes()).decode("ascii")

    def decode(self, data: Any) -> Sealed:
        return Sealed.from_bytes(b64decode(data))


def register_casework_transcodings(transcoder: JSONTranscoder) -> None:
    transcoder.register(DateAsISO())
    transcoder.register(SealedAsBase64())

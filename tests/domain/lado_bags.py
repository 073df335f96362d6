"""Bags for the bundle specifications: written by the writer, unpacked and repacked to tamper."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.lado.bag import BagInfo, write_bag

TRUST_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
TRUST_PUBLIC = TRUST_KEY.public_key().public_bytes_raw()
NAME = "LADO-2026-0042"
INFO = BagInfo(
    source_organisation="Oak Learning Trust",
    bagging_date=date(2026, 11, 30),
    external_identifier=NAME,
    software_agent="safeguarding-casework 0.1.0",
)
PAYLOAD: dict[str, bytes] = {
    "referral.json": b'{"allegation": "example"}\n',
    "chronology.json": b"[]\n",
    "chronology.pdf": b"%PDF-1.7\n" + bytes(range(256)) * 40,
    "evidence/screenshot é.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 5000,
    "proofs/event-1.tlog-proof": b"c2sp.org/tlog-proof@v1\n",
}


def chunked(data: bytes, size: int = 1000) -> Iterable[bytes]:
    return (data[i : i + size] for i in range(0, len(data), size))


def bag_bytes(
    payload: dict[str, bytes] = PAYLOAD,
    key: Ed25519PrivateKey = TRUST_KEY,
    info: BagInfo = INFO,
) -> bytes:
    out = io.BytesIO()
    write_bag(out, NAME, info, ((p, chunked(d)) for p, d in payload.items()), key.sign)
    return out.getvalue()


def unpack(zipped: bytes) -> dict[str, bytes]:
    """The bag's files by their path inside the bag (small bags only)."""
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        return {
            info.filename.split("/", 1)[1]: archive.read(info)
            for info in archive.infolist()
            if not info.is_dir()
        }


def repack(files: dict[str, bytes], top: str = NAME) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            archive.writestr(f"{top}/{path}", data)
    return out.getvalue()


def extract(zipped: bytes, into: Path) -> Path:
    """Unpack our own (trusted) bag for bagit-python, which reads directories."""
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        archive.extractall(into)
    return into / NAME

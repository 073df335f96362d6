"""What an evidence file is, judged by its bytes, checked and sealed with its record's key: the
part every record that keeps files (an incident, an allegation) shares.

The client's declared media type is a claim; the bytes are the evidence. :func:`detect_type`
reads the content's magic numbers (``puremagic``, a pure-Python signature table) and
:func:`verified_type` is the rule, a pure function of the declared type and the detected type:

- a declared type must agree with the content's family (image, video, audio, PDF, zip-based
  office files and archives, e-mail, text), and must be one the service accepts;
- content that no signature identifies is accepted only as ``text/plain``, and only when it is
  UTF-8 text with no NUL or other control bytes; anything else unidentified is refused;
- text that carries an image or video inside it (a ``data:`` URI, or pasted base64 whose bytes
  begin with an image's or video's signature) is judged as that image or video.

A record may refuse more than this (a nudes or semi-nudes incident refuses every file that can
carry imagery: ``domain.incidents.evidence``). :func:`seal_evidence` then seals the file's name,
note, fingerprint and bytes with the record's own data key, so that erasing the record erases
its files.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID, uuid4

import puremagic

from domain.shared.errors import ValidationFailed
from domain.shared.sealing import Sealed, SealingSession
from domain.shared.validation import MAX_TEXT, optional_text, required_text

TEXT = "text/plain"
EVIDENCE_TYPES = frozenset(
    {
        "application/pdf",
        TEXT,
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "video/mp4",
        "video/quicktime",
        "audio/mpeg",
        "audio/mp4",
        "message/rfc822",
    }
)


class Family(StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    PDF = "pdf"
    CONTAINER = "container"  # zip-based office files and archives: one signature, many names
    EMAIL = "email"
    TEXT = "text"


_CONTAINERS = frozenset(
    {
        "application/zip",
        "application/x-zip-compressed",
        "application/gzip",
        "application/x-gzip",
        "application/x-tar",
        "application/x-bzip2",
        "application/x-xz",
        "application/x-7z-compressed",
        "application/x-rar-compressed",
        "application/vnd.rar",
        "application/msword",
        "application/rtf",
        "application/vnd.ms-outlook",
        "application/epub+zip",
    }
)
_CONTAINER_PREFIXES = (
    "application/vnd.openxmlformats-officedocument.",
    "application/vnd.ms-",
    "application/vnd.oasis.opendocument.",
)
# Formats whose signature is itself text: the only ones a text file can really be.
_TEXT_FORMATS = frozenset({"message/rfc822", "application/pdf", "image/svg+xml"})
# Control bytes no text file carries (tab, line feed, form feed and carriage return are text).
_NOT_TEXT = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f]")
# Text can carry a picture: as a data URI, or as a pasted run of base64.
_DATA_URI = re.compile(rb"data:((?:image|video)/[a-z0-9.+-]+)", re.IGNORECASE)
_BASE64_RUN = re.compile(rb"[A-Za-z0-9+/]{64,}")
_RUNS_READ = 200  # base64 runs a text is searched for a signature in, at the most
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
MAX_FILENAME = 255


class ContentTypeMismatch(ValidationFailed):
    """The declared media type contradicts what the file's bytes are."""

    code = "CONTENT_TYPE_MISMATCH"

    def __init__(self, declared: str, detected: str | None) -> None:
        found = f"is {detected}" if detected else "is not a recognised file type"
        super().__init__(
            "file", f"the file was declared as {declared or 'no type'} but its content {found}"
        )


class FileTooLarge(ValidationFailed):
    """A file over the size an evidence file may be."""

    code = "FILE_TOO_LARGE"

    def __init__(self) -> None:
        super().__init__(
            "file", f"files over {MAX_EVIDENCE_BYTES // (1024 * 1024)} MB are not accepted"
        )


class EmptyFile(ValidationFailed):
    code = "EMPTY_FILE"

    def __init__(self) -> None:
        super().__init__("file", "the file is empty")


def media_type(content_type: str) -> str:
    """``type/subtype`` of a Content-Type value, lower-case, without parameters."""
    return content_type.split(";")[0].strip().lower()


def family(media: str | None) -> Family | None:
    """The family a media type belongs to, or None for one outside every family."""
    if not media:
        return None
    if media == TEXT:
        return Family.TEXT
    if media == "application/pdf":
        return Family.PDF
    if media == "message/rfc822":
        return Family.EMAIL
    if media in _CONTAINERS or media.startswith(_CONTAINER_PREFIXES):
        return Family.CONTAINER
    kind = media.split("/")[0]
    return {"image": Family.IMAGE, "video": Family.VIDEO, "audio": Family.AUDIO}.get(kind)


def _is_text(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return _NOT_TEXT.search(content) is None


def detect_type(content: bytes) -> str | None:
    """The media type the content's signature shows, most confident first; ``text/plain`` for
    unidentified UTF-8 text; None when the bytes are not recognised.

    Binary formats (images, video, archives) always carry bytes that are not text, so on
    content that is text only a signature of a text-based format (PDF, SVG, e-mail headers)
    counts: a note that happens to begin with "BM" is not a bitmap.
    """
    try:
        matches = puremagic.magic_string(content)
    except puremagic.PureError:
        matches = []
    found = [m.mime_type.lower() for m in matches if m.mime_type]
    if _is_text(content):
        return _carried(content) or next(
            (m for m in found if m in _TEXT_FORMATS or m.startswith("text/")), TEXT
        )
    return found[0] if found else None


def _carried(text: bytes) -> str | None:
    """The type of an image or video that text carries inside it: a ``data:`` URI, or a run of
    base64 whose first bytes are an image's or a video's signature."""
    uri = _DATA_URI.search(text)
    if uri is not None:
        return uri.group(1).decode().lower()
    for number, run in enumerate(_BASE64_RUN.finditer(text)):
        if number == _RUNS_READ:
            break
        try:
            head = base64.b64decode(run.group(0)[:64])
        except binascii.Error:
            continue
        detected = detect_type(head) if not _is_text(head) else None
        if family(detected) in (Family.IMAGE, Family.VIDEO):
            return detected
    return None


@dataclass(frozen=True)
class Received:
    """A file as sent, within the size limits: its declared media type and the one its bytes
    show (:func:`detect_type`), for the record's own rules and then :func:`verified_type`."""

    declared: str
    detected: str | None
    content: bytes


def received(content_type: str, content: bytes) -> Received:
    """``content`` sent as ``content_type``: refused when empty or over
    :data:`MAX_EVIDENCE_BYTES`, its type read from its bytes otherwise."""
    if not content:
        raise EmptyFile()
    if len(content) > MAX_EVIDENCE_BYTES:
        raise FileTooLarge()
    return Received(media_type(content_type), detect_type(content), content)


def verified_type(declared: str, detected: str | None) -> str:
    """The media type to store for a file declared as ``declared`` whose bytes show
    ``detected`` (:func:`detect_type`); or a ValidationFailed naming the ``file`` field."""
    claimed = media_type(declared)
    if claimed not in EVIDENCE_TYPES:
        raise ValidationFailed("file", f"files of type {claimed or 'unknown'} are not accepted")
    if detected is None or family(detected) != family(claimed):
        raise ContentTypeMismatch(claimed, detected)
    if detected not in EVIDENCE_TYPES:
        raise ValidationFailed("file", f"files of type {detected} are not accepted")
    return detected


@dataclass(frozen=True)
class Evidence:
    """What was stored: the file's id, its SHA-256 (hex) and its size."""

    file_id: UUID
    sha256: str
    size: int


@dataclass(frozen=True)
class SealedEvidence:
    """A checked file sealed with its record's key: the event's fields (:meth:`fields`), the
    sealed bytes the blob store keeps (:meth:`blobs`), and what the caller is told."""

    file_id: UUID
    owner_id: UUID
    filename: Sealed
    content_type: str
    size: int
    sha256: Sealed
    note: Sealed | None
    blob: Sealed
    digest: str

    def fields(self) -> dict[str, Any]:
        """The ``EvidenceAttached`` event's fields (an incident's or an allegation's)."""
        return {
            "file_id": self.file_id,
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
            "note": self.note,
        }

    def blobs(self) -> dict[UUID, tuple[UUID, bytes]]:
        """For ``record(..., blobs=...)``: written in the event's transaction."""
        return {self.file_id: (self.owner_id, self.blob.to_bytes())}

    @property
    def evidence(self) -> Evidence:
        return Evidence(self.file_id, self.digest, self.size)


class SentFile(Protocol):
    """What a command that attaches a file carries (``AttachEvidence``,
    ``AttachAllegationEvidence``)."""

    @property
    def filename(self) -> str: ...
    @property
    def content_type(self) -> str: ...
    @property
    def content(self) -> bytes: ...
    @property
    def note(self) -> str | None: ...


def sealed_evidence(
    seal: SealingSession,
    owner_id: UUID,
    sent: SentFile,
    verify: Callable[[str, str | None], str] = verified_type,
) -> SealedEvidence:
    """The file ``sent`` checked (:func:`received`, then ``verify``: :func:`verified_type`,
    or a record's stricter rule) and sealed with ``owner_id``'s data key: its name (required),
    its note (optional free text), its SHA-256, recorded now, and its bytes."""
    file = received(sent.content_type, sent.content)
    media = verify(file.declared, file.detected)
    name = required_text("filename", sent.filename, MAX_FILENAME)
    text = optional_text("note", sent.note, MAX_TEXT)
    digest = hashlib.sha256(file.content).hexdigest()
    return SealedEvidence(
        file_id=uuid4(),
        owner_id=owner_id,
        filename=seal.seal(owner_id, name),
        content_type=media,
        size=len(file.content),
        sha256=seal.seal(owner_id, digest),
        note=seal.seal(owner_id, text) if text else None,
        blob=seal.seal_bytes(owner_id, file.content),
        digest=digest,
    )

"""What an evidence file is, judged by its bytes, and the rule for which files an incident keeps.

The client's declared media type is a claim; the bytes are the evidence. :func:`detect_type`
reads the content's magic numbers (``puremagic``, a pure-Python signature table) and
:func:`verified_type` is the rule, a pure function of the declared type, the detected type and
the incident's category:

- on every incident a declared type must agree with the content's family (image, video, audio,
  PDF, zip-based office files and archives, e-mail, text), and must be one the service accepts;
- on a nudes or semi-nudes incident (UKCIS 2024) every image and video is refused, and so is
  every container that can carry them — PDF, office documents, archives and e-mail — whatever
  the client declares;
- content that no signature identifies is accepted only as ``text/plain``, and only when it is
  UTF-8 text with no NUL or other control bytes; anything else unidentified is refused;
- text that carries an image or video inside it (a ``data:`` URI, or pasted base64 whose bytes
  begin with an image's or video's signature) is judged as that image or video.
"""

from __future__ import annotations

import base64
import binascii
import re
from enum import StrEnum

import puremagic

from domain.incidents.model import Category
from domain.shared.errors import ValidationFailed

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


NEVER_ON_NUDES_INCIDENTS = frozenset(
    {Family.IMAGE, Family.VIDEO, Family.PDF, Family.CONTAINER, Family.EMAIL}
)

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


class ImageryRefused(ValidationFailed):
    """UKCIS (2024): staff never view, copy, share or store nudes or semi-nudes."""

    code = "IMAGERY_REFUSED"

    def __init__(self) -> None:
        super().__init__(
            "file",
            "images, videos and files that can carry them (PDF, office documents, archives, "
            "e-mail) are never stored on a nudes or semi-nudes incident; record who saw the "
            "imagery, when and why as an action instead (UKCIS guidance)",
        )


class ContentTypeMismatch(ValidationFailed):
    """The declared media type contradicts what the file's bytes are."""

    code = "CONTENT_TYPE_MISMATCH"

    def __init__(self, declared: str, detected: str | None) -> None:
        found = f"is {detected}" if detected else "is not a recognised file type"
        super().__init__(
            "file", f"the file was declared as {declared or 'no type'} but its content {found}"
        )


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


def verified_type(declared: str, detected: str | None, category: str) -> str:
    """The media type to store for a file declared as ``declared`` whose bytes show
    ``detected`` (:func:`detect_type`), on an incident of ``category``; or a ValidationFailed
    naming the ``file`` field."""
    claimed = media_type(declared)
    if category == Category.NUDES_SHARING and (
        family(claimed) in NEVER_ON_NUDES_INCIDENTS or family(detected) in NEVER_ON_NUDES_INCIDENTS
    ):
        raise ImageryRefused()
    if claimed not in EVIDENCE_TYPES:
        raise ValidationFailed("file", f"files of type {claimed or 'unknown'} are not accepted")
    if detected is None or family(detected) != family(claimed):
        raise ContentTypeMismatch(claimed, detected)
    if detected not in EVIDENCE_TYPES:
        raise ValidationFailed("file", f"files of type {detected} are not accepted")
    return detected

"""Write the LADO bundle: one BagIt bag (RFC 8493), zipped, its tag manifest signed (Ed25519).

The zip holds one top-level directory named after the bag (RFC 8493 §4.2: a serialised bag unpacks
to the bag's own directory)::

    <name>/bagit.txt                  BagIt-Version 1.0, UTF-8 tag files
    <name>/data/...                   the payload, added one file at a time
    <name>/bag-info.txt               who bagged what, when; Payload-Oxum computed
    <name>/manifest-sha256.txt        every payload file, both algorithms
    <name>/manifest-sha512.txt
    <name>/tagmanifest-sha256.txt     the four tag files above
    <name>/tagmanifest-sha256.txt.sig the Ed25519 signature over the tag manifest (64 raw bytes)

BagIt defines no signature; signing the tag manifest pins every file, since it holds the digests of
the payload manifests, which hold the digests of the payload. The signature file is a tag file the
tag manifest does not list (RFC 8493 §2.2.1 lets a tag file go unlisted), and cannot: it signs it.
Anyone can check it with their own tools, e.g. ``openssl pkeyutl -verify -rawin`` over
``tagmanifest-sha256.txt`` with the trust's public key. ``docs/lado-bundle.bagit-profile.json`` is
the bundle's BagIt profile.

Files are streamed: a payload file comes as an iterator of byte chunks, hashed (SHA-256 and
SHA-512) and compressed as it is written, never held whole. The same inputs give the same bytes:
every entry has the same timestamp and permissions, manifests are sorted, and the zip's order is
the order of addition. (Deflate's output also depends on the zlib build, and a zip streamed to an
output that cannot seek carries data descriptors a seekable one does not: one build writing to one
kind of output gives one result.)

Names are refused unless safe on every system a recipient may unpack on: relative, ``/``-separated,
no ``.``/``..``/empty segment, NFC-normalised UTF-8, no control character, backslash, percent sign
(RFC 8493 §2.1.3 would have it percent-encoded, which validators do not all decode) or character
Windows forbids, and no two names that differ only in case.
"""

from __future__ import annotations

import hashlib
import stat
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import BinaryIO

BAGIT_VERSION = "1.0"
BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
PROFILE_IDENTIFIER = "urn:safeguarding-casework:bagit-profile:lado-bundle:1.0"
ALGORITHMS = ("sha256", "sha512")
TAG_MANIFEST = "tagmanifest-sha256.txt"
SIGNATURE_FILE = TAG_MANIFEST + ".sig"
SIGNATURE_SIZE = 64  # Ed25519 (RFC 8032)
PAYLOAD_DIR = "data"
# The DOS epoch is the earliest time a zip entry can carry: nothing about when the bag was made
# leaks into its bytes (bag-info.txt says when, as its Bagging-Date).
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
FILE_MODE = stat.S_IFREG | 0o644
UNIX = 3  # the zip "version made by" system; fixed, so a Windows build writes the same bytes
MAX_SEGMENT_BYTES = 255
MAX_PATH_BYTES = 1024
_FORBIDDEN = frozenset('/\\%<>:"|?*')
_WINDOWS_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"{d}{n}" for d in ("COM", "LPT") for n in range(1, 10)]
)


class BagRefused(ValueError):
    """The bag cannot be written as asked; ``reason`` says why (never echoing the value)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnsafeName(BagRefused):
    """A file or bag name that is not safe to unpack anywhere; ``name`` is the refused name."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"unsafe name: {reason}")
        self.name = name


class DuplicateName(UnsafeName):
    """A payload name already in the bag (or differing from one only in case)."""


class BadTagValue(BagRefused):
    """A bag-info.txt value that cannot be written: ``label`` names the tag."""

    def __init__(self, label: str, reason: str) -> None:
        super().__init__(f"{label}: {reason}")
        self.label = label


def segment_problem(segment: str) -> str | None:
    """Why one path segment is unsafe, or None. Shared with the checker (``verify_bag``)."""
    if segment in ("", ".", ".."):
        return "an empty, '.' or '..' path segment"
    try:
        encoded = segment.encode("utf-8")
    except UnicodeEncodeError:
        return "not valid UTF-8"
    if unicodedata.normalize("NFC", segment) != segment:
        return "not NFC-normalised"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in segment):
        return "a control character"
    if any(c in _FORBIDDEN for c in segment):
        return "a slash, backslash, percent sign or character Windows forbids"
    if segment != segment.strip() or segment.endswith("."):
        return "leading or trailing space, or a trailing dot"
    if segment.split(".")[0].upper() in _WINDOWS_DEVICES:
        return "a Windows device name"
    if len(encoded) > MAX_SEGMENT_BYTES:
        return f"a segment longer than {MAX_SEGMENT_BYTES} bytes"
    return None


def path_problem(path: str) -> str | None:
    """Why a relative ``/``-separated path is unsafe, or None."""
    if not isinstance(path, str) or not path:
        return "empty"
    if len(path.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
        return f"longer than {MAX_PATH_BYTES} bytes"
    if path.startswith(("/", "~")):
        return "absolute or home-relative"
    for segment in path.split("/"):
        problem = segment_problem(segment)
        if problem is not None:
            return problem
    return None


def _check_path(path: str) -> None:
    problem = path_problem(path)
    if problem is not None:
        raise UnsafeName(path, problem)


@dataclass(frozen=True)
class BagInfo:
    """The bag-info.txt tags a caller chooses; Payload-Oxum is computed and the profile is ours.

    ``extra`` adds further tags (e.g. ``("External-Description", "...")``) after the fixed ones,
    in the order given.
    """

    source_organisation: str
    bagging_date: date
    external_identifier: str  # the case reference
    software_agent: str  # the software and its version, e.g. "safeguarding-casework 0.1.0"
    extra: tuple[tuple[str, str], ...] = ()

    def tags(self) -> list[tuple[str, str]]:
        return [
            ("BagIt-Profile-Identifier", PROFILE_IDENTIFIER),
            ("Source-Organization", self.source_organisation),
            ("External-Identifier", self.external_identifier),
            ("Bagging-Date", self.bagging_date.isoformat()),
            ("Bag-Software-Agent", self.software_agent),
            *self.extra,
        ]


# The bag-info tags the writer always writes, and the checker and the profile require.
INFO_TAGS = (
    "BagIt-Profile-Identifier",
    "Source-Organization",
    "External-Identifier",
    "Bagging-Date",
    "Bag-Software-Agent",
    "Payload-Oxum",
)
_WRITTEN_TAGS = frozenset(INFO_TAGS)


def _tag_line(label: str, value: str) -> str:
    if not label or any(c in label for c in ":\r\n") or label != label.strip():
        raise BadTagValue(label or "(empty label)", "a label is one word-like line without ':'")
    if not isinstance(value, str) or not value.strip():
        raise BadTagValue(label, "the value is empty")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value) or value != value.strip():
        raise BadTagValue(label, "the value is one line without control characters or padding")
    return f"{label}: {value}\n"


@dataclass(frozen=True)
class PayloadFile:
    """One payload file as written: its path in the bag (``data/...``), size and digests."""

    path: str
    size: int
    digests: dict[str, str] = field(compare=False)


@dataclass(frozen=True)
class WrittenBag:
    """What was written: the payload, Payload-Oxum, the signed tag manifest and its signature."""

    name: str
    files: tuple[PayloadFile, ...]
    payload_oxum: str
    tag_manifest: bytes
    signature: bytes


def _manifest(entries: Iterable[tuple[str, str]]) -> bytes:
    """``<hex digest> <path>`` lines sorted by path (RFC 8493 §2.1.3)."""
    return "".join(f"{digest}  {path}\n" for path, digest in sorted(entries)).encode("utf-8")


class BagWriter:
    """Streams one bag into a zip written to ``out``: :meth:`add` each payload file, then
    :meth:`finish`. ``sign`` makes the detached Ed25519 signature of the tag manifest (the key
    stays with the caller)."""

    def __init__(
        self, out: BinaryIO, name: str, info: BagInfo, sign: Callable[[bytes], bytes]
    ) -> None:
        problem = segment_problem(name) if isinstance(name, str) else "not a string"
        if problem is not None:
            raise UnsafeName(name, f"the bag's name: {problem}")
        for label, _ in info.extra:
            if label in _WRITTEN_TAGS:
                raise BadTagValue(label, "is written by the bag itself")
        for label, value in info.tags():
            _tag_line(label, value)
        self.name = name
        self._info = info
        self._sign = sign
        self._files: list[PayloadFile] = []
        self._files_taken: set[str] = set()  # casefolded, as are the directories
        self._dirs_taken: set[str] = set()
        self._state = "open"
        self._zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True)
        self._write_tag("bagit.txt", BAGIT_TXT)

    def _entry(self, path: str) -> zipfile.ZipInfo:
        entry = zipfile.ZipInfo(f"{self.name}/{path}", date_time=ZIP_TIMESTAMP)
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry.create_system = UNIX
        entry.external_attr = FILE_MODE << 16
        return entry

    def _write_tag(self, path: str, data: bytes) -> None:
        self._zip.writestr(self._entry(path), data)

    def _claim(self, path: str) -> None:
        """Refuse a name already taken, as a file or as a directory, ignoring case."""
        folded = path.casefold()
        parts = folded.split("/")
        parents = {"/".join(parts[:i]) for i in range(1, len(parts))}
        if folded in self._files_taken or folded in self._dirs_taken:
            raise DuplicateName(path, "the bag already holds this name, or one differing in case")
        if parents & self._files_taken:
            raise DuplicateName(path, "a parent directory of it is a file in the bag")
        self._files_taken.add(folded)
        self._dirs_taken.update(parents)

    def add(self, path: str, chunks: Iterable[bytes]) -> PayloadFile:
        """Stream one payload file to ``data/<path>``, hashing as it goes."""
        if self._state != "open":
            raise BagRefused("the bag is finished or broken; no file can be added")
        _check_path(path)
        self._claim(path)
        bag_path = f"{PAYLOAD_DIR}/{path}"
        hashes = {algorithm: hashlib.new(algorithm) for algorithm in ALGORITHMS}
        size = 0
        self._state = "writing"
        with self._zip.open(self._entry(bag_path), "w", force_zip64=True) as member:
            for chunk in chunks:
                for h in hashes.values():
                    h.update(chunk)
                member.write(chunk)
                size += len(chunk)
        self._state = "open"
        written = PayloadFile(bag_path, size, {a: h.hexdigest() for a, h in hashes.items()})
        self._files.append(written)
        return written

    def __enter__(self) -> BagWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the zip; a bag not finished is left without its signature, so no checker
        accepts it."""
        if self._state != "finished":
            self._state = "broken"
            self._zip.close()

    def finish(self) -> WrittenBag:
        """Write bag-info.txt, the manifests, the tag manifest and its signature; close the zip."""
        if self._state != "open":
            raise BagRefused("the bag is finished or broken")
        self._state = "broken"  # until it is finished
        oxum = f"{sum(f.size for f in self._files)}.{len(self._files)}"
        lines = [_tag_line(label, value) for label, value in self._info.tags()]
        lines.insert(5, _tag_line("Payload-Oxum", oxum))
        tag_files = {
            "bag-info.txt": "".join(lines).encode("utf-8"),
            **{
                f"manifest-{a}.txt": _manifest((f.path, f.digests[a]) for f in self._files)
                for a in ALGORITHMS
            },
        }
        for path, data in tag_files.items():
            self._write_tag(path, data)
        tag_files["bagit.txt"] = BAGIT_TXT
        tag_manifest = _manifest(
            (path, hashlib.sha256(data).hexdigest()) for path, data in tag_files.items()
        )
        self._write_tag(TAG_MANIFEST, tag_manifest)
        signature = self._sign(tag_manifest)
        if not isinstance(signature, bytes) or len(signature) != SIGNATURE_SIZE:
            raise BagRefused("the signer did not return a 64-byte Ed25519 signature")
        self._write_tag(SIGNATURE_FILE, signature)
        self._zip.close()
        self._state = "finished"
        return WrittenBag(self.name, tuple(self._files), oxum, tag_manifest, signature)


def write_bag(
    out: BinaryIO,
    name: str,
    info: BagInfo,
    payload: Iterable[tuple[str, Iterable[bytes]]],
    sign: Callable[[bytes], bytes],
) -> WrittenBag:
    """The whole bag at once: each ``(path under data/, chunks)`` in order, then finished."""
    with BagWriter(out, name, info, sign) as writer:
        for path, chunks in payload:
            writer.add(path, chunks)
        return writer.finish()

"""The offline bundle checker: is this zip the bag the trust signed, every byte as it was?

Written, like ``domain/ledger/verify_proof.py``, for a third party who wants to repeat the check
with their own tools: it needs no database, no service and no settings, only the zip and the
trust's Ed25519 public key (the raw 32 bytes, or their base64). It reads the zip's members as
streams, in fixed-size chunks, and never unpacks anything to disk, so memory stays bounded and
no name in the zip can reach outside it.

Unlike the proof verifier it does not stop at the first failure: it reports every problem it
finds, each naming the file (its path inside the bag, or the zip entry) and the kind
(:class:`Kind`). Later checks (the chronology PDF, the ledger proofs) add their findings to the
same :class:`BagReport`.

The checks, in order (``docs/lado-bundle.bagit-profile.json`` states the same rules):

1. The zip's central directory is small enough to read (``MAX_ENTRIES``, ``MAX_DIRECTORY``),
   and the zip opens; no entry is encrypted, a link, compressed other than stored or deflated, or
   claims more than deflate can give (a ratio past ``MAX_RATIO``: a zip bomb); there are at most
   ``MAX_ENTRIES`` entries and ``max_bytes`` in all; no name is absolute, climbs out (``..``),
   uses a backslash, is not NFC, or repeats another (ignoring case); all sit in one top-level
   directory, the bag (RFC 8493 §4.2).
2. ``bagit.txt`` says BagIt 1.0 with UTF-8 tag files (RFC 8493 §2.1.1).
3. ``bag-info.txt`` parses (§2.2.2) and has the profile's tags, once each; Payload-Oxum matches
   the payload's bytes and file count (§2.2.2).
4. ``manifest-sha256.txt`` and ``manifest-sha512.txt`` (and no other) list every payload file
   under ``data/``, and each digest matches (§2.1.3, §3): a file not listed is *added*, one
   listed but absent *missing*, one whose digest differs *altered*.
5. ``tagmanifest-sha256.txt`` lists every tag file but itself and the signature, each digest
   matching (§2.2.1); any other tag file is *added* (the signature would not cover it).
6. ``tagmanifest-sha256.txt.sig`` is an Ed25519 signature (RFC 8032) of the tag manifest's bytes
   by the trust's key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import stat
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from os import PathLike
from typing import BinaryIO

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from domain.lado.bag import (
    ALGORITHMS,
    INFO_TAGS,
    PAYLOAD_DIR,
    PROFILE_IDENTIFIER,
    SIGNATURE_FILE,
    SIGNATURE_SIZE,
    TAG_MANIFEST,
    path_problem,
)

CHUNK = 1 << 20
MAX_ENTRIES = 100_000
MAX_DIRECTORY = 64 << 20  # zipfile holds the central directory whole
MAX_BYTES = 1 << 40  # 1 TiB uncompressed in all, by default
MAX_TAG_FILE = 1 << 20  # bagit.txt, bag-info.txt
MAX_MANIFEST_LINE = 4096
# Deflate cannot expand data more than about 1032 times; a member claiming more is forged.
MAX_RATIO = 1100
REQUIRED_INFO = INFO_TAGS
PAYLOAD_MANIFESTS = tuple(f"manifest-{a}.txt" for a in ALGORITHMS)
SIGNED_TAG_FILES = ("bagit.txt", "bag-info.txt", *PAYLOAD_MANIFESTS)
_HEX_LENGTH = {"sha256": 64, "sha512": 128}
_MANIFEST_LINE = re.compile(r"([0-9A-Fa-f]+)[ \t]+(.+)")
_OXUM = re.compile(r"(\d+)\.(\d+)")
_LINE_END = re.compile(r"\r\n|\r|\n")  # RFC 8493 §2.1: CR, LF or CRLF


class Kind(StrEnum):
    ALTERED = "altered"
    MISSING = "missing"
    ADDED = "added"
    BAD_SIGNATURE = "bad signature"
    MALFORMED = "malformed"
    BAD_PROOF = "bad proof"  # a ledger proof or disclosure that does not verify
    MISMATCH = "mismatch"  # two files of the bundle that do not agree


@dataclass(frozen=True)
class Finding:
    """One problem: its kind, the file it is in (path inside the bag, or the zip entry), why."""

    kind: Kind
    file: str
    detail: str

    def line(self) -> str:
        return f"{self.kind}: {self.file}: {self.detail}"


@dataclass
class BagReport:
    """Everything the checks found; intact when there are no findings."""

    bag: str | None = None
    payload_files: int = 0
    payload_bytes: int = 0
    signature_verified: bool = False
    findings: list[Finding] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # what later checks verified, for a person

    @property
    def intact(self) -> bool:
        return not self.findings

    def add(self, kind: Kind, file: str, detail: str) -> None:
        self.findings.append(Finding(kind, file, detail))

    def lines(self) -> list[str]:
        if self.intact:
            return [
                f"bag: {self.bag}",
                f"payload: {self.payload_files} files, {self.payload_bytes} bytes, "
                "every manifest matches",
                "tag manifest signed by the trust key",
                *self.checked,
            ]
        return [finding.line() for finding in self.findings]


class TrustKeyMalformed(ValueError):
    """The trust key given is not an Ed25519 public key (32 bytes, or their base64)."""


def read_trust_key(key: bytes | str) -> Ed25519PublicKey:
    """The trust's public key from its raw 32 bytes or their base64 (standard or URL-safe)."""
    raw: bytes
    if isinstance(key, bytes) and len(key) == 32:
        raw = key
    else:
        text = key.decode("ascii", "replace") if isinstance(key, bytes) else key
        text = text.strip()
        text += "=" * (-len(text) % 4)
        try:
            raw = base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            raise TrustKeyMalformed("the trust key is not base64") from None
    if len(raw) != 32:
        raise TrustKeyMalformed("the trust key is not 32 bytes (an Ed25519 public key)")
    return Ed25519PublicKey.from_public_bytes(raw)


@dataclass(frozen=True)
class _Bag:
    zip: zipfile.ZipFile
    top: str
    members: dict[str, zipfile.ZipInfo]  # path inside the bag -> its entry


def _chunks(bag: _Bag, path: str) -> Iterator[bytes]:
    with bag.zip.open(bag.members[path]) as stream:
        while chunk := stream.read(CHUNK):
            yield chunk


def _entries(archive: zipfile.ZipFile, report: BagReport, max_bytes: int) -> _Bag | None:
    """Step 1: the entries safe to read, by their path in the bag (each other one is reported,
    and never read: there is no harm in checking the rest); None if they make no one bag."""
    entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        report.add(Kind.MALFORMED, "(zip)", f"more than {MAX_ENTRIES} entries")
        return None
    total = 0
    seen: set[str] = set()
    tops: set[str] = set()
    members: dict[str, zipfile.ZipInfo] = {}
    for entry in entries:
        name = entry.filename
        is_dir = name.endswith("/")
        problem = path_problem(name[:-1] if is_dir else name)
        if problem is not None:
            report.add(Kind.MALFORMED, name, f"unsafe name: {problem}")
            continue
        folded = unicodedata.normalize("NFC", name).casefold()
        if folded in seen:
            report.add(Kind.MALFORMED, name, "a second entry of this name (ignoring case)")
            continue
        seen.add(folded)
        tops.add(name.split("/", 1)[0])
        if is_dir:
            continue
        mode = entry.external_attr >> 16
        if stat.S_IFMT(mode) not in (0, stat.S_IFREG):  # many zips give permissions only
            report.add(Kind.MALFORMED, name, "not a regular file (a link or device)")
        elif entry.flag_bits & 0x1:
            report.add(Kind.MALFORMED, name, "encrypted")
        elif entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            report.add(Kind.MALFORMED, name, "compressed other than stored or deflated")
        elif entry.file_size > max(entry.compress_size, 1) * MAX_RATIO or (
            entry.compress_type == zipfile.ZIP_STORED and entry.file_size != entry.compress_size
        ):
            report.add(Kind.MALFORMED, name, "claims more bytes than its compressed data can hold")
        else:
            total += entry.file_size
            if "/" in name:
                members[name.split("/", 1)[1]] = entry
    if total > max_bytes:
        report.add(Kind.MALFORMED, "(zip)", f"more than {max_bytes} bytes uncompressed")
        return None
    if len(tops) != 1 or any("/" not in name for name in seen):
        report.add(Kind.MALFORMED, "(zip)", "not one top-level directory holding the bag")
        return None
    report.bag = tops.pop()
    return _Bag(archive, report.bag, members)


def _read_small(bag: _Bag, path: str, report: BagReport) -> bytes | None:
    if path not in bag.members:
        report.add(Kind.MISSING, path, "a bag must have it")
        return None
    if bag.members[path].file_size > MAX_TAG_FILE:
        report.add(Kind.MALFORMED, path, f"larger than {MAX_TAG_FILE} bytes")
        return None
    return b"".join(_chunks(bag, path))


def _tags(data: bytes, path: str, report: BagReport) -> list[tuple[str, str]] | None:
    """A tag file's ``Label: value`` lines, a line starting with whitespace continuing the last."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        report.add(Kind.MALFORMED, path, "not UTF-8")
        return None
    if text.startswith("\ufeff"):
        report.add(Kind.MALFORMED, path, "starts with a byte-order mark")
        return None
    tags: list[tuple[str, str]] = []
    lines = _LINE_END.split(text)
    if lines[-1] == "":
        lines.pop()  # the last line's end
    for number, line in enumerate(lines, 1):
        if line[:1] in (" ", "\t") and tags:
            label, value = tags[-1]
            tags[-1] = (label, f"{value} {line.strip()}")
            continue
        label, colon, value = line.partition(":")
        if not colon or not label or label != label.strip():
            report.add(Kind.MALFORMED, path, f"line {number} is not 'Label: value'")
            return None
        tags.append((label, value.strip()))
    return tags


def _check_bagit_txt(bag: _Bag, report: BagReport) -> None:
    """Step 2."""
    data = _read_small(bag, "bagit.txt", report)
    if data is None:
        return
    tags = _tags(data, "bagit.txt", report)
    if tags is not None and tags != [
        ("BagIt-Version", "1.0"),
        ("Tag-File-Character-Encoding", "UTF-8"),
    ]:
        report.add(Kind.MALFORMED, "bagit.txt", "not BagIt-Version 1.0 with UTF-8 tag files")


def _check_bag_info(bag: _Bag, report: BagReport) -> tuple[int, int] | None:
    """Step 3 (the Oxum is compared once the payload is read); the Oxum's (bytes, files)."""
    data = _read_small(bag, "bag-info.txt", report)
    tags = _tags(data, "bag-info.txt", report) if data is not None else None
    if tags is None:
        return None
    values: dict[str, list[str]] = {}
    for label, value in tags:
        values.setdefault(label, []).append(value)
    for label in REQUIRED_INFO:
        found = values.get(label, [])
        if len(found) != 1:
            many = "more than once" if found else "not at all"
            report.add(Kind.MALFORMED, "bag-info.txt", f"{label} appears {many}")
    if values.get("BagIt-Profile-Identifier", [PROFILE_IDENTIFIER]) != [PROFILE_IDENTIFIER]:
        report.add(Kind.MALFORMED, "bag-info.txt", "names another BagIt profile")
    for when in values.get("Bagging-Date", [])[:1]:
        try:
            date.fromisoformat(when)
        except ValueError:
            report.add(Kind.MALFORMED, "bag-info.txt", "Bagging-Date is not YYYY-MM-DD")
    oxum = values.get("Payload-Oxum", [])
    matched = _OXUM.fullmatch(oxum[0]) if len(oxum) == 1 else None
    if len(oxum) == 1 and matched is None:
        report.add(Kind.MALFORMED, "bag-info.txt", "Payload-Oxum is not <bytes>.<files>")
    return (int(matched[1]), int(matched[2])) if matched else None


def _read_manifest(
    bag: _Bag, path: str, algorithm: str, report: BagReport, payload: bool
) -> dict[str, str] | None:
    """A manifest's ``{file: digest}``, line by line (never the whole file at once)."""
    if path not in bag.members:
        report.add(Kind.MISSING, path, "a required manifest")
        return None
    listed: dict[str, str] = {}
    with bag.zip.open(bag.members[path]) as stream:
        number = 0
        while raw := stream.readline(MAX_MANIFEST_LINE + 1):
            number += 1
            if len(raw) > MAX_MANIFEST_LINE or number > MAX_ENTRIES:
                report.add(
                    Kind.MALFORMED, path, f"a line or the line count is too long (line {number})"
                )
                return None
            try:
                line = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                report.add(Kind.MALFORMED, path, f"line {number} is not UTF-8")
                return None
            matched = _MANIFEST_LINE.fullmatch(line)
            if matched is None or len(matched[1]) != _HEX_LENGTH[algorithm]:
                report.add(Kind.MALFORMED, path, f"line {number} is not '<{algorithm}> <file>'")
                continue
            name = matched[2].replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")
            inside = name.startswith(f"{PAYLOAD_DIR}/")
            if path_problem(name) is not None or inside != payload:
                where = "a payload file under data/" if payload else "a tag file"
                report.add(Kind.MALFORMED, path, f"line {number} does not name {where}")
                continue
            if name in listed:
                report.add(Kind.MALFORMED, path, f"line {number} lists a file a second time")
                continue
            listed[name] = matched[1].lower()
    return listed


def _hash(
    bag: _Bag, path: str, algorithms: tuple[str, ...], report: BagReport
) -> dict[str, str] | None:
    """Each algorithm's digest of a member, read once; None when its bytes fail the zip's CRC."""
    hashes = {a: hashlib.new(a) for a in algorithms}
    try:
        for chunk in _chunks(bag, path):
            for h in hashes.values():
                h.update(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as error:
        report.add(
            Kind.ALTERED, path, f"its bytes in the zip are damaged ({error.__class__.__name__})"
        )
        return None
    return {a: h.hexdigest() for a, h in hashes.items()}


def _compare(
    report: BagReport,
    manifests: dict[str, dict[str, str]],
    digests: dict[str, dict[str, str] | None],
) -> None:
    """Each file against each manifest; one finding per file and kind, naming the manifests."""
    names = sorted(set(digests) | {name for listed in manifests.values() for name in listed})
    for name in names:
        by_kind: dict[Kind, list[str]] = {}
        for manifest, listed in manifests.items():
            if name not in digests:
                kind = Kind.MISSING if name in listed else None
            elif name not in listed:
                kind = Kind.ADDED
            else:
                actual = digests[name]
                algorithm = manifest.split("-", 1)[1].removesuffix(".txt")
                kind = (
                    Kind.ALTERED
                    if actual is not None and actual[algorithm] != listed[name]
                    else None
                )
            if kind is not None:
                by_kind.setdefault(kind, []).append(manifest)
        for kind, where in by_kind.items():
            which, either = " and ".join(where), " or ".join(where)
            detail = {
                Kind.MISSING: f"listed in {which} but not in the bag",
                Kind.ADDED: f"in the bag but not listed in {either}",
                Kind.ALTERED: f"its digest differs from {which}",
            }[kind]
            report.add(kind, name, detail)


def _check_payload(bag: _Bag, report: BagReport, oxum: tuple[int, int] | None) -> None:
    """Steps 3 (Payload-Oxum) and 4."""
    manifests = {}
    for algorithm, path in zip(ALGORITHMS, PAYLOAD_MANIFESTS, strict=True):
        listed = _read_manifest(bag, path, algorithm, report, payload=True)
        if listed is not None:
            manifests[path] = listed
    payload = sorted(p for p in bag.members if p.startswith(f"{PAYLOAD_DIR}/"))
    digests = {path: _hash(bag, path, ALGORITHMS, report) for path in payload}
    report.payload_files = len(payload)
    report.payload_bytes = sum(bag.members[p].file_size for p in payload)
    if oxum is not None and oxum != (report.payload_bytes, report.payload_files):
        report.add(
            Kind.ALTERED,
            PAYLOAD_DIR,
            f"holds {report.payload_files} files of {report.payload_bytes} bytes; "
            f"Payload-Oxum says {oxum[1]} of {oxum[0]}",
        )
    _compare(report, manifests, digests)


def _check_tag_manifest(bag: _Bag, report: BagReport) -> bytes | None:
    """Step 5; the tag manifest's bytes, for the signature."""
    listed = _read_manifest(bag, TAG_MANIFEST, "sha256", report, payload=False)
    if listed is None:
        return None
    tag_files = sorted(p for p in bag.members if not p.startswith(f"{PAYLOAD_DIR}/"))
    for path in tag_files:
        if path in (TAG_MANIFEST, SIGNATURE_FILE) or path in listed:
            continue
        if path in SIGNED_TAG_FILES:
            report.add(Kind.MALFORMED, TAG_MANIFEST, f"does not list {path}")
        else:
            report.add(Kind.ADDED, path, f"a tag file not listed in {TAG_MANIFEST}")
    digests = {p: _hash(bag, p, ("sha256",), report) for p in tag_files if p in listed}
    _compare(report, {TAG_MANIFEST: listed}, digests)
    return _read_small(bag, TAG_MANIFEST, report)


def _check_signature(
    bag: _Bag, report: BagReport, tag_manifest: bytes, key: Ed25519PublicKey
) -> None:
    """Step 6."""
    signature = _read_small(bag, SIGNATURE_FILE, report)
    if signature is None:
        return
    if len(signature) != SIGNATURE_SIZE:
        report.add(Kind.MALFORMED, SIGNATURE_FILE, "not a 64-byte Ed25519 signature")
        return
    try:
        key.verify(signature, tag_manifest)
    except InvalidSignature:
        report.add(
            Kind.BAD_SIGNATURE, SIGNATURE_FILE, f"not the trust key's signature of {TAG_MANIFEST}"
        )
        return
    report.signature_verified = True


def _directory_problem(stream: BinaryIO) -> str | None:
    """Why the zip's central directory is too large to read, from its end record (PKWARE's
    APPNOTE 4.3.14-4.3.16), before :mod:`zipfile` reads the whole directory into memory. None
    when it is small enough, or when there is no such record (zipfile then says why)."""
    end = stream.seek(0, 2)
    start = max(0, end - (22 + 0xFFFF))  # the record and the longest comment
    stream.seek(start)
    tail = stream.read(end - start)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    *_, entries, size, _offset, _comment = struct.unpack("<4s4H2LH", tail[at : at + 22])
    if (entries == 0xFFFF or size == 0xFFFFFFFF) and at >= 20:
        locator = tail[at - 20 : at]
        if locator[:4] == b"PK\x06\x07":
            (record_at,) = struct.unpack("<Q", locator[8:16])
            stream.seek(record_at)
            record = stream.read(56)
            if len(record) == 56 and record[:4] == b"PK\x06\x06":
                entries, size = struct.unpack("<QQ", record[32:48])
    if entries > MAX_ENTRIES:
        return f"more than {MAX_ENTRIES} entries"
    if size > MAX_DIRECTORY:
        return f"a central directory of more than {MAX_DIRECTORY} bytes"
    return None


def verify_bag(
    source: str | PathLike[str] | BinaryIO, trust_key: bytes | str, max_bytes: int = MAX_BYTES
) -> BagReport:
    """Check a zipped bag offline (the steps in this module's description): every problem found.

    Raises :class:`TrustKeyMalformed` for a key that is not one, and OSError if the file cannot
    be read; the zip itself is never a reason to raise, only to report."""
    key = read_trust_key(trust_key)
    if isinstance(source, (str, PathLike)):
        with open(source, "rb") as stream:
            return _verify(stream, key, max_bytes)
    return _verify(source, key, max_bytes)


def _verify(stream: BinaryIO, key: Ed25519PublicKey, max_bytes: int) -> BagReport:
    report = BagReport()
    problem = _directory_problem(stream)
    if problem is not None:
        report.add(Kind.MALFORMED, "(zip)", problem)
        return report
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as error:
        report.add(Kind.MALFORMED, "(zip)", f"not a readable zip ({error.__class__.__name__})")
        return report
    with archive:
        try:
            bag = _entries(archive, report, max_bytes)
            if bag is None:
                return report
            _check_bagit_txt(bag, report)
            oxum = _check_bag_info(bag, report)
            _check_payload(bag, report, oxum)
            tag_manifest = _check_tag_manifest(bag, report)
            if tag_manifest is not None:
                _check_signature(bag, report, tag_manifest, key)
        except (
            zipfile.BadZipFile,
            EOFError,
            NotImplementedError,
            RuntimeError,
            zlib.error,
        ) as error:
            report.add(
                Kind.MALFORMED, "(zip)", f"an entry cannot be read ({error.__class__.__name__})"
            )
    return report

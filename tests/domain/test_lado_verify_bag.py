"""The offline bundle checker: a bag the writer made is intact; each kind of tampering is named,
file by file, and every problem is reported, not only the first; hostile zips are refused
without unpacking them."""

from __future__ import annotations

import base64
import io
import struct
import zipfile

import pytest

from domain.lado.bag import SIGNATURE_FILE
from domain.lado.verify_bag import Finding, Kind, TrustKeyMalformed, verify_bag
from tests.domain.lado_bags import (
    NAME,
    OTHER_KEY,
    PAYLOAD,
    TRUST_PUBLIC,
    bag_bytes,
    repack,
    unpack,
)

EVIDENCE = "data/evidence/screenshot é.png"


def check(zipped: bytes, key: bytes | str = TRUST_PUBLIC):
    return verify_bag(io.BytesIO(zipped), key)


def kinds(zipped: bytes) -> set[tuple[Kind, str]]:
    return {(f.kind, f.file) for f in check(zipped).findings}


def changed(path: str, data: bytes | None) -> bytes:
    files = unpack(bag_bytes())
    if data is None:
        del files[path]
    else:
        files[path] = data
    return repack(files)


def test_the_writers_bag_is_intact():
    report = check(bag_bytes())
    assert (report.intact, report.findings, report.signature_verified) == (True, [], True)
    assert (report.bag, report.payload_files) == (NAME, len(PAYLOAD))
    assert report.payload_bytes == sum(len(d) for d in PAYLOAD.values())


def test_the_trust_key_may_be_given_in_base64():
    assert check(bag_bytes(), base64.b64encode(TRUST_PUBLIC).decode()).intact


def test_a_key_that_is_not_an_ed25519_public_key_is_refused():
    with pytest.raises(TrustKeyMalformed):
        check(bag_bytes(), base64.b64encode(b"short").decode())


def test_an_altered_payload_byte_is_named_altered():
    original = PAYLOAD["chronology.pdf"]
    assert kinds(changed("data/chronology.pdf", b"%PDF-1.6" + original[8:])) == {
        (Kind.ALTERED, "data/chronology.pdf")
    }


def test_the_altered_file_is_named_against_both_manifests():
    same_size = PAYLOAD["evidence/screenshot é.png"][:-1] + b"\x01"
    (finding,) = check(changed(EVIDENCE, same_size)).findings
    assert finding == Finding(
        Kind.ALTERED,
        EVIDENCE,
        "its digest differs from manifest-sha256.txt and manifest-sha512.txt",
    )


def test_a_removed_payload_file_is_named_missing():
    assert kinds(changed("data/referral.json", None)) == {
        (Kind.MISSING, "data/referral.json"),
        (Kind.ALTERED, "data"),  # Payload-Oxum no longer matches
    }


def test_a_file_added_under_data_is_named_added():
    assert kinds(changed("data/evidence/extra.txt", b"planted")) == {
        (Kind.ADDED, "data/evidence/extra.txt"),
        (Kind.ALTERED, "data"),
    }


def test_an_altered_manifest_line_is_named_in_the_manifest_and_the_payload():
    files = unpack(bag_bytes())
    lines = files["manifest-sha256.txt"].decode().splitlines(keepends=True)
    _, path = lines[0].split("  ", 1)
    lines[0] = f"{'0' * 64}  {path}"
    assert kinds(changed("manifest-sha256.txt", "".join(lines).encode())) == {
        (Kind.ALTERED, "manifest-sha256.txt"),
        (Kind.ALTERED, path.strip()),
    }


def test_edited_bag_info_is_named_altered():
    info = unpack(bag_bytes())["bag-info.txt"].replace(b"Oak Learning", b"Elm Learning")
    assert kinds(changed("bag-info.txt", info)) == {(Kind.ALTERED, "bag-info.txt")}


def test_a_signature_by_another_key_is_named_a_bad_signature():
    assert kinds(bag_bytes(key=OTHER_KEY)) == {(Kind.BAD_SIGNATURE, SIGNATURE_FILE)}


def test_a_bag_rebuilt_with_fresh_manifests_fails_only_its_signature():
    forged = dict(PAYLOAD, **{"referral.json": b'{"allegation": "other"}\n'})
    files = unpack(bag_bytes(payload=forged, key=OTHER_KEY))
    files[SIGNATURE_FILE] = unpack(bag_bytes())[SIGNATURE_FILE]
    assert kinds(repack(files)) == {(Kind.BAD_SIGNATURE, SIGNATURE_FILE)}


def test_a_missing_signature_is_named_missing():
    assert kinds(changed(SIGNATURE_FILE, None)) == {(Kind.MISSING, SIGNATURE_FILE)}


def test_a_tag_file_the_tag_manifest_does_not_list_is_named_added():
    assert kinds(changed("notes.txt", b"unsigned")) == {(Kind.ADDED, "notes.txt")}


def test_a_missing_payload_manifest_is_named_missing():
    assert (Kind.MISSING, "manifest-sha512.txt") in kinds(changed("manifest-sha512.txt", None))


def test_every_problem_is_reported_not_only_the_first():
    files = unpack(bag_bytes())
    files["data/chronology.json"] = b"[1]\n"
    del files["data/referral.json"]
    files["data/planted.txt"] = b"x"
    files["bag-info.txt"] += b"Contact-Name: someone\n"
    assert kinds(repack(files)) == {
        (Kind.ALTERED, "data/chronology.json"),
        (Kind.MISSING, "data/referral.json"),
        (Kind.ADDED, "data/planted.txt"),
        (Kind.ALTERED, "data"),  # Payload-Oxum
        (Kind.ALTERED, "bag-info.txt"),
    }


def test_a_bagit_txt_of_another_version_is_malformed():
    bagit_txt = b"BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n"
    assert (Kind.MALFORMED, "bagit.txt") in kinds(changed("bagit.txt", bagit_txt))


def test_a_bag_info_without_the_case_reference_is_malformed():
    info = b"".join(
        line
        for line in unpack(bag_bytes())["bag-info.txt"].splitlines(keepends=True)
        if not line.startswith(b"External-Identifier")
    )
    assert (Kind.MALFORMED, "bag-info.txt") in kinds(changed("bag-info.txt", info))


def test_a_file_that_is_not_a_zip_is_malformed():
    assert kinds(b"not a zip at all") == {(Kind.MALFORMED, "(zip)")}


@pytest.mark.parametrize(
    "name", [f"{NAME}/../escape.txt", "/etc/cron.d/job", f"{NAME}\\data\\x", "../../escape"]
)
def test_a_name_reaching_outside_the_bag_is_malformed(name):
    zipped = bag_bytes()
    out = io.BytesIO(zipped)
    with zipfile.ZipFile(out, "a") as archive:
        archive.writestr(zipfile.ZipInfo(name), b"x")
    assert (Kind.MALFORMED, name) in kinds(out.getvalue())


def test_two_entries_of_one_name_are_malformed():
    out = io.BytesIO(bag_bytes())
    with pytest.warns(UserWarning), zipfile.ZipFile(out, "a") as archive:
        archive.writestr(f"{NAME}/data/referral.json", b"second")
    assert (Kind.MALFORMED, f"{NAME}/data/referral.json") in kinds(out.getvalue())


def test_entries_outside_one_top_level_directory_are_malformed():
    files = unpack(bag_bytes())
    out = io.BytesIO(repack(files))
    with zipfile.ZipFile(out, "a") as archive:
        archive.writestr("other/readme.txt", b"x")
    assert kinds(out.getvalue()) == {(Kind.MALFORMED, "(zip)")}


def test_an_entry_claiming_more_than_deflate_can_give_is_malformed():
    zipped = bytearray(repack({"data/bomb.bin": b"\0" * 1000}))
    # the central directory's uncompressed size (offset 24 of its header) claims 4 GiB - 1
    header = zipped.index(b"PK\x01\x02")
    zipped[header + 24 : header + 28] = struct.pack("<I", 0xFFFFFFFE)
    assert (Kind.MALFORMED, f"{NAME}/data/bomb.bin") in kinds(bytes(zipped))


def test_damaged_bytes_inside_the_zip_are_named_altered():
    files = unpack(bag_bytes())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for path, data in files.items():
            archive.writestr(f"{NAME}/{path}", data)
    zipped = bytearray(out.getvalue())
    at = zipped.index(PAYLOAD["referral.json"]) + 3
    zipped[at] ^= 0xFF  # the zip's own CRC no longer matches
    assert (Kind.ALTERED, "data/referral.json") in kinds(bytes(zipped))


def test_a_central_directory_too_large_to_hold_is_refused_before_it_is_read():
    zipped = bytearray(bag_bytes())
    end = zipped.rindex(b"PK\x05\x06")
    zipped[end + 12 : end + 16] = struct.pack("<I", 0x7FFFFFFF)  # the directory's size
    (finding,) = check(bytes(zipped)).findings
    assert (finding.kind, finding.file) == (Kind.MALFORMED, "(zip)")
    assert "central directory" in finding.detail


def test_an_unsafe_entry_is_reported_and_the_rest_of_the_bag_still_checked():
    files = unpack(bag_bytes())
    files["data/chronology.json"] = b"[1]"
    out = io.BytesIO(repack(files))
    with zipfile.ZipFile(out, "a") as archive:
        archive.writestr(zipfile.ZipInfo(f"{NAME}/../escape.txt"), b"x")
    assert kinds(out.getvalue()) == {
        (Kind.MALFORMED, f"{NAME}/../escape.txt"),
        (Kind.ALTERED, "data/chronology.json"),
    }

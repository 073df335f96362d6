"""The LADO bundle's bag writer: a BagIt bag (RFC 8493) zipped in one directory, its tag manifest
signed; independent validators (bagit-python, the bagit-profiles validator) accept it; the same
inputs give the same bytes; unsafe names are refused."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import bagit
import bagit_profile
import pytest

from domain.lado.bag import (
    PROFILE_IDENTIFIER,
    SIGNATURE_FILE,
    TAG_MANIFEST,
    BadTagValue,
    BagInfo,
    BagRefused,
    BagWriter,
    DuplicateName,
    UnsafeName,
)
from tests.domain.lado_bags import (
    INFO,
    NAME,
    OTHER_KEY,
    PAYLOAD,
    TRUST_KEY,
    bag_bytes,
    extract,
    unpack,
)

PROFILE = Path(__file__).parents[2] / "docs" / "lado-bundle.bagit-profile.json"


def test_bagit_python_validates_the_unzipped_bag(tmp_path):
    bag = bagit.Bag(str(extract(bag_bytes(), tmp_path)))
    bag.validate()  # raises BagValidationError naming what is wrong
    assert sorted(bag.payload_entries()) == sorted(f"data/{p}" for p in PAYLOAD)
    assert set(bag.algorithms) == {"sha256", "sha512"}


def test_the_bag_conforms_to_its_published_bagit_profile(tmp_path):
    zipped = tmp_path / f"{NAME}.zip"
    zipped.write_bytes(bag_bytes())
    profile = bagit_profile.Profile(
        PROFILE_IDENTIFIER, profile=json.loads(PROFILE.read_text(encoding="utf-8"))
    )
    assert profile.validate_serialization(str(zipped))
    assert profile.validate(bagit.Bag(str(extract(zipped.read_bytes(), tmp_path)))), [
        str(e) for e in profile.report.errors
    ]


def test_the_profile_requires_the_tags_the_writer_writes():
    profile = json.loads(PROFILE.read_text(encoding="utf-8"))
    info = unpack(bag_bytes())["bag-info.txt"].decode("utf-8")
    written = {line.split(":", 1)[0] for line in info.splitlines()}
    required = {tag for tag, rule in profile["Bag-Info"].items() if rule.get("required")}
    assert profile["BagIt-Profile-Info"]["BagIt-Profile-Identifier"] == PROFILE_IDENTIFIER
    assert written == required | {"BagIt-Profile-Identifier"}


def test_the_same_inputs_give_identical_zip_bytes():
    assert bag_bytes() == bag_bytes()


def test_another_bagging_date_gives_other_bytes():
    other = BagInfo(
        INFO.source_organisation,
        INFO.bagging_date.replace(day=29),
        INFO.external_identifier,
        INFO.software_agent,
    )
    assert bag_bytes(info=other) != bag_bytes()


def test_the_zip_holds_one_directory_named_after_the_bag():
    with zipfile.ZipFile(io.BytesIO(bag_bytes())) as archive:
        tops = {info.filename.split("/", 1)[0] for info in archive.infolist()}
    assert tops == {NAME}


def test_bag_info_carries_the_case_reference_and_the_payload_oxum():
    info = unpack(bag_bytes())["bag-info.txt"].decode("utf-8").splitlines()
    size = sum(len(d) for d in PAYLOAD.values())
    assert info == [
        f"BagIt-Profile-Identifier: {PROFILE_IDENTIFIER}",
        "Source-Organization: Oak Learning Trust",
        f"External-Identifier: {NAME}",
        "Bagging-Date: 2026-11-30",
        "Bag-Software-Agent: safeguarding-casework 0.1.0",
        f"Payload-Oxum: {size}.{len(PAYLOAD)}",
    ]


def test_the_signature_is_the_trust_keys_over_the_tag_manifest():
    files = unpack(bag_bytes())
    # raises InvalidSignature if not
    TRUST_KEY.public_key().verify(files[SIGNATURE_FILE], files[TAG_MANIFEST])


def test_the_tag_manifest_lists_every_tag_file_but_itself_and_the_signature():
    files = unpack(bag_bytes())
    listed = {line.split()[1] for line in files[TAG_MANIFEST].decode().splitlines()}
    assert listed == {"bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt"}


@pytest.mark.parametrize(
    "name",
    [
        "../escape.txt",
        "evidence/../../escape.txt",
        "/etc/passwd",
        "~/escape.txt",
        "evidence//double.txt",
        "evidence/./here.txt",
        "evidence\\windows.txt",
        "C:evidence.txt",
        "e\u0301vidence.txt",  # NFD: not normalised
        "line\nbreak.txt",
        "100%.txt",
        "CON.txt",
        " leading.txt",
        "trailing.",
        "",
        "x" * 256,
        "lone\udc80surrogate.txt",
    ],
)
def test_an_unsafe_payload_name_is_refused(name):
    with (
        BagWriter(io.BytesIO(), NAME, INFO, TRUST_KEY.sign) as writer,
        pytest.raises(UnsafeName) as refused,
    ):
        writer.add(name, [b"x"])
    assert refused.value.name == name


def test_a_refused_name_leaves_the_bag_without_it():
    out = io.BytesIO()
    with BagWriter(out, NAME, INFO, TRUST_KEY.sign) as writer:
        writer.add("referral.json", [b"{}"])
        with pytest.raises(UnsafeName):
            writer.add("../escape.txt", [b"x"])
        written = writer.finish()
    assert [f.path for f in written.files] == ["data/referral.json"]
    assert [p for p in unpack(out.getvalue()) if p.startswith("data/")] == ["data/referral.json"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("evidence/photo.jpg", "evidence/photo.jpg"),
        ("evidence/photo.jpg", "Evidence/PHOTO.jpg"),
        ("evidence", "evidence/photo.jpg"),
        ("evidence/photo.jpg", "evidence"),
    ],
)
def test_a_name_already_in_the_bag_is_refused(first, second):
    with BagWriter(io.BytesIO(), NAME, INFO, TRUST_KEY.sign) as writer:
        writer.add(first, [b"x"])
        with pytest.raises(DuplicateName):
            writer.add(second, [b"y"])


@pytest.mark.parametrize("name", ["..", "LADO/0042", "", "bag\n", "bag\udc80"])
def test_an_unsafe_bag_name_is_refused(name):
    with pytest.raises(UnsafeName):
        BagWriter(io.BytesIO(), name, INFO, TRUST_KEY.sign)


def test_a_bag_info_value_of_two_lines_is_refused():
    info = BagInfo("Oak\nTrust", INFO.bagging_date, NAME, INFO.software_agent)
    with pytest.raises(BadTagValue) as refused:
        BagWriter(io.BytesIO(), NAME, info, TRUST_KEY.sign)
    assert refused.value.label == "Source-Organization"


def test_an_extra_tag_may_not_replace_the_computed_payload_oxum():
    info = BagInfo(
        *(
            getattr(INFO, f)
            for f in (
                "source_organisation",
                "bagging_date",
                "external_identifier",
                "software_agent",
            )
        ),
        extra=(("Payload-Oxum", "1.1"),),
    )
    with pytest.raises(BadTagValue) as refused:
        BagWriter(io.BytesIO(), NAME, info, TRUST_KEY.sign)
    assert refused.value.label == "Payload-Oxum"


def test_an_extra_tag_follows_the_fixed_ones():
    info = BagInfo(
        INFO.source_organisation,
        INFO.bagging_date,
        NAME,
        INFO.software_agent,
        extra=(("External-Description", "Referral to the LADO"),),
    )
    lines = unpack(bag_bytes(info=info))["bag-info.txt"].decode().splitlines()
    assert lines[-1] == "External-Description: Referral to the LADO"


def test_a_signer_that_returns_no_ed25519_signature_is_refused():
    with (
        BagWriter(io.BytesIO(), NAME, INFO, lambda data: b"short") as writer,
        pytest.raises(BagRefused),
    ):
        writer.finish()


def test_no_file_can_be_added_once_the_bag_is_finished():
    with BagWriter(io.BytesIO(), NAME, INFO, OTHER_KEY.sign) as writer:
        writer.finish()
        with pytest.raises(BagRefused):
            writer.add("late.txt", [b"x"])


class _Pipe(io.RawIOBase):
    """An output that cannot seek, as a socket or an HTTP response body."""

    def __init__(self) -> None:
        self.written = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        self.written += data
        return len(data)


def test_a_bag_streamed_to_an_output_that_cannot_seek_is_valid(tmp_path):
    pipe = _Pipe()
    with BagWriter(pipe, NAME, INFO, TRUST_KEY.sign) as writer:  # type: ignore[arg-type]
        for path, data in PAYLOAD.items():
            writer.add(path, [data])
        writer.finish()
    bagit.Bag(str(extract(bytes(pipe.written), tmp_path))).validate()

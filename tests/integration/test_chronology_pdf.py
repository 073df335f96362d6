"""The chronology PDF of a LADO referral: PDF/A-3b with its JSON attached, reproducible from that
JSON, marked OFFICIAL-SENSITIVE, and signed (PAdES, ECDSA P-256) so that pyHanko validates it.

Poppler's pdftoppm and pdftotext (Debian's poppler-utils, which .ci/run installs) read the pages
as a printer and a reader would; those tests are skipped only where the tools are absent.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext

from api.lado.chronology_pdf import ATTACHMENT_NAME, chronology_json, render, sign
from domain.shared.errors import ValidationFailed

ROOT = Path(__file__).resolve().parents[2]
A4_WIDTH_PT = 595.276
SIDE_MARGIN_PT = 22 / 25.4 * 72

poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
    reason="poppler-utils (pdftoppm, pdftotext) is not installed; .ci/run installs it",
)


def chronology(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "case_reference": "ALG-2026-0042",
        "school": "Hillside Primary School",
        "recipient": "LADO, Northshire County Council",
        "generated_at": "2026-12-01T18:56:15Z",
        "generated_by": {"role": "designated safeguarding lead", "name": "Alex Morgan"},
        "bundle_fingerprint": "sha256:" + "9f2c" * 16,
        "entries": [
            {
                "when": "2026-11-03T09:12:00Z",
                "who": "headteacher",
                "what": "Allegation received from a parent by e-mail",
                "decision": "Consult the LADO within one working day",
                "rationale": "Harm test (a) met: the child was harmed.",
            },
            {
                "when": "2026-11-03T11:40:00+00:00",
                "who": "designated safeguarding lead",
                "what": "LADO consulted",
                "decision": None,
                "rationale": None,
            },
        ],
    }
    record.update(changes)
    return record


def entry(**changes: Any) -> dict[str, Any]:
    return {"when": "2026-11-04T10:00:00Z", "who": "case manager", "what": "Noted"} | changes


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render(chronology())


@pytest.fixture(scope="module")
def trust_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def trust_certificate(trust_key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    return self_signed(trust_key)


@pytest.fixture(scope="module")
def signed(
    pdf: bytes, trust_key: ec.EllipticCurvePrivateKey, trust_certificate: x509.Certificate
) -> bytes:
    return sign(pdf, trust_key, trust_certificate)


def self_signed(key: Any) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test trust chronology signing")])
    now = dt.datetime.now(dt.UTC)
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .sign(key, None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256())
    )


def validation(signed_pdf: bytes, root: x509.Certificate) -> PdfSignatureStatus:
    trusted = asn1_x509.Certificate.load(root.public_bytes(serialization.Encoding.DER))
    reader = PdfFileReader(io.BytesIO(signed_pdf))
    (signature,) = reader.embedded_signatures
    return validate_pdf_signature(signature, ValidationContext(trust_roots=[trusted]))


def attachments(document: bytes) -> dict[str, Any]:
    names = PdfFileReader(io.BytesIO(document)).root["/Names"]["/EmbeddedFiles"]["/Names"]
    return {str(names[i]): names[i + 1] for i in range(0, len(names), 2)}


def pdfa_claim(document: bytes) -> tuple[str | None, str | None]:
    """(part, conformance) as the XMP metadata states them, as elements or as attributes."""
    xmp = PdfFileReader(io.BytesIO(document)).root["/Metadata"].data
    ns = "{http://www.aiim.org/pdfa/ns/id/}"
    claim: dict[str, str | None] = {"part": None, "conformance": None}
    for element in ET.fromstring(xmp).iter():
        for name in claim:
            if element.tag == ns + name:
                claim[name] = element.text
            if ns + name in element.attrib:
                claim[name] = element.attrib[ns + name]
    return claim["part"], claim["conformance"]


def page_text(document: bytes, page: int | None = None, *options: str) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(
        ["pdftotext", *options, *pages, "-", "-"],
        input=document,
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")


def words(text: str) -> str:
    """The text with its line breaks and runs of spaces as single spaces."""
    return " ".join(text.split())


def page_count(document: bytes) -> int:
    return page_text(document).count("\f")


# Reproducible


def test_the_same_chronology_renders_the_same_bytes(pdf: bytes) -> None:
    assert render(chronology()) == pdf


def test_the_same_chronology_renders_the_same_bytes_in_another_locale_and_time_zone(
    pdf: bytes,
) -> None:
    script = (
        "import json, sys\n"
        "from api.lado.chronology_pdf import render\n"
        "sys.stdout.buffer.write(render(json.loads(sys.stdin.read())))\n"
    )
    elsewhere = os.environ | {
        "TZ": "Pacific/Chatham",
        "LC_ALL": "C.UTF-8",
        "SOURCE_DATE_EPOCH": "0",
    }
    rendered = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(chronology()).encode(),
        capture_output=True,
        check=True,
        cwd=ROOT,
        env=elsewhere,
    ).stdout
    assert rendered == pdf


def test_a_different_chronology_renders_different_bytes(pdf: bytes) -> None:
    assert render(chronology(recipient="LADO, Southshire Council")) != pdf


def test_the_document_is_dated_when_the_chronology_was_generated(pdf: bytes) -> None:
    info = PdfFileReader(io.BytesIO(pdf)).trailer["/Info"]
    assert str(info["/CreationDate"]).startswith("D:20261201185615")


# PDF/A with the JSON attached


def test_the_chronology_json_is_attached_byte_for_byte(pdf: bytes) -> None:
    attached = attachments(pdf)[ATTACHMENT_NAME]["/EF"]["/F"].data
    assert attached == chronology_json(chronology())
    assert json.loads(attached) == chronology()


def test_the_attachment_is_declared_the_source_of_the_document(pdf: bytes) -> None:
    assert attachments(pdf)[ATTACHMENT_NAME]["/AFRelationship"] == "/Source"


def test_the_pdf_claims_pdf_a_3b_in_its_xmp_metadata(pdf: bytes) -> None:
    assert pdfa_claim(pdf) == ("3", "B")


def test_the_template_ships_in_the_wheel() -> None:
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]
    assert any(fnmatch("chronology.typ", pattern) for pattern in package_data.get("api.lado", []))


# Signed


def test_a_signed_chronology_validates_intact_trusted_and_unmodified(
    signed: bytes, trust_certificate: x509.Certificate
) -> None:
    status = validation(signed, trust_certificate)
    assert (status.intact, status.valid, status.trusted) == (True, True, True)
    assert status.coverage.name == "ENTIRE_FILE"
    assert status.modification_level.name == "NONE"
    assert status.bottom_line


def test_the_signature_is_pades_with_ecdsa_on_p256(
    signed: bytes, trust_certificate: x509.Certificate
) -> None:
    (signature,) = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    status = validation(signed, trust_certificate)
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert status.pkcs7_signature_mechanism == "sha256_ecdsa"


def test_a_byte_altered_after_signing_is_detected(
    signed: bytes, trust_certificate: x509.Certificate
) -> None:
    altered = bytearray(signed)
    altered[10] ^= 0x01  # the header's binary comment: the file still parses, but differs
    status = validation(bytes(altered), trust_certificate)
    assert not status.intact
    assert not status.bottom_line


def test_a_signature_by_an_untrusted_key_is_not_trusted(signed: bytes) -> None:
    stranger = self_signed(ec.generate_private_key(ec.SECP256R1()))
    status = validation(signed, stranger)
    assert status.intact
    assert not status.trusted


def test_signing_keeps_the_attachment_and_the_pdf_a_claim(signed: bytes) -> None:
    assert attachments(signed)[ATTACHMENT_NAME]["/EF"]["/F"].data == chronology_json(chronology())
    assert pdfa_claim(signed) == ("3", "B")


@pytest.mark.parametrize(
    "key",
    [ec.generate_private_key(ec.SECP384R1()), ed25519.Ed25519PrivateKey.generate()],
    ids=["p384", "ed25519"],
)
def test_signing_refuses_a_key_that_is_not_ecdsa_p256(pdf: bytes, key: Any) -> None:
    with pytest.raises(ValidationFailed) as refused:
        sign(pdf, key, self_signed(key))
    assert refused.value.field == "key"


def test_signing_refuses_a_certificate_of_another_key(
    pdf: bytes, trust_key: ec.EllipticCurvePrivateKey
) -> None:
    other = self_signed(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(ValidationFailed) as refused:
        sign(pdf, trust_key, other)
    assert refused.value.field == "certificate"


# What a printer and a reader see


@poppler
def test_the_first_page_renders_with_ink_on_it(pdf: bytes) -> None:
    grey = subprocess.run(
        ["pdftoppm", "-f", "1", "-l", "1", "-r", "40", "-gray", "-singlefile", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout
    magic, width, height, _maxval, pixels = grey.split(maxsplit=4)
    assert magic == b"P5"
    assert len(pixels) == int(width) * int(height)
    assert sum(1 for value in pixels if value < 128) > 500


@poppler
def test_the_cover_page_carries_the_case_reference_and_the_marking(pdf: bytes) -> None:
    cover = page_text(pdf, 1)
    assert "ALG-2026-0042" in cover
    assert "OFFICIAL-SENSITIVE" in cover
    assert "LADO, Northshire County Council" in cover
    assert "sha256:" + "9f2c" * 16 in cover


@poppler
def test_every_page_is_marked_at_top_and_bottom_and_numbered() -> None:
    document = render(chronology(entries=[entry(rationale="Because. " * 400)] * 4))
    pages = page_count(document)
    assert pages > 2
    for page in range(1, pages + 1):
        text = page_text(document, page)
        assert text.count("OFFICIAL-SENSITIVE") == 2
        assert f"Page {page} of {pages}" in text


@poppler
def test_injection_looking_text_renders_literally() -> None:
    hostile = '#import "secrets.typ": * ] #set page(fill: red) $x^2$ *bold* <label> @ref \\'
    document = render(chronology(entries=[entry(what=hostile, rationale="] ) } #pagebreak()")]))
    text = words(page_text(document))
    assert hostile in text
    assert "] ) } #pagebreak()" in text
    assert page_count(document) == 2


@poppler
def test_long_text_wraps_within_the_margins() -> None:
    unbroken = "https://example.org/" + "a" * 300
    document = render(chronology(entries=[entry(what=unbroken, rationale="word " * 3000)]))
    boxes = page_text(document, None, "-bbox")
    right_edges = [
        float(line.split('xMax="')[1].split('"')[0])
        for line in boxes.splitlines()
        if "<word" in line
    ]
    assert page_count(document) > 3
    assert max(right_edges) <= A4_WIDTH_PT - SIDE_MARGIN_PT + 1


@poppler
def test_a_character_no_embedded_font_has_is_written_as_its_code_point() -> None:
    document = render(chronology(entries=[entry(what="Name written 中文 by the parent")]))
    assert "Name written [U+4E2D][U+6587] by the parent" in words(page_text(document))
    assert json.loads(attachments(document)[ATTACHMENT_NAME]["/EF"]["/F"].data)["entries"][0][
        "what"
    ] == ("Name written 中文 by the parent")


@poppler
def test_a_bidirectional_override_is_written_as_its_code_point() -> None:
    document = render(chronology(entries=[entry(what="agreed \u202edeen ton\u202c by all")]))
    assert "agreed [U+202E]deen ton[U+202C] by all" in words(page_text(document))


# Refused input


def test_a_chronology_without_a_case_reference_is_refused_naming_the_field() -> None:
    record = chronology()
    del record["case_reference"]
    with pytest.raises(ValidationFailed) as refused:
        render(record)
    assert refused.value.field == "case_reference"


def test_an_entry_instant_without_an_offset_is_refused_naming_the_entry() -> None:
    with pytest.raises(ValidationFailed) as refused:
        render(chronology(entries=[entry(), entry(when="2026-11-04T10:00:00")]))
    assert refused.value.field == "entries[1].when"


def test_a_refusal_does_not_repeat_the_value() -> None:
    with pytest.raises(ValidationFailed) as refused:
        render(chronology(generated_at="not a time, Alex Morgan"))
    assert refused.value.field == "generated_at"
    assert "Alex Morgan" not in str(refused.value)


def test_a_chronology_without_entries_is_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        render(chronology(entries=[]))
    assert refused.value.field == "entries"


def test_a_decision_that_is_not_text_is_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        render(chronology(entries=[entry(decision=42)]))
    assert refused.value.field == "entries[0].decision"


def test_a_chronology_holding_a_value_json_cannot_carry_is_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        render(chronology(exported_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC)))
    assert refused.value.field == "chronology"

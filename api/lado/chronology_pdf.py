"""The chronology PDF of a referral to the Local Authority Designated Officer (LADO).

A LADO reads a referral's evidence in Acrobat or on paper, never with a command-line tool, so the
bundle's human-facing record is a signed PDF (the evidence export's design, "what a LADO or a court
can actually use"): PDF/A-3b rendered by typst, with the chronology's JSON attached to it, and a
PAdES signature made with an ECDSA P-256 key of the trust (Acrobat validates ECDSA P-256, not
Ed25519).

Reproducible: :func:`render` of the same chronology gives the same bytes on any machine with the
same typst release. The document date is the chronology's ``generated_at`` (not the clock), the
fonts are the ones typst carries inside itself (system fonts are ignored), instants are written out
here with fixed English month and day names (not the locale's), and the template is read from this
package. So a recipient, or a court's expert, can render the attached JSON again and compare
(ACPO principle 3). :func:`sign` adds an incremental update that the rendering never depends on.

The chronology, as JSON (``chronology_json`` gives the exact bytes attached to the PDF, which is
what a bundle should store as ``data/chronology.json``)::

    {
      "case_reference": "ALG-2026-0042",           # the case's reference, as the LADO knows it
      "school": "Hillside Primary School",
      "recipient": "LADO, Northshire County Council",
      "generated_at": "2026-12-01T18:56:15Z",     # RFC 3339 instant with an offset
      "generated_by": {"role": "designated safeguarding lead", "name": "A. Person"},
      "bundle_fingerprint": "sha256:…",            # printed on the cover as given
      "entries": [                                 # at least one, shown in this order
        {
          "when": "2026-11-03T09:12:00Z",          # RFC 3339 instant with an offset
          "who": "headteacher",                    # the role of who acted
          "what": "Allegation received …",
          "decision": "Refer to the LADO",         # optional: a string or null
          "rationale": "Harm test (a) met …"       # optional: a string or null
        }
      ]
    }

Keys other than these are kept in the attached JSON but not shown. Every string is user text: it
reaches typst only as data (``sys.inputs``), never spliced into markup, so ``#import``, ``]`` or
``$`` in a rationale print as themselves.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from importlib.metadata import version
from importlib.resources import files
from typing import Any, Final

import rfc8785
import typst
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from domain.shared.errors import ValidationFailed

ATTACHMENT_NAME = "chronology.json"
PDF_STANDARD: Final = "a-3b"  # the PDF/A level typst writes that allows attached files of any kind
SIGNATURE_FIELD = "Signature"
RENDERER = f"typst {version('typst')}"  # a bundle names it: the bytes depend on the release

_TEXT_FIELDS = ("case_reference", "school", "recipient", "bundle_fingerprint")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def chronology_json(chronology: Mapping[str, Any]) -> bytes:
    """The chronology's canonical JSON (RFC 8785): the bytes attached to the PDF."""
    try:
        return rfc8785.dumps(chronology)
    except rfc8785.CanonicalizationError:
        raise ValidationFailed(
            "chronology",
            "must hold only JSON values: strings, numbers, booleans, null, lists, objects",
        ) from None


def render(chronology: Mapping[str, Any]) -> bytes:
    """The chronology as a PDF/A-3b document with its JSON attached; the same input, the same bytes.

    Raises ``ValidationFailed`` naming the field when the chronology is not of the documented
    shape (the message never repeats the value).
    """
    generated_at = _check(chronology)
    view = _view(chronology, generated_at)
    attached = chronology_json(chronology).decode("utf-8")
    try:
        return _compile(view, attached, generated_at)
    except typst.TypstError as error:
        # PDF/A forbids a character no embedded font has a glyph for, and typst names each one
        # it met: those are written as their code points, and the document rendered again.
        uncovered = _uncovered(error)
        if not uncovered:
            raise
        return _compile(_replaced(view, uncovered), attached, generated_at)


def sign(
    pdf: bytes,
    key: ec.EllipticCurvePrivateKey,
    certificate: x509.Certificate,
    *,
    chain: Sequence[x509.Certificate] = (),
) -> bytes:
    """The PDF with a PAdES baseline (B-B) signature by ``key``, whose ``certificate`` (and any
    intermediate ``chain``) travel inside the signature. The key must be ECDSA on P-256.

    Synchronous (pyHanko runs its own event loop): call it from a thread, not a coroutine.
    """
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValidationFailed("key", "must be an ECDSA private key on the P-256 curve")
    if certificate.public_key() != key.public_key():
        raise ValidationFailed("certificate", "does not certify the signing key")
    der = serialization.Encoding.DER
    signer = signers.SimpleSigner(
        signing_cert=_asn1_certificate(certificate),
        signing_key=load_private_key_from_pemder_data(
            key.private_bytes(der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
            passphrase=None,
        ),
        cert_registry=SimpleCertificateStore.from_certs(
            [_asn1_certificate(c) for c in (certificate, *chain)]
        ),
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    signed = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), metadata, signer=signer)
    return signed.getvalue()


def _compile(view: dict[str, Any], attached: str, generated_at: dt.datetime) -> bytes:
    pdf = typst.compile(
        files(__package__).joinpath("chronology.typ").read_bytes(),
        format="pdf",
        ignore_system_fonts=True,
        sys_inputs={"chronology": attached, "view": json.dumps(view, ensure_ascii=False)},
        pdf_standards=PDF_STANDARD,
        timestamp=generated_at,
    )
    if not isinstance(pdf, bytes):  # pragma: no cover - one document, so one PDF
        raise TypeError("typst returned no PDF")
    return pdf


_UNCOVERED = re.compile(r'^error: .*the text `"(.*)"` could not be displayed with font', re.M)
_RUST_ESCAPE = re.compile(r"\\(u\{([0-9a-fA-F]+)\}|.)")
_RUST_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "0": "\0"}


def _uncovered(error: typst.TypstError) -> set[str]:
    """The texts typst could not show with any font, or none if it failed for another reason."""
    errors = [line for line in error.diagnostic.splitlines() if line.startswith("error:")]
    texts = [_UNCOVERED.match(line) for line in errors]
    if not texts or not all(texts):
        return set()
    return {_RUST_ESCAPE.sub(_unescaped, match.group(1)) for match in texts if match}


def _unescaped(escape: re.Match[str]) -> str:
    if escape.group(2):
        return chr(int(escape.group(2), 16))
    return _RUST_ESCAPES.get(escape.group(1), escape.group(1))


def _replaced(value: Any, texts: set[str]) -> Any:
    """The view with each of ``texts`` written as its code points, ``[U+4E2D]``."""
    if isinstance(value, str):
        for text in sorted(texts):
            value = value.replace(text, _code_points(text))
        return value
    if isinstance(value, list):
        return [_replaced(item, texts) for item in value]
    if isinstance(value, dict):
        return {key: _replaced(item, texts) for key, item in value.items()}
    return value


def _code_points(text: str) -> str:
    return "".join(f"[U+{ord(ch):04X}]" for ch in text)


def _shown(text: str) -> str:
    """User text as the page shows it: control characters and the bidirectional overrides that
    could make text read differently from what was recorded are written as their code points."""
    text = text.replace("\r\n", "\n").replace("\t", " ")
    return "".join(
        _code_points(ch)
        if (unicodedata.category(ch) == "Cc" and ch != "\n") or ch in _BIDI_CONTROLS
        else ch
        for ch in text
    )


def _asn1_certificate(certificate: x509.Certificate) -> Any:
    (loaded,) = load_certs_from_pemder_data(certificate.public_bytes(serialization.Encoding.DER))
    return loaded


def _check(chronology: Mapping[str, Any]) -> dt.datetime:
    """Refuse a chronology not of the documented shape; its generation instant otherwise."""
    if not isinstance(chronology, Mapping):
        raise ValidationFailed("chronology", "must be a JSON object")
    for name in _TEXT_FIELDS:
        _text(chronology, name, name)
    generated_at = _instant(chronology, "generated_at", "generated_at")
    by = chronology.get("generated_by")
    if not isinstance(by, Mapping):
        raise ValidationFailed("generated_by", "must be an object with a role and a name")
    _text(by, "role", "generated_by.role")
    _text(by, "name", "generated_by.name")
    entries = chronology.get("entries")
    if not isinstance(entries, list) or not entries:
        raise ValidationFailed("entries", "must be a list of at least one entry")
    for i, entry in enumerate(entries):
        where = f"entries[{i}]"
        if not isinstance(entry, Mapping):
            raise ValidationFailed(where, "must be an object")
        _instant(entry, "when", f"{where}.when")
        _text(entry, "who", f"{where}.who")
        _text(entry, "what", f"{where}.what")
        for name in ("decision", "rationale"):
            if entry.get(name) is not None and not isinstance(entry[name], str):
                raise ValidationFailed(f"{where}.{name}", "must be a string or null")
    return generated_at


def _text(record: Mapping[str, Any], name: str, where: str) -> str:
    value = record.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(where, "must be a non-empty string")
    return value


def _instant(record: Mapping[str, Any], name: str, where: str) -> dt.datetime:
    text = _text(record, name, where)
    try:
        instant = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(where, "must be an RFC 3339 instant") from None
    if instant.utcoffset() is None:
        raise ValidationFailed(where, "must carry a UTC offset")
    return instant


def _written(instant: dt.datetime) -> str:
    """An instant as a reader sees it, in UTC, in English whatever the machine's locale."""
    utc = instant.astimezone(dt.UTC)
    return f"{_DAYS[utc.weekday()]} {utc.day} {_MONTHS[utc.month - 1]} {utc.year}, {utc:%H:%M} UTC"


def _view(chronology: Mapping[str, Any], generated_at: dt.datetime) -> dict[str, Any]:
    """What the template shows: the chronology's strings, and its instants written out."""
    by = chronology["generated_by"]
    entries = chronology["entries"]
    case_reference = _shown(chronology["case_reference"])
    school = _shown(chronology["school"])
    return {
        "title": f"Chronology {case_reference}",
        "attachment": ATTACHMENT_NAME,
        "header_left": f"Chronology of allegation {case_reference}",
        "header_right": school,
        "heading": "Chronology of an allegation",
        "subheading": "Referral evidence for the Local Authority Designated Officer",
        "cover": [
            {"label": "Case reference", "value": case_reference},
            {"label": "School", "value": school},
            {"label": "Recipient", "value": _shown(chronology["recipient"])},
            {"label": "Generated", "value": _written(generated_at)},
            {"label": "Generated by", "value": _shown(f"{by['name']} ({by['role']})")},
            {"label": "Entries", "value": str(len(entries))},
            {
                "label": "Bundle fingerprint",
                "value": _shown(chronology["bundle_fingerprint"]),
                "mono": True,
            },
        ],
        "notes": [
            "Every event of the allegation and of its linked records, in order: when, who "
            "(their role), what, the decision and its rationale. Times are in UTC.",
            f"This document is rendered from the JSON attached to it ({ATTACHMENT_NAME}); "
            "rendering that JSON again gives this document byte for byte. The trust's digital "
            "signature covers the whole document.",
        ],
        "entries_heading": "Chronology",
        "entries": [
            {
                "number": f"{i}.",
                "when": _written(dt.datetime.fromisoformat(entry["when"])),
                "who": _shown(entry["who"]),
                "parts": [
                    {"label": label, "value": _shown(entry[name])}
                    for label, name in (
                        ("What", "what"),
                        ("Decision", "decision"),
                        ("Rationale", "rationale"),
                    )
                    if entry.get(name)
                ],
            }
            for i, entry in enumerate(entries, start=1)
        ],
    }

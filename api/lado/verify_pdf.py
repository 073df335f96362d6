"""The bundle checker's PDF check (it needs pyHanko, so it lives here, not in ``domain/lado/``):
the chronology PDF carries one PAdES signature, intact, covering the whole file, unmodified since,
made with the key of the bundle's ``trust-certificate.pem`` (which the bag's signature pins),
and the JSON attached to it is byte for byte ``data/chronology.json``. Offline: no certificate is
fetched, the bundle's certificate is the only trust root."""

from __future__ import annotations

import io
from collections.abc import Iterator

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from api.lado.chronology_pdf import ATTACHMENT_NAME
from domain.lado.layout import CERTIFICATE, CHRONOLOGY_JSON, CHRONOLOGY_PDF


def check_pdf(pdf: bytes, certificate_pem: bytes, chronology: bytes) -> Iterator[tuple[str, str]]:
    """(file, why) for each way the PDF fails; nothing when it is what the bundle says."""
    try:
        certificate = x509.load_pem_x509_certificate(certificate_pem)
    except ValueError:
        yield CERTIFICATE, "not a PEM certificate"
        return
    root = asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except Exception as error:  # whatever a hostile file makes the reader raise
        yield CHRONOLOGY_PDF, f"not a readable PDF ({error.__class__.__name__})"
        return
    if len(signatures) != 1:
        yield CHRONOLOGY_PDF, f"carries {len(signatures)} signatures, not one"
        return
    context = ValidationContext(trust_roots=[root], allow_fetching=False)
    try:
        status = validate_pdf_signature(signatures[0], context)
    except Exception as error:  # SignatureValidationError, or whatever a hostile file causes
        yield CHRONOLOGY_PDF, f"its signature cannot be validated ({error.__class__.__name__})"
        return
    if not (status.intact and status.valid):
        yield CHRONOLOGY_PDF, "its signature does not verify: the signed bytes were altered"
    elif (
        status.coverage is None
        or status.coverage.name != "ENTIRE_FILE"
        or status.modification_level is None
        or status.modification_level.name != "NONE"
    ):
        yield CHRONOLOGY_PDF, "its signature does not cover the whole file as it is"
    elif status.signing_cert.dump() != root.dump():
        yield CHRONOLOGY_PDF, f"not signed with the key of {CERTIFICATE}"
    if _attached(reader) != chronology:
        yield CHRONOLOGY_PDF, f"the JSON attached to it is not {CHRONOLOGY_JSON}"


def _attached(reader: PdfFileReader) -> bytes | None:
    try:
        names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
        for i in range(0, len(names), 2):
            if str(names[i]) == ATTACHMENT_NAME:
                return bytes(names[i + 1]["/EF"]["/F"].data)
    except (PdfError, KeyError, TypeError, IndexError):
        return None
    return None

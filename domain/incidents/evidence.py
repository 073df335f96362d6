"""The rule for which files an incident keeps, on top of what every evidence file must be
(``domain.shared.evidence``: the declared type agrees with the bytes, and is one accepted).

On a nudes or semi-nudes incident (UKCIS 2024) every image and video is refused, and so is
every container that can carry them — PDF, office documents, archives and e-mail — whatever the
client declares, and text that carries an image or video inside it (judged as that image or
video by :func:`domain.shared.evidence.detect_type`).
"""

from __future__ import annotations

from domain.incidents.model import Category
from domain.shared.errors import ValidationFailed
from domain.shared.evidence import ContentTypeMismatch, Family, family, media_type
from domain.shared.evidence import verified_type as verified_file_type

__all__ = ["NEVER_ON_NUDES_INCIDENTS", "ContentTypeMismatch", "ImageryRefused", "verified_type"]

NEVER_ON_NUDES_INCIDENTS = frozenset(
    {Family.IMAGE, Family.VIDEO, Family.PDF, Family.CONTAINER, Family.EMAIL}
)


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


def verified_type(declared: str, detected: str | None, category: str) -> str:
    """The media type to store for a file declared as ``declared`` whose bytes show
    ``detected``, on an incident of ``category``; or a ValidationFailed naming the ``file``
    field. The nudes rule comes first: such a file is refused as imagery, whatever else is
    wrong with it."""
    if category == Category.NUDES_SHARING and (
        family(media_type(declared)) in NEVER_ON_NUDES_INCIDENTS
        or family(detected) in NEVER_ON_NUDES_INCIDENTS
    ):
        raise ImageryRefused()
    return verified_file_type(declared, detected)

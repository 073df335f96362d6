"""The rules of exporting a referral (docs/rules.md §13): who the bundle is for, and what the
export's event commits to."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from domain.lado.contents import Head
from domain.lado.referral import role_words
from domain.shared.errors import ValidationFailed
from domain.shared.policy import Grant, Target
from domain.shared.validation import required_text

# A recipient names a LADO service or officer ("LADO, Northshire County Council"): a line of a
# letter's address, not a paragraph.
MAX_RECIPIENT = 200
_HEX_SHA256 = re.compile(r"[0-9a-f]{64}")


def recipient_of(value: str) -> str:
    """The recipient as recorded: required, one line, at most :data:`MAX_RECIPIENT` characters."""
    text = required_text("recipient", value, MAX_RECIPIENT)
    if "\n" in text or "\t" in text:
        raise ValidationFailed("recipient", "must be one line")
    return text


def committed_heads(fingerprint: str, heads: Sequence[Head]) -> list[dict[str, object]]:
    """The export event's ``heads``, checked: a SHA-256 fingerprint, at least one head, each
    a version from 1 with a SHA-256 entry hash, one per aggregate."""
    if not _HEX_SHA256.fullmatch(fingerprint):
        raise ValidationFailed("fingerprint", "must be a SHA-256 in lowercase hex")
    if not heads:
        raise ValidationFailed("heads", "must name at least one exported record")
    if len({head.aggregate_id for head in heads}) != len(heads):
        raise ValidationFailed("heads", "must name each exported record once")
    for head in heads:
        if head.version < 1 or not _HEX_SHA256.fullmatch(head.entry_hash):
            raise ValidationFailed("heads", "each needs a version from 1 and a SHA-256 entry hash")
    return [
        {"aggregate": str(h.aggregate_id), "version": h.version, "entry_hash": h.entry_hash}
        for h in heads
    ]


def role_of(grants: Iterable[Grant], target: Target) -> str:
    """The role, in words, in which someone holding ``grants`` acts on a case at ``target``:
    the first of :data:`~domain.lado.referral.ROLE_WORDS` they hold there."""
    held = (grant.role.value for grant in grants if grant.reaches(target))
    return role_words(held) or "member of the case team"

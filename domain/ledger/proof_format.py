"""The C2SP tlog-proof text format (``c2sp.org/tlog-proof@v1``): an inclusion proof with the
checkpoint it leads to, verifiable offline against trusted log and witness keys.

Parsing is strict (one spelling per proof) so that a proof handed to a court is the file we
wrote, and a reader who checks it with another implementation reads the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.ledger.note import NoteMalformed, b64, decimal, parse_checkpoint, parse_note, unb64

HEADER = "c2sp.org/tlog-proof@v1"
MAX_PROOF_HASHES = 63  # a tree of fewer than 2**63 leaves is at most 63 levels deep


class ProofMalformed(ValueError):
    """The text is not a tlog-proof in the format c2sp.org/tlog-proof fixes."""


@dataclass(frozen=True)
class TlogProof:
    """An offline proof: opaque extra data (unauthenticated), the leaf index, the inclusion
    proof from the leaf's sibling upwards, and the checkpoint note verbatim."""

    extra: bytes | None
    index: int
    hashes: tuple[bytes, ...]
    checkpoint_note: str


def format_proof(
    index: int, hashes: Sequence[bytes], checkpoint_note: str, extra: bytes | None = None
) -> str:
    proof = TlogProof(extra, index, tuple(hashes), checkpoint_note)
    _check(proof)
    lines = [HEADER]
    if extra is not None:
        lines.append(f"extra {b64(extra)}")
    lines.append(f"index {index}")
    lines.extend(b64(h) for h in hashes)
    return "\n".join(lines) + "\n\n" + checkpoint_note


def parse_proof(text: str) -> TlogProof:
    head, blank, checkpoint_note = text.partition("\n\n")
    if not blank:
        raise ProofMalformed("a proof's lines are followed by a blank line and a checkpoint")
    lines = head.split("\n")
    if lines[0] != HEADER:
        raise ProofMalformed(f"a proof starts with the line {HEADER}")
    rest = lines[1:]
    try:
        extra = None
        if rest and rest[0].startswith("extra "):
            extra = unb64(rest.pop(0).removeprefix("extra "), "the extra data")
        if not rest or not rest[0].startswith("index "):
            raise ProofMalformed("a proof names its leaf on an index line")
        index = decimal(rest.pop(0).removeprefix("index "), "the index")
        hashes = tuple(unb64(line, "a proof hash") for line in rest)
    except NoteMalformed as e:
        raise ProofMalformed(str(e)) from e
    proof = TlogProof(extra, index, hashes, checkpoint_note)
    _check(proof)
    return proof


def _check(proof: TlogProof) -> None:
    """What both directions hold to: the parts fit the format and the checkpoint parses."""
    if proof.extra is not None and not proof.extra:
        raise ProofMalformed("extra data, when present, is not empty")
    if not 0 <= proof.index < 2**63:
        raise ProofMalformed(f"index {proof.index} is out of range")
    if len(proof.hashes) > MAX_PROOF_HASHES or any(len(h) != 32 for h in proof.hashes):
        raise ProofMalformed(f"a proof is at most {MAX_PROOF_HASHES} hashes of 32 bytes")
    try:
        checkpoint = parse_checkpoint(parse_note(proof.checkpoint_note).body)
    except NoteMalformed as e:
        raise ProofMalformed(f"the checkpoint: {e}") from e
    if proof.index >= checkpoint.size:
        raise ProofMalformed(f"leaf {proof.index} is not in a tree of size {checkpoint.size}")

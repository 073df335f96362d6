"""The offline verifier: does this proof file show this record in the log the keys vouch for?

Written to be read by a third party who wants to repeat the check with their own tools (ACPO
principle 3: an independent party repeating the process gets the same result). It needs no
database, no service and no settings: the proof file, the log's public key, and optionally the
witnesses' public keys, the entry and field disclosures. Every step below names the
specification it follows; each is a few lines.

What a proof file is (c2sp.org/tlog-proof@v1)::

    c2sp.org/tlog-proof@v1
    extra <base64 of the entry's canonical JSON bytes>
    index <leaf index>
    <base64 hash>            one per line: the inclusion proof, leaf's sibling first
    ...
                             (blank line)
    <origin>                 the checkpoint (c2sp.org/tlog-checkpoint), verbatim
    <tree size>
    <base64 root hash>
                             (blank line)
    — <log key name> <base64 signature>       the log's signature (c2sp.org/signed-note)
    — <witness name> <base64 co-signature>    witnesses' (c2sp.org/tlog-cosignature)

Our choice for the ``extra`` line: it carries the entry itself (the exact bytes that were
hashed into the leaf), so a proof file is self-contained. The specification says extra data is
not authenticated, and it is not trusted here: it is accepted only because its hash is the leaf
the inclusion proof places under the signed root. An entry given separately (``entry=``) must
be the same bytes.

The steps, each a reason to reject:

1. The text parses as a tlog-proof, strictly (one spelling per proof).
2. A trusted log key, named as the checkpoint's origin, signed the checkpoint (Ed25519 over the
   checkpoint text; signatures by keys not given are ignored, as signed-note says).
3. Every given witness key has a valid ``cosignature/v1`` on the checkpoint.
4. The entry hashes to a leaf, SHA-256(0x00 || entry) (RFC 6962 §2.1), that the proof's hashes
   fold into the checkpoint's root at the proof's index (RFC 9162 §2.1.3.2).
5. The entry is canonical JSON (RFC 8785) in our entry format, and names the same index.
6. Each disclosure (RFC 9901 style: base64url of ``[salt, name, value]``) hashes to the digest
   the entry holds for the field it names: the value shown is the value that was logged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.ledger.entry import Entry, digest, read_disclosure
from domain.ledger.merkle import ProofFailed, leaf_hash, verify_inclusion
from domain.ledger.note import (
    COSIGNATURE_V1,
    ED25519,
    NoteMalformed,
    NoteRejected,
    Verifier,
    cosignature_timestamp,
    parse_checkpoint,
    parse_note,
    verify_note,
)
from domain.ledger.proof_format import ProofMalformed, TlogProof, parse_proof


class ProofRejected(ValueError):
    """The proof does not show what it claims; ``reason`` says which check failed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Verified:
    """What the proof showed: the record's place in the log, and who vouches for it."""

    origin: str
    size: int
    root: bytes
    index: int
    position: int
    aggregate: str
    version: int
    topic: str
    recorded_at: str
    entry: bytes
    witnesses: tuple[str, ...] = ()  # names of the given witness keys that co-signed
    cosigned_at: Mapping[str, int] = field(default_factory=dict)  # witness -> POSIX time
    disclosed: Mapping[str, Any] = field(default_factory=dict)  # field name -> value

    def lines(self) -> list[str]:
        """A plain account of what was verified, for a person."""
        out = [
            f"log: {self.origin}",
            f"checkpoint: size {self.size}, root {self.root.hex()}",
            f"leaf {self.index}: event at position {self.position}",
            f"record {self.aggregate} version {self.version} ({self.topic})",
            f"recorded at {self.recorded_at}",
        ]
        for name in self.witnesses:
            out.append(f"co-signed by witness {name} at {self.cosigned_at[name]}")
        for name, value in self.disclosed.items():
            out.append(f"field {name} = {json.dumps(value, ensure_ascii=False)}")
        return out


def verifiers(texts: Iterable[str | Verifier], key_type: int, what: str) -> list[Verifier]:
    """The given keys (vkey texts or verifiers) as verifiers of ``key_type``; refused, naming
    them as ``what`` keys, if any is not one."""
    keys = []
    for text in texts:
        try:
            key = text if isinstance(text, Verifier) else Verifier.from_vkey(text.strip())
        except NoteMalformed as e:
            raise ProofRejected(f"a {what} key is not a verifier key: {e}") from None
        if key.key_type != key_type:
            raise ProofRejected(f"the {what} key {key.name} is of the wrong type")
        keys.append(key)
    return keys


def _parse(proof_text: str) -> TlogProof:
    try:
        return parse_proof(proof_text)
    except ProofMalformed as e:
        raise ProofRejected(f"not a tlog-proof: {e}") from None


def check_log_signature(note_text: str, log_keys: list[Verifier]) -> str:
    """Step 2; the checkpoint's body once a log key named as its origin signed it."""
    if not log_keys:
        raise ProofRejected("no log key was given")
    try:
        note = verify_note(note_text, log_keys)
        origin = parse_checkpoint(note.body).origin
    except (NoteMalformed, NoteRejected) as e:
        raise ProofRejected(f"the checkpoint is not signed by the log key: {e}") from None
    if not any(s.name == origin for s in note.verified):
        raise ProofRejected(f"no log key named {origin!r} (the checkpoint's origin) signed it")
    return note.body


def check_witnesses(note_text: str, body: str, witnesses: list[Verifier]) -> dict[str, int]:
    """Step 3: every given witness has a valid cosignature; when each was made."""
    signatures = parse_note(note_text).signatures
    cosigned = {}
    for witness in witnesses:
        mine = [s for s in signatures if witness.matches(s)]
        if not mine:
            raise ProofRejected(f"witness {witness.name} has not co-signed the checkpoint")
        if not all(witness.verify(body, s) for s in mine):
            raise ProofRejected(f"the co-signature of witness {witness.name} does not verify")
        cosigned[witness.name] = cosignature_timestamp(mine[0])
    return cosigned


def _entry_bytes(proof: TlogProof, entry: bytes | None) -> bytes:
    if entry is not None and entry.endswith(b"\n"):
        entry = entry[:-1]  # a file saved by an editor may end in a newline
    if proof.extra is not None and entry is not None and proof.extra != entry:
        raise ProofRejected("the entry given is not the entry the proof carries")
    found = entry if entry is not None else proof.extra
    if found is None:
        raise ProofRejected("the proof carries no entry and none was given")
    return found


def _read_entry(data: bytes, index: int) -> Entry:
    """Step 5."""
    try:
        entry = Entry.from_bytes(data)
        canonical = entry.canonical()
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise ProofRejected(f"the entry is not a ledger entry: {e}") from None
    if canonical != data:
        raise ProofRejected("the entry is not in canonical form (RFC 8785)")
    if entry.index != index:
        raise ProofRejected(f"the entry names leaf {entry.index}, the proof leaf {index}")
    return entry


def _disclosed(entry: Entry, disclosures: Iterable[str]) -> dict[str, Any]:
    """Step 6."""
    shown: dict[str, Any] = {}
    for text in disclosures:
        text = text.strip()
        try:
            name, value = read_disclosure(text)
            hashed = digest(text)
        except (ValueError, UnicodeError) as e:
            raise ProofRejected(f"a disclosure is not [salt, name, value]: {e}") from None
        logged = entry.fields.get(name)
        if logged is None:
            raise ProofRejected(f"the entry holds no digest of a field {name!r}")
        if hashed != logged:
            raise ProofRejected(f"the disclosure of {name!r} does not match the entry's digest")
        shown[name] = value
    return shown


def verify_proof(
    proof_text: str,
    log_keys: Iterable[str | Verifier],
    witness_keys: Iterable[str | Verifier] = (),
    entry: bytes | None = None,
    disclosures: Iterable[str] = (),
) -> Verified:
    """Check a tlog-proof offline (the steps in this module's description); what it showed,
    or :class:`ProofRejected` with the first check that failed."""
    logs = verifiers(log_keys, ED25519, "log")
    witnesses = verifiers(witness_keys, COSIGNATURE_V1, "witness")
    proof = _parse(proof_text)  # step 1
    body = check_log_signature(proof.checkpoint_note, logs)  # step 2
    cosigned = check_witnesses(proof.checkpoint_note, body, witnesses)  # step 3
    checkpoint = parse_checkpoint(body)
    data = _entry_bytes(proof, entry)
    try:  # step 4
        verify_inclusion(
            proof.index, checkpoint.size, leaf_hash(data), proof.hashes, checkpoint.root
        )
    except ProofFailed as e:
        raise ProofRejected(f"the entry is not in the checkpoint's tree: {e}") from None
    logged = _read_entry(data, proof.index)  # step 5
    return Verified(
        origin=checkpoint.origin,
        size=checkpoint.size,
        root=checkpoint.root,
        index=proof.index,
        position=logged.position,
        aggregate=str(logged.aggregate_id),
        version=logged.version,
        topic=logged.topic,
        recorded_at=logged.recorded_at,
        entry=data,
        witnesses=tuple(cosigned),
        cosigned_at=cosigned,
        disclosed=_disclosed(logged, disclosures),  # step 6
    )

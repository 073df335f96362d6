"""Field recomputation: each entry remade, field digests and all, from the decrypted event
with the same maker the integrator used, so a digest changed in the ledger shows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification
from psycopg import Connection
from psycopg.rows import tuple_row

from domain.ledger.audit_seal import seal_holds
from domain.ledger.entry import Entry
from projections.ledger.audit.findings import Failure, Found, Kind, fail
from projections.ledger.audit.leaves import Leaf
from projections.ledger.audit.rows import Event
from projections.ledger.entries import EntryMaker, Stored

# What recomputing the fields of a run of leaves found: the offset of the first leaf whose
# entry its row does not make and the failure there (None: none), and how many digests were
# skipped because their keys were destroyed (``first_field_failure``'s ``erased``).
FieldResult = tuple[tuple[int, Failure] | None, int]


@dataclass(frozen=True)
class Keys:
    """What field recomputation needs: the entry maker, holding the keyring and the mapper
    that decrypts and decodes a stored event. With ``submit``, the fields of a batch may be
    recomputed elsewhere (in other processes: ``api.audit_jobs``) while the audit reads and
    checks the next ones, at most ``ahead`` batches at a time, when at least ``from_leaves``
    leaves' fields are to be recomputed (fewer cost less than starting the processes)."""

    maker: EntryMaker
    submit: Callable[[Sequence[tuple[Leaf, Event]]], Future[FieldResult]] | None = None
    ahead: int = 4
    from_leaves: int = 0


@dataclass(frozen=True)
class FieldsSealed:
    """An earlier run that recomputed the fields of the first ``size`` leaves, of the tree with
    ``root``, and found the store intact (domain/ledger/audit_seal)."""

    run_id: int
    size: int
    root: bytes


# Sealed runs looked at, newest first, for one whose seal holds: a forged row is passed over,
# and a flood of them cannot make the look-up long.
SEALED_RUNS_READ = 100


def last_sealed(conn: Connection[Any], key: bytes) -> FieldsSealed | None:
    """The newest recorded run whose seal holds under ``key``; None if there is none. Read in a
    transaction of its own (or a savepoint), so that an audit on ``conn`` after it still
    starts its own snapshot."""
    with conn.transaction(), conn.cursor(row_factory=tuple_row, binary=True) as curs:
        curs.execute(
            "SELECT run_id, tree_size, root, seal FROM ledger_verifications "
            "WHERE ok AND fields_checked AND seal IS NOT NULL AND tree_size > 0 "
            "ORDER BY run_id DESC LIMIT %s",
            (SEALED_RUNS_READ,),
        )
        for run_id, size, root, seal in curs.fetchall():
            if root is not None and seal_holds(key, int(size), bytes(root), bytes(seal)):
                return FieldsSealed(int(run_id), int(size), bytes(root))
    return None


def first_field_failure(
    keys: Keys,
    checked: Sequence[tuple[Leaf, Event]],
    erased: Callable[[int], None] = lambda count: None,
) -> tuple[int, Found] | None:
    """The first failure among ``checked`` (leaves whose other checks passed) and the offset
    of its leaf there; None if every entry is the one its row makes. ``erased`` is told how
    many field digests could not be recomputed because their data keys were destroyed (an
    erasure: their salts went with the keys), which are skipped, never taken for tampering."""
    stored: list[Stored] = []
    for offset, (_, event) in enumerate(checked):
        notification = Notification(
            originator_id=UUID(event.aggregate),
            originator_version=event.version,
            topic=event.topic,
            state=event.state or b"",
            id=event.position,
        )
        try:
            stored.append(keys.maker.read(notification))
        except Exception as e:  # whatever the mapper raises, the row no longer is what it was
            what = f"the row at position {event.position} does not decode: {type(e).__name__}"
            return offset, fail(Kind.ALTERED, event.position, what)
    previous = _Logged(
        ((UUID(leaf.aggregate), leaf.version - 1), leaf.previous)
        for leaf, _ in checked
        if leaf.previous is not None
    )
    made = keys.maker.make(stored, checked[0][0].index, previous)
    for offset, ((leaf, _), remade) in enumerate(zip(checked, made, strict=True)):
        if remade.canonical == leaf.canonical:
            continue
        logged = Entry.from_bytes(leaf.canonical)
        differ = differing_fields(logged, remade.entry)
        if differ is None:  # only digests whose keys are gone differ: nothing left to check
            erased(len(erased_fields(logged, remade.entry)))
            continue
        what = f"leaf {leaf.index}'s entry differs from the one its row makes in {differ}"
        return offset, fail(Kind.LEDGER_ALTERED, leaf.position, what)
    return None


def field_result(keys: Keys, checked: Sequence[tuple[Leaf, Event]]) -> FieldResult:
    """:func:`first_field_failure` as a value to send back from another process."""
    erased = [0]

    def count(digests: int) -> None:
        erased[0] += digests

    failed = first_field_failure(keys, checked, count)
    return (None if failed is None else (failed[0], failed[1].failure)), erased[0]


class _Logged(dict[tuple[UUID, int], bytes]):
    """The entry hashes each remade entry chains to: those the log holds (checked already),
    never the remade ones, which differ once an erasure has made a digest incomputable: an
    erased field changes one entry's recomputation, not its successors'."""

    def __setitem__(self, key: tuple[UUID, int], value: bytes) -> None:
        self.setdefault(key, value)


def differing_fields(stored: Entry, remade: Entry) -> str | None:
    """What differs between a stored entry and the one recomputed; None when the only
    differences are digests that can no longer be computed (their data keys are destroyed)."""
    outside = [
        name
        for name, value in stored.to_json().items()
        if name != "fields" and remade.to_json()[name] != value
    ]
    names = set(stored.fields) | set(remade.fields)
    fields = sorted(
        name
        for name in names
        if stored.fields.get(name) != remade.fields.get(name)
        and not (name in remade.fields and remade.fields[name] is None and name in stored.fields)
    )
    if not outside and not fields:
        return None
    parts = outside + [f"the digest of field {name!r}" for name in fields]
    return ", ".join(parts)


def erased_fields(stored: Entry, remade: Entry) -> list[str]:
    """The fields whose digest the ledger holds but which can no longer be recomputed: their
    data keys were destroyed after the entry was made."""
    return sorted(
        name
        for name, digest in stored.fields.items()
        if digest is not None and name in remade.fields and remade.fields[name] is None
    )

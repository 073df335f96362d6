"""Making ledger entries from stored events: what the integrator appends and what the audit
(``casework verify``) recomputes, so the two can never disagree on what an entry is."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from hashlib import sha256
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import Mapper, Notification

from domain.ledger.digests import FieldDigests, event_values, subjects_of
from domain.ledger.entry import Entry, entry_text
from domain.ledger.merkle import leaf_hash
from domain.shared.sealing import Keyring

Id = TypeVar("Id", bound=Hashable)  # an aggregate's id, as a UUID or its text


@dataclass(frozen=True)
class Stored:
    """One stored event as the ledger reads it (:meth:`EntryMaker.read`): its row, and the
    fields of the domain event decoded from it, with whose data keys its entry needs."""

    position: int
    aggregate_id: UUID
    version: int
    topic: str
    state: bytes  # exactly as in the row
    values: Mapping[str, Any]  # the event's fields: its attributes but the envelope
    recorded_at: str
    subjects: frozenset[UUID]  # whose data keys its entry needs (sealed values, logins)


@dataclass(frozen=True)
class Written:
    """One stored event whose field digests its writer computed as it recorded it (migration
    0045's ``ledger_fields``, docs/rules.md §12.6): its entry is made without decoding it."""

    position: int
    aggregate_id: UUID
    version: int
    topic: str
    state: bytes  # exactly as in the row
    recorded_at: str
    fields: str  # the entry's "fields" object, canonical JSON (domain.ledger.entry.fields_text)


@dataclass(frozen=True)
class Made:
    index: int
    position: int
    aggregate_id: UUID
    version: int
    canonical: bytes
    leaf: bytes
    made_from: Entry | None = None  # the entry, when it was made as one (not from text)

    @property
    def entry(self) -> Entry:
        return self.made_from if self.made_from is not None else Entry.from_bytes(self.canonical)

    def row(self) -> tuple[int, int, UUID, int, bytes, bytes]:
        """As ``ledger_entries`` stores it."""
        return (
            self.index,
            self.position,
            self.aggregate_id,
            self.version,
            self.canonical,
            self.leaf,
        )


class MissingPredecessor(RuntimeError):
    def __init__(self, aggregate: UUID, version: int) -> None:
        super().__init__(f"the ledger holds no version {version} of {aggregate}")
        self.aggregate, self.version = aggregate, version


class EntryMaker:
    """Entries for runs of consecutive stored events, with the keyring that opens their sealed
    fields and holds the keys their salts are derived from, and the event store's mapper,
    which decodes a stored event."""

    def __init__(self, keyring: Keyring, mapper: Mapper[UUID]) -> None:
        self.keyring = keyring
        self.mapper = mapper

    def read(self, notification: Notification, event: Any | None = None) -> Stored:
        """A stored event as the ledger reads it: the row, and the fields of the domain event
        the mapper decodes from it (``event``, if it was decoded already)."""
        decoded: Any = self.mapper.to_domain_event(notification) if event is None else event
        values = event_values(decoded)
        return Stored(
            notification.id,
            decoded.originator_id,
            decoded.originator_version,
            notification.topic,
            notification.state,
            values,
            decoded.timestamp.isoformat(),
            subjects_of(values),
        )

    def wanted_predecessors(self, events: Sequence[tuple[Id, int]]) -> list[tuple[Id, int]]:
        """The (aggregate, version) just before each of ``events`` (aggregate, version) that is
        not itself among them: the entry hashes :meth:`make` needs to be given for them."""
        in_batch = set(events)
        return [
            (aggregate, version - 1)
            for aggregate, version in events
            if version > 1 and (aggregate, version - 1) not in in_batch
        ]

    def make(
        self,
        stored: Sequence[Stored | Written],
        first_index: int,
        previous: MutableMapping[tuple[UUID, int], bytes],
    ) -> list[Made]:
        """The entries of ``stored``, indexed from ``first_index``: of a decoded event with
        the digests of its fields computed now, of a :class:`Written` one with its writer's.
        ``previous`` maps (aggregate, version) to entry hashes and gains the new ones."""
        subjects = frozenset().union(*(s.subjects for s in stored if isinstance(s, Stored)))
        digests = FieldDigests(self.keyring, subjects)
        made = []
        for index, item in enumerate(stored, first_index):
            aggregate, version = item.aggregate_id, item.version
            prior = previous.get((aggregate, version - 1)) if version > 1 else None
            if version > 1 and prior is None:
                raise MissingPredecessor(aggregate, version - 1)
            state_sha256 = sha256(item.state).hexdigest()
            entry = None
            if isinstance(item, Written):
                canonical = entry_text(
                    index,
                    item.position,
                    aggregate,
                    version,
                    item.topic,
                    item.recorded_at,
                    state_sha256,
                    None if prior is None else prior.hex(),
                    item.fields,
                ).encode("utf-8")
            else:
                entry = Entry(
                    index=index,
                    position=item.position,
                    aggregate_id=aggregate,
                    version=version,
                    topic=item.topic,
                    recorded_at=item.recorded_at,
                    state_sha256=state_sha256,
                    previous=None if prior is None else prior.hex(),
                    fields=digests.of(aggregate, version, item.values),
                )
                canonical = entry.canonical()
            leaf = leaf_hash(canonical)
            previous[(aggregate, version)] = leaf
            made.append(Made(index, item.position, aggregate, version, canonical, leaf, entry))
        return made

    def disclosures(self, item: Stored, names: Iterable[str]) -> dict[str, str]:
        """The disclosures (RFC 9901) of the named fields of ``item``
        (:meth:`FieldDigests.disclosures`)."""
        digests = FieldDigests(self.keyring, item.subjects)
        return digests.disclosures(item.aggregate_id, item.version, item.values, names)

"""Writing several commands' events in one transaction, for speed.

In service every command saves in its own transaction. A generator run is one writer making history
no reader sees until it ends, and on a machine of few cores a transaction per command costs most of
the run (the round trip, the commit, the event table's lock). So a worker may hold the appends of
up to ``size`` commands and write them in one call of the application's own recorder
(``casework_append``: events, data keys, evidence files and the events' ledger fields together), at
the latest when its task ends. The commands themselves run exactly as in service, each on the
records as the commands before it left them: the application's aggregate cache holds what they
wrote, and :class:`RememberedKeys` the data keys they created, until both are in the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from api.event_store import CaseworkRecorder
from domain.shared.sealing import WrappedKeyStore


class RememberedKeys:
    """A key store that also answers, from memory, with the keys this process's commands
    created (they reach the store with their events, perhaps a few commands later)."""

    def __init__(self, store: WrappedKeyStore) -> None:
        self.store = store
        self.known: dict[UUID, bytes] = {}

    def fetch(self, subject_ids: Iterable[UUID]) -> Mapping[UUID, bytes | None]:
        ids = list(subject_ids)
        found: dict[UUID, bytes | None] = {i: self.known[i] for i in ids if i in self.known}
        rest = [i for i in ids if i not in found]
        if rest:
            found.update(self.store.fetch(rest))
        return found

    def create(self, subject_id: UUID, wrapped: bytes) -> bytes | None:
        return self.store.create(subject_id, wrapped)

    def destroy(self, subject_id: UUID) -> None:
        self.known.pop(subject_id, None)
        self.store.destroy(subject_id)

    def saved(self, new_keys: Mapping[UUID, bytes]) -> None:
        self.known.update(new_keys)
        self.store.saved(new_keys)


class GroupedAppends:
    """Holds the recorder's appends and writes up to ``size`` commands' worth in one."""

    def __init__(self, recorder: CaseworkRecorder, size: int) -> None:
        self.append = recorder.insert_events
        self.size = size
        self.transactions = 0
        self._events: list[StoredEvent] = []
        self._keys: dict[UUID, bytes] = {}
        self._blobs: dict[UUID, tuple[UUID, bytes]] = {}
        self._ledger: dict[tuple[UUID, int], tuple[str, str]] = {}
        self._held = 0
        recorder.insert_events = self.insert_events  # type: ignore[method-assign]

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> list[int]:
        """Hold one command's append; its positions are not known yet (0: the generator never
        waits for a view)."""
        if kwargs.get("claim") is not None:
            raise ValueError("a grouped append carries no request's idempotency claim")
        self._events += stored_events
        self._keys.update(kwargs.get("data_keys") or {})
        self._blobs.update(kwargs.get("blobs") or {})
        self._ledger.update(kwargs.get("ledger") or {})
        self._held += 1
        if self._held >= self.size:
            self.flush()
        return [0] * len(stored_events)

    def flush(self) -> None:
        """Write what is held, in one transaction."""
        if not self._events:
            return
        self.append(self._events, data_keys=self._keys, blobs=self._blobs, ledger=self._ledger)
        self.transactions += 1
        self._events, self._keys, self._blobs, self._ledger, self._held = [], {}, {}, {}, 0

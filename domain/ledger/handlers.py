"""The writer's part in the ledger: the salted digests of each event's fields, computed as the
event is recorded, while its values and keys are at hand, and stored beside it in the same
transaction, so that the integrator makes its entry without decrypting it again
(docs/rules.md §12.6). The digests are the ones the integrator would compute: the same code
(:class:`domain.ledger.digests.FieldDigests`) over the same fields. While the ledger follows
the store live, the writer leaves them to it: it is fed with the views, which decode every
event anyway, and the request does not wait for them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from uuid import UUID

from domain.ledger.digests import FieldDigests, event_values, subjects_of
from domain.ledger.entry import fields_text, plain_fields
from domain.shared.base_app import CaseworkBase


class LedgerHandlers(CaseworkBase):
    # Off: the writer leaves every event's digests to the integrator, which decodes it to
    # compute them (what the ledger benchmark's write path "without the ledger" runs).
    digests_at_write = True
    # True while the ledger's integrator follows the store live (``api.ledger_following``
    # says so): its entries of what is written now are made with the views' next batches, from
    # the events they decode, off the request's path. When it lags or is down, the writer
    # computes the digests, so that catching up does not decrypt every event again.
    ledger_follows: Callable[[], bool] = staticmethod(lambda: False)

    def ledger_fields(
        self, events: Sequence[Any], new_keys: Mapping[UUID, bytes]
    ) -> Mapping[tuple[UUID, int], tuple[str, str]]:
        if not self.digests_at_write or not events or self.ledger_follows():
            return {}
        values = [event_values(event) for event in events]
        known = {subject: self.keyring.unwrap(subject, key) for subject, key in new_keys.items()}
        digests = FieldDigests(self.keyring, frozenset().union(*map(subjects_of, values)), known)
        written = {}
        for event, fields in zip(events, values, strict=True):
            aggregate, version = event.originator_id, event.originator_version
            made = digests.of(aggregate, version, fields)
            if plain_fields(made):  # else the integrator makes the entry from the decoded event
                written[(aggregate, version)] = (event.timestamp.isoformat(), fields_text(made))
        return written

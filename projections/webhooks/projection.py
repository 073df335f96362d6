"""The webhooks view (docs/rules.md §14): endpoints as their events leave them, a row of the
changes feed for each event of a thin kind, and, in the same transaction as the view's
tracking, one delivery in the outbox per endpoint whose owner may be told of it
(``domain.webhooks.rules.may_be_told``). The sender (``api/webhooks.py``) posts them.

Never rebuilt: deliveries and their attempts are a record of what was sent, and a replay
would send everything again.
"""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID, uuid4

from psycopg import Cursor

from domain.retention.erasure import Erasure
from domain.shared.policy import Action, Principal, Target
from domain.webhooks.aggregates import WebhookEndpoint
from domain.webhooks.kinds import EVENT_KINDS
from domain.webhooks.rules import EventKind, Readers, may_be_told
from projections.common import sealed_column, sealed_or_none
from projections.view import View, handles

_RECORD_EVENTS = tuple(cls for cls in EVENT_KINDS if cls is not Erasure.CarriedOut)


class Records(Protocol):
    """What the view asks the write side: who an endpoint's owner is now, and what the
    policy decides on for a record as an event left it (``domain/webhooks/handlers.py``)."""

    def principal_for(self, user_id: str) -> Principal: ...

    def webhook_readers(self, record_id: UUID, version: int) -> tuple[Target, Readers]: ...


class RecordsNotBound(RuntimeError):
    def __init__(self) -> None:
        super().__init__("the webhooks view was built without the records it reads (bind it)")


class WebhooksView(View):
    name = "webhooks"
    tables = ("wh_endpoints", "wh_changes", "wh_deliveries", "wh_attempts")
    rebuildable = False
    _records: Records | None = None

    def bind(self, records: Records) -> None:
        self._records = records

    @property
    def records(self) -> Records:
        if self._records is None:
            raise RecordsNotBound()
        return self._records

    # --- endpoints -----------------------------------------------------------------------------

    @handles(WebhookEndpoint.Registered)
    def registered(self, curs: Cursor[Any], e: WebhookEndpoint.Registered, position: int) -> None:
        curs.execute(
            "INSERT INTO wh_endpoints (endpoint_id, trust_id, school_id, url, kinds, secret, "
            "owner, active, registered_at, changed_at, seq) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, true, %s, %s, %s)",
            (
                e.originator_id,
                e.trust_id,
                e.school_id,
                e.url,
                list(e.kinds),
                sealed_column(e.secret),
                self.logins.seal(e.owner),
                e.timestamp,
                e.timestamp,
                position,
            ),
        )

    @handles(WebhookEndpoint.Changed)
    def changed(self, curs: Cursor[Any], e: WebhookEndpoint.Changed, position: int) -> None:
        curs.execute(
            "UPDATE wh_endpoints SET url = %s, kinds = %s, changed_at = %s, seq = %s "
            "WHERE endpoint_id = %s",
            (e.url, list(e.kinds), e.timestamp, position, e.originator_id),
        )

    @handles(WebhookEndpoint.Removed)
    def removed(self, curs: Cursor[Any], e: WebhookEndpoint.Removed, position: int) -> None:
        """A removed endpoint is sent nothing more: what was waiting for it is cancelled."""
        curs.execute(
            "UPDATE wh_endpoints SET active = false, changed_at = %s, seq = %s "
            "WHERE endpoint_id = %s",
            (e.timestamp, position, e.originator_id),
        )
        curs.execute(
            "UPDATE wh_deliveries SET status = 'cancelled', next_attempt_at = NULL "
            "WHERE endpoint_id = %s AND status = 'pending'",
            (e.originator_id,),
        )

    # --- changes and deliveries ----------------------------------------------------------------

    @handles(*_RECORD_EVENTS)
    def record_changed(self, curs: Cursor[Any], e: Any, position: int) -> None:
        target, readers = self.records.webhook_readers(e.originator_id, e.originator_version)
        kind = EVENT_KINDS[type(e)]
        self._change(curs, kind, e.originator_id, target, readers, position, e.timestamp)

    @handles(Erasure.CarriedOut)
    def erased(self, curs: Cursor[Any], e: Erasure.CarriedOut, position: int) -> None:
        """Erased logins and destroyed keys go from every table (``View.purge``); each erased
        record is a ``record_erased`` change: its id, nothing else, in the school the feed
        last saw it in."""
        self.purge(curs, e)
        about = frozenset(e.subject_ids)
        for record_id in e.record_ids:
            curs.execute(
                "SELECT school_id FROM wh_changes WHERE record_id = %s ORDER BY seq LIMIT 1",
                (record_id,),
            )
            row = curs.fetchone()
            school_id = row["school_id"] if row is not None else e.school_id
            target = Target(e.trust_id, school_id, about)
            readers = Readers(Action.VIEW_ERASURES)
            self._change(
                curs, EventKind.RECORD_ERASED, record_id, target, readers, position, e.timestamp
            )

    def _change(
        self,
        curs: Cursor[Any],
        kind: EventKind,
        record_id: UUID,
        target: Target,
        readers: Readers,
        position: int,
        occurred_at: Any,
    ) -> None:
        curs.execute(
            "INSERT INTO wh_changes (position, kind, record_id, trust_id, school_id, action, "
            "about, subject_ix, occurred_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "RETURNING seq",
            (
                position,
                kind.value,
                record_id,
                target.trust_id,
                target.school_id,
                readers.action.value,
                sorted(target.subject_ids),
                None if readers.subject_login is None else self.logins.ix(readers.subject_login),
                occurred_at,
            ),
        )
        row = curs.fetchone()
        if row is None:
            raise RuntimeError("a change of the webhooks feed was not written")
        seq = int(row["seq"])
        curs.execute(
            "SELECT endpoint_id, school_id, owner FROM wh_endpoints "
            "WHERE active AND trust_id = %s AND %s = ANY(kinds) ORDER BY endpoint_id",
            (target.trust_id, kind.value),
        )
        for endpoint in curs.fetchall():
            owner = self.open_text(sealed_or_none(endpoint["owner"]))
            if owner is None:
                continue  # an erased owner is told nothing
            principal = self.records.principal_for(owner)
            if may_be_told(principal, readers, target, target.trust_id, endpoint["school_id"]):
                curs.execute(
                    "INSERT INTO wh_deliveries (delivery_id, endpoint_id, change_seq, status, "
                    "next_attempt_at, created_at) VALUES (%s, %s, %s, 'pending', now(), now())",
                    (uuid4(), endpoint["endpoint_id"], seq),
                )

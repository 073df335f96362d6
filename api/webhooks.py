"""Sending webhook deliveries from the outbox (docs/rules.md §14).

The webhooks view writes a delivery for each endpoint whose owner may be told of a change, in
the transaction that moves the view (``projections/webhooks/projection.py``). This sender
claims the deliveries that are due (``FOR UPDATE SKIP LOCKED``: several senders never take
the same one) by leasing them: their next attempt is moved past the time their posts can take,
and the claim commits before anything is posted, so no transaction, lock or pooled connection is
held while a receiver answers (a slow one never stalls the view that cancels or the replay that
resets its deliveries). It posts each with the Standard Webhooks headers, then records the
attempt and what follows from it in a short transaction of its own, if the lease still holds: a
2xx ends the delivery, anything else (a timeout, a refusal, no answer) sets its next attempt,
later each time with jitter, until the bound, when it fails. A sender that dies mid-post
records nothing: the lease runs out and the delivery is sent again (a receiver deduplicates on
``webhook-id``, which never changes); one that is stopped starts no other post and gives back
the rest of its claim, due at once. A delivery cancelled or replayed while it was being
posted keeps what was done to it: the lease no longer holds, and the post is not recorded.

Nothing personal is logged or sent: a delivery names a kind, a record id, a school and a
position.
"""

from __future__ import annotations

import json
import logging
import random
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg import Connection
from psycopg.rows import DictRow
from psycopg_pool import ConnectionPool

from api.settings import Settings
from domain.shared.sealing import Keyring
from domain.webhooks.rules import AttemptOutcome, DeliveryStatus, signature
from projections.common import sealed_or_none

log = logging.getLogger(__name__)
CLAIM_BATCH = 5
# A claimed delivery is still its sender's while it is pending with the next attempt time its
# claim set (the parameter: the claim's lease): not cancelled, replayed or claimed again.
LEASE_HOLDS = "status = 'pending' AND next_attempt_at = %s"
MAX_PAUSE = timedelta(days=1)
USER_AGENT = "safeguarding-casework-webhooks/1"


@dataclass(frozen=True)
class Due:
    delivery_id: UUID
    endpoint_id: UUID
    url: str
    secret: bytes | None
    attempts: int
    round_start: int
    kind: str
    record_id: UUID
    school_id: UUID | None
    position: int
    occurred_at: datetime
    leased_until: datetime  # the next attempt time its claim set: while that holds, ours


@dataclass(frozen=True)
class Answer:
    outcome: AttemptOutcome
    status_code: int | None
    duration_ms: int


def payload(due: Due) -> bytes:
    """The thin body: the kind, the record, the school, the position and when it happened."""
    return json.dumps(
        {
            "type": due.kind,
            "recordId": str(due.record_id),
            "schoolId": None if due.school_id is None else str(due.school_id),
            "position": str(due.position),
            "timestamp": due.occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        },
        separators=(",", ":"),
    ).encode()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a 2xx: a delivery never follows one to another address."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def post(url: str, headers: dict[str, str], body: bytes, timeout: float) -> Answer:
    if not url.startswith(("https://", "http://")):  # as registration checked
        return Answer(AttemptOutcome.UNREACHABLE, None, 0)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        with _OPENER.open(request, timeout=timeout) as response:  # http(s) only, above
            response.read(64 * 1024)
            code = int(response.status)
    except urllib.error.HTTPError as error:
        return Answer(AttemptOutcome.REFUSED, error.code, took())
    except TimeoutError:
        return Answer(AttemptOutcome.TIMEOUT, None, took())
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError | socket.timeout):
            return Answer(AttemptOutcome.TIMEOUT, None, took())
        return Answer(AttemptOutcome.UNREACHABLE, None, took())
    except OSError:
        return Answer(AttemptOutcome.UNREACHABLE, None, took())
    ok = 200 <= code < 300
    return Answer(AttemptOutcome.DELIVERED if ok else AttemptOutcome.REFUSED, code, took())


def pause(settings: Settings, attempts: int) -> timedelta:
    """Before attempt ``attempts + 1``: the base doubled for each attempt after the first,
    up to a day, times a jitter of 0.75 to 1.25 (receivers that failed together are not all
    retried at once)."""
    base = settings.webhook_retry_seconds * 2 ** max(0, attempts - 1)
    return min(timedelta(seconds=base * random.uniform(0.75, 1.25)), MAX_PAUSE)


class WebhookSender:
    def __init__(
        self, pool: ConnectionPool[Connection[DictRow]], keyring: Keyring, settings: Settings
    ) -> None:
        self.pool = pool
        self.keyring = keyring
        self.settings = settings

    def send_due(self, stopping: threading.Event | None = None) -> int:
        """Claim the deliveries due now, post each, record the outcome; how many were tried.
        Once ``stopping`` is set, no other post starts: the rest are given back, due at once
        (to the next sender, not at the lease's end)."""
        claimed = self.claim()
        for tried, due in enumerate(claimed):
            if stopping is not None and stopping.is_set():
                self._give_back(claimed[tried:])
                return tried
            attempted_at = datetime.now(UTC)
            self._record(due, attempted_at, self._post(due))
        return len(claimed)

    def _give_back(self, leased: list[Due]) -> None:
        """Make ``leased`` (of one claim, so of one lease) due now, if that lease still holds."""
        with self.pool.connection() as conn:
            conn.execute(
                "UPDATE wh_deliveries SET next_attempt_at = now() WHERE delivery_id = ANY(%s) "
                "AND " + LEASE_HOLDS,
                ([d.delivery_id for d in leased], leased[0].leased_until),
            )

    def lease(self) -> timedelta:
        """How long a claim holds its deliveries: every post of a claim at its timeout, and a
        margin for recording them."""
        return timedelta(seconds=CLAIM_BATCH * self.settings.webhook_timeout_seconds + 30)

    def claim(self) -> list[Due]:
        """Lease the deliveries due now (committed before any is posted); each ``Due`` holds
        its lease, the next attempt time that says the delivery is still this sender's."""
        with self.pool.connection() as conn, conn.transaction():
            rows = conn.execute(
                "SELECT d.delivery_id, d.endpoint_id, e.url, e.secret, d.attempts, "
                "d.round_start, c.kind, c.record_id, c.school_id, c.position, c.occurred_at, "
                "now() + %s AS leased_until "
                "FROM wh_deliveries d JOIN wh_endpoints e USING (endpoint_id) "
                "JOIN wh_changes c ON c.seq = d.change_seq "
                "WHERE d.status = 'pending' AND d.next_attempt_at <= now() "
                "ORDER BY d.next_attempt_at LIMIT %s FOR UPDATE OF d SKIP LOCKED",
                (self.lease(), CLAIM_BATCH),
            ).fetchall()
            if rows:  # one lease for the claim: now() is the transaction's
                conn.execute(
                    "UPDATE wh_deliveries SET next_attempt_at = %s WHERE delivery_id = ANY(%s)",
                    (rows[0]["leased_until"], [r["delivery_id"] for r in rows]),
                )
        return [Due(**row) for row in rows]

    def _post(self, due: Due) -> Answer:
        secret = self._secret(due.secret)
        if secret is None:
            return Answer(AttemptOutcome.UNREACHABLE, None, 0)  # no secret: never sent
        body = payload(due)
        message_id = str(due.delivery_id)
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature(secret, message_id, timestamp, body),
        }
        return post(due.url, headers, body, self.settings.webhook_timeout_seconds)

    def _record(self, due: Due, attempted_at: datetime, answer: Answer) -> None:
        """The attempt and what follows from it, if the delivery is still leased to this
        sender (not cancelled, replayed or re-claimed since the claim)."""
        attempt = due.attempts + 1
        next_at: datetime | None = None
        if answer.outcome is AttemptOutcome.DELIVERED:
            status = DeliveryStatus.DELIVERED
        elif attempt - due.round_start >= self.settings.webhook_max_attempts:
            status = DeliveryStatus.FAILED
        else:
            status = DeliveryStatus.PENDING
            next_at = datetime.now(UTC) + pause(self.settings, attempt)
        with self.pool.connection() as conn, conn.transaction():
            held = conn.execute(
                "UPDATE wh_deliveries SET attempts = %s, status = %s, next_attempt_at = %s, "
                "last_status_code = %s, delivered_at = CASE WHEN %s THEN now() END "
                "WHERE delivery_id = %s AND attempts = %s AND " + LEASE_HOLDS + " "
                "RETURNING delivery_id",
                (
                    attempt,
                    status.value,
                    next_at,
                    answer.status_code,
                    status is DeliveryStatus.DELIVERED,
                    due.delivery_id,
                    due.attempts,
                    due.leased_until,
                ),
            ).fetchone()
            if held is None:
                log.warning(
                    "webhook delivery %s attempt %d: %s %s, not recorded: the delivery was "
                    "cancelled, replayed or claimed again while it was posted",
                    due.delivery_id,
                    attempt,
                    answer.outcome.value,
                    answer.status_code or "",
                )
                return
            conn.execute(
                "INSERT INTO wh_attempts (delivery_id, attempt, attempted_at, outcome, "
                "status_code, duration_ms) VALUES (%s, %s, %s, %s, %s, %s)",
                (
                    due.delivery_id,
                    attempt,
                    attempted_at,
                    answer.outcome.value,
                    answer.status_code,
                    answer.duration_ms,
                ),
            )
        log.info(
            "webhook delivery %s attempt %d: %s %s",
            due.delivery_id,
            attempt,
            answer.outcome.value,
            answer.status_code or "",
        )

    def _secret(self, sealed: bytes | None) -> str | None:
        return self.keyring.text_of(sealed_or_none(sealed))

    def run(self, stopping: threading.Event) -> None:
        """Send what is due until ``stopping`` is set; an error is logged and tried again."""
        while not stopping.is_set():
            try:
                sent = self.send_due(stopping)
            except Exception as error:  # the database went away: wait, then try again
                log.warning("webhook sender: %s", type(error).__name__)
                sent = 0
            if not sent:
                stopping.wait(self.settings.webhook_poll_seconds)


class SenderThread:
    """The sender, beside the projection workers (``api.workers``)."""

    def __init__(
        self, pool: ConnectionPool[Connection[DictRow]], keyring: Keyring, settings: Settings
    ) -> None:
        self._stopping = threading.Event()
        self.sender = WebhookSender(pool, keyring, settings)
        self._thread = threading.Thread(
            target=self.sender.run, args=(self._stopping,), name="webhook-sender", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=self.sender.settings.webhook_timeout_seconds * 2 + 5)

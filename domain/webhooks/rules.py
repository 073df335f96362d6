"""The webhook rules (docs/rules.md §14), as pure functions: the event kinds an endpoint may
want, what reading each kind takes, the URL an endpoint may have, its secret, and whether an
endpoint's owner may be told of a record at all."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit
from uuid import UUID

from domain.shared.errors import ValidationFailed
from domain.shared.policy import Action, Principal, Target, permits

MAX_URL = 2000
SECRET_PREFIX = "whsec_"  # noqa: S105 (the prefix Standard Webhooks gives a secret)
SECRET_BYTES = 32
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})


class EventKind(StrEnum):
    """The thin kinds an endpoint subscribes to, each mapped from domain events
    (``domain.webhooks.kinds``). A delivery names the kind and the record, nothing more."""

    INCIDENT_REPORTED = "incident_reported"
    INCIDENT_CLOSED = "incident_closed"
    ALLEGATION_RECEIVED = "allegation_received"
    ALLEGATION_CLOSED = "allegation_closed"
    CONCERN_RAISED = "concern_raised"
    CONSENT_CHANGED = "consent_changed"
    RECORD_ERASED = "record_erased"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its next attempt
    DELIVERED = "delivered"  # a 2xx answered it
    FAILED = "failed"  # the attempts ran out (replayWebhookDelivery sends it again)
    CANCELLED = "cancelled"  # its endpoint was removed


class AttemptOutcome(StrEnum):
    DELIVERED = "delivered"  # a 2xx
    REFUSED = "refused"  # any other status
    TIMEOUT = "timeout"  # no answer in time
    UNREACHABLE = "unreachable"  # no connection, or no secret to sign with


@dataclass(frozen=True)
class Readers:
    """Who reads a record, as its own read decides (docs/rules.md §14): the roles the policy
    lets read it (``action``), and, for a staff case, the people named on it (``members``, by
    login), who read it while they hold any role that reaches it; never its subject (by person
    record, or by ``subject_login``)."""

    action: Action
    members: frozenset[str] = frozenset()
    subject_login: str | None = None


# Every action a record's read may rest on: what the changes feed asks of its reader.
READING_ACTIONS = frozenset(
    {
        Action.VIEW_INCIDENT,
        Action.HANDLE_STAFF_CONDUCT_INCIDENT,
        Action.OVERSEE_ALLEGATIONS,
        Action.HANDLE_LOW_LEVEL_CONCERN,
        Action.VIEW_CONSENT,
        Action.VIEW_ERASURES,
    }
)


def endpoint_url(url: str, *, loopback_http: bool) -> str:
    """An endpoint's URL: https, or http to this machine only (``loopback_http``: outside
    production), with a host, and no credentials in it."""
    url = url.strip()
    if not url or len(url) > MAX_URL:
        raise ValidationFailed("url", f"must be 1 to {MAX_URL} characters")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise ValidationFailed("url", "is not a URL") from None
    if not host:
        raise ValidationFailed("url", "must name a host")
    if parts.username or parts.password:
        raise ValidationFailed("url", "must not carry credentials: the secret signs deliveries")
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and loopback_http and host in LOOPBACK_HOSTS:
        return url
    if parts.scheme == "http" and host in LOOPBACK_HOSTS:
        raise ValidationFailed("url", "must be https in production")
    raise ValidationFailed("url", "must be https (http only to localhost outside production)")


def event_kinds(kinds: Iterable[str]) -> list[str]:
    """The kinds an endpoint wants: at least one, each known, in a stable order."""
    wanted = set()
    for kind in kinds:
        try:
            wanted.add(EventKind(kind))
        except ValueError:
            raise ValidationFailed(
                "kinds", f"{kind!r} is not one of {', '.join(k.value for k in EventKind)}"
            ) from None
    if not wanted:
        raise ValidationFailed("kinds", "must name at least one event kind")
    return sorted(k.value for k in wanted)


def new_secret() -> str:
    """A signing secret as Standard Webhooks writes it: ``whsec_`` and base64 of 32 random
    bytes. Made by the server, shown once."""
    return SECRET_PREFIX + base64.b64encode(os.urandom(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key a ``whsec_`` secret stands for."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header: ``v1,`` and base64 of the HMAC-SHA256 of
    ``id.timestamp.body`` under the secret's key (Standard Webhooks)."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def may_be_told(
    owner: Principal,
    readers: Readers,
    target: Target,
    endpoint_trust: UUID,
    endpoint_school: UUID | None,
) -> bool:
    """Whether an endpoint's owner may be told that something happened to the record
    ``target`` describes: the record is in the endpoint's trust (and school, for a school's
    endpoint), it is not about the owner, and the owner may read it now, as the record's own
    read decides (the access policy, with the owner's principal)."""
    if owner.is_operator or target.trust_id != endpoint_trust:
        return False
    if endpoint_school is not None and target.school_id != endpoint_school:
        return False
    if readers.subject_login is not None and readers.subject_login == owner.user_id:
        return False
    if target.subject_ids & owner.subject_of:
        return False
    if owner.user_id in readers.members and any(g.reaches(target) for g in owner.grants):
        return True
    return permits(owner, readers.action, target)

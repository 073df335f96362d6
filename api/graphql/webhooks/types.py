"""The webhook object types: an endpoint, a delivery with its attempts, a change of the feed.
None holds personal data: kinds, ids, positions, times and HTTP status codes."""

from __future__ import annotations

import datetime

import strawberry

from api.graphql.common import Position, optional_id, to_id
from api.graphql.enums import AttemptOutcome, DeliveryStatus, EventKind
from projections.webhooks.queries import AttemptRow, ChangeRow, DeliveryRow, EndpointRow


@strawberry.type(description="Where deliveries of the kinds it wants are posted.")
class WebhookEndpoint:
    id: strawberry.ID
    trust_id: strawberry.ID
    school_id: strawberry.ID | None = strawberry.field(description="Null: the whole trust.")
    url: str
    kinds: list[EventKind]
    registered_at: datetime.datetime
    changed_at: datetime.datetime

    @classmethod
    def from_row(cls, row: EndpointRow) -> WebhookEndpoint:
        return cls(
            id=to_id(row.endpoint_id),
            trust_id=to_id(row.trust_id),
            school_id=optional_id(row.school_id),
            url=row.url,
            kinds=[EventKind(k) for k in row.kinds],
            registered_at=row.registered_at,
            changed_at=row.changed_at,
        )


@strawberry.type(description="One attempt at a delivery.")
class WebhookAttempt:
    attempt: int
    attempted_at: datetime.datetime
    outcome: AttemptOutcome
    status_code: int | None = strawberry.field(description="What the receiver answered, if it did.")
    duration_ms: int

    @classmethod
    def from_row(cls, row: AttemptRow) -> WebhookAttempt:
        return cls(
            attempt=row.attempt,
            attempted_at=row.attempted_at,
            outcome=AttemptOutcome(row.outcome),
            status_code=row.status_code,
            duration_ms=row.duration_ms,
        )


@strawberry.type(
    description="One change posted to one endpoint: the body is `{type, recordId, schoolId, "
    "position, timestamp}`, signed as Standard Webhooks says; `id` is its `webhook-id`."
)
class WebhookDelivery:
    id: strawberry.ID
    endpoint_id: strawberry.ID
    kind: EventKind
    record_id: strawberry.ID
    school_id: strawberry.ID | None
    position: Position
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime.datetime | None = strawberry.field(
        description="While PENDING: when it is tried next. While an attempt is being made, "
        "when it is tried again if that attempt is never recorded (its sender stopped)."
    )
    last_status_code: int | None
    created_at: datetime.datetime
    delivered_at: datetime.datetime | None
    attempt_log: list[WebhookAttempt] = strawberry.field(description="Every attempt, in order.")

    @classmethod
    def from_row(cls, row: DeliveryRow) -> WebhookDelivery:
        return cls(
            id=to_id(row.delivery_id),
            endpoint_id=to_id(row.endpoint_id),
            kind=EventKind(row.kind),
            record_id=to_id(row.record_id),
            school_id=optional_id(row.school_id),
            position=Position(row.position),
            status=DeliveryStatus(row.status),
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            last_status_code=row.last_status_code,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
            attempt_log=[WebhookAttempt.from_row(a) for a in row.attempt_list],
        )


@strawberry.type(description="A change to a record: its kind and id, nothing else.")
class Change:
    position: Position
    kind: EventKind
    record_id: strawberry.ID
    school_id: strawberry.ID | None
    occurred_at: datetime.datetime

    @classmethod
    def from_row(cls, row: ChangeRow) -> Change:
        return cls(
            position=Position(row.position),
            kind=EventKind(row.kind),
            record_id=to_id(row.record_id),
            school_id=optional_id(row.school_id),
            occurred_at=row.occurred_at,
        )

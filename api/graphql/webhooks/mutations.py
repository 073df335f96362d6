"""The webhook mutations: register (the secret is answered this once), change and remove an
endpoint, each an event; and replay a delivery, which requeues it in the outbox."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.common import (
    Position,
    answering_mutation,
    command_mutation,
    optional_uuid,
    parse_id,
    result_union,
    run_command,
    to_id,
)
from api.graphql.context import Context
from api.graphql.enums import EventKind
from api.graphql.webhooks.queries import managed_endpoint
from domain.application import CaseworkApplication as App
from domain.shared.errors import NotFound, ValidationFailed
from domain.webhooks import commands
from projections.webhooks import queries


@strawberry.type(
    description="The endpoint, and its signing secret (`whsec_...`): shown this once, never "
    "again. Verify each delivery's `webhook-signature` with it (Standard Webhooks)."
)
class WebhookEndpointRegistered:
    endpoint_id: strawberry.ID
    secret: str
    position: Position


@strawberry.type(description="What was recorded, and where in the event store.")
class WebhookEndpointChanged:
    endpoint_id: strawberry.ID
    position: Position


@strawberry.type(description="The delivery is due again now, with a fresh bound on attempts.")
class WebhookDeliveryReplayed:
    delivery_id: strawberry.ID


RegisterResult = result_union("RegisterWebhookEndpointResult", WebhookEndpointRegistered)
ChangeResult = result_union("WebhookEndpointResult", WebhookEndpointChanged)
ReplayResult = result_union("ReplayWebhookDeliveryResult", WebhookDeliveryReplayed)


@strawberry.input
class RegisterWebhookEndpointInput:
    trust_id: strawberry.ID
    school_id: strawberry.ID | None = strawberry.field(
        default=None, description="One school's endpoint; omitted: the whole trust's."
    )
    url: str = strawberry.field(description="https (http only to localhost outside production).")
    kinds: list[EventKind] = strawberry.field(description="The kinds it wants.")

    def to_command(self) -> commands.RegisterWebhookEndpoint:
        return commands.RegisterWebhookEndpoint(
            trust_id=parse_id("trustId", self.trust_id),
            url=self.url,
            kinds=[k.value for k in self.kinds],
            school_id=optional_uuid("schoolId", self.school_id),
        )


@strawberry.input
class ChangeWebhookEndpointInput:
    endpoint_id: strawberry.ID
    url: str | None = None
    kinds: list[EventKind] | None = None

    def to_command(self) -> commands.ChangeWebhookEndpoint:
        return commands.ChangeWebhookEndpoint(
            endpoint_id=parse_id("endpointId", self.endpoint_id),
            url=self.url,
            kinds=None if self.kinds is None else [k.value for k in self.kinds],
        )


@strawberry.input
class RemoveWebhookEndpointInput:
    endpoint_id: strawberry.ID

    def to_command(self) -> commands.RemoveWebhookEndpoint:
        return commands.RemoveWebhookEndpoint(parse_id("endpointId", self.endpoint_id))


@strawberry.input
class ReplayWebhookDeliveryInput:
    delivery_id: strawberry.ID


def _register(app: Any, input: RegisterWebhookEndpointInput) -> WebhookEndpointRegistered:
    registered = app.register_webhook_endpoint(input.to_command())
    return WebhookEndpointRegistered(
        endpoint_id=to_id(registered.endpoint_id),
        secret=registered.secret,
        position=Position(registered.position),
    )


def _replay(
    info: Info[Context, None], input: ReplayWebhookDeliveryInput
) -> WebhookDeliveryReplayed:
    ctx = info.context
    delivery_id = parse_id("deliveryId", input.delivery_id)
    endpoint_id = queries.delivery_endpoint(ctx.conn, delivery_id)
    if endpoint_id is None:
        raise NotFound("Webhook delivery", delivery_id)
    try:
        managed_endpoint(ctx, endpoint_id)
    except NotFound:
        raise NotFound("Webhook delivery", delivery_id) from None
    if not queries.replay(ctx.conn, delivery_id):
        raise ValidationFailed("deliveryId", "its webhook endpoint has been removed")
    return WebhookDeliveryReplayed(delivery_id=to_id(delivery_id))


def _resolve_replay(info: Info[Context, None], input: ReplayWebhookDeliveryInput) -> Any:
    return run_command(info, lambda: _replay(info, input))


_resolve_replay.__annotations__["return"] = ReplayResult


@strawberry.type
class WebhookMutation:
    register_webhook_endpoint = answering_mutation(
        _register,
        RegisterWebhookEndpointInput,
        RegisterResult,
        "Register a webhook endpoint for the trust (trust safeguarding lead) or a school (its "
        "headteacher, or the trust safeguarding lead). It is told only of records its "
        "registrant may read, never of one about them. The secret is answered once.",
    )
    change_webhook_endpoint = command_mutation(
        App.change_webhook_endpoint,
        ChangeWebhookEndpointInput,
        ChangeResult,
        WebhookEndpointChanged,
        "Change an endpoint's URL or kinds.",
        id_field="endpoint_id",
    )
    remove_webhook_endpoint = command_mutation(
        App.remove_webhook_endpoint,
        RemoveWebhookEndpointInput,
        ChangeResult,
        WebhookEndpointChanged,
        "Remove an endpoint: nothing more is sent to it, and what was waiting is cancelled.",
        id_field="endpoint_id",
    )

    replay_webhook_delivery = strawberry.mutation(
        resolver=_resolve_replay,
        description="Send a delivery again now (failed, or delivered and wanted again), with a "
        "fresh bound on its attempts. Not an event: the outbox is the sender's.",
    )

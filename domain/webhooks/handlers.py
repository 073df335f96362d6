"""Webhook commands (docs/rules.md §14): a headteacher registers endpoints for their school, a
trust safeguarding lead for the trust or any of its schools. Each authorises first (a trust or
school the caller may not reach answers as an unknown one), then validates, then records; a
refusal appends nothing."""

from __future__ import annotations

from uuid import UUID, uuid4

from domain.directory.aggregates import Trust
from domain.shared.actor import current_principal
from domain.shared.base_app import CaseworkBase
from domain.shared.errors import Concealed, NotAuthorised
from domain.shared.policy import Action, Target, authorise
from domain.webhooks.aggregates import WebhookEndpoint
from domain.webhooks.commands import (
    ChangeWebhookEndpoint,
    RegisteredEndpoint,
    RegisterWebhookEndpoint,
    RemoveWebhookEndpoint,
)
from domain.webhooks.rules import endpoint_url, event_kinds, new_secret

ENDPOINT = "Webhook endpoint"


class WebhookHandlers(CaseworkBase):
    # Whether an endpoint may be http to this machine (set from the settings: never in
    # production).
    webhook_loopback_http = False

    def register_webhook_endpoint(self, command: RegisterWebhookEndpoint) -> RegisteredEndpoint:
        if command.school_id is not None:
            target = self.school_for(command.school_id, Action.MANAGE_WEBHOOKS)
            if target.trust_id != command.trust_id:
                raise Concealed("School", command.school_id)
        else:
            trust = self.get(Trust, command.trust_id, "Trust", read_only=True)
            target = Target(trust.id)
            try:
                authorise(current_principal(), Action.MANAGE_WEBHOOKS, target)
            except NotAuthorised:
                raise Concealed("Trust", trust.id) from None
        url = endpoint_url(command.url, loopback_http=self.webhook_loopback_http)
        kinds = event_kinds(command.kinds)
        secret = new_secret()
        seal = self.keyring.session()
        endpoint_id = seal.new_subject(uuid4())
        endpoint = WebhookEndpoint(
            id=endpoint_id,
            trust_id=target.trust_id,
            school_id=target.school_id,
            url=url,
            kinds=kinds,
            secret=seal.seal(endpoint_id, secret),
            owner=current_principal().user_id,
        )
        position = self.record(endpoint, new_keys=seal.new_keys)
        return RegisteredEndpoint(endpoint_id, position, secret)

    def change_webhook_endpoint(self, command: ChangeWebhookEndpoint) -> tuple[UUID, int]:
        endpoint = self.open(WebhookEndpoint, command.endpoint_id, ENDPOINT, Action.MANAGE_WEBHOOKS)
        url = endpoint.url
        if command.url is not None:
            url = endpoint_url(command.url, loopback_http=self.webhook_loopback_http)
        kinds = endpoint.kinds if command.kinds is None else event_kinds(command.kinds)
        endpoint.change(url, kinds)
        return endpoint.id, self.record(endpoint)

    def remove_webhook_endpoint(self, command: RemoveWebhookEndpoint) -> tuple[UUID, int]:
        endpoint = self.open(WebhookEndpoint, command.endpoint_id, ENDPOINT, Action.MANAGE_WEBHOOKS)
        endpoint.remove()
        return endpoint.id, self.record(endpoint)

    def webhook_target(self, record_id: UUID, version: int) -> tuple[Target, str | None]:
        """What the webhook rules decide on for a record as it stood at ``version``: its
        tenancy and subjects, and the login of its subject where it names one (a staff case)."""
        record = self.repository.get(record_id, version=version)
        target = self.target_of(record)
        return target, getattr(record, "subject_user_id", None)

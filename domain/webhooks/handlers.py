"""Webhook commands (docs/rules.md §14): a headteacher registers endpoints for their school, a
trust safeguarding lead for the trust or any of its schools. Each authorises first (a trust or
school the caller may not reach answers as an unknown one), then validates, then records; a
refusal appends nothing."""

from __future__ import annotations

from uuid import UUID, uuid4

from domain.consent.aggregates import ConsentRecord
from domain.directory.aggregates import Trust
from domain.incidents.aggregates import Incident
from domain.incidents.rules import incident_action
from domain.shared.actor import current_principal
from domain.shared.aggregate import CaseworkAggregate
from domain.shared.base_app import CaseworkBase
from domain.shared.errors import Concealed, NotAuthorised
from domain.shared.policy import Action, Target, authorise
from domain.staff_cases.allegations import Allegation
from domain.staff_cases.concerns import LowLevelConcern
from domain.webhooks.aggregates import WebhookEndpoint
from domain.webhooks.commands import (
    ChangeWebhookEndpoint,
    RegisteredEndpoint,
    RegisterWebhookEndpoint,
    RemoveWebhookEndpoint,
)
from domain.webhooks.rules import Readers, endpoint_url, event_kinds, new_secret

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

    def webhook_readers(self, record_id: UUID, version: int) -> tuple[Target, Readers]:
        """What the webhook rules decide on for a record as it stood at ``version``: its
        tenancy and subjects, and who reads it as its own read decides."""
        record: CaseworkAggregate = self.repository.get(record_id, version=version)
        return self.target_of(record), readers_of(record)


def readers_of(record: CaseworkAggregate) -> Readers:
    """Who reads ``record``: the same decision its queries and commands make."""
    if isinstance(record, Incident):
        return Readers(incident_action(record.concerns_staff_conduct, managing=False))
    if isinstance(record, Allegation):
        return Readers(Action.OVERSEE_ALLEGATIONS, record.members, record.subject_user_id)
    if isinstance(record, LowLevelConcern):
        return Readers(Action.HANDLE_LOW_LEVEL_CONCERN, record.members, record.subject_user_id)
    if isinstance(record, ConsentRecord):
        return Readers(Action.VIEW_CONSENT)
    raise TypeError(f"no webhook kind is about a {type(record).__name__}")

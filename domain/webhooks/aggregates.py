"""A webhook endpoint: registered by a user for a trust or one of its schools, changed,
removed. Each change is an event. Its signing secret is sealed with the endpoint's own key."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import event

from domain.shared.aggregate import CaseworkAggregate
from domain.shared.errors import ValidationFailed
from domain.shared.sealing import Sealed


class EndpointRemoved(ValidationFailed):
    code = "WEBHOOK_ENDPOINT_REMOVED"

    def __init__(self) -> None:
        super().__init__("endpointId", "the webhook endpoint has been removed")


class WebhookEndpoint(CaseworkAggregate):
    """Where deliveries of the kinds it wants go. Its owner is who registered it: it is told
    only of records that user may read (``rules.may_be_told``)."""

    class Registered(CaseworkAggregate.Created):
        url: str
        kinds: list[str]
        secret: Sealed  # with the endpoint's own key
        owner: str  # the registering user's login

    class Changed(CaseworkAggregate.Event):
        url: str
        kinds: list[str]

    class Removed(CaseworkAggregate.Event):
        pass

    @event(Registered)
    def __init__(
        self,
        id: UUID,
        trust_id: UUID,
        school_id: UUID | None,
        url: str,
        kinds: list[str],
        secret: Sealed,
        owner: str,
    ) -> None:
        self.trust_id = trust_id
        self.school_id = school_id
        self.url = url
        self.kinds = kinds
        self.owner = owner
        self.removed = False

    def change(self, url: str, kinds: list[str]) -> None:
        if self.removed:
            raise EndpointRemoved()
        if url == self.url and kinds == self.kinds:
            raise ValidationFailed("url", "nothing would change")
        self._changed(url=url, kinds=kinds)

    @event(Changed)
    def _changed(self, url: str, kinds: list[str]) -> None:
        self.url = url
        self.kinds = kinds

    def remove(self) -> None:
        if self.removed:
            raise EndpointRemoved()
        self._removed()

    @event(Removed)
    def _removed(self) -> None:
        self.removed = True

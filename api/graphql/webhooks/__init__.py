"""GraphQL for webhooks and the changes feed (docs/rules.md §14)."""

from api.graphql.webhooks.mutations import WebhookMutation
from api.graphql.webhooks.queries import WEBHOOKS, WebhookQuery

__all__ = ["WEBHOOKS", "WebhookMutation", "WebhookQuery"]

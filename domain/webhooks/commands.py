"""The webhook commands, as values (``domain/webhooks/handlers.py`` handles each)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class RegisterWebhookEndpoint:
    """An endpoint for a whole trust (``school_id`` None) or one school."""

    trust_id: UUID
    url: str
    kinds: Sequence[str]
    school_id: UUID | None = None


@dataclass(frozen=True)
class ChangeWebhookEndpoint:
    endpoint_id: UUID
    url: str | None = None
    kinds: Sequence[str] | None = None


@dataclass(frozen=True)
class RemoveWebhookEndpoint:
    endpoint_id: UUID


@dataclass(frozen=True)
class RegisteredEndpoint:
    """What registering answers: the secret is shown this once, never again."""

    endpoint_id: UUID
    position: int
    secret: str

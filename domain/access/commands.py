"""The access commands: what a caller may ask for, as values. Each is handled by
the application method of the same name (``domain/access/handlers.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class GrantRole:
    user_id: str
    role: str
    trust_id: UUID
    school_id: UUID | None = None


@dataclass(frozen=True)
class RevokeRole:
    user_id: str
    role: str
    trust_id: UUID
    school_id: UUID | None = None

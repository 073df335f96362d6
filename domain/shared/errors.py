"""Named domain errors. Every rejected command raises one of these and appends nothing."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class Refusal:
    """The restricted record a refused command was about: evidence for the access log."""

    record_type: str
    record_id: UUID
    trust_id: UUID
    school_id: UUID | None
    subject_ids: frozenset[UUID]


class DomainError(Exception):
    """Base class: a command was refused for a reason the caller can act on."""

    code = "DOMAIN_ERROR"
    # Set when the command was refused on a restricted record: who tried is written down.
    refusal: Refusal | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationFailed(DomainError):
    """The input is invalid; ``field`` names the offending input field."""

    code = "VALIDATION_ERROR"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


class NotFound(DomainError):
    code = "NOT_FOUND"

    def __init__(self, kind: str, record_id: UUID | str) -> None:
        super().__init__(f"{kind} {record_id} was not found")
        self.kind = kind
        self.record_id = str(record_id)


class NotAuthorised(DomainError):
    code = "NOT_AUTHORISED"

    def __init__(self, message: str = "You are not authorised to do this") -> None:
        super().__init__(message)


class Concealed(NotFound, NotAuthorised):
    """A refusal on a record the caller may not see: answered exactly as an unknown id (same
    code, message and field), so that nobody learns a record exists, nor that it is about them.
    """

    def __init__(self, kind: str, record_id: UUID | str) -> None:
        NotFound.__init__(self, kind, record_id)


class VersionConflict(DomainError):
    code = "VERSION_CONFLICT"

    def __init__(self, kind: str, record_id: UUID, expected: int, actual: int | None) -> None:
        super().__init__(
            f"{kind} {record_id} is at version {actual}, not the expected {expected}; "
            "reload it and try again"
        )
        self.expected = expected
        self.actual = actual

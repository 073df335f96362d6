"""Named domain errors. Every rejected command raises one of these and appends nothing."""

from __future__ import annotations

from uuid import UUID


class DomainError(Exception):
    """Base class: a command was refused for a reason the caller can act on."""

    code = "DOMAIN_ERROR"

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


class VersionConflict(DomainError):
    code = "VERSION_CONFLICT"

    def __init__(self, kind: str, record_id: UUID, expected: int, actual: int | None) -> None:
        super().__init__(
            f"{kind} {record_id} is at version {actual}, not the expected {expected}; "
            "reload it and try again"
        )
        self.expected = expected
        self.actual = actual

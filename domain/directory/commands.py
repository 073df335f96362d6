"""The directory commands: what a caller may ask for, as values. Each is handled by
the application method of the same name (``domain/directory/handlers.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID


@dataclass(frozen=True)
class CreateTrust:
    """Provision a trust. Only the command-line operator does this."""

    name: str


@dataclass(frozen=True)
class RegisterSchool:
    trust_id: UUID
    name: str
    urn: str


@dataclass(frozen=True)
class RegisterPupil:
    school_id: UUID
    full_name: str
    date_of_birth: date
    year_group: int


@dataclass(frozen=True)
class RegisterStaffMember:
    school_id: UUID
    full_name: str
    staff_role: str
    user_id: str | None = None
    started_on: date | None = None


@dataclass(frozen=True)
class LinkParent:
    pupil_id: UUID
    relationship: str
    parental_responsibility: bool
    parent_id: UUID | None = None
    full_name: str | None = None


@dataclass(frozen=True)
class RecordPupilLeft:
    pupil_id: UUID
    left_on: date
    destination: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class RecordStaffLeft:
    staff_member_id: UUID
    left_on: date
    reason: str | None = None
    expected_version: int | None = None

"""The incidents commands: what a caller may ask for, as values. Each is handled by
the application method of the same name (``domain/incidents/handlers.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from domain.incidents.model import (
    Device,
    Source,
)


@dataclass(frozen=True)
class AddIncidentCategory:
    """An incident category of the trust's own (trust safeguarding lead)."""

    trust_id: UUID
    code: str
    label: str


@dataclass(frozen=True)
class ReportIncident:
    """A concern about pupils, reported by any member of staff; ``people`` pairs each person
    with their part (a ``Part`` value)."""

    school_id: UUID
    occurred_at: datetime
    reported_at: datetime
    category: str
    description: str
    people: Sequence[tuple[UUID, str]]
    platform: str | None = None
    source: str = Source.STAFF_OBSERVATION
    on_site: bool = False
    device: str = Device.UNKNOWN
    concerns_staff_conduct: bool = False


@dataclass(frozen=True)
class TriageIncident:
    """The DSL's triage: risk, the child-protection threshold, and a corrected category
    with its reason."""

    incident_id: UUID
    risk: str
    meets_cp_threshold: bool
    rationale: str
    category: str | None = None
    category_reason: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class RecordIncidentAction:
    """An action or decision, with its rationale; a planned one has the date it is due,
    and a later one may complete it."""

    incident_id: UUID
    kind: str
    taken_at: datetime
    decision: str
    rationale: str
    planned: bool = False
    due_on: date | None = None
    completes: UUID | None = None
    outcome_code: str | None = None


@dataclass(frozen=True)
class AttachEvidence:
    """An evidence file, as sent; its type is checked against its content."""

    incident_id: UUID
    filename: str
    content_type: str
    content: bytes
    note: str | None = None


@dataclass(frozen=True)
class LinkIncidents:
    """Two incidents of one school, each to reference the other."""

    incident_id: UUID
    other_incident_id: UUID
    reason: str | None = None


@dataclass(frozen=True)
class CloseIncident:
    """The outcome and lessons learnt of a triaged incident."""

    incident_id: UUID
    outcome: str
    lessons_learnt: str
    policy_changes: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class ReopenIncident:
    """A closed incident reopened, saying why."""

    incident_id: UUID
    reason: str

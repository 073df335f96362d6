"""A pupil online-safety incident: reported, triaged, acted on, closed, perhaps reopened.

Nothing is edited in place: a corrected category is a new triage with its reason; an action
completing a planned one refers to it; a reopening names why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import event

from domain.incidents.model import ActionKind, Involvement, Risk, Status
from domain.shared.aggregate import CaseworkAggregate, guarded
from domain.shared.errors import ValidationFailed
from domain.shared.sealing import Sealed


class IncidentClosed(ValidationFailed):
    code = "INCIDENT_CLOSED"

    def __init__(self) -> None:
        super().__init__("incidentId", "the incident is closed; reopen it first")


@dataclass(frozen=True)
class RecordedAction:
    action_id: UUID
    kind: ActionKind
    planned: bool
    due_on: date | None
    completed: bool


class Incident(CaseworkAggregate):
    record_type = "incident"

    class Reported(CaseworkAggregate.Created):
        source: str
        occurred_at: datetime
        reported_at: datetime
        platform: Sealed | str | None  # str: recorded before platforms were sealed
        category: str
        description: Sealed
        on_site: bool
        device: str
        people: list[dict[str, str]]
        concerns_staff_conduct: bool

    class Triaged(CaseworkAggregate.Event):
        risk: str
        meets_cp_threshold: bool
        category: str
        category_reason: Sealed | None
        rationale: Sealed

    class ActionRecorded(CaseworkAggregate.Event):
        action_id: UUID
        kind: str
        taken_at: datetime
        planned: bool
        due_on: date | None
        completes: UUID | None
        decision: Sealed
        rationale: Sealed
        outcome_code: str | None

    class EvidenceAttached(CaseworkAggregate.Event):
        file_id: UUID
        filename: Sealed
        content_type: str
        size: int
        sha256: Sealed | str  # str: recorded before fingerprints were sealed
        note: Sealed | None

    class Linked(CaseworkAggregate.Event):
        other_incident_id: UUID
        reason: Sealed | None

    class Closed(CaseworkAggregate.Event):
        outcome: Sealed
        lessons_learnt: Sealed
        policy_changes: Sealed | None

    class Reopened(CaseworkAggregate.Event):
        reason: Sealed

    @event(Reported)
    def __init__(
        self,
        id: UUID,
        trust_id: UUID,
        school_id: UUID,
        source: str,
        occurred_at: datetime,
        reported_at: datetime,
        platform: Sealed | None,
        category: str,
        description: Sealed,
        on_site: bool,
        device: str,
        people: list[dict[str, str]],
        concerns_staff_conduct: bool,
    ) -> None:
        self.trust_id = trust_id
        self.school_id = school_id
        self.category = category
        self.people = [Involvement.of(p) for p in people]
        self.concerns_staff_conduct = concerns_staff_conduct
        self.status = Status.REPORTED
        self.risk: Risk | None = None
        self.actions: dict[UUID, RecordedAction] = {}
        self.links: set[UUID] = set()
        self.evidence: set[UUID] = set()

    @property
    def subject_ids(self) -> frozenset[UUID]:
        return frozenset(p.person_id for p in self.people)

    @property
    def is_open(self) -> bool:
        return self.status is not Status.CLOSED

    def _require_open(self) -> None:
        if not self.is_open:
            raise IncidentClosed()

    def triage(
        self,
        risk: Risk,
        meets_cp_threshold: bool,
        category: str,
        category_reason: Sealed | None,
        rationale: Sealed,
    ) -> None:
        self._require_open()
        if category != self.category and category_reason is None:
            raise ValidationFailed("categoryReason", "give the reason for correcting the category")
        self._triaged(
            risk=risk.value,
            meets_cp_threshold=meets_cp_threshold,
            category=category,
            category_reason=category_reason,
            rationale=rationale,
        )

    @event(Triaged)
    def _triaged(
        self,
        risk: str,
        meets_cp_threshold: bool,
        category: str,
        category_reason: Sealed | None,
        rationale: Sealed,
    ) -> None:
        self.risk = Risk(risk)
        self.category = category
        if self.status is Status.REPORTED:
            self.status = Status.TRIAGED

    def record_action(
        self,
        action_id: UUID,
        kind: str,
        taken_at: datetime,
        planned: bool,
        due_on: date | None,
        completes: UUID | None,
        decision: Sealed,
        rationale: Sealed,
        outcome_code: str | None,
    ) -> None:
        self._require_open()
        if completes is not None:
            earlier = self.actions.get(completes)
            if earlier is None or not earlier.planned:
                raise ValidationFailed(
                    "completesActionId", "is not a planned action of this incident"
                )
            if earlier.completed:
                raise ValidationFailed("completesActionId", "that action is already completed")
        self._action(
            action_id=action_id,
            kind=kind,
            taken_at=taken_at,
            planned=planned,
            due_on=due_on,
            completes=completes,
            decision=decision,
            rationale=rationale,
            outcome_code=outcome_code,
        )

    @event(ActionRecorded)
    def _action(
        self,
        action_id: UUID,
        kind: str,
        taken_at: datetime,
        planned: bool,
        due_on: date | None,
        completes: UUID | None,
        decision: Sealed,
        rationale: Sealed,
        outcome_code: str | None,
    ) -> None:
        self.actions[action_id] = RecordedAction(
            action_id, ActionKind(kind), planned, due_on, False
        )
        if completes is not None:
            done = self.actions[completes]
            self.actions[completes] = RecordedAction(
                done.action_id, done.kind, True, done.due_on, True
            )

    @event(EvidenceAttached)
    def _evidence(
        self,
        file_id: UUID,
        filename: Sealed,
        content_type: str,
        size: int,
        sha256: Sealed,
        note: Sealed | None,
    ) -> None:
        self.evidence.add(file_id)

    attach_evidence = guarded(_require_open, _evidence)

    def link(self, other_incident_id: UUID, reason: Sealed | None) -> None:
        if other_incident_id == self.id:
            raise ValidationFailed("otherIncidentId", "an incident cannot be linked to itself")
        if other_incident_id in self.links:
            raise ValidationFailed("otherIncidentId", "these incidents are already linked")
        self._linked(other_incident_id=other_incident_id, reason=reason)

    @event(Linked)
    def _linked(self, other_incident_id: UUID, reason: Sealed | None) -> None:
        self.links.add(other_incident_id)

    def close(self, outcome: Sealed, lessons_learnt: Sealed, policy_changes: Sealed | None) -> None:
        self._require_open()
        if self.status is Status.REPORTED:
            raise ValidationFailed("incidentId", "triage the incident before closing it")
        self._closed(outcome=outcome, lessons_learnt=lessons_learnt, policy_changes=policy_changes)

    @event(Closed)
    def _closed(
        self, outcome: Sealed, lessons_learnt: Sealed, policy_changes: Sealed | None
    ) -> None:
        self.status = Status.CLOSED

    def reopen(self, reason: Sealed) -> None:
        if self.is_open:
            raise ValidationFailed("incidentId", "the incident is not closed")
        self._reopened(reason=reason)

    @event(Reopened)
    def _reopened(self, reason: Sealed) -> None:
        self.status = Status.REOPENED

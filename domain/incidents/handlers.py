"""Incident commands: the DSL's daily work (issue 3). Each authorises, validates, records."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID, uuid4

from domain.directory.aggregates import ParentCarer, Person, Pupil, StaffMember, Trust
from domain.incidents.aggregates import Incident
from domain.incidents.commands import (
    AddIncidentCategory,
    AttachEvidence,
    CloseIncident,
    LinkIncidents,
    RecordIncidentAction,
    ReopenIncident,
    ReportIncident,
    TriageIncident,
)
from domain.incidents.evidence import verified_type
from domain.incidents.model import (
    POLICE_OUTCOME_CODES,
    PUPIL_PARTS,
    ActionKind,
    Category,
    Device,
    Involvement,
    Part,
    Risk,
    Source,
)
from domain.incidents.rules import incident_action
from domain.shared.actor import current_principal
from domain.shared.base_app import CaseworkBase
from domain.shared.errors import NotFound, ValidationFailed
from domain.shared.evidence import Evidence, sealed_evidence
from domain.shared.policy import Action, Target, authorise
from domain.shared.validation import (
    MAX_TEXT,
    choice,
    optional_text,
    past_instant,
    pattern,
    required_text,
)

_PERSON_KIND: dict[Part, type[Person]] = {
    Part.PUPIL_HARMED: Pupil,
    Part.PUPIL_ALLEGED: Pupil,
    Part.PUPIL_WITNESS: Pupil,
    Part.PARENT_CARER: ParentCarer,
    Part.STAFF_MEMBER: StaffMember,
}


class IncidentHandlers(CaseworkBase):
    def incident_categories(self, trust_id: UUID) -> dict[str, str]:
        trust = self.get(Trust, trust_id, "Trust")
        return {c.value: c.value.replace("_", " ") for c in Category} | trust.incident_categories

    def add_incident_category(self, command: AddIncidentCategory) -> tuple[UUID, int]:
        trust = self.get(Trust, command.trust_id, "Trust")
        authorise(current_principal(), Action.MANAGE_TRUST_SETTINGS, Target(trust.id))
        code = pattern(
            "code", command.code, r"[a-z][a-z0-9_]{2,40}", "3 to 41 lower-case letters, digits or _"
        )
        if code in {c.value for c in Category}:
            raise ValidationFailed("code", f"{code} is a built-in category")
        trust.add_incident_category(code, required_text("label", command.label))
        return trust.id, self.record(trust)

    def incident_target(self, incident: Incident) -> Target:
        return Target(incident.trust_id, incident.school_id, incident.subject_ids)

    def _authorise_incident(self, incident: Incident) -> None:
        action = incident_action(incident.concerns_staff_conduct, managing=True)
        authorise(current_principal(), action, self.incident_target(incident))

    def _people(self, school_id: UUID, people: Sequence[tuple[UUID, str]]) -> list[Involvement]:
        if not people:
            raise ValidationFailed("people", "name at least one person involved")
        involved: list[Involvement] = []
        for person_id, part_value in people:
            try:
                part = Part(part_value)
            except ValueError:
                raise ValidationFailed("people", f"part must be one of {', '.join(Part)}") from None
            kind = _PERSON_KIND[part]
            try:
                person = self.get(kind, person_id, kind.__name__)
            except NotFound:
                raise NotFound(kind.__name__, person_id) from None
            if person.school_id != school_id:
                raise NotFound(kind.__name__, person_id)
            if any(i.person_id == person_id for i in involved):
                raise ValidationFailed("people", f"{person_id} is named twice")
            involved.append(Involvement(person_id, part))
        if not any(i.part in PUPIL_PARTS for i in involved):
            raise ValidationFailed("people", "a pupil online-safety incident involves a pupil")
        return involved

    def report_incident(self, command: ReportIncident) -> tuple[UUID, int]:
        school_id, category = command.school_id, command.category
        school = self.school_for(school_id, Action.REPORT_INCIDENT)
        occurred = past_instant("occurredAt", command.occurred_at)
        reported = past_instant("reportedAt", command.reported_at)
        if occurred > reported:
            raise ValidationFailed("occurredAt", "cannot be after reportedAt")
        if category not in self.incident_categories(school.trust_id):
            raise ValidationFailed("category", f"{category} is not a category of this trust")
        choice("source", command.source, Source)
        choice("device", command.device, Device)
        involved = self._people(school_id, command.people)
        concerns_staff_conduct = command.concerns_staff_conduct
        if concerns_staff_conduct and not any(i.part is Part.STAFF_MEMBER for i in involved):
            raise ValidationFailed("people", "name the member of staff whose conduct is concerned")
        text = required_text("description", command.description, MAX_TEXT)
        seal = self.keyring.session()
        incident_id = seal.new_subject(uuid4())
        incident = Incident(
            id=incident_id,
            trust_id=school.trust_id,
            school_id=school_id,
            source=command.source,
            occurred_at=occurred,
            reported_at=reported,
            platform=seal.seal(incident_id, where)
            if (where := optional_text("platform", command.platform, 100))
            else None,
            category=category,
            description=seal.seal(incident_id, text),
            on_site=command.on_site,
            device=command.device,
            people=[i.as_dict() for i in involved],
            concerns_staff_conduct=concerns_staff_conduct,
        )
        return incident.id, self.record(incident, new_keys=seal.new_keys)

    def _open_incident(self, incident_id: UUID, expected_version: int | None = None) -> Incident:
        # Whoever may not work on an incident may not read it either: they learn nothing of it.
        return self.open(
            Incident, incident_id, "Incident", self._authorise_incident, expected_version
        )

    def triage_incident(self, command: TriageIncident) -> tuple[UUID, int]:
        incident = self._open_incident(command.incident_id, command.expected_version)
        try:
            level = Risk(command.risk)
        except ValueError:
            raise ValidationFailed("risk", f"must be one of {', '.join(Risk)}") from None
        category = command.category or incident.category
        if category not in self.incident_categories(incident.trust_id):
            raise ValidationFailed("category", f"{category} is not a category of this trust")
        seal = self.keyring.session()
        reason = optional_text("categoryReason", command.category_reason, MAX_TEXT)
        rationale = required_text("rationale", command.rationale, MAX_TEXT)
        incident.triage(
            level,
            command.meets_cp_threshold,
            category,
            seal.seal(incident.id, reason) if reason else None,
            seal.seal(incident.id, rationale),
        )
        return incident.id, self.record(incident)

    def record_incident_action(self, command: RecordIncidentAction) -> tuple[UUID, int]:
        incident = self._open_incident(command.incident_id)
        try:
            action_kind = ActionKind(command.kind)
        except ValueError:
            raise ValidationFailed("kind", f"must be one of {', '.join(ActionKind)}") from None
        taken = past_instant("takenAt", command.taken_at)
        planned, due_on, outcome_code = command.planned, command.due_on, command.outcome_code
        if planned and due_on is None:
            raise ValidationFailed("dueOn", "a planned action needs the date it is due")
        if not planned and due_on is not None:
            raise ValidationFailed("dueOn", "only a planned action has a due date")
        if action_kind is ActionKind.POLICE_OUTCOME:
            if outcome_code not in POLICE_OUTCOME_CODES:
                raise ValidationFailed(
                    "outcomeCode", "must be a Home Office outcome, outcome_1 to outcome_22"
                )
        elif outcome_code is not None:
            raise ValidationFailed("outcomeCode", "only a police outcome has an outcome code")
        seal = self.keyring.session()
        incident.record_action(
            action_id=uuid4(),
            kind=action_kind.value,
            taken_at=taken,
            planned=planned,
            due_on=due_on,
            completes=command.completes,
            decision=seal.seal(incident.id, required_text("decision", command.decision, MAX_TEXT)),
            rationale=seal.seal(
                incident.id, required_text("rationale", command.rationale, MAX_TEXT)
            ),
            outcome_code=outcome_code,
        )
        return incident.id, self.record(incident)

    def attach_evidence(self, command: AttachEvidence) -> tuple[Evidence, int]:
        incident = self._open_incident(command.incident_id)  # authorise before the file
        sealed = sealed_evidence(
            self.keyring.session(),
            incident.id,
            command,
            lambda declared, detected: verified_type(declared, detected, incident.category),
        )
        incident.attach_evidence(**sealed.fields())
        return sealed.evidence, self.record(incident, blobs=sealed.blobs())

    def link_incidents(self, command: LinkIncidents) -> tuple[UUID, int]:
        incident = self._open_incident(command.incident_id)
        other = self.open(Incident, command.other_incident_id, "Incident", self._authorise_incident)
        if other.school_id != incident.school_id:
            raise ValidationFailed("otherIncidentId", "linked incidents belong to the same school")
        seal = self.keyring.session()
        text = optional_text("reason", command.reason, MAX_TEXT)
        incident.link(other.id, seal.seal(incident.id, text) if text else None)
        other.link(incident.id, seal.seal(other.id, text) if text else None)
        return incident.id, self.record(incident, other)

    def close_incident(self, command: CloseIncident) -> tuple[UUID, int]:
        incident = self._open_incident(command.incident_id, command.expected_version)
        seal = self.keyring.session()
        changes = optional_text("policyChanges", command.policy_changes, MAX_TEXT)
        outcome = required_text("outcome", command.outcome, MAX_TEXT)
        lessons = required_text("lessonsLearnt", command.lessons_learnt, MAX_TEXT)
        incident.close(
            seal.seal(incident.id, outcome),
            seal.seal(incident.id, lessons),
            seal.seal(incident.id, changes) if changes else None,
        )
        return incident.id, self.record(incident)

    def reopen_incident(self, command: ReopenIncident) -> tuple[UUID, int]:
        incident = self._open_incident(command.incident_id)
        seal = self.keyring.session()
        incident.reopen(seal.seal(incident.id, required_text("reason", command.reason, MAX_TEXT)))
        return incident.id, self.record(incident)

"""The incidents' GraphQL mutations: inputs that convert to their commands, and the results."""

import datetime

import strawberry
from strawberry.file_uploads import Upload

from api.graphql.common import (
    Position,
    answering_mutation,
    command_mutation,
    optional_uuid,
    parse_id,
    result_union,
    to_id,
)
from api.graphql.enums import ActionKind, Device, Part, Risk, Source
from api.graphql.evidence import attached, sent_file
from domain.application import CaseworkApplication
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


@strawberry.input
class InvolvementInput:
    person_id: strawberry.ID
    part: Part


@strawberry.input
class ReportIncidentInput:
    school_id: strawberry.ID
    occurred_at: datetime.datetime = strawberry.field(description="With a time zone offset.")
    reported_at: datetime.datetime
    category: str = strawberry.field(description="See `incidentCategories`.")
    description: str
    people: list[InvolvementInput]
    platform: str | None = None
    source: Source = Source.STAFF_OBSERVATION
    on_site: bool = False
    device: Device = Device.UNKNOWN
    about_staff_conduct: bool = strawberry.field(
        default=False,
        description="The concern is a member of staff's conduct: goes to the headteacher.",
    )

    def to_command(self) -> ReportIncident:
        return ReportIncident(
            school_id=parse_id("schoolId", self.school_id),
            occurred_at=self.occurred_at,
            reported_at=self.reported_at,
            category=self.category,
            description=self.description,
            people=tuple((parse_id("people", p.person_id), p.part.value) for p in self.people),
            platform=self.platform,
            source=self.source.value,
            on_site=self.on_site,
            device=self.device.value,
            concerns_staff_conduct=self.about_staff_conduct,
        )


@strawberry.input
class TriageIncidentInput:
    incident_id: strawberry.ID
    risk: Risk
    meets_cp_threshold: bool
    rationale: str
    category: str | None = strawberry.field(default=None, description="A corrected category.")
    category_reason: str | None = strawberry.field(
        default=None, description="Required when correcting."
    )
    expected_version: int | None = None

    def to_command(self) -> TriageIncident:
        return TriageIncident(
            incident_id=parse_id("incidentId", self.incident_id),
            risk=self.risk.value,
            meets_cp_threshold=self.meets_cp_threshold,
            rationale=self.rationale,
            category=self.category,
            category_reason=self.category_reason,
            expected_version=self.expected_version,
        )


@strawberry.input
class RecordIncidentActionInput:
    incident_id: strawberry.ID
    kind: ActionKind
    taken_at: datetime.datetime
    decision: str
    rationale: str
    planned: bool = strawberry.field(default=False, description="A follow-up to do by `dueOn`.")
    due_on: datetime.date | None = None
    completes_action_id: strawberry.ID | None = None
    outcome_code: str | None = strawberry.field(
        default=None, description="Police outcome, e.g. outcome_21."
    )

    def to_command(self) -> RecordIncidentAction:
        return RecordIncidentAction(
            incident_id=parse_id("incidentId", self.incident_id),
            kind=self.kind.value,
            taken_at=self.taken_at,
            decision=self.decision,
            rationale=self.rationale,
            planned=self.planned,
            due_on=self.due_on,
            completes=optional_uuid("completesActionId", self.completes_action_id),
            outcome_code=self.outcome_code,
        )


@strawberry.input
class AttachEvidenceInput:
    incident_id: strawberry.ID
    file: Upload = strawberry.field(description="Sent as a GraphQL multipart request.")
    note: str | None = None

    def to_command(self) -> AttachEvidence:
        return AttachEvidence(
            incident_id=parse_id("incidentId", self.incident_id),
            note=self.note,
            **sent_file(self.file),
        )


@strawberry.input
class LinkIncidentsInput:
    incident_id: strawberry.ID
    other_incident_id: strawberry.ID
    reason: str | None = None

    def to_command(self) -> LinkIncidents:
        return LinkIncidents(
            incident_id=parse_id("incidentId", self.incident_id),
            other_incident_id=parse_id("otherIncidentId", self.other_incident_id),
            reason=self.reason,
        )


@strawberry.input
class CloseIncidentInput:
    incident_id: strawberry.ID
    outcome: str
    lessons_learnt: str = strawberry.field(description="Lessons learnt, after the debrief.")
    policy_changes: str | None = strawberry.field(
        default=None, description="Policy or curriculum changes."
    )
    expected_version: int | None = None

    def to_command(self) -> CloseIncident:
        return CloseIncident(
            incident_id=parse_id("incidentId", self.incident_id),
            outcome=self.outcome,
            lessons_learnt=self.lessons_learnt,
            policy_changes=self.policy_changes,
            expected_version=self.expected_version,
        )


@strawberry.input
class ReopenIncidentInput:
    incident_id: strawberry.ID
    reason: str

    def to_command(self) -> ReopenIncident:
        return ReopenIncident(
            incident_id=parse_id("incidentId", self.incident_id), reason=self.reason
        )


@strawberry.input
class AddIncidentCategoryInput:
    trust_id: strawberry.ID
    code: str
    label: str

    def to_command(self) -> AddIncidentCategory:
        return AddIncidentCategory(
            trust_id=parse_id("trustId", self.trust_id), code=self.code, label=self.label
        )


@strawberry.type
class IncidentChanged:
    incident_id: strawberry.ID
    position: Position


@strawberry.type
class EvidenceAttached:
    incident_id: strawberry.ID
    file_id: strawberry.ID
    sha256: str
    size: int
    position: Position


@strawberry.type
class IncidentCategoryAdded:
    trust_id: strawberry.ID
    position: Position


IncidentResult = result_union("IncidentResult", IncidentChanged)
AttachEvidenceResult = result_union("AttachEvidenceResult", EvidenceAttached)
AddIncidentCategoryResult = result_union("AddIncidentCategoryResult", IncidentCategoryAdded)


def _attach_evidence(app: CaseworkApplication, input: AttachEvidenceInput) -> EvidenceAttached:
    """The file stored, as it was stored: its id, digest and size."""
    attach = input.to_command()
    evidence, position = app.attach_evidence(attach)
    return EvidenceAttached(incident_id=to_id(attach.incident_id), **attached(evidence, position))


@strawberry.type
class IncidentMutation:
    report_incident = command_mutation(
        CaseworkApplication.report_incident,
        ReportIncidentInput,
        IncidentResult,
        IncidentChanged,
        "Report an online-safety concern about pupils (any member of staff).",
        id_field="incident_id",
    )

    triage_incident = command_mutation(
        CaseworkApplication.triage_incident,
        TriageIncidentInput,
        IncidentResult,
        IncidentChanged,
        "Triage: risk, child-protection threshold, corrected category (DSL, deputy).",
        id_field="incident_id",
    )

    record_incident_action = command_mutation(
        CaseworkApplication.record_incident_action,
        RecordIncidentActionInput,
        IncidentResult,
        IncidentChanged,
        "Record an action or decision, with who, when, decision and rationale.",
        id_field="incident_id",
    )

    attach_evidence = answering_mutation(
        _attach_evidence,
        AttachEvidenceInput,
        AttachEvidenceResult,
        "Attach an evidence file (never imagery on a nudes incident).",
    )

    link_incidents = command_mutation(
        CaseworkApplication.link_incidents,
        LinkIncidentsInput,
        IncidentResult,
        IncidentChanged,
        "Link two incidents of the same school; each references the other.",
        id_field="incident_id",
    )

    close_incident = command_mutation(
        CaseworkApplication.close_incident,
        CloseIncidentInput,
        IncidentResult,
        IncidentChanged,
        "Close with the outcome and lessons learnt (triaged incidents only).",
        id_field="incident_id",
    )

    reopen_incident = command_mutation(
        CaseworkApplication.reopen_incident,
        ReopenIncidentInput,
        IncidentResult,
        IncidentChanged,
        "Reopen a closed incident, saying why.",
        id_field="incident_id",
    )

    add_incident_category = command_mutation(
        CaseworkApplication.add_incident_category,
        AddIncidentCategoryInput,
        AddIncidentCategoryResult,
        IncidentCategoryAdded,
        "Add an incident category of the trust's own (trust safeguarding lead).",
        id_field="trust_id",
    )

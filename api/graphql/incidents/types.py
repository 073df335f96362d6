"""The incidents' GraphQL object types; each builds itself from its view row."""

from __future__ import annotations

import datetime

import strawberry
from strawberry.types import Info

from api.graphql.common import ERASED_LOGIN, Opened, SealedText, from_rows, to_id
from api.graphql.context import Context
from api.graphql.enums import ActionKind, Device, Part, Risk, Role, Source, Status
from api.graphql.evidence import INCIDENT_EVIDENCE, EvidenceFile
from domain.incidents.rules import PatternLimits, incident_action, triage_due_at, triage_overdue
from domain.shared.policy import Action, Target
from projections.incidents import queries
from projections.incidents.queries import ChronologyRow, IncidentRow


def incident_target(row: IncidentRow) -> Target:
    return Target(row.trust_id, row.school_id, row.subject_ids)


def view_action(row: IncidentRow) -> Action:
    """The action that authorises reading the incident (the domain's rule)."""
    return incident_action(row.staff_conduct, managing=False)


@strawberry.type(description="A person named in an incident, with their part.")
class IncidentPerson:
    person_id: strawberry.ID
    part: Part
    name: SealedText | None


@strawberry.type(
    description="One chronology entry: when, who (name and roles held then), what, decision, why."
)
class ChronologyEntry:
    incident_id: strawberry.ID
    at: datetime.datetime
    actor: str | None = strawberry.field(description="The user who acted. " + ERASED_LOGIN)
    actor_name: SealedText | None = strawberry.field(
        description="Their name in the staff directory."
    )
    actor_roles: list[Role] = strawberry.field(description="The roles they held at the time.")
    kind: str
    summary: str
    what: SealedText | None
    decision: SealedText | None
    rationale: SealedText | None

    @classmethod
    def from_row(cls, row: ChronologyRow, opened: Opened) -> ChronologyEntry:
        return cls(
            incident_id=to_id(row.incident_id),
            at=row.at,
            actor=opened.text(row.actor),
            actor_name=opened.sealed(row.actor_name),
            actor_roles=[Role(role) for role in row.actor_roles],
            kind=row.kind,
            summary=row.summary,
            what=opened.sealed(row.what),
            decision=opened.sealed(row.decision),
            rationale=opened.sealed(row.rationale),
        )


def chronology_entries(ctx: Context, rows: list[ChronologyRow]) -> list[ChronologyEntry]:
    return from_rows(ctx, rows, ChronologyEntry.from_row)


@strawberry.type(
    description="A pupil online-safety incident. Every read is written to the access log."
)
class Incident:
    id: strawberry.ID
    school_id: strawberry.ID
    status: Status
    category: str
    risk: Risk | None
    meets_cp_threshold: bool | None
    source: Source
    platform: str | None = strawberry.field(
        description="Where it happened online, as reported. Null if none, or erased."
    )
    on_site: bool
    device: Device
    occurred_at: datetime.datetime
    reported_at: datetime.datetime
    reported_by: str | None = strawberry.field(description=ERASED_LOGIN)
    description: SealedText
    about_staff_conduct: bool = strawberry.field(
        description="Flagged for the allegations / low-level concern process; "
        "outside the DSL views."
    )
    version: int
    row: strawberry.Private[IncidentRow]

    @classmethod
    def from_row(cls, row: IncidentRow, opened: Opened) -> Incident:
        return cls(
            id=to_id(row.incident_id),
            school_id=to_id(row.school_id),
            status=Status(row.status),
            category=row.category,
            risk=Risk(row.risk) if row.risk else None,
            meets_cp_threshold=row.meets_cp_threshold,
            source=Source(row.source),
            platform=opened.text(row.platform),
            on_site=row.on_site,
            device=Device(row.device),
            occurred_at=row.occurred_at,
            reported_at=row.reported_at,
            reported_by=opened.text(row.reported_by),
            description=opened.erasable(row.description),
            about_staff_conduct=row.staff_conduct,
            version=row.version,
            row=row,
        )

    @strawberry.field(description="The people involved and their parts.")
    def people(self, info: Info[Context, None]) -> list[IncidentPerson]:
        names = info.context.names_of([p.person_id for p in self.row.people])
        return [
            IncidentPerson(
                person_id=to_id(p.person_id),
                part=Part(p.part),
                name=SealedText.of(names[p.person_id]),
            )
            for p in self.row.people
        ]

    @strawberry.field(description="Every entry, oldest first.")
    def chronology(self, info: Info[Context, None]) -> list[ChronologyEntry]:
        return chronology_entries(
            info.context, queries.chronology(info.context.conn, self.row.incident_id)
        )

    @strawberry.field(
        description="Evidence files (metadata; the files themselves are downloaded over HTTP)."
    )
    def evidence(self, info: Info[Context, None]) -> list[EvidenceFile]:
        rows = queries.evidence_of(info.context.conn, self.row.incident_id)
        return from_rows(info.context, rows, EvidenceFile.under(INCIDENT_EVIDENCE))

    @strawberry.field(description="Incidents linked to this one.")
    def linked_incident_ids(self, info: Info[Context, None]) -> list[strawberry.ID]:
        return [to_id(i) for i in queries.links_of(info.context.conn, self.row.incident_id)]


@strawberry.type
class RiskCount:
    risk: str = strawberry.field(description="low, medium, high, immediate, or untriaged.")
    open_incidents: int


@strawberry.type
class AwaitingTriage:
    incident_id: strawberry.ID
    reported_at: datetime.datetime
    triage_due_at: datetime.datetime = strawberry.field(
        description="One working day after the report."
    )


@strawberry.type
class OverdueAction:
    action_id: strawberry.ID
    incident_id: strawberry.ID
    kind: ActionKind
    due_on: datetime.date


@strawberry.type(description="The DSL's dashboard for one school.")
class SchoolDashboard:
    school_id: strawberry.ID
    open_by_risk: list[RiskCount]
    awaiting_triage_over_one_working_day: list[AwaitingTriage]
    overdue_actions: list[OverdueAction]

    @classmethod
    def of(
        cls, school_id: strawberry.ID, board: queries.Dashboard, now: datetime.datetime
    ) -> SchoolDashboard:
        """The dashboard at ``now``: the untriaged incidents past their triage due time."""
        return cls(
            school_id=school_id,
            open_by_risk=[
                RiskCount(risk=k, open_incidents=v) for k, v in sorted(board.open_by_risk.items())
            ],
            awaiting_triage_over_one_working_day=[
                AwaitingTriage(
                    incident_id=to_id(i), reported_at=at, triage_due_at=triage_due_at(at)
                )
                for i, at in board.untriaged
                if triage_overdue(at, now)
            ],
            overdue_actions=[
                OverdueAction(
                    action_id=to_id(a), incident_id=to_id(i), kind=ActionKind(k), due_on=d
                )
                for a, i, k, d in board.overdue_actions
            ],
        )


@strawberry.type(description="A pattern worth a look, with the incidents behind it.")
class PatternFlag:
    kind: str = strawberry.field(description="pupil_repeated, platform_spike or group_repeated.")
    subject: str = strawberry.field(description="A pupil id, a platform, or two pupil ids.")
    count: int
    incident_ids: list[strawberry.ID]
    explanation: str

    @classmethod
    def from_row(cls, row: queries.Flag, opened: Opened, limits: PatternLimits) -> PatternFlag:
        """A flag; a spike's subject is its platform as its incidents give it (each opened with
        its own incident's key: one may be erased while others are not)."""
        subject = row.subject
        if row.platforms:
            subject = next(
                (text for p in row.platforms if (text := opened.text(p)) is not None), "(erased)"
            )
        return cls(
            kind=row.kind,
            subject=subject,
            count=row.count,
            incident_ids=[to_id(i) for i in row.incident_ids],
            explanation=limits.explanation(row.kind, row.count),
        )


@strawberry.type(description="Counts for a governors' report: no pupil identities.")
class TrustOverviewRow:
    school_id: strawberry.ID
    school_name: str
    category: str
    academic_year: str
    term: str
    incidents: int
    open_incidents: int

    @classmethod
    def from_row(cls, row: queries.OverviewRow) -> TrustOverviewRow:
        return cls(
            school_id=to_id(row.school_id),
            school_name=row.school_name,
            category=row.category,
            academic_year=row.academic_year,
            term=row.term,
            incidents=row.incidents,
            open_incidents=row.open,
        )


@strawberry.type(description="The status of an incident you reported; nothing more.")
class ReportStatus:
    incident_id: strawberry.ID
    school_id: strawberry.ID
    reported_at: datetime.datetime
    status: Status

    @classmethod
    def from_row(cls, row: queries.ReportStatus) -> ReportStatus:
        return cls(
            incident_id=to_id(row.incident_id),
            school_id=to_id(row.school_id),
            reported_at=row.reported_at,
            status=Status(row.status),
        )


@strawberry.type
class IncidentCategory:
    code: str
    label: str

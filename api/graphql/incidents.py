"""GraphQL for pupil online-safety incidents: the DSL's daily work (issue 3)."""

import datetime
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from api.graphql.common import (
    ERASED_LOGIN,
    Connection,
    NotAuthorisedError,
    NotFoundError,
    Position,
    ReadYourWrites,
    SealedText,
    ValidationError,
    VersionConflictError,
    check_first,
    connection,
    decode_cursor,
    legacy_command_mutation,
    parse_id,
    run_command,
    text_or_null,
    to_id,
)
from api.graphql.context import Context
from api.graphql.enums import ActionKind, Device, Part, Risk, Role, Source, Status
from domain.access.policy import Action, Target, permits
from domain.shared.calendar import add_working_days, london_today
from domain.shared.errors import NotAuthorised, NotFound, ValidationFailed
from projections.incidents import queries
from projections.incidents.queries import ChronologyRow, IncidentFilter, IncidentRow

INCIDENTS = "incidents"


@dataclass(frozen=True)
class UploadedFile:
    """A file from a GraphQL multipart request, read into memory within the size limit."""

    filename: str
    content_type: str
    content: bytes


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


@strawberry.type(
    description="An evidence file's record. Download it from `downloadPath` with your token."
)
class EvidenceFile:
    id: strawberry.ID
    filename: SealedText
    content_type: str
    size: int
    sha256: str | None = strawberry.field(
        description="The file's SHA-256 (hex). Null when the incident's data has been erased."
    )
    note: SealedText | None
    attached_at: datetime.datetime
    attached_by: str | None = strawberry.field(description=ERASED_LOGIN)
    download_path: str


def chronology_entries(ctx: Context, rows: list[ChronologyRow]) -> list[ChronologyEntry]:
    opened = ctx.open_all(
        [v for r in rows for v in (r.actor, r.actor_name, r.what, r.decision, r.rationale)]
    )
    entries = []
    for i, r in enumerate(rows):
        actor, name, what, decision, rationale = opened[5 * i : 5 * i + 5]
        entries.append(
            ChronologyEntry(
                incident_id=to_id(r.incident_id),
                at=r.at,
                actor=text_or_null(actor),
                actor_name=SealedText.of(name),
                actor_roles=[Role(role) for role in r.actor_roles],
                kind=r.kind,
                summary=r.summary,
                what=SealedText.of(what),
                decision=SealedText.of(decision),
                rationale=SealedText.of(rationale),
            )
        )
    return entries


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
        description="Flagged for the allegations / low-level concern process; outside the DSL views."
    )
    version: int
    row: strawberry.Private[IncidentRow]

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
        opened = info.context.open_all(
            [v for r in rows for v in (r.filename, r.note, r.sha256, r.attached_by)]
        )
        return [
            EvidenceFile(
                id=to_id(r.file_id),
                filename=SealedText.of(opened[4 * i]),  # type: ignore[arg-type]
                content_type=r.content_type,
                size=r.size,
                sha256=text_or_null(opened[4 * i + 2]),
                note=SealedText.of(opened[4 * i + 1]),
                attached_at=r.attached_at,
                attached_by=text_or_null(opened[4 * i + 3]),
                download_path=f"/files/evidence/{r.file_id}",
            )
            for i, r in enumerate(rows)
        ]

    @strawberry.field(description="Incidents linked to this one.")
    def linked_incident_ids(self, info: Info[Context, None]) -> list[strawberry.ID]:
        return [to_id(i) for i in queries.links_of(info.context.conn, self.row.incident_id)]


def incident_target(row: IncidentRow) -> Target:
    return Target(row.trust_id, row.school_id, row.subject_ids)


def view_action(row: IncidentRow) -> Action:
    return Action.HANDLE_STAFF_CONDUCT_INCIDENT if row.staff_conduct else Action.VIEW_INCIDENT


def incidents_of(ctx: Context, rows: list[IncidentRow], action: str) -> list[Incident]:
    opened = ctx.open_all([v for r in rows for v in (r.description, r.platform, r.reported_by)])
    ctx.names_of([p.person_id for r in rows for p in r.people])  # the page's people, at once
    result = []
    for i, row in enumerate(rows):
        description, platform, reporter = opened[3 * i : 3 * i + 3]
        ctx.log_read(action, "incident", row.incident_id, incident_target(row))
        result.append(
            Incident(
                id=to_id(row.incident_id),
                school_id=to_id(row.school_id),
                status=Status(row.status),
                category=row.category,
                risk=Risk(row.risk) if row.risk else None,
                meets_cp_threshold=row.meets_cp_threshold,
                source=Source(row.source),
                platform=text_or_null(platform),
                on_site=row.on_site,
                device=Device(row.device),
                occurred_at=row.occurred_at,
                reported_at=row.reported_at,
                reported_by=text_or_null(reporter),
                description=SealedText.of(description),  # type: ignore[arg-type]
                about_staff_conduct=row.staff_conduct,
                version=row.version,
                row=row,
            )
        )
    return result


def readable_incident(ctx: Context, incident_id: UUID) -> IncidentRow:
    row = queries.incident(ctx.conn, incident_id)
    if row is None:
        raise NotFound("Incident", incident_id)
    with ctx.reading("view", "incident", row.incident_id, incident_target(row)):
        ctx.authorise(view_action(row), incident_target(row))
    return row


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


@strawberry.type(description="A pattern worth a look, with the incidents behind it.")
class PatternFlag:
    kind: str = strawberry.field(description="pupil_repeated, platform_spike or group_repeated.")
    subject: str = strawberry.field(description="A pupil id, a platform, or two pupil ids.")
    count: int
    incident_ids: list[strawberry.ID]
    explanation: str


@strawberry.type(description="Counts for a governors' report: no pupil identities.")
class TrustOverviewRow:
    school_id: strawberry.ID
    school_name: str
    category: str
    academic_year: str
    term: str
    incidents: int
    open_incidents: int


@strawberry.type(description="The status of an incident you reported; nothing more.")
class ReportStatus:
    incident_id: strawberry.ID
    school_id: strawberry.ID
    reported_at: datetime.datetime
    status: Status


@strawberry.type
class IncidentCategory:
    code: str
    label: str


def _school(ctx: Context, school_id: strawberry.ID) -> Target:
    return ctx.container.app.school_target(parse_id("schoolId", school_id))


@strawberry.type
class IncidentQuery:
    @strawberry.field(
        description="Incidents of the schools where you are DSL or deputy (headteacher: `aboutStaffConduct: true`).",
        extensions=[ReadYourWrites(INCIDENTS)],
    )
    def incidents(
        self,
        info: Info[Context, None],
        school_id: strawberry.ID | None = None,
        status: Status | None = None,
        category: str | None = None,
        risk: Risk | None = None,
        occurred_from: datetime.datetime | None = None,
        occurred_to: datetime.datetime | None = None,
        pupil_id: strawberry.ID | None = None,
        about_staff_conduct: bool = False,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Incident]:
        ctx = info.context
        action = (
            Action.HANDLE_STAFF_CONDUCT_INCIDENT if about_staff_conduct else Action.VIEW_INCIDENT
        )
        if school_id is not None:
            ctx.authorise(action, _school(ctx, school_id))
        where = IncidentFilter(
            school_id=parse_id("schoolId", school_id) if school_id else None,
            staff_conduct=about_staff_conduct,
            status=status.value if status else None,
            category=category,
            risk=risk.value if risk else None,
            occurred_from=occurred_from,
            occurred_to=occurred_to,
            pupil_id=parse_id("pupilId", pupil_id) if pupil_id else None,
        )
        page = queries.incidents(
            ctx.conn, ctx.visibility(action), where, check_first(first), decode_cursor(after)
        )
        return connection(page, incidents_of(ctx, page.items, "list"))

    @strawberry.field(
        description="One incident with its chronology. The read is logged.",
        extensions=[ReadYourWrites(INCIDENTS)],
    )
    def incident(self, info: Info[Context, None], id: strawberry.ID) -> Incident | None:
        ctx = info.context
        return incidents_of(ctx, [readable_incident(ctx, parse_id("id", id))], "view")[0]

    @strawberry.field(
        description="Open incidents by risk, triage waiting over one working day, overdue actions.",
        extensions=[ReadYourWrites(INCIDENTS)],
    )
    def school_dashboard(
        self, info: Info[Context, None], school_id: strawberry.ID
    ) -> SchoolDashboard:
        ctx = info.context
        ctx.authorise(Action.VIEW_INCIDENT, _school(ctx, school_id))
        now = datetime.datetime.now(datetime.UTC)
        board = queries.dashboard(
            ctx.conn,
            parse_id("schoolId", school_id),
            london_today(now),
            ctx.visibility(Action.VIEW_INCIDENT).exclude_ids,
        )
        waiting = [
            AwaitingTriage(incident_id=to_id(i), reported_at=at, triage_due_at=due)
            for i, at in board.untriaged
            if (due := add_working_days(at, 1)) < now
        ]
        return SchoolDashboard(
            school_id=school_id,
            open_by_risk=[
                RiskCount(risk=k, open_incidents=v) for k, v in sorted(board.open_by_risk.items())
            ],
            awaiting_triage_over_one_working_day=waiting,
            overdue_actions=[
                OverdueAction(
                    action_id=to_id(a), incident_id=to_id(i), kind=ActionKind(k), due_on=d
                )
                for a, i, k, d in board.overdue_actions
            ],
        )

    @strawberry.field(
        description="Patterns, each with the incidents behind it (thresholds adjustable).",
        extensions=[ReadYourWrites(INCIDENTS)],
    )
    def pattern_flags(
        self,
        info: Info[Context, None],
        school_id: strawberry.ID,
        pupil_threshold: int = 3,
        pupil_window_days: int = 90,
        spike_window_days: int = 7,
        spike_baseline_weeks: int = 8,
        spike_factor: float = 2.0,
        spike_minimum: int = 3,
        group_threshold: int = 3,
        group_window_days: int = 180,
    ) -> list[PatternFlag]:
        ctx = info.context
        ctx.authorise(Action.VIEW_INCIDENT, _school(ctx, school_id))
        for name, value in (
            ("pupilThreshold", pupil_threshold),
            ("groupThreshold", group_threshold),
            ("spikeMinimum", spike_minimum),
        ):
            if value < 2:
                raise ValidationFailed(name, "must be at least 2")
        for name, value in (
            ("pupilWindowDays", pupil_window_days),
            ("spikeWindowDays", spike_window_days),
            ("spikeBaselineWeeks", spike_baseline_weeks),
            ("groupWindowDays", group_window_days),
        ):
            if not 1 <= value <= 3660:
                raise ValidationFailed(name, "must be from 1 to 3660")
        school = parse_id("schoolId", school_id)
        now = datetime.datetime.now(datetime.UTC)
        me = ctx.visibility(Action.VIEW_INCIDENT).exclude_ids
        flags = [
            *queries.pupils_in_many(
                ctx.conn,
                school,
                now - datetime.timedelta(days=pupil_window_days),
                pupil_threshold,
                me,
            ),
            *queries.platform_spikes(
                ctx.conn,
                school,
                now,
                spike_window_days,
                spike_baseline_weeks,
                spike_factor,
                spike_minimum,
                me,
            ),
            *queries.repeated_groups(
                ctx.conn,
                school,
                now - datetime.timedelta(days=group_window_days),
                group_threshold,
                me,
            ),
        ]
        explain = {
            "pupil_repeated": f"in {{n}} incidents within {pupil_window_days} days (threshold {pupil_threshold})",
            "platform_spike": f"{{n}} incidents in {spike_window_days} days, at least {spike_factor}x the weekly "
            f"rate of the previous {spike_baseline_weeks} weeks",
            "group_repeated": f"together in {{n}} incidents within {group_window_days} days (threshold {group_threshold})",
        }
        return [
            PatternFlag(
                kind=f.kind,
                subject=subject,
                count=f.count,
                incident_ids=[to_id(i) for i in f.incident_ids],
                explanation=explain[f.kind].format(n=f.count),
            )
            for f, subject in zip(flags, _subjects(ctx, flags), strict=True)
        ]

    @strawberry.field(
        description="Incident counts by school, category and term, for trust roles. No pupil identities.",
        extensions=[ReadYourWrites(INCIDENTS)],
    )
    def trust_overview(
        self, info: Info[Context, None], trust_id: strawberry.ID
    ) -> list[TrustOverviewRow]:
        ctx = info.context
        trust = parse_id("trustId", trust_id)
        schools = ctx.trust_schools(Action.VIEW_INCIDENT_OVERVIEW, trust)
        return [
            TrustOverviewRow(
                school_id=to_id(r.school_id),
                school_name=r.school_name,
                category=r.category,
                academic_year=r.academic_year,
                term=r.term,
                incidents=r.incidents,
                open_incidents=r.open,
            )
            for r in queries.trust_overview(ctx.conn, trust, schools)
        ]

    @strawberry.field(
        description="The status of the incidents you reported.",
        extensions=[ReadYourWrites(INCIDENTS)],
    )
    def my_reports(
        self, info: Info[Context, None], first: int = 20, after: str | None = None
    ) -> Connection[ReportStatus]:
        ctx = info.context
        page = queries.reports_by(ctx.conn, ctx.login_ix, check_first(first), decode_cursor(after))
        return connection(
            page,
            [
                ReportStatus(
                    incident_id=to_id(r.incident_id),
                    school_id=to_id(r.school_id),
                    reported_at=r.reported_at,
                    status=Status(r.status),
                )
                for r in page.items
            ],
        )

    @strawberry.field(
        description="The categories a school's incidents may take (built-in and the trust's own)."
    )
    def incident_categories(
        self, info: Info[Context, None], school_id: strawberry.ID
    ) -> list[IncidentCategory]:
        ctx = info.context
        target = _school(ctx, school_id)
        ctx.authorise(Action.REPORT_INCIDENT, target)
        categories = ctx.container.app.incident_categories(target.trust_id)
        return [IncidentCategory(code=c, label=label) for c, label in categories.items()]


def _subjects(ctx: Context, flags: list[queries.Flag]) -> list[str]:
    """Each flag's subject; a spike's is its platform as its incidents give it, opened for every
    flag at once (each with its own incident's key: one may be erased while others are not)."""
    opened = ctx.open_all([p for f in flags for p in f.platforms])
    subjects, start = [], 0
    for flag in flags:
        mine, start = opened[start : start + len(flag.platforms)], start + len(flag.platforms)
        if not flag.platforms:
            subjects.append(flag.subject)
        else:
            subjects.append(next((p for p in mine if isinstance(p, str)), "(erased)"))
    return subjects


def pupil_chronology(ctx: Context, pupil_id: UUID, target: Target) -> list[ChronologyEntry]:
    """A pupil's chronology across every incident they appear in that the reader may see."""
    if not permits(ctx.principal, Action.VIEW_INCIDENT, target):
        raise NotAuthorised("only the school's DSL and deputies read a chronology")
    entries = queries.pupil_chronology(
        ctx.conn, pupil_id, ctx.visibility(Action.VIEW_INCIDENT).exclude_ids
    )
    ctx.log_read("chronology", "pupil", pupil_id, target)
    for incident_id in dict.fromkeys(e.incident_id for e in entries):
        ctx.log_read("chronology", "incident", incident_id, target)
    return chronology_entries(ctx, entries)


# --- mutations ------------------------------------------------------------------------------


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


@strawberry.input
class AttachEvidenceInput:
    incident_id: strawberry.ID
    file: Upload = strawberry.field(description="Sent as a GraphQL multipart request.")
    note: str | None = None


@strawberry.input
class LinkIncidentsInput:
    incident_id: strawberry.ID
    other_incident_id: strawberry.ID
    reason: str | None = None


@strawberry.input
class CloseIncidentInput:
    incident_id: strawberry.ID
    outcome: str
    lessons_learnt: str = strawberry.field(description="Lessons learnt, after the debrief.")
    policy_changes: str | None = strawberry.field(
        default=None, description="Policy or curriculum changes."
    )
    expected_version: int | None = None


@strawberry.input
class ReopenIncidentInput:
    incident_id: strawberry.ID
    reason: str


@strawberry.input
class AddIncidentCategoryInput:
    trust_id: strawberry.ID
    code: str
    label: str


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


IncidentResult = Annotated[
    IncidentChanged | ValidationError | NotFoundError | NotAuthorisedError | VersionConflictError,
    strawberry.union("IncidentResult"),
]
AttachEvidenceResult = Annotated[
    EvidenceAttached | ValidationError | NotFoundError | NotAuthorisedError | VersionConflictError,
    strawberry.union("AttachEvidenceResult"),
]
AddIncidentCategoryResult = Annotated[
    IncidentCategoryAdded
    | ValidationError
    | NotFoundError
    | NotAuthorisedError
    | VersionConflictError,
    strawberry.union("AddIncidentCategoryResult"),
]


def _changed(result: tuple[UUID, int]) -> IncidentChanged:
    return IncidentChanged(incident_id=to_id(result[0]), position=Position(result[1]))


@strawberry.type
class IncidentMutation:
    @strawberry.mutation(
        description="Report an online-safety concern about pupils (any member of staff)."
    )
    def report_incident(
        self, info: Info[Context, None], input: ReportIncidentInput
    ) -> IncidentResult:
        app = info.context.container.app
        return run_command(
            info,
            lambda: _changed(
                app.report_incident(
                    parse_id("schoolId", input.school_id),
                    input.occurred_at,
                    input.reported_at,
                    input.category,
                    input.description,
                    [(parse_id("people", p.person_id), p.part.value) for p in input.people],
                    input.platform,
                    input.source.value,
                    input.on_site,
                    input.device.value,
                    input.about_staff_conduct,
                )
            ),
        )

    triage_incident = legacy_command_mutation(
        "triage_incident",
        TriageIncidentInput,
        IncidentResult,
        IncidentChanged,
        "Triage: risk, child-protection threshold, corrected category (DSL, deputy).",
        id_field="incident_id",
    )

    @strawberry.mutation(
        description="Record an action or decision, with who, when, decision and rationale."
    )
    def record_incident_action(
        self, info: Info[Context, None], input: RecordIncidentActionInput
    ) -> IncidentResult:
        app = info.context.container.app
        return run_command(
            info,
            lambda: _changed(
                app.record_incident_action(
                    parse_id("incidentId", input.incident_id),
                    input.kind.value,
                    input.taken_at,
                    input.decision,
                    input.rationale,
                    input.planned,
                    input.due_on,
                    parse_id("completesActionId", input.completes_action_id)
                    if input.completes_action_id
                    else None,
                    input.outcome_code,
                )
            ),
        )

    @strawberry.mutation(description="Attach an evidence file (never imagery on a nudes incident).")
    def attach_evidence(
        self, info: Info[Context, None], input: AttachEvidenceInput
    ) -> AttachEvidenceResult:
        app = info.context.container.app

        def command() -> EvidenceAttached:
            sent: object = input.file
            # not a multipart request: no file at all (refused after the incident is authorised)
            upload = sent if isinstance(sent, UploadedFile) else UploadedFile("", "", b"")
            incident_id = parse_id("incidentId", input.incident_id)
            evidence, position = app.attach_evidence(
                incident_id, upload.filename, upload.content_type, upload.content, input.note
            )
            return EvidenceAttached(
                incident_id=to_id(incident_id),
                file_id=to_id(evidence.file_id),
                sha256=evidence.sha256,
                size=evidence.size,
                position=Position(position),
            )

        return run_command(info, command)

    link_incidents = legacy_command_mutation(
        "link_incidents",
        LinkIncidentsInput,
        IncidentResult,
        IncidentChanged,
        "Link two incidents of the same school; each references the other.",
        id_field="incident_id",
    )

    close_incident = legacy_command_mutation(
        "close_incident",
        CloseIncidentInput,
        IncidentResult,
        IncidentChanged,
        "Close with the outcome and lessons learnt (triaged incidents only).",
        id_field="incident_id",
    )

    reopen_incident = legacy_command_mutation(
        "reopen_incident",
        ReopenIncidentInput,
        IncidentResult,
        IncidentChanged,
        "Reopen a closed incident, saying why.",
        id_field="incident_id",
    )

    @strawberry.mutation(
        description="Add an incident category of the trust's own (trust safeguarding lead)."
    )
    def add_incident_category(
        self, info: Info[Context, None], input: AddIncidentCategoryInput
    ) -> AddIncidentCategoryResult:
        app = info.context.container.app

        def command() -> IncidentCategoryAdded:
            trust_id, position = app.add_incident_category(
                parse_id("trustId", input.trust_id), input.code, input.label
            )
            return IncidentCategoryAdded(trust_id=to_id(trust_id), position=Position(position))

        return run_command(info, command)

"""GraphQL for KCSIE Part four: allegations against staff, low-level concerns, and staff
social-media records (issue 4). The most sensitive records in the system: a case is read by its
case manager and case team (a concern by its recipient) and the trust safeguarding lead, never
by its subject; every read is written to the access log; other roles see counts."""

import datetime
from collections.abc import Mapping, Sequence
from typing import Annotated, Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from api.graphql.common import (
    Connection,
    NotAuthorisedError,
    NotFoundError,
    Position,
    ReadYourWrites,
    SealedText,
    ValidationError,
    VersionConflictError,
    check_first,
    command_args,
    connection,
    decode_cursor,
    legacy_command_mutation,
    optional_id,
    optional_uuid,
    parse_id,
    run_command,
    to_id,
)
from api.graphql.context import Context
from api.graphql.enums import (
    AllegationActionKind,
    AllegationCategory,
    AllegationSource,
    AllegationStatus,
    CaseManagerBasis,
    ConcernStatus,
    ContactFrom,
    Outcome,
    PresenceCheckOutcome,
    ReceivedVia,
    SuspensionDecision,
)
from domain.access.policy import (
    Action,
    Target,
    authorise_case,
    case_reach,
    permits,
    reach,
)
from domain.shared.calendar import academic_year_start, end_of_london_day, london_today
from domain.shared.errors import NotFound, ValidationFailed
from domain.shared.sealing import Erased, Sealed
from domain.staff_cases.model import CITABLE_OUTCOMES, REMOVED_OUTCOMES, HarmTests
from projections.staff_cases import queries
from projections.staff_cases.chronology import summary_text
from projections.staff_cases.queries import (
    AllegationFilter,
    AllegationRow,
    CaseEntryRow,
    CaseReader,
    ConcernFilter,
    ConcernRow,
    MemberPart,
    SocialRow,
)

STAFF_CASES = "staff_cases"
PATTERN_WINDOW = datetime.timedelta(days=365)


# --- reading ---------------------------------------------------------------------------------


ERASED_LOGIN = "A login; null once erased."


def case_reader(ctx: Context, oversight: Action) -> CaseReader:
    """The cases the caller reads: where ``oversight`` reaches, and where they are named."""
    principal = ctx.principal
    oversee = reach(principal, oversight)
    member = case_reach(principal)
    return CaseReader(
        login_ix=ctx.login_ix,
        oversee_trusts=oversee.trust_ids,
        oversee_schools=oversee.school_ids,
        member_trusts=member.trust_ids,
        member_schools=member.school_ids,
        excluded_subjects=oversee.excluded_subjects | member.excluded_subjects,
    )


def _case_target(row: AllegationRow | ConcernRow) -> Target:
    return Target(row.trust_id, row.school_id, frozenset({row.subject_id}))


def open_by_name(
    ctx: Context, rows: Sequence[Mapping[str, Sealed | None]]
) -> list[dict[str, str | Erased | None]]:
    """Opens every sealed value of a page with one key look-up; each row's by its name."""
    opened = iter(ctx.open_all([v for r in rows for v in r.values()]))
    return [{name: next(opened) for name in r} for r in rows]


def _opened_text(opened: str | Erased | None) -> str | None:
    """A sealed value shown as a plain string (a login, a platform): null once erased."""
    return None if isinstance(opened, Erased) else opened


@strawberry.type(description="One entry of a case's chronology: when, who, what, decision, why.")
class CaseEntry:
    at: datetime.datetime
    actor: str | None = strawberry.field(description=ERASED_LOGIN)
    kind: str
    summary: str
    what: SealedText | None
    decision: SealedText | None
    rationale: SealedText | None


def case_entries(ctx: Context, rows: list[CaseEntryRow]) -> list[CaseEntry]:
    opened = open_by_name(
        ctx,
        [
            {"actor": r.actor, "named": r.named, "detail": r.detail, "what": r.what,
             "decision": r.decision, "rationale": r.rationale}
            for r in rows
        ],
    )  # fmt: skip
    return [
        CaseEntry(
            at=r.at,
            actor=_opened_text(o["actor"]),
            kind=r.kind,
            summary=summary_text(r.summary, o["named"], o["detail"]),
            what=SealedText.of(o["what"]),
            decision=SealedText.of(o["decision"]),
            rationale=SealedText.of(o["rationale"]),
        )
        for r, o in zip(rows, opened, strict=True)
    ]


@strawberry.type(description="KCSIE para 356: any one makes it an allegation.")
class HarmTestAnswers:
    harmed_child: bool = strawberry.field(
        description="(a) behaved in a way that has harmed a child, or may have."
    )
    possible_offence: bool = strawberry.field(
        description="(b) possibly committed a criminal offence against or related to a child."
    )
    risk_of_harm: bool = strawberry.field(
        description="(c) behaved in a way that indicates they may pose a risk of harm to children."
    )
    unsuitable: bool = strawberry.field(
        description="(d) behaved in a way that indicates they may not be suitable to work with "
        "children (includes conduct outside work)."
    )


@strawberry.type
class CaseMember:
    user_id: str | None = strawberry.field(description=ERASED_LOGIN)
    responsibility: str | None = strawberry.field(
        description='Their part: "case manager", "received the allegation", or what they were '
        "added for (null once erased)."
    )


_PART_WORDS = {
    MemberPart.CASE_MANAGER: "case manager",
    MemberPart.RECEIVER: "received the allegation",
}


@strawberry.type(description="What the case says a future reference will say about it.")
class ReferenceDeclaration:
    will_be_referred_to: bool
    declaration: SealedText


@strawberry.type(
    description="An allegation against a member of staff. Only its case manager, case team and "
    "the trust safeguarding lead read it, never its subject; every read is logged."
)
class Allegation:
    id: strawberry.ID
    school_id: strawberry.ID
    staff_member_id: strawberry.ID
    status: AllegationStatus
    received_at: datetime.datetime
    received_by: str | None = strawberry.field(description=ERASED_LOGIN)
    source: AllegationSource
    received_via: ReceivedVia
    category: AllegationCategory | None
    description: SealedText
    harm_tests: HarmTestAnswers
    outside_work: bool = strawberry.field(description="Conduct outside work (transferable risk).")
    case_manager: str | None = strawberry.field(description=ERASED_LOGIN)
    case_manager_basis: CaseManagerBasis
    case_team: list[CaseMember]
    lado_due_on: datetime.date = strawberry.field(
        description="The LADO is consulted by the end of this London working day."
    )
    lado_due_at: datetime.datetime = strawberry.field(description="When `ladoDueOn` ends.")
    lado_consulted_at: datetime.datetime | None
    lado_overdue: bool = strawberry.field(
        description="Not consulted and the deadline has passed (or consulted after it)."
    )
    suspension_decision: SuspensionDecision | None
    outcome: Outcome | None
    outcome_at: datetime.datetime | None
    outcome_summary: SealedText | None
    reference_declaration: ReferenceDeclaration | None
    retention_consent: bool = strawberry.field(
        description="The subject consented to keeping a malicious or false allegation."
    )
    retain_until: datetime.date | None = strawberry.field(
        description="Normal pension age or ten years from receipt, whichever is later."
    )
    erasure_due: bool = strawberry.field(
        description="Malicious or false, without consent to retention: to be erased."
    )
    on_personnel_record: bool
    lessons_learnt_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    linked_concern_ids: list[strawberry.ID] = strawberry.field(
        description="Low-level concerns escalated into this allegation."
    )
    version: int

    @strawberry.field(description="Every entry, oldest first.")
    def chronology(self, info: Info[Context, None]) -> list[CaseEntry]:
        return case_entries(
            info.context, queries.entries(info.context.conn, parse_id("id", self.id))
        )

    @strawberry.field(description="The member of staff's name.")
    def staff_member_name(self, info: Info[Context, None]) -> SealedText | None:
        sid = parse_id("staffMemberId", self.staff_member_id)
        return SealedText.of(info.context.names_of([sid])[sid])


def _sealed_of(row: AllegationRow) -> dict[str, Sealed | None]:
    """An allegation's sealed values by name, its case team's among them."""
    values: dict[str, Sealed | None] = {
        "description": row.description,
        "summary": row.outcome_summary,
        "declaration": row.reference_declaration,
        "received_by": row.received_by,
        "case_manager": row.case_manager,
    }
    for n, member in enumerate(row.members):
        values[f"member {n}"] = member.user_id
        values[f"responsibility {n}"] = member.responsibility
    return values


def _case_team(row: AllegationRow, opened: Mapping[str, str | Erased | None]) -> list[CaseMember]:
    return [
        CaseMember(
            user_id=_opened_text(opened[f"member {n}"]),
            responsibility=_PART_WORDS.get(m.part) or _opened_text(opened[f"responsibility {n}"]),
        )
        for n, m in enumerate(row.members)
    ]


def _on_personnel_record(row: AllegationRow) -> bool:
    if row.outcome is None:
        return False
    return row.outcome not in REMOVED_OUTCOMES or row.retention_consent


def allegations_of(ctx: Context, rows: list[AllegationRow], action: str) -> list[Allegation]:
    now = datetime.datetime.now(datetime.UTC)
    result = []
    for row, o in zip(rows, open_by_name(ctx, [_sealed_of(r) for r in rows]), strict=True):
        ctx.log_read(action, "allegation", row.allegation_id, _case_target(row))
        due_at = end_of_london_day(row.lado_due_on)
        consulted = row.lado_consulted_at
        result.append(
            Allegation(
                id=to_id(row.allegation_id),
                school_id=to_id(row.school_id),
                staff_member_id=to_id(row.subject_id),
                status=AllegationStatus(row.status),
                received_at=row.received_at,
                received_by=_opened_text(o["received_by"]),
                source=AllegationSource(row.source),
                received_via=ReceivedVia(row.received_via),
                category=AllegationCategory(row.category) if row.category else None,
                description=SealedText.of(o["description"]),  # type: ignore[arg-type]
                harm_tests=HarmTestAnswers(
                    harmed_child=row.harmed_child,
                    possible_offence=row.possible_offence,
                    risk_of_harm=row.risk_of_harm,
                    unsuitable=row.unsuitable,
                ),
                outside_work=row.outside_work,
                case_manager=_opened_text(o["case_manager"]),
                case_manager_basis=CaseManagerBasis(row.case_manager_basis),
                case_team=_case_team(row, o),
                lado_due_on=row.lado_due_on,
                lado_due_at=due_at,
                lado_consulted_at=consulted,
                lado_overdue=(consulted or now) >= due_at,
                suspension_decision=SuspensionDecision(row.suspension_decision)
                if row.suspension_decision
                else None,
                outcome=Outcome(row.outcome) if row.outcome else None,
                outcome_at=row.outcome_at,
                outcome_summary=SealedText.of(o["summary"]),
                reference_declaration=None
                if row.reference_will_cite is None
                else ReferenceDeclaration(
                    will_be_referred_to=row.reference_will_cite,
                    declaration=SealedText.of(o["declaration"]),  # type: ignore[arg-type]
                ),
                retention_consent=row.retention_consent,
                retain_until=row.retain_until,
                erasure_due=row.outcome in REMOVED_OUTCOMES and not row.retention_consent,
                on_personnel_record=_on_personnel_record(row),
                lessons_learnt_at=row.lessons_learnt_at,
                closed_at=row.closed_at,
                linked_concern_ids=[to_id(c) for c in row.concern_ids],
                version=row.version,
            )
        )
    return result


def readable_allegation(ctx: Context, allegation_id: UUID) -> AllegationRow:
    row = queries.allegation(ctx.conn, allegation_id)
    if row is None:
        raise NotFound("Allegation", allegation_id)
    with ctx.reading("view", "allegation", row.allegation_id, _case_target(row)):
        authorise_case(
            ctx.principal,
            Action.OVERSEE_ALLEGATIONS,
            _case_target(row),
            frozenset(m.user_ix for m in row.members),
            row.subject_user_ix,
            caller=ctx.login_ix,
        )
    return row


@strawberry.type(
    description="A low-level concern about a member of staff. Read by its recipient, the "
    "headteacher and the trust safeguarding lead, never its subject; every read is logged."
)
class LowLevelConcern:
    id: strawberry.ID
    school_id: strawberry.ID
    staff_member_id: strawberry.ID
    raised_by: str | None = strawberry.field(description=ERASED_LOGIN)
    raised_at: datetime.datetime
    occurred_on: datetime.date | None
    self_reported: bool
    name_withheld_from_subject: bool = strawberry.field(
        description="The reporter asked not to be named to the member of staff."
    )
    details: SealedText
    context: SealedText | None
    recipient: str | None = strawberry.field(description=ERASED_LOGIN)
    recipient_basis: CaseManagerBasis
    screened_as_allegation: bool = strawberry.field(
        description="Came in as an allegation; no harm test was met (see the chronology)."
    )
    status: ConcernStatus
    reviewed_at: datetime.datetime | None
    action_taken: SealedText | None
    rationale: SealedText | None
    escalated_to_allegation_id: strawberry.ID | None
    closed_at: datetime.datetime | None
    retention_review_due_on: datetime.date | None = strawberry.field(
        description="Kept until the member of staff leaves employment, then due for review."
    )
    version: int

    @strawberry.field(description="Every entry, oldest first.")
    def chronology(self, info: Info[Context, None]) -> list[CaseEntry]:
        return case_entries(
            info.context, queries.entries(info.context.conn, parse_id("id", self.id))
        )


def concerns_of(ctx: Context, rows: list[ConcernRow], action: str) -> list[LowLevelConcern]:
    opened = open_by_name(
        ctx,
        [
            {"raised_by": r.raised_by, "details": r.details, "context": r.context,
             "recipient": r.recipient, "action_taken": r.action_taken, "rationale": r.rationale}
            for r in rows
        ],
    )  # fmt: skip
    result = []
    for row, o in zip(rows, opened, strict=True):
        ctx.log_read(action, "low_level_concern", row.concern_id, _case_target(row))
        result.append(
            LowLevelConcern(
                id=to_id(row.concern_id),
                school_id=to_id(row.school_id),
                staff_member_id=to_id(row.subject_id),
                raised_by=_opened_text(o["raised_by"]),
                raised_at=row.raised_at,
                occurred_on=row.occurred_on,
                self_reported=row.self_reported,
                name_withheld_from_subject=row.withhold_name,
                details=SealedText.of(o["details"]),  # type: ignore[arg-type]
                context=SealedText.of(o["context"]),
                recipient=_opened_text(o["recipient"]),
                recipient_basis=CaseManagerBasis(row.recipient_basis),
                screened_as_allegation=row.screened_as_allegation,
                status=ConcernStatus(row.status),
                reviewed_at=row.reviewed_at,
                action_taken=SealedText.of(o["action_taken"]),
                rationale=SealedText.of(o["rationale"]),
                escalated_to_allegation_id=optional_id(row.escalated_to),
                closed_at=row.closed_at,
                retention_review_due_on=row.left_on,
                version=row.version,
            )
        )
    return result


def readable_concern(ctx: Context, concern_id: UUID) -> ConcernRow:
    row = queries.concern(ctx.conn, concern_id)
    if row is None:
        raise NotFound("Low-level concern", concern_id)
    with ctx.reading("view", "low_level_concern", row.concern_id, _case_target(row)):
        authorise_case(
            ctx.principal,
            Action.HANDLE_LOW_LEVEL_CONCERN,
            _case_target(row),
            frozenset({row.recipient_ix}),
            row.subject_user_ix,
            caller=ctx.login_ix,
        )
    return row


@strawberry.type(
    description="A social-media record of a member of staff: a declared relationship, an update "
    "or the advice on it, a contact attempt, or an online presence check."
)
class SocialMediaEntry:
    record_id: strawberry.ID = strawberry.field(
        description="The declaration, contact attempt or presence check."
    )
    kind: str = strawberry.field(
        description="declaration, declaration_update, declaration_advice, contact_attempt or "
        "presence_check."
    )
    at: datetime.datetime
    recorded_by: str | None = strawberry.field(description=ERASED_LOGIN)
    platform: str | None = strawberry.field(
        description="The platform or platforms, as recorded; null once erased."
    )
    detail: SealedText | None
    advice: SealedText | None = strawberry.field(
        description="Advice given (a declaration), or the response (a contact attempt)."
    )
    decision: SealedText | None
    outcome: PresenceCheckOutcome | None
    contact_from: ContactFrom | None
    from_person_id: strawberry.ID | None
    ended: bool


def social_entries(ctx: Context, rows: list[SocialRow]) -> list[SocialMediaEntry]:
    opened = open_by_name(
        ctx,
        [
            {"actor": r.actor, "platform": r.platform, "detail": r.detail, "advice": r.advice,
             "decision": r.decision}
            for r in rows
        ],
    )  # fmt: skip
    return [
        SocialMediaEntry(
            record_id=to_id(r.record_id),
            kind=r.kind,
            at=r.at,
            recorded_by=_opened_text(o["actor"]),
            platform=_opened_text(o["platform"]),
            detail=SealedText.of(o["detail"]),
            advice=SealedText.of(o["advice"]),
            decision=SealedText.of(o["decision"]),
            outcome=PresenceCheckOutcome(r.outcome) if r.outcome else None,
            contact_from=ContactFrom(r.contact_from) if r.contact_from else None,
            from_person_id=optional_id(r.from_person_id),
            ended=r.ended,
        )
        for r, o in zip(rows, opened, strict=True)
    ]


# --- staff member fields ----------------------------------------------------------------------


@strawberry.type(
    description="A member of staff's concern history: each part shows only what you may read; "
    "counts are shown to roles without case access."
)
class ConcernHistory:
    allegation_count: int = strawberry.field(
        description="All allegations about this person, including those you cannot read."
    )
    low_level_concern_count: int
    allegations: list[Allegation]
    low_level_concerns: list[LowLevelConcern]
    social_media: list[SocialMediaEntry] | None = strawberry.field(
        description="Declarations, contact attempts and presence checks (headteacher, DSLs, "
        "trust safeguarding lead); null for other readers."
    )


@strawberry.type(description="A pattern worth a look, with the records behind it.")
class StaffPatternFlag:
    kind: str = strawberry.field(
        description="low_level_concerns, contact_attempts, or repeated_contact (one person)."
    )
    count: int
    threshold: int
    since: datetime.date
    record_ids: list[strawberry.ID]
    explanation: str


@strawberry.type(description="An allegation as the personnel record keeps it.")
class PersonnelRecordEntry:
    allegation_id: strawberry.ID
    received_at: datetime.datetime
    outcome: Outcome
    outcome_at: datetime.datetime | None
    summary: SealedText | None
    reference_declaration: ReferenceDeclaration | None
    may_be_cited_in_reference: bool = strawberry.field(
        description="Substantiated, and declared to be referred to in references."
    )
    retain_until: datetime.date | None


@strawberry.type(
    description="What the personnel record holds, and what may appear in a reference: only "
    "substantiated allegations, never a history of the others. Malicious and false allegations "
    "are not on it unless the person consented to their retention."
)
class ReferenceView:
    personnel_record: list[PersonnelRecordEntry]
    citable_in_reference: list[PersonnelRecordEntry]
    undeclared_substantiated: list[strawberry.ID] = strawberry.field(
        description="Substantiated allegations with no reference declaration yet."
    )


def concern_history(ctx: Context, staff_id: UUID, target: Target) -> ConcernHistory:
    principal = ctx.principal
    if not permits(principal, Action.VIEW_STAFF_CASE_COUNTS, target):
        raise ValidationFailed("concernHistory", "not visible to you")
    everything = CaseReader(
        login_ix=ctx.login_ix,
        oversee_trusts=[target.trust_id],
        excluded_subjects=principal.subject_of,
    )
    all_allegations = queries.allegations(
        ctx.conn, everything, AllegationFilter(subject_id=staff_id), 100, None
    ).items
    readable = queries.allegations(
        ctx.conn,
        case_reader(ctx, Action.OVERSEE_ALLEGATIONS),
        AllegationFilter(subject_id=staff_id),
        100,
        None,
    ).items
    concern_rows = queries.all_concerns(ctx.conn, everything, ConcernFilter(subject_id=staff_id))
    visible_concerns = queries.all_concerns(
        ctx.conn,
        case_reader(ctx, Action.HANDLE_LOW_LEVEL_CONCERN),
        ConcernFilter(subject_id=staff_id),
    )
    social = None
    if permits(principal, Action.HANDLE_SOCIAL_MEDIA, target):
        social = social_entries(ctx, queries.social_media(ctx.conn, staff_id))
        ctx.log_read("history", "staff_social_media", staff_id, target)
    return ConcernHistory(
        allegation_count=len(all_allegations),
        low_level_concern_count=len(concern_rows),
        allegations=allegations_of(ctx, readable, "history"),
        low_level_concerns=concerns_of(ctx, visible_concerns, "history"),
        social_media=social,
    )


def staff_pattern_flags(
    ctx: Context, staff_id: UUID, target: Target, threshold: int | None
) -> list[StaffPatternFlag]:
    principal = ctx.principal
    settings = ctx.container.app.staff_case_settings(target.trust_id)
    limit = settings.concern_threshold if threshold is None else threshold
    if not 1 <= limit <= 50:
        raise ValidationFailed("threshold", "must be from 1 to 50")
    now = datetime.datetime.now(datetime.UTC)
    since = now - PATTERN_WINDOW
    flags: list[StaffPatternFlag] = []
    # Only concerns this reader may see (as recipient, headteacher or trust lead) are counted.
    recent = queries.all_concerns(
        ctx.conn, case_reader(ctx, Action.HANDLE_LOW_LEVEL_CONCERN),
        ConcernFilter(subject_id=staff_id, raised_from=since),
    )  # fmt: skip
    if len(recent) >= limit:
        flags.append(
            StaffPatternFlag(
                kind="low_level_concerns",
                count=len(recent),
                threshold=limit,
                since=since.date(),
                record_ids=[to_id(c.concern_id) for c in recent],
                explanation=f"{len(recent)} low-level concerns in the last 12 months "
                f"(threshold {limit}): review whether together they meet the harm threshold",
            )
        )
    if permits(principal, Action.HANDLE_SOCIAL_MEDIA, target):
        attempts = [
            r
            for r in queries.social_media(ctx.conn, staff_id)
            if r.kind == "contact_attempt" and r.at >= since
        ]
        if len(attempts) >= limit:
            flags.append(
                StaffPatternFlag(
                    kind="contact_attempts",
                    count=len(attempts),
                    threshold=limit,
                    since=since.date(),
                    record_ids=[to_id(a.record_id) for a in attempts],
                    explanation=f"{len(attempts)} attempts by pupils or parents to contact a "
                    f"personal account in the last 12 months (threshold {limit})",
                )
            )
        by_person: dict[UUID, list[SocialRow]] = {}
        for a in attempts:
            if a.from_person_id is not None:
                by_person.setdefault(a.from_person_id, []).append(a)
        for person, theirs in by_person.items():
            if len(theirs) >= 2:
                flags.append(
                    StaffPatternFlag(
                        kind="repeated_contact",
                        count=len(theirs),
                        threshold=2,
                        since=since.date(),
                        record_ids=[to_id(a.record_id) for a in theirs],
                        explanation=f"{person} tried to make contact {len(theirs)} times in the "
                        "last 12 months",
                    )
                )
    ctx.log_read("patterns", "staff_member", staff_id, target)
    return flags


def reference_view(ctx: Context, staff_id: UUID, target: Target) -> ReferenceView:
    if not permits(ctx.principal, Action.VIEW_PERSONNEL_RECORD, target):
        raise ValidationFailed("referenceView", "not visible to you")
    everything = CaseReader(
        login_ix=ctx.login_ix,
        oversee_trusts=[target.trust_id],
        excluded_subjects=ctx.principal.subject_of,
    )
    rows = [
        r
        for r in queries.allegations(
            ctx.conn, everything, AllegationFilter(subject_id=staff_id), 100, None
        ).items
        if _on_personnel_record(r)
    ]
    opened = ctx.open_all([v for r in rows for v in (r.outcome_summary, r.reference_declaration)])
    entries = []
    for i, r in enumerate(rows):
        ctx.log_read("personnel_record", "allegation", r.allegation_id, target)
        entries.append(
            PersonnelRecordEntry(
                allegation_id=to_id(r.allegation_id),
                received_at=r.received_at,
                outcome=Outcome(r.outcome or ""),
                outcome_at=r.outcome_at,
                summary=SealedText.of(opened[2 * i]),
                reference_declaration=None
                if r.reference_will_cite is None
                else ReferenceDeclaration(
                    will_be_referred_to=r.reference_will_cite,
                    declaration=SealedText.of(opened[2 * i + 1]),  # type: ignore[arg-type]
                ),
                may_be_cited_in_reference=r.outcome in CITABLE_OUTCOMES
                and bool(r.reference_will_cite),
                retain_until=r.retain_until,
            )
        )
    return ReferenceView(
        personnel_record=entries,
        citable_in_reference=[e for e in entries if e.may_be_cited_in_reference],
        undeclared_substantiated=[
            e.allegation_id
            for e in entries
            if e.outcome == Outcome.SUBSTANTIATED and e.reference_declaration is None
        ],
    )


# --- queries ---------------------------------------------------------------------------------


@strawberry.type(description="An allegation waiting for its LADO consultation.")
class LadoDeadline:
    allegation_id: strawberry.ID
    school_id: strawberry.ID
    case_manager: str | None = strawberry.field(description=ERASED_LOGIN)
    received_at: datetime.datetime
    due_on: datetime.date
    due_at: datetime.datetime
    overdue: bool


@strawberry.type(description="Counts only: no names, no details.")
class SchoolCaseCounts:
    school_id: strawberry.ID
    open_allegations: int
    awaiting_lado: int
    lado_overdue: int
    open_low_level_concerns: int
    allegations_this_academic_year: int


@strawberry.type
class StaffCaseQuery:
    @strawberry.field(
        description="The allegations register: the cases you manage or are on the team of (the "
        "trust safeguarding lead: all of the trust's), never one about you.",
        extensions=[ReadYourWrites(STAFF_CASES)],
    )
    def allegations(
        self,
        info: Info[Context, None],
        school_id: strawberry.ID | None = None,
        staff_member_id: strawberry.ID | None = None,
        status: AllegationStatus | None = None,
        awaiting_lado: bool = False,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Allegation]:
        ctx = info.context
        where = AllegationFilter(
            school_id=optional_uuid("schoolId", school_id),
            subject_id=optional_uuid("staffMemberId", staff_member_id),
            status=status.value if status else None,
            awaiting_lado=awaiting_lado,
        )
        page = queries.allegations(
            ctx.conn,
            case_reader(ctx, Action.OVERSEE_ALLEGATIONS),
            where,
            check_first(first),
            decode_cursor(after),
        )
        return connection(page, allegations_of(ctx, page.items, "list"))

    @strawberry.field(
        description="One allegation with its chronology. The read is logged.",
        extensions=[ReadYourWrites(STAFF_CASES)],
    )
    def allegation(self, info: Info[Context, None], id: strawberry.ID) -> Allegation | None:
        ctx = info.context
        return allegations_of(ctx, [readable_allegation(ctx, parse_id("id", id))], "view")[0]

    @strawberry.field(
        description="Low-level concerns you receive (headteacher, named person, trust "
        "safeguarding lead), never one about you.",
        extensions=[ReadYourWrites(STAFF_CASES)],
    )
    def low_level_concerns(
        self,
        info: Info[Context, None],
        school_id: strawberry.ID | None = None,
        staff_member_id: strawberry.ID | None = None,
        status: ConcernStatus | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[LowLevelConcern]:
        ctx = info.context
        where = ConcernFilter(
            school_id=optional_uuid("schoolId", school_id),
            subject_id=optional_uuid("staffMemberId", staff_member_id),
            status=status.value if status else None,
        )
        page = queries.concerns(
            ctx.conn,
            case_reader(ctx, Action.HANDLE_LOW_LEVEL_CONCERN),
            where,
            check_first(first),
            decode_cursor(after),
        )
        return connection(page, concerns_of(ctx, page.items, "list"))

    @strawberry.field(
        description="One low-level concern with its chronology. The read is logged.",
        extensions=[ReadYourWrites(STAFF_CASES)],
    )
    def low_level_concern(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> LowLevelConcern | None:
        ctx = info.context
        return concerns_of(ctx, [readable_concern(ctx, parse_id("id", id))], "view")[0]

    @strawberry.field(
        description="LADO consultations still to be made on the cases you may read, soonest "
        "first; `overdue` once the working-day deadline has passed.",
        extensions=[ReadYourWrites(STAFF_CASES)],
    )
    def deadlines(
        self, info: Info[Context, None], school_id: strawberry.ID | None = None
    ) -> list[LadoDeadline]:
        ctx = info.context
        page = queries.allegations(
            ctx.conn,
            case_reader(ctx, Action.OVERSEE_ALLEGATIONS),
            AllegationFilter(school_id=optional_uuid("schoolId", school_id), awaiting_lado=True),
            100,
            None,
        )
        now = datetime.datetime.now(datetime.UTC)
        rows = sorted(page.items, key=lambda r: (r.lado_due_on, r.received_at))
        managers = ctx.open_all([r.case_manager for r in rows])
        result = []
        for row, manager in zip(rows, managers, strict=True):
            ctx.log_read("deadlines", "allegation", row.allegation_id, _case_target(row))
            due_at = end_of_london_day(row.lado_due_on)
            result.append(
                LadoDeadline(
                    allegation_id=to_id(row.allegation_id),
                    school_id=to_id(row.school_id),
                    case_manager=_opened_text(manager),
                    received_at=row.received_at,
                    due_on=row.lado_due_on,
                    due_at=due_at,
                    overdue=now >= due_at,
                )
            )
        return result

    @strawberry.field(
        description="Open staff cases per school, as counts (headteacher, DSLs, chair of "
        "governors, trust safeguarding lead, DPO). Cases about you are not counted.",
        extensions=[ReadYourWrites(STAFF_CASES)],
    )
    def staff_case_counts(
        self, info: Info[Context, None], trust_id: strawberry.ID
    ) -> list[SchoolCaseCounts]:
        ctx = info.context
        trust = parse_id("trustId", trust_id)
        schools = ctx.trust_schools(Action.VIEW_STAFF_CASE_COUNTS, trust)
        today = london_today()
        return [
            SchoolCaseCounts(
                school_id=to_id(r.school_id),
                open_allegations=r.open_allegations,
                awaiting_lado=r.awaiting_lado,
                lado_overdue=r.lado_overdue,
                open_low_level_concerns=r.open_concerns,
                allegations_this_academic_year=r.allegations_this_year,
            )
            for r in queries.case_counts(
                ctx.conn,
                trust,
                schools,
                today,
                academic_year_start(today),
                ctx.principal.subject_of,
                ctx.login_ix,
            )
        ]


# --- mutations ---------------------------------------------------------------------------------


@strawberry.input(description="KCSIE para 356: answer each test separately.")
class HarmTestsInput:
    harmed_child: bool
    possible_offence: bool
    risk_of_harm: bool
    unsuitable: bool

    def to_domain(self) -> HarmTests:
        return HarmTests(
            harmed_child=self.harmed_child,
            possible_offence=self.possible_offence,
            risk_of_harm=self.risk_of_harm,
            unsuitable=self.unsuitable,
        )


@strawberry.input
class ReceiveAllegationInput:
    staff_member_id: strawberry.ID
    received_at: datetime.datetime = strawberry.field(description="With a time zone offset.")
    source: AllegationSource
    received_via: ReceivedVia
    description: str
    harm_tests: HarmTestsInput
    outside_work: bool = False
    category: AllegationCategory | None = None
    record_as_low_level_concern: bool = strawberry.field(
        default=False,
        description="When no harm test is met, record it as a low-level concern instead "
        "(otherwise refused with HARM_THRESHOLD_NOT_MET).",
    )


@strawberry.input
class AssignCaseManagerInput:
    allegation_id: strawberry.ID
    user_id: str
    reason: str = strawberry.field(description="Why the rule's choice is overridden.")


@strawberry.input
class AddToCaseTeamInput:
    allegation_id: strawberry.ID
    user_id: str
    responsibility: str = strawberry.field(description="e.g. DSL, HR adviser, investigator.")


@strawberry.input
class RecordLadoConsultationInput:
    allegation_id: strawberry.ID
    consulted_at: datetime.datetime
    lado_name: str
    advice: str
    agreed_action: str
    reference: str | None = None


@strawberry.input
class RecordAllegationActionInput:
    allegation_id: strawberry.ID
    kind: AllegationActionKind
    taken_at: datetime.datetime
    decision: str
    rationale: str
    reference: str | None = None


@strawberry.input
class RecordStrategyDiscussionInput:
    allegation_id: strawberry.ID
    held_at: datetime.datetime
    attendees: list[str]
    decisions: str
    actions: str


@strawberry.input
class RecordSuspensionDecisionInput:
    allegation_id: strawberry.ID
    considered_at: datetime.datetime
    alternatives: str = strawberry.field(description="The alternatives considered first.")
    decision: SuspensionDecision
    rationale: str


@strawberry.input
class RecordAllegationOutcomeInput:
    allegation_id: strawberry.ID
    outcome: Outcome
    decided_at: datetime.datetime
    summary: str
    rationale: str
    expected_version: int | None = None


@strawberry.input
class RecordReferenceDeclarationInput:
    allegation_id: strawberry.ID
    will_be_referred_to: bool = strawberry.field(
        description="Only a substantiated allegation may be referred to."
    )
    declaration: str


@strawberry.input
class RecordRetentionConsentInput:
    allegation_id: strawberry.ID
    consented_at: datetime.datetime
    method: str = strawberry.field(description="written, email or signed_form.")
    note: str | None = None


@strawberry.input
class RecordLessonsLearntInput:
    allegation_id: strawberry.ID
    lessons: str
    changes: str | None = strawberry.field(default=None, description="Policy or practice changes.")


@strawberry.input
class CloseAllegationInput:
    allegation_id: strawberry.ID
    note: str | None = None
    expected_version: int | None = None


@strawberry.input
class RaiseLowLevelConcernInput:
    staff_member_id: strawberry.ID = strawberry.field(description="A colleague, or yourself.")
    details: str
    context: str | None = None
    occurred_on: datetime.date | None = None
    withhold_name_from_subject: bool = strawberry.field(
        default=False, description="Ask not to be named to the member of staff."
    )


@strawberry.input
class ReviewLowLevelConcernInput:
    concern_id: strawberry.ID
    action_taken: str
    rationale: str


@strawberry.input
class CloseLowLevelConcernInput:
    concern_id: strawberry.ID
    note: str | None = None


@strawberry.input
class EscalateLowLevelConcernsInput:
    concern_ids: list[strawberry.ID]
    description: str
    harm_tests: HarmTestsInput
    outside_work: bool = False
    category: AllegationCategory | None = None


@strawberry.input
class DeclareSocialMediaRelationshipInput:
    staff_member_id: strawberry.ID = strawberry.field(description="Yourself, usually.")
    platform: str
    relationship: str = strawberry.field(
        description="With whom (pupils or their families) and how the relationship arose."
    )
    pupil_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input
class UpdateSocialMediaDeclarationInput:
    declaration_id: strawberry.ID
    circumstances: str
    ended: bool = False


@strawberry.input
class RecordDeclarationAdviceInput:
    declaration_id: strawberry.ID
    advice: str
    decision: str


@strawberry.input
class ReportContactAttemptInput:
    staff_member_id: strawberry.ID
    occurred_at: datetime.datetime
    platform: str
    contact_from: ContactFrom
    description: str
    from_person_id: strawberry.ID | None = strawberry.field(
        default=None, description="The pupil or parent/carer, when known."
    )
    response: str | None = None


@strawberry.input
class RecordOnlinePresenceCheckInput:
    staff_member_id: strawberry.ID
    checked_at: datetime.datetime
    platforms: str
    outcome: PresenceCheckOutcome
    notes: str | None = None


@strawberry.input
class ConfigureStaffCasesInput:
    trust_id: strawberry.ID
    headteacher_case_manager: str | None = strawberry.field(
        default=None,
        description="The user who handles allegations and low-level concerns about a headteacher.",
    )
    headteacher_case_manager_title: str | None = strawberry.field(
        default=None, description="e.g. chair of governors, CEO."
    )
    lado_working_days: int = strawberry.field(
        default=1, description="Working days from receipt to LADO consultation."
    )
    concern_threshold: int = strawberry.field(
        default=3, description="Low-level concerns in 12 months that raise a pattern flag."
    )


@strawberry.input
class RecordStaffPensionAgeInput:
    staff_member_id: strawberry.ID
    reaches_on: datetime.date = strawberry.field(
        description="When the person reaches normal pension age (for allegation retention)."
    )


@strawberry.type(description="What was recorded, and where in the event store.")
class StaffCaseChanged:
    id: strawberry.ID = strawberry.field(
        description="The allegation, concern, declaration, attempt, check, trust or staff member."
    )
    position: Position


@strawberry.type
class AllegationReceived:
    allegation_id: strawberry.ID
    case_manager: str
    lado_due_on: datetime.date
    position: Position


@strawberry.type(description="No harm test was met: recorded as a low-level concern instead.")
class RecordedAsLowLevelConcern:
    concern_id: strawberry.ID
    position: Position


StaffCaseResult = Annotated[
    StaffCaseChanged | ValidationError | NotFoundError | NotAuthorisedError | VersionConflictError,
    strawberry.union("StaffCaseResult"),
]
ReceiveAllegationResult = Annotated[
    AllegationReceived
    | RecordedAsLowLevelConcern
    | ValidationError
    | NotFoundError
    | NotAuthorisedError
    | VersionConflictError,
    strawberry.union("ReceiveAllegationResult"),
]


def _staff_command(method: str, input_type: type, description: str) -> Any:
    return legacy_command_mutation(
        method, input_type, StaffCaseResult, StaffCaseChanged, description
    )


@strawberry.type
class StaffCaseMutation:
    @strawberry.mutation(
        description="Receive an allegation about a member of staff (headteacher, DSLs, chair, "
        "trust safeguarding lead). The case manager is chosen by rule and the LADO deadline set; "
        "with no harm test met it is refused, or recorded as a low-level concern on request."
    )
    def receive_allegation(
        self, info: Info[Context, None], input: ReceiveAllegationInput
    ) -> ReceiveAllegationResult:
        app = info.context.container.app

        def command() -> AllegationReceived | RecordedAsLowLevelConcern:
            received = app.receive_allegation(**command_args(input))
            if received.as_low_level_concern:
                return RecordedAsLowLevelConcern(
                    concern_id=to_id(received.record_id), position=Position(received.position)
                )
            assert received.lado_due_on is not None
            return AllegationReceived(
                allegation_id=to_id(received.record_id),
                case_manager=received.handler,
                lado_due_on=received.lado_due_on,
                position=Position(received.position),
            )

        return run_command(info, command)

    assign_case_manager = _staff_command(
        "assign_case_manager",
        AssignCaseManagerInput,
        "Override the rule's case manager, with a reason (case manager, trust safeguarding lead). "
        "Never the subject.",
    )
    add_to_case_team = _staff_command(
        "add_to_case_team",
        AddToCaseTeamInput,
        "Add a named person to the case team (case manager, trust safeguarding lead).",
    )
    record_lado_consultation = _staff_command(
        "record_lado_consultation",
        RecordLadoConsultationInput,
        "Record the LADO consultation: name, reference, advice and the agreed course of action.",
    )
    record_allegation_action = _staff_command(
        "record_allegation_action",
        RecordAllegationActionInput,
        "Record a step: an immediate referral, investigation, subject informed, DBS or TRA "
        "referral considered or made; with who, when, decision and rationale.",
    )
    record_strategy_discussion = _staff_command(
        "record_strategy_discussion",
        RecordStrategyDiscussionInput,
        "Record a strategy discussion: attendees, decisions and actions.",
    )
    record_suspension_decision = _staff_command(
        "record_suspension_decision",
        RecordSuspensionDecisionInput,
        "Record that suspension was considered: the alternatives, the decision and why.",
    )
    record_allegation_outcome = _staff_command(
        "record_allegation_outcome",
        RecordAllegationOutcomeInput,
        "Record the outcome: exactly one of the five (case manager, trust safeguarding lead).",
    )
    record_reference_declaration = _staff_command(
        "record_reference_declaration",
        RecordReferenceDeclarationInput,
        "Declare whether the allegation will be referred to in future references (only a "
        "substantiated one may be).",
    )
    record_retention_consent = _staff_command(
        "record_retention_consent",
        RecordRetentionConsentInput,
        "Record the subject's consent to keep a malicious or false allegation on their record.",
    )
    record_lessons_learnt = _staff_command(
        "record_lessons_learnt",
        RecordLessonsLearntInput,
        "Record the lessons-learnt review at the end of the case.",
    )
    close_allegation = _staff_command(
        "close_allegation", CloseAllegationInput, "Close the case (it needs an outcome)."
    )
    raise_low_level_concern = _staff_command(
        "raise_low_level_concern",
        RaiseLowLevelConcernInput,
        "Raise a low-level concern about a colleague, or about yourself (any member of staff). "
        "It goes to the headteacher, or the trust's named person if about the headteacher.",
    )
    review_low_level_concern = _staff_command(
        "review_low_level_concern",
        ReviewLowLevelConcernInput,
        "Review a low-level concern: the action taken and its rationale.",
    )
    close_low_level_concern = _staff_command(
        "close_low_level_concern", CloseLowLevelConcernInput, "Close a reviewed low-level concern."
    )
    escalate_low_level_concerns = _staff_command(
        "escalate_low_level_concerns",
        EscalateLowLevelConcernsInput,
        "Escalate one or more low-level concerns about one person into an allegation; each "
        "refers to the other. Answers with the allegation's id.",
    )
    declare_social_media_relationship = _staff_command(
        "declare_social_media_relationship",
        DeclareSocialMediaRelationshipInput,
        "Declare a pre-existing relationship with pupils or their families on personal social "
        "media (the member of staff, or the headteacher or a DSL for them).",
    )
    update_social_media_declaration = _staff_command(
        "update_social_media_declaration",
        UpdateSocialMediaDeclarationInput,
        "Record changed circumstances of a declaration, or that the relationship ended.",
    )
    record_declaration_advice = _staff_command(
        "record_declaration_advice",
        RecordDeclarationAdviceInput,
        "Record the advice given and the decision made on a declaration.",
    )
    report_contact_attempt = _staff_command(
        "report_contact_attempt",
        ReportContactAttemptInput,
        "Report a pupil or parent trying to contact a member of staff's personal account.",
    )
    record_online_presence_check = _staff_command(
        "record_online_presence_check",
        RecordOnlinePresenceCheckInput,
        "Record an online presence check of a member of staff, governor or volunteer.",
    )
    configure_staff_cases = _staff_command(
        "configure_staff_cases",
        ConfigureStaffCasesInput,
        "Set who handles cases about a headteacher, the LADO working-day interval and the "
        "low-level concern threshold (trust safeguarding lead).",
    )
    record_staff_pension_age = _staff_command(
        "record_pension_age",
        RecordStaffPensionAgeInput,
        "Record when a member of staff reaches normal pension age (allegation retention).",
    )

"""The staff-case object types; each builds itself from a view row and the row's opened sealed
values (``Allegation.from_row(row, opened)``)."""

import datetime

import strawberry
from strawberry.types import Info

from api.graphql.common import Opened, SealedText, from_rows, optional_id, parse_id, to_id
from api.graphql.context import Context
from api.graphql.enums import (
    AllegationCategory,
    AllegationSource,
    AllegationStatus,
    CaseManagerBasis,
    ChildRelationship,
    ConcernStatus,
    ContactFrom,
    Outcome,
    PresenceCheckOutcome,
    ReceivedVia,
    SuspensionDecision,
    YesNoNotKnown,
)
from api.graphql.evidence import ALLEGATION_EVIDENCE, EvidenceFile
from domain.staff_cases import rules
from projections.staff_cases import queries
from projections.staff_cases.chronology import summary_text
from projections.staff_cases.queries import (
    AllegationRow,
    CaseEntryRow,
    ChildRow,
    ConcernRow,
    Member,
    MemberPart,
    SocialRow,
)
from projections.staff_cases.queries import (
    SchoolCaseCounts as CountsRow,
)

ERASED_LOGIN = "A login; null once erased."


@strawberry.type(description="One entry of a case's chronology: when, who, what, decision, why.")
class CaseEntry:
    at: datetime.datetime
    actor: str | None = strawberry.field(description=ERASED_LOGIN)
    kind: str
    summary: str
    what: SealedText | None
    decision: SealedText | None
    rationale: SealedText | None

    @classmethod
    def from_row(cls, row: CaseEntryRow, opened: Opened) -> "CaseEntry":
        return cls(
            at=row.at,
            actor=opened.text(row.actor),
            kind=row.kind,
            summary=summary_text(row.summary, opened[row.named], opened[row.detail]),
            what=opened.sealed(row.what),
            decision=opened.sealed(row.decision),
            rationale=opened.sealed(row.rationale),
        )


def case_entries(ctx: Context, rows: list[CaseEntryRow]) -> list[CaseEntry]:
    return from_rows(ctx, rows, CaseEntry.from_row)


def chronology_of(info: Info[Context, None], case_id: strawberry.ID) -> list[CaseEntry]:
    return case_entries(info.context, queries.entries(info.context.conn, parse_id("id", case_id)))


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

    @classmethod
    def from_row(cls, row: AllegationRow) -> "HarmTestAnswers":
        return cls(
            harmed_child=row.harmed_child,
            possible_offence=row.possible_offence,
            risk_of_harm=row.risk_of_harm,
            unsuitable=row.unsuitable,
        )


_PART_WORDS = {
    MemberPart.CASE_MANAGER: "case manager",
    MemberPart.RECEIVER: "received the allegation",
}


@strawberry.type
class CaseMember:
    user_id: str | None = strawberry.field(description=ERASED_LOGIN)
    responsibility: str | None = strawberry.field(
        description='Their part: "case manager", "received the allegation", or what they were '
        "added for (null once erased)."
    )

    @classmethod
    def from_row(cls, member: Member, opened: Opened) -> "CaseMember":
        return cls(
            user_id=opened.text(member.user_id),
            responsibility=_PART_WORDS.get(member.part) or opened.text(member.responsibility),
        )


@strawberry.type(description="A child an allegation concerns, and how.")
class ChildConcerned:
    pupil_id: strawberry.ID
    relationship: ChildRelationship

    @classmethod
    def from_row(cls, row: ChildRow) -> "ChildConcerned":
        return cls(pupil_id=to_id(row.pupil_id), relationship=ChildRelationship(row.relationship))


def _answer(value: str | None) -> YesNoNotKnown | None:
    return None if value is None else YesNoNotKnown(value)


@strawberry.type(description="What the case says a future reference will say about it.")
class ReferenceDeclaration:
    will_be_referred_to: bool
    declaration: SealedText

    @classmethod
    def from_row(cls, row: AllegationRow, opened: Opened) -> "ReferenceDeclaration | None":
        if row.reference_will_cite is None:
            return None
        return cls(
            will_be_referred_to=row.reference_will_cite,
            declaration=opened.erasable(row.reference_declaration),
        )


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
    children_concerned: list[ChildConcerned] = strawberry.field(
        description="The children it concerns, in the order named (empty until recorded)."
    )
    location: SealedText | None
    more_than_one_incident: YesNoNotKnown | None
    after_physical_intervention: YesNoNotKnown | None = strawberry.field(
        description="Whether it followed an authorised physical intervention."
    )
    injury: SealedText | None
    others_told: SealedText | None = strawberry.field(description="Who else was told of it.")
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
        return chronology_of(info, self.id)

    @strawberry.field(
        description="Supporting documents, in the order attached (metadata; the files "
        "themselves are downloaded from each `downloadPath` over HTTP)."
    )
    def evidence(self, info: Info[Context, None]) -> list[EvidenceFile]:
        rows = queries.evidence_of(info.context.conn, parse_id("id", self.id))
        return from_rows(info.context, rows, EvidenceFile.under(ALLEGATION_EVIDENCE))

    @strawberry.field(description="The member of staff's name.")
    def staff_member_name(self, info: Info[Context, None]) -> SealedText | None:
        sid = parse_id("staffMemberId", self.staff_member_id)
        return SealedText.of(info.context.names_of([sid])[sid])

    @classmethod
    def from_row(cls, row: AllegationRow, opened: Opened, now: datetime.datetime) -> "Allegation":
        """``now`` is when the LADO deadline is judged."""
        return cls(
            id=to_id(row.allegation_id),
            school_id=to_id(row.school_id),
            staff_member_id=to_id(row.subject_id),
            status=AllegationStatus(row.status),
            received_at=row.received_at,
            received_by=opened.text(row.received_by),
            source=AllegationSource(row.source),
            received_via=ReceivedVia(row.received_via),
            category=AllegationCategory(row.category) if row.category else None,
            description=opened.erasable(row.description),
            children_concerned=[ChildConcerned.from_row(c) for c in row.children],
            location=opened.sealed(row.location),
            more_than_one_incident=_answer(row.more_than_one_incident),
            after_physical_intervention=_answer(row.after_physical_intervention),
            injury=opened.sealed(row.injury),
            others_told=opened.sealed(row.others_told),
            harm_tests=HarmTestAnswers.from_row(row),
            outside_work=row.outside_work,
            case_manager=opened.text(row.case_manager),
            case_manager_basis=CaseManagerBasis(row.case_manager_basis),
            case_team=[CaseMember.from_row(m, opened) for m in row.members],
            lado_due_on=row.lado_due_on,
            lado_due_at=rules.lado_due_at(row.lado_due_on),
            lado_consulted_at=row.lado_consulted_at,
            lado_overdue=rules.lado_overdue(row.lado_due_on, row.lado_consulted_at, now),
            suspension_decision=SuspensionDecision(row.suspension_decision)
            if row.suspension_decision
            else None,
            outcome=Outcome(row.outcome) if row.outcome else None,
            outcome_at=row.outcome_at,
            outcome_summary=opened.sealed(row.outcome_summary),
            reference_declaration=ReferenceDeclaration.from_row(row, opened),
            retention_consent=row.retention_consent,
            retain_until=row.retain_until,
            erasure_due=rules.erasure_due(row.outcome, row.retention_consent),
            on_personnel_record=rules.on_personnel_record(row.outcome, row.retention_consent),
            lessons_learnt_at=row.lessons_learnt_at,
            closed_at=row.closed_at,
            linked_concern_ids=[to_id(c) for c in row.concern_ids],
            version=row.version,
        )


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
        return chronology_of(info, self.id)

    @classmethod
    def from_row(cls, row: ConcernRow, opened: Opened) -> "LowLevelConcern":
        return cls(
            id=to_id(row.concern_id),
            school_id=to_id(row.school_id),
            staff_member_id=to_id(row.subject_id),
            raised_by=opened.text(row.raised_by),
            raised_at=row.raised_at,
            occurred_on=row.occurred_on,
            self_reported=row.self_reported,
            name_withheld_from_subject=row.withhold_name,
            details=opened.erasable(row.details),
            context=opened.sealed(row.context),
            recipient=opened.text(row.recipient),
            recipient_basis=CaseManagerBasis(row.recipient_basis),
            screened_as_allegation=row.screened_as_allegation,
            status=ConcernStatus(row.status),
            reviewed_at=row.reviewed_at,
            action_taken=opened.sealed(row.action_taken),
            rationale=opened.sealed(row.rationale),
            escalated_to_allegation_id=optional_id(row.escalated_to),
            closed_at=row.closed_at,
            retention_review_due_on=row.left_on,
            version=row.version,
        )


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

    @classmethod
    def from_row(cls, row: SocialRow, opened: Opened) -> "SocialMediaEntry":
        return cls(
            record_id=to_id(row.record_id),
            kind=row.kind,
            at=row.at,
            recorded_by=opened.text(row.actor),
            platform=opened.text(row.platform),
            detail=opened.sealed(row.detail),
            advice=opened.sealed(row.advice),
            decision=opened.sealed(row.decision),
            outcome=PresenceCheckOutcome(row.outcome) if row.outcome else None,
            contact_from=ContactFrom(row.contact_from) if row.contact_from else None,
            from_person_id=optional_id(row.from_person_id),
            ended=row.ended,
        )


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

    @classmethod
    def from_flag(cls, flag: rules.PatternFlag) -> "StaffPatternFlag":
        return cls(
            kind=flag.kind,
            count=flag.count,
            threshold=flag.threshold,
            since=flag.since,
            record_ids=[to_id(r) for r in flag.record_ids],
            explanation=flag.explanation,
        )


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

    @classmethod
    def from_row(cls, row: AllegationRow, opened: Opened) -> "PersonnelRecordEntry":
        return cls(
            allegation_id=to_id(row.allegation_id),
            received_at=row.received_at,
            outcome=Outcome(row.outcome or ""),
            outcome_at=row.outcome_at,
            summary=opened.sealed(row.outcome_summary),
            reference_declaration=ReferenceDeclaration.from_row(row, opened),
            may_be_cited_in_reference=rules.may_be_cited_in_reference(
                row.outcome, row.reference_will_cite
            ),
            retain_until=row.retain_until,
        )


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


@strawberry.type(description="An allegation waiting for its LADO consultation.")
class LadoDeadline:
    allegation_id: strawberry.ID
    school_id: strawberry.ID
    case_manager: str | None = strawberry.field(description=ERASED_LOGIN)
    received_at: datetime.datetime
    due_on: datetime.date
    due_at: datetime.datetime
    overdue: bool

    @classmethod
    def from_row(cls, row: AllegationRow, opened: Opened, now: datetime.datetime) -> "LadoDeadline":
        return cls(
            allegation_id=to_id(row.allegation_id),
            school_id=to_id(row.school_id),
            case_manager=opened.text(row.case_manager),
            received_at=row.received_at,
            due_on=row.lado_due_on,
            due_at=rules.lado_due_at(row.lado_due_on),
            overdue=rules.lado_overdue(row.lado_due_on, row.lado_consulted_at, now),
        )


@strawberry.type(description="Counts only: no names, no details.")
class SchoolCaseCounts:
    school_id: strawberry.ID
    open_allegations: int
    awaiting_lado: int
    lado_overdue: int
    open_low_level_concerns: int
    allegations_this_academic_year: int

    @classmethod
    def from_row(cls, row: CountsRow) -> "SchoolCaseCounts":
        return cls(
            school_id=to_id(row.school_id),
            open_allegations=row.open_allegations,
            awaiting_lado=row.awaiting_lado,
            lado_overdue=row.lado_overdue,
            open_low_level_concerns=row.open_concerns,
            allegations_this_academic_year=row.allegations_this_year,
        )

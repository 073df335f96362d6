"""GraphQL for pupils' image and video consent, official channels, publications and takedowns
(issue 5). The data lead, DSLs and headteacher of the school read and record; a member of staff
authorised on a channel runs its posting check (yes or no per pupil, nothing more) and records
their own posts."""

import datetime
from collections.abc import Iterable
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.graphql.common import (
    ERASED_LOGIN,
    Connection,
    Error,
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
    text_or_null,
    to_id,
)
from api.graphql.context import Context
from api.graphql.enums import (
    ConsentChannel,
    ConsenterKind,
    ConsentMethod,
    ConsentStatus,
    Medium,
    PublicationStatus,
    RiskAssessmentApprover,
    TakedownOutcome,
)
from domain.access.policy import Action, Target, permits
from domain.consent.aggregates import PosterPeriod, Publication
from domain.consent.handlers import MAX_PUPILS_PER_PUBLICATION, Choice, ConsentMissing
from domain.consent.model import publication_status
from domain.shared.calendar import academic_year_of, academic_year_starts, london_today
from domain.shared.errors import NotAuthorised, NotFound, ValidationFailed
from domain.shared.sealing import Erased, Sealed
from projections.common import sealed_or_none
from projections.consent import queries
from projections.consent.queries import ChannelRow, ConsentPupil, Judged, PublicationRow

CONSENT = "consent"


def _instant(field: str, value: datetime.datetime | None) -> datetime.datetime:
    if value is None:
        return datetime.datetime.now(datetime.UTC)
    if value.tzinfo is None:
        raise ValidationFailed(field, "must include a time zone offset")
    return value.astimezone(datetime.UTC)


def _school(ctx: Context, school_id: strawberry.ID, action: Action) -> Target:
    school = parse_id("schoolId", school_id)
    try:
        target = ctx.container.app.school_target(school)
    except NotFound:
        raise NotAuthorised() from None
    ctx.authorise(action, target)
    return target


ERASED_TEXT = "Null once erased."
LINK = "Where it was posted, if given. Null too once erased."
Opened = dict[Sealed | None, str | Erased | None]


def _open(ctx: Context, values: Iterable[Sealed | None]) -> Opened:
    """The sealed values a page shows, opened with one key look-up, by value (None: absent)."""
    wanted = list(dict.fromkeys(v for v in values if v is not None))
    opened: Opened = {None: None}
    opened.update(zip(wanted, ctx.open_all(list(wanted)), strict=True))
    return opened


# --- answers -----------------------------------------------------------------------------------


@strawberry.type(description="The decision that settles an answer: which event, from whom, when.")
class ConsentDecision:
    event: str = strawberry.field(
        description="The event's type: ConsentGiven, ConsentAmended or ConsentWithdrawn."
    )
    consent_record_id: strawberry.ID
    version: int = strawberry.field(description="The event's version in its consent record.")
    decision: str = strawberry.field(description="granted, refused or withdrawn.")
    effective_at: datetime.datetime = strawberry.field(
        description="When it was received, and so took effect."
    )
    recorded_at: datetime.datetime
    recorded_by: str | None = strawberry.field(description=ERASED_LOGIN)
    given_by: ConsenterKind
    parent_carer_id: strawberry.ID | None
    method: ConsentMethod
    reference: str | None = strawberry.field(
        description=f"The written decision's reference. {ERASED_TEXT}"
    )
    statement_version: str | None = strawberry.field(
        description="The version of the consent statement shown (not on withdrawals). "
        + ERASED_TEXT
    )


@strawberry.type(
    description="May this pupil appear in this medium on this channel at this instant? Only "
    "GRANTED permits it. The answer for an instant never changes once it has passed: it "
    "depends only on decisions received at or before it."
)
class ConsentAnswer:
    pupil_id: strawberry.ID
    medium: Medium
    channel: ConsentChannel
    at: datetime.datetime
    status: ConsentStatus
    may_publish: bool
    decided_by: ConsentDecision | None = strawberry.field(
        description="The deciding decision; null for NO_RECORD and LAPSED."
    )
    lapsed_on: datetime.date | None = strawberry.field(
        description="LAPSED: the day the pupil left the school."
    )


def _open_decisions(ctx: Context, judged: Iterable[Judged]) -> Opened:
    """How the deciding decisions were given (reference, statement, who recorded it), opened
    with one key look-up for all of them."""
    rows = [j.deciding for j in judged if j.deciding is not None]
    return _open(
        ctx,
        (
            sealed_or_none(v)
            for row in rows
            for v in (row.reference, row.statement_version, row.recorded_by)
        ),
    )


def _answer(j: Judged, opened: Opened) -> ConsentAnswer:
    """``opened``: from :func:`_open_decisions` over at least ``j``."""
    row = j.deciding
    decided = None
    if row is not None:
        r = row.ruling
        decided = ConsentDecision(
            event=r.kind,
            consent_record_id=to_id(r.record_id),
            version=r.version,
            decision=r.decision,
            effective_at=r.effective_at,
            recorded_at=r.recorded_at,
            recorded_by=text_or_null(opened[sealed_or_none(row.recorded_by)]),
            given_by=ConsenterKind(row.consenter_kind),
            parent_carer_id=optional_id(row.parent_carer_id),
            method=ConsentMethod(row.method),
            reference=text_or_null(opened[sealed_or_none(row.reference)]),
            statement_version=text_or_null(opened[sealed_or_none(row.statement_version)]),
        )
    lapse = j.answer.lapse
    return ConsentAnswer(
        pupil_id=to_id(j.pupil_id),
        medium=Medium(j.medium),
        channel=ConsentChannel(j.channel),
        at=j.at,
        status=ConsentStatus(j.answer.status),
        may_publish=j.answer.may_publish,
        decided_by=decided,
        lapsed_on=lapse.left_on if lapse else None,
    )


@strawberry.type
class CompetenceAssessment:
    competent: bool
    assessed_at: datetime.datetime


@strawberry.type(description="One pupil's line in the consent register.")
class ConsentRegisterEntry:
    pupil_id: strawberry.ID
    year_group: int
    left_on: datetime.date | None
    has_record: bool = strawberry.field(description="Any decision received by the instant asked.")
    current_for_year: bool = strawberry.field(
        description="Confirmed by the data lead for the academic year asked, or a decision "
        "received during it."
    )
    confirmed_years: list[str]
    competence: CompetenceAssessment | None = strawberry.field(
        description="The latest competence assessment."
    )
    answers: list[ConsentAnswer] = strawberry.field(
        description="Every medium and channel, as at the instant asked."
    )

    @strawberry.field(description="The pupil's name.")
    def pupil_name(self, info: Info[Context, None]) -> SealedText | None:
        pid = parse_id("pupilId", self.pupil_id)
        return SealedText.of(info.context.names_of([pid])[pid])


def _register_entry(
    p: ConsentPupil, judged: list[Judged], opened: Opened, at: datetime.datetime, year: str
) -> ConsentRegisterEntry:
    starts = academic_year_starts(year)
    return ConsentRegisterEntry(
        pupil_id=to_id(p.pupil_id),
        year_group=p.year_group,
        left_on=p.left_on,
        has_record=p.first_received_at is not None and p.first_received_at <= at,
        current_for_year=year in p.confirmed_years
        or (p.last_received_at is not None and p.last_received_at >= starts),
        confirmed_years=list(p.confirmed_years),
        competence=None
        if p.competent is None or p.competence_assessed_at is None
        else CompetenceAssessment(competent=p.competent, assessed_at=p.competence_assessed_at),
        answers=[_answer(j, opened) for j in judged],
    )


@strawberry.type(description="One pupil in a posting check.")
class PostingCheckPupil:
    pupil_id: strawberry.ID
    may_appear: bool
    detail: ConsentAnswer | None = strawberry.field(
        description="The full answer: for the data lead, DSLs and headteacher only; null for "
        "a poster, who sees yes or no."
    )


@strawberry.type(
    description="Who may appear identifiably in a post on this channel. A posting app needs "
    "only `everyoneMayAppear` and `mayNotAppear`; `pupils` gives a line per pupil (with the "
    "reasons, for those who may see them)."
)
class PostingCheck:
    channel_id: strawberry.ID
    channel: ConsentChannel
    medium: Medium
    at: datetime.datetime
    judged: strawberry.Private[list[tuple[strawberry.ID, Judged]]]
    detailed: strawberry.Private[bool]

    @strawberry.field
    def everyone_may_appear(self) -> bool:
        return all(j.answer.may_publish for _, j in self.judged)

    @strawberry.field(description="The pupils asked about who may appear, in the order asked.")
    def may_appear(self) -> list[strawberry.ID]:
        return [pupil_id for pupil_id, j in self.judged if j.answer.may_publish]

    @strawberry.field(
        description="The pupils asked about who may not appear identifiably, in the order "
        "asked: leave them out, or pseudonymise or blur them."
    )
    def may_not_appear(self) -> list[strawberry.ID]:
        return [pupil_id for pupil_id, j in self.judged if not j.answer.may_publish]

    @strawberry.field(description="Each pupil asked about, in the order asked.")
    def pupils(self, info: Info[Context, None]) -> list[PostingCheckPupil]:
        judged = [j for _, j in self.judged]
        opened = _open_decisions(info.context, judged) if self.detailed else {}
        return [
            PostingCheckPupil(
                pupil_id=pupil_id,
                may_appear=j.answer.may_publish,
                detail=_answer(j, opened) if self.detailed else None,
            )
            for pupil_id, j in self.judged
        ]


# --- channels, publications and takedowns ----------------------------------------------------


@strawberry.type
class ChannelPoster:
    staff_member_id: strawberry.ID
    user_id: str | None = strawberry.field(description=ERASED_LOGIN)
    authorised_at: datetime.datetime
    revoked_at: datetime.datetime | None


@strawberry.type(description="An official channel in the register (seed 004 §3).")
class OfficialChannel:
    id: strawberry.ID
    school_id: strawberry.ID
    kind: ConsentChannel
    platform: str | None = strawberry.field(description=ERASED_TEXT)
    account_name: str | None = strawberry.field(description=ERASED_TEXT)
    master_administrator_id: strawberry.ID
    purpose: SealedText
    opened_on: datetime.date
    closed_on: datetime.date | None
    close_reason: SealedText | None
    risk_assessment_approved_by: str | None = strawberry.field(
        description=f"Their name. {ERASED_TEXT}"
    )
    risk_assessment_approver: RiskAssessmentApprover
    risk_assessment_approved_on: datetime.date
    mfa_enabled: bool
    opened_by: str | None = strawberry.field(description=ERASED_LOGIN)
    posters: list[ChannelPoster] = strawberry.field(
        description="Every authorisation, oldest first."
    )
    version: int


def _channels(ctx: Context, rows: list[ChannelRow]) -> list[OfficialChannel]:
    opened = _open(
        ctx,
        [
            v
            for r in rows
            for v in (
                r.purpose,
                r.close_reason,
                r.platform,
                r.account_name,
                r.risk_assessment_approved_by,
                r.opened_by,
                *(p.user_id for p in r.posters),
            )
        ],
    )
    return [
        OfficialChannel(
            id=to_id(r.channel_id),
            school_id=to_id(r.school_id),
            kind=ConsentChannel(r.kind),
            platform=text_or_null(opened[r.platform]),
            account_name=text_or_null(opened[r.account_name]),
            master_administrator_id=to_id(r.master_administrator_id),
            purpose=SealedText.of(opened[r.purpose]),  # type: ignore[arg-type]
            opened_on=r.opened_on,
            closed_on=r.closed_on,
            close_reason=SealedText.of(opened[r.close_reason]),
            risk_assessment_approved_by=text_or_null(opened[r.risk_assessment_approved_by]),
            risk_assessment_approver=RiskAssessmentApprover(r.risk_assessment_approver),
            risk_assessment_approved_on=r.risk_assessment_approved_on,
            mfa_enabled=r.mfa_enabled,
            opened_by=text_or_null(opened[r.opened_by]),
            posters=[
                ChannelPoster(
                    staff_member_id=to_id(p.staff_member_id),
                    user_id=text_or_null(opened[p.user_id]),
                    authorised_at=p.authorised_at,
                    revoked_at=p.revoked_at,
                )
                for p in r.posters
            ],
            version=r.version,
        )
        for r in rows
    ]


@strawberry.type(description="An entry in the publication log.")
class PublicationEntry:
    id: strawberry.ID
    school_id: strawberry.ID
    channel_id: strawberry.ID
    channel: ConsentChannel
    posted_at: datetime.datetime
    media: list[Medium]
    pupil_ids: list[strawberry.ID]
    identifiable: bool = strawberry.field(
        description="False: pseudonymised or blurred, so no consent was needed."
    )
    caption_names_anyone: bool
    posted_by: str | None = strawberry.field(description=ERASED_LOGIN)
    recorded_by: str | None = strawberry.field(description=ERASED_LOGIN)
    recorded_at: datetime.datetime
    description: SealedText | None
    link: str | None = strawberry.field(description=LINK)
    status: PublicationStatus
    approved_by: str | None = strawberry.field(
        description=f"{ERASED_LOGIN} Null too until approved (see `approvedAt`)."
    )
    approved_at: datetime.datetime | None
    takedown_pending: bool
    version: int


def _publications(ctx: Context, rows: list[PublicationRow]) -> list[PublicationEntry]:
    opened = _open(
        ctx,
        [
            v
            for r in rows
            for v in (r.description, r.link, r.posted_by, r.recorded_by, r.approved_by)
        ],
    )
    result = []
    for r in rows:
        result.append(
            PublicationEntry(
                id=to_id(r.publication_id),
                school_id=to_id(r.school_id),
                channel_id=to_id(r.channel_id),
                channel=ConsentChannel(r.channel),
                posted_at=r.posted_at,
                media=[Medium(m) for m in r.media],
                pupil_ids=[to_id(p) for p in r.pupil_ids],
                identifiable=r.identifiable,
                caption_names_anyone=r.caption_names_anyone,
                posted_by=text_or_null(opened[r.posted_by]),
                recorded_by=text_or_null(opened[r.recorded_by]),
                recorded_at=r.recorded_at,
                description=SealedText.of(opened[r.description]),
                link=text_or_null(opened[r.link]),
                status=publication_status(r.removed, r.needs_approval, r.approved_at is not None),
                approved_by=text_or_null(opened[r.approved_by]),
                approved_at=r.approved_at,
                takedown_pending=r.takedown_pending,
                version=r.version,
            )
        )
    return result


@strawberry.type(
    description="A publication featuring a pupil whose consent for it was since withdrawn or "
    "narrowed: to be removed wherever reasonably practicable."
)
class TakedownItem:
    publication_id: strawberry.ID
    pupil_id: strawberry.ID
    channel_id: strawberry.ID
    channel: ConsentChannel
    posted_at: datetime.datetime
    media: list[Medium]
    link: str | None = strawberry.field(description=LINK)
    requested_at: datetime.datetime
    withdrawal_received_at: datetime.datetime
    posted_after_withdrawal: bool = strawberry.field(
        description="Posted after the withdrawal was received (it was recorded late): a breach "
        "to report to the data protection officer."
    )
    outcome: TakedownOutcome | None
    reason: SealedText | None
    done_at: datetime.datetime | None
    done_by: str | None = strawberry.field(description=ERASED_LOGIN)


# --- queries -----------------------------------------------------------------------------------


def _may_post(ctx: Context, authorisations: tuple[PosterPeriod, ...], target: Target) -> bool:
    """The caller is authorised on the channel now and holds a role at its school."""
    now = datetime.datetime.now(datetime.UTC)
    school = Target(target.trust_id, target.school_id)
    return any(p.covers(now) for p in authorisations) and any(
        g.reaches(school) for g in ctx.principal.grants
    )


@strawberry.type
class ConsentQuery:
    @strawberry.field(
        description="Granted, refused, withdrawn, lapsed or no record for one pupil, medium and "
        "channel at an instant (default now), naming the decision that settles it (data lead, "
        "DSLs, headteacher).",
        extensions=[ReadYourWrites(CONSENT)],
    )
    def consent_status(
        self,
        info: Info[Context, None],
        pupil_id: strawberry.ID,
        media: Annotated[Medium, strawberry.argument(description="The medium: PHOTO or VIDEO.")],
        channel: ConsentChannel,
        at: datetime.datetime | None = None,
    ) -> ConsentAnswer:
        ctx = info.context
        pid = parse_id("pupilId", pupil_id)
        instant = _instant("at", at)
        found = queries.answers(ctx.conn, [pid], media.value, channel.value, instant).get(pid)
        if found is None:
            raise NotFound("Pupil", pid)
        ctx.authorise(
            Action.VIEW_CONSENT, Target(found.trust_id, found.school_id, frozenset({pid}))
        )
        return _answer(found.judged, _open_decisions(ctx, [found.judged]))

    @strawberry.field(
        description="The school's consent register: each pupil on roll at `at` (default now) "
        "with every medium and channel as at that instant. `gapsOnly`: just the pupils with no "
        "record, or none for `academicYear` (default the current one, e.g. 2026/27). Each "
        "pupil listed is written to the access log.",
        extensions=[ReadYourWrites(CONSENT)],
    )
    def consent_register(
        self,
        info: Info[Context, None],
        school_id: strawberry.ID,
        at: datetime.datetime | None = None,
        academic_year: str | None = None,
        gaps_only: bool = False,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[ConsentRegisterEntry]:
        ctx = info.context
        target = _school(ctx, school_id, Action.VIEW_CONSENT)
        instant = _instant("at", at)
        year = academic_year or academic_year_of(london_today())
        starts = academic_year_starts(year)
        page = queries.register(
            ctx.conn,
            target.school_id,  # type: ignore[arg-type]
            instant,
            check_first(first),
            decode_cursor(after),
            (year, starts) if gaps_only else None,
        )
        lapses = {p.pupil_id: p.lapse for p in page.items}
        judged = queries.judge(lapses, queries.standing(ctx.conn, list(lapses), instant), instant)
        for p in page.items:  # each line names a pupil: a read of their record
            ctx.log_read("consent_register", "pupil", p.pupil_id, target)
        opened = _open_decisions(ctx, (j for answers in judged.values() for j in answers))
        entries = [
            _register_entry(p, judged[p.pupil_id], opened, instant, year) for p in page.items
        ]
        return connection(page, entries)

    @strawberry.field(
        description="Before posting: for a channel, a medium and the pupils in the image, who "
        "may appear identifiably at `at` (default now). Staff authorised on the channel see yes "
        "or no per pupil; the data lead, DSLs and headteacher also see why.",
        extensions=[ReadYourWrites(CONSENT)],
    )
    def posting_check(
        self,
        info: Info[Context, None],
        channel_id: strawberry.ID,
        media: Annotated[Medium, strawberry.argument(description="The medium: PHOTO or VIDEO.")],
        pupil_ids: list[strawberry.ID],
        at: datetime.datetime | None = None,
    ) -> PostingCheck:
        ctx = info.context
        if not 1 <= len(pupil_ids) <= MAX_PUPILS_PER_PUBLICATION:
            raise ValidationFailed(
                "pupilIds", f"name from 1 to {MAX_PUPILS_PER_PUBLICATION} pupils"
            )
        ids = list(dict.fromkeys(parse_id("pupilIds", p) for p in pupil_ids))
        instant = _instant("at", at)
        channel, pupils = ctx.container.posting_cache.read(
            lambda: ctx.conn,
            parse_id("channelId", channel_id),
            ctx.identity.user_id,
            ids,
            media.value,
            fresh=ctx.fresh,
            user_id_ix=ctx.login_ix,
        )
        if channel is None:
            raise NotFound("Channel", channel_id)
        found = queries.posting_check(channel, pupils, media.value, instant)
        target = Target(found.trust_id, found.school_id, frozenset(ids))
        # the school's data lead, DSLs and head see why; a poster sees yes or no
        full = permits(ctx.principal, Action.CHECK_POSTING, target)
        if not full and not _may_post(ctx, found.callers_authorisations, target):
            ctx.authorise(Action.CHECK_POSTING, target)
        if target.subject_ids & ctx.principal.subject_of:
            raise NotAuthorised()
        judged = []
        for pid in ids:
            pupil = found.answers.get(pid)
            if pupil is None or pupil.school_id != found.school_id:
                raise NotFound("Pupil", pid)
            judged.append((to_id(pid), pupil.judged))
        return PostingCheck(
            channel_id=to_id(found.channel_id),
            channel=ConsentChannel(found.kind),
            medium=media,
            at=instant,
            judged=judged,
            detailed=full,
        )

    @strawberry.field(
        description="Publications to take down after a withdrawal (data lead, DSLs, "
        "headteacher); open items only unless `includeClosed`.",
        extensions=[ReadYourWrites(CONSENT)],
    )
    def takedown_queue(
        self,
        info: Info[Context, None],
        school_id: strawberry.ID,
        include_closed: bool = False,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[TakedownItem]:
        ctx = info.context
        target = _school(ctx, school_id, Action.VIEW_CONSENT)
        page = queries.takedowns(
            ctx.conn,
            target.school_id,  # type: ignore[arg-type]
            include_closed,
            check_first(first),
            decode_cursor(after),
        )
        opened = _open(ctx, [v for t in page.items for v in (t.reason, t.link, t.done_by)])
        items = [
            TakedownItem(
                publication_id=to_id(t.publication_id),
                pupil_id=to_id(t.pupil_id),
                channel_id=to_id(t.channel_id),
                channel=ConsentChannel(t.channel),
                posted_at=t.posted_at,
                media=[Medium(m) for m in t.media],
                link=text_or_null(opened[t.link]),
                requested_at=t.requested_at,
                withdrawal_received_at=t.withdrawal_received_at,
                posted_after_withdrawal=t.posted_at >= t.withdrawal_received_at,
                outcome=TakedownOutcome(t.outcome) if t.outcome else None,
                reason=SealedText.of(opened[t.reason]),
                done_at=t.done_at,
                done_by=text_or_null(opened[t.done_by]),
            )
            for t in page.items
        ]
        return connection(page, items)

    @strawberry.field(
        description="The school's register of official channels (data lead, DSLs, headteacher).",
        extensions=[ReadYourWrites(CONSENT)],
    )
    def channels(
        self, info: Info[Context, None], school_id: strawberry.ID
    ) -> list[OfficialChannel]:
        ctx = info.context
        target = _school(ctx, school_id, Action.VIEW_CONSENT)
        return _channels(ctx, queries.channels(ctx.conn, target.school_id))  # type: ignore[arg-type]

    @strawberry.field(
        description="The publication log, newest last (data lead, DSLs, headteacher); filter by "
        "channel or by a pupil featured.",
        extensions=[ReadYourWrites(CONSENT)],
    )
    def publications(
        self,
        info: Info[Context, None],
        school_id: strawberry.ID,
        channel_id: strawberry.ID | None = None,
        pupil_id: strawberry.ID | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[PublicationEntry]:
        ctx = info.context
        target = _school(ctx, school_id, Action.VIEW_CONSENT)
        page = queries.publications(
            ctx.conn,
            target.school_id,  # type: ignore[arg-type]
            optional_uuid("channelId", channel_id),
            optional_uuid("pupilId", pupil_id),
            check_first(first),
            decode_cursor(after),
        )
        return connection(page, _publications(ctx, page.items))


# --- mutations ---------------------------------------------------------------------------------


@strawberry.input
class RecordCompetenceAssessmentInput:
    pupil_id: strawberry.ID
    assessed_at: datetime.datetime
    competent: bool = strawberry.field(
        description="Whether the pupil can understand what they would consent to."
    )
    notes: str | None = None


@strawberry.input(description="One decision for every combination of these media and channels.")
class ConsentChoiceInput:
    media: list[Medium]
    channels: list[ConsentChannel]
    granted: bool

    def to_domain(self) -> Choice:
        return Choice(
            media=[m.value for m in self.media],
            channels=[c.value for c in self.channels],
            granted=self.granted,
        )


@strawberry.input(
    description="A consent form: the pupil (after a competence assessment says they can) or a "
    "person with parental responsibility (`parentCarerId`)."
)
class GiveConsentInput:
    pupil_id: strawberry.ID
    consenter_kind: ConsenterKind
    choices: list[ConsentChoiceInput]
    method: ConsentMethod
    reference: str = strawberry.field(description="The written form's reference.")
    statement_version: str = strawberry.field(description="The consent statement shown.")
    received_at: datetime.datetime = strawberry.field(description="Takes effect from here.")
    parent_carer_id: strawberry.ID | None = None


@strawberry.input
class AmendConsentInput(GiveConsentInput):
    pass


@strawberry.input
class WithdrawConsentInput:
    pupil_id: strawberry.ID
    consenter_kind: ConsenterKind
    media: list[Medium]
    channels: list[ConsentChannel]
    method: ConsentMethod
    reference: str
    received_at: datetime.datetime = strawberry.field(description="Takes effect from here.")
    parent_carer_id: strawberry.ID | None = None


@strawberry.input
class ConfirmConsentForYearInput:
    pupil_id: strawberry.ID
    academic_year: str = strawberry.field(description="e.g. 2026/27: the current or the next.")


@strawberry.input
class OpenChannelInput:
    school_id: strawberry.ID
    kind: ConsentChannel
    platform: str = strawberry.field(description="e.g. Facebook, Instagram, the website.")
    account_name: str
    master_administrator_id: strawberry.ID = strawberry.field(
        description="The member of staff holding the master administration role."
    )
    purpose: str
    opened_on: datetime.date
    risk_assessment_approved_by: str = strawberry.field(description="Their name.")
    risk_assessment_approver: RiskAssessmentApprover
    risk_assessment_approved_on: datetime.date = strawberry.field(
        description="On or before `openedOn`."
    )
    mfa_enabled: bool


@strawberry.input
class AuthorisePosterInput:
    channel_id: strawberry.ID
    staff_member_id: strawberry.ID
    effective_at: datetime.datetime | None = strawberry.field(
        default=None, description="Default now."
    )


@strawberry.input
class RevokePosterInput(AuthorisePosterInput):
    pass


@strawberry.input
class CloseChannelInput:
    channel_id: strawberry.ID
    closed_on: datetime.date = strawberry.field(description="No posts on or after this day.")
    reason: str | None = None


@strawberry.input
class SetPublicationApprovalInput:
    school_id: strawberry.ID
    required: bool


@strawberry.input
class RecordPublicationInput:
    channel_id: strawberry.ID
    posted_at: datetime.datetime
    media: list[Medium]
    pupil_ids: list[strawberry.ID]
    identifiable: bool = strawberry.field(
        description="False when pseudonymised or blurred: then no consent is needed."
    )
    caption_names_anyone: bool
    posted_by_id: strawberry.ID | None = strawberry.field(
        default=None, description="The posting member of staff; default you."
    )
    description: str | None = None
    link: str | None = None


@strawberry.input
class ApprovePublicationInput:
    publication_id: strawberry.ID


@strawberry.input
class RecordTakedownInput:
    publication_id: strawberry.ID
    outcome: TakedownOutcome
    done_at: datetime.datetime
    reason: str | None = strawberry.field(
        default=None, description="Required when removal is not reasonably practicable."
    )


@strawberry.type(description="What was recorded, and where in the event store.")
class ConsentChanged:
    id: strawberry.ID = strawberry.field(
        description="The consent record, channel, publication or school."
    )
    position: Position


ConsentResult = Annotated[
    ConsentChanged | ValidationError | NotFoundError | NotAuthorisedError | VersionConflictError,
    strawberry.union("ConsentResult"),
]


@strawberry.type
class MissingConsent:
    pupil_id: strawberry.ID
    medium: Medium
    channel: ConsentChannel
    status: ConsentStatus


@strawberry.type(
    description="Pupils would appear identifiably without consent at the instant of posting; "
    "every pupil, medium and channel lacking it is listed. Nothing was recorded."
)
class ConsentMissingError(Error):
    posted_at: datetime.datetime
    missing: list[MissingConsent]


@strawberry.type
class PublicationRecorded:
    publication_id: strawberry.ID
    status: PublicationStatus
    position: Position


RecordPublicationResult = Annotated[
    PublicationRecorded
    | ConsentMissingError
    | ValidationError
    | NotFoundError
    | NotAuthorisedError
    | VersionConflictError,
    strawberry.union("RecordPublicationResult"),
]


def _consent_command(method: str, input_type: type, description: str) -> object:
    return legacy_command_mutation(method, input_type, ConsentResult, ConsentChanged, description)


@strawberry.type
class ConsentMutation:
    record_competence_assessment = _consent_command(
        "record_competence_assessment",
        RecordCompetenceAssessmentInput,
        "Record whether a pupil can consent for themselves (data lead, DSLs, headteacher).",
    )
    give_consent = _consent_command(
        "give_consent",
        GiveConsentInput,
        "Record a consent form: granted or refused per medium and channel, effective from receipt.",
    )
    amend_consent = _consent_command(
        "amend_consent",
        AmendConsentInput,
        "Record a written change to some media and channels, effective from receipt; earlier "
        "use stays lawful and narrowed publications join the takedown queue.",
    )
    withdraw_consent = _consent_command(
        "withdraw_consent",
        WithdrawConsentInput,
        "Record a written withdrawal for some media and channels, effective from receipt "
        "(prospective: earlier use stays lawful); earlier publications join the takedown queue.",
    )
    confirm_consent_for_year = _consent_command(
        "confirm_consent_for_year",
        ConfirmConsentForYearInput,
        "The data lead confirms a pupil's consent record for the academic year.",
    )
    open_channel = _consent_command(
        "open_channel",
        OpenChannelInput,
        "Add an official channel to the register, after its risk assessment is approved.",
    )
    authorise_poster = _consent_command(
        "authorise_poster", AuthorisePosterInput, "Authorise a member of staff to post."
    )
    revoke_poster = _consent_command(
        "revoke_poster", RevokePosterInput, "End a member of staff's authorisation to post."
    )
    close_channel = _consent_command(
        "close_channel", CloseChannelInput, "Close a channel: nothing may be posted from then."
    )
    set_publication_approval = _consent_command(
        "set_publication_approval",
        SetPublicationApprovalInput,
        "Switch the two-person rule: each publication is agreed by a second colleague.",
    )
    approve_publication = _consent_command(
        "approve_publication",
        ApprovePublicationInput,
        "The second colleague agrees a publication (two-person rule); not its poster.",
    )
    record_takedown = _consent_command(
        "record_takedown",
        RecordTakedownInput,
        "Close a publication's takedown: removed, or not reasonably practicable and why.",
    )

    @strawberry.mutation(
        description="Record a publication. Refused, listing every gap, if a pupil shown "
        "identifiably lacks consent for a medium on the channel at `postedAt`; refused if the "
        "poster was not authorised on the channel then, or it was closed or not yet open."
    )
    def record_publication(
        self, info: Info[Context, None], input: RecordPublicationInput
    ) -> RecordPublicationResult:
        app = info.context.container.app

        def command() -> PublicationRecorded | ConsentMissingError:
            try:
                publication_id, position = app.record_publication(**command_args(input))
            except ConsentMissing as error:
                return ConsentMissingError(
                    message=error.message,
                    code=error.code,
                    posted_at=error.posted_at,
                    missing=[
                        MissingConsent(
                            pupil_id=to_id(m.pupil_id),
                            medium=Medium(m.medium),
                            channel=ConsentChannel(m.channel),
                            status=ConsentStatus(m.status),
                        )
                        for m in error.missing
                    ],
                )
            publication = app.get(Publication, publication_id, "Publication", read_only=True)
            return PublicationRecorded(
                publication_id=to_id(publication_id),
                status=PublicationStatus(publication.status),
                position=Position(position),
            )

        return run_command(info, command)

"""The consent feature's object types: answers, the register, the posting check, channels,
publications and takedowns; each builds itself from a view row and the page's opened values."""

import datetime
from collections.abc import Iterable

import strawberry
from strawberry.types import Info

from api.graphql.common import (
    ERASED_LOGIN,
    Opened,
    SealedText,
    open_rows,
    optional_id,
    parse_id,
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
from domain.consent.model import publication_status
from domain.consent.rules import current_for_year, has_record_by, posted_after_withdrawal
from projections.consent.publications import (
    ChannelPosterRow,
    ChannelRow,
    PublicationRow,
    TakedownRow,
)
from projections.consent.queries import ConsentPupil, Judged, RulingRow

ERASED_TEXT = "Null once erased."
LINK = "Where it was posted, if given. Null too once erased."


def open_decisions(ctx: Context, judged: Iterable[Judged]) -> Opened:
    """How the deciding decisions were given (reference, statement, who recorded it), opened
    with one key look-up for all of them."""
    return open_rows(ctx, [j.deciding.how_given for j in judged if j.deciding is not None])


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

    @classmethod
    def from_row(cls, row: RulingRow, opened: Opened) -> "ConsentDecision":
        """``opened``: from :func:`open_decisions` over at least this decision."""
        r, how = row.ruling, row.how_given
        return cls(
            event=r.kind,
            consent_record_id=to_id(r.record_id),
            version=r.version,
            decision=r.decision,
            effective_at=r.effective_at,
            recorded_at=r.recorded_at,
            recorded_by=opened.text(how.recorded_by),
            given_by=ConsenterKind(row.consenter_kind),
            parent_carer_id=optional_id(row.parent_carer_id),
            method=ConsentMethod(row.method),
            reference=opened.text(how.reference),
            statement_version=opened.text(how.statement_version),
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

    @classmethod
    def from_row(cls, j: Judged, opened: Opened) -> "ConsentAnswer":
        """``opened``: from :func:`open_decisions` over at least ``j``."""
        lapse = j.answer.lapse
        return cls(
            pupil_id=to_id(j.pupil_id),
            medium=Medium(j.medium),
            channel=ConsentChannel(j.channel),
            at=j.at,
            status=ConsentStatus(j.answer.status),
            may_publish=j.answer.may_publish,
            decided_by=None if j.deciding is None else ConsentDecision.from_row(j.deciding, opened),
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

    @classmethod
    def from_row(
        cls,
        p: ConsentPupil,
        judged: list[Judged],
        opened: Opened,
        at: datetime.datetime,
        year: str,
    ) -> "ConsentRegisterEntry":
        """The pupil's line as at ``at``, current or not for the academic year ``year``."""
        return cls(
            pupil_id=to_id(p.pupil_id),
            year_group=p.year_group,
            left_on=p.left_on,
            has_record=has_record_by(p.first_received_at, at),
            current_for_year=current_for_year(year, p.confirmed_years, p.last_received_at),
            confirmed_years=list(p.confirmed_years),
            competence=None
            if p.competent is None or p.competence_assessed_at is None
            else CompetenceAssessment(competent=p.competent, assessed_at=p.competence_assessed_at),
            answers=[ConsentAnswer.from_row(j, opened) for j in judged],
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
        if not self.detailed:
            return [
                PostingCheckPupil(pupil_id=pupil_id, may_appear=j.answer.may_publish, detail=None)
                for pupil_id, j in self.judged
            ]
        opened = open_decisions(info.context, (j for _, j in self.judged))
        return [
            PostingCheckPupil(
                pupil_id=pupil_id,
                may_appear=j.answer.may_publish,
                detail=ConsentAnswer.from_row(j, opened),
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

    @classmethod
    def from_row(cls, p: ChannelPosterRow, opened: Opened) -> "ChannelPoster":
        return cls(
            staff_member_id=to_id(p.staff_member_id),
            user_id=opened.text(p.user_id),
            authorised_at=p.authorised_at,
            revoked_at=p.revoked_at,
        )


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

    @classmethod
    def from_row(cls, r: ChannelRow, opened: Opened) -> "OfficialChannel":
        return cls(
            id=to_id(r.channel_id),
            school_id=to_id(r.school_id),
            kind=ConsentChannel(r.kind),
            platform=opened.text(r.platform),
            account_name=opened.text(r.account_name),
            master_administrator_id=to_id(r.master_administrator_id),
            purpose=opened.erasable(r.purpose),
            opened_on=r.opened_on,
            closed_on=r.closed_on,
            close_reason=opened.sealed(r.close_reason),
            risk_assessment_approved_by=opened.text(r.risk_assessment_approved_by),
            risk_assessment_approver=RiskAssessmentApprover(r.risk_assessment_approver),
            risk_assessment_approved_on=r.risk_assessment_approved_on,
            mfa_enabled=r.mfa_enabled,
            opened_by=opened.text(r.opened_by),
            posters=[ChannelPoster.from_row(p, opened) for p in r.posters],
            version=r.version,
        )


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

    @classmethod
    def from_row(cls, r: PublicationRow, opened: Opened) -> "PublicationEntry":
        return cls(
            id=to_id(r.publication_id),
            school_id=to_id(r.school_id),
            channel_id=to_id(r.channel_id),
            channel=ConsentChannel(r.channel),
            posted_at=r.posted_at,
            media=[Medium(m) for m in r.media],
            pupil_ids=[to_id(p) for p in r.pupil_ids],
            identifiable=r.identifiable,
            caption_names_anyone=r.caption_names_anyone,
            posted_by=opened.text(r.posted_by),
            recorded_by=opened.text(r.recorded_by),
            recorded_at=r.recorded_at,
            description=opened.sealed(r.description),
            link=opened.text(r.link),
            status=publication_status(r.removed, r.needs_approval, r.approved_at is not None),
            approved_by=opened.text(r.approved_by),
            approved_at=r.approved_at,
            takedown_pending=r.takedown_pending,
            version=r.version,
        )


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

    @classmethod
    def from_row(cls, t: TakedownRow, opened: Opened) -> "TakedownItem":
        return cls(
            publication_id=to_id(t.publication_id),
            pupil_id=to_id(t.pupil_id),
            channel_id=to_id(t.channel_id),
            channel=ConsentChannel(t.channel),
            posted_at=t.posted_at,
            media=[Medium(m) for m in t.media],
            link=opened.text(t.link),
            requested_at=t.requested_at,
            withdrawal_received_at=t.withdrawal_received_at,
            posted_after_withdrawal=posted_after_withdrawal(t.posted_at, t.withdrawal_received_at),
            outcome=TakedownOutcome(t.outcome) if t.outcome else None,
            reason=opened.sealed(t.reason),
            done_at=t.done_at,
            done_by=opened.text(t.done_by),
        )

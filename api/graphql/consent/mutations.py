"""The consent mutations: each input converts itself to its domain command
(``domain/consent/commands.py``); ``recordPublication`` answers more than an id and a position
(the publication's status, or every gap in consent), so it answers by ``_record_publication``."""

import datetime
from typing import TypeVar

import strawberry

from api.graphql.common import (
    Error,
    Position,
    answering_mutation,
    command_mutation,
    optional_uuid,
    parse_id,
    result_union,
    to_id,
)
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
from domain.application import CaseworkApplication
from domain.consent.aggregates import Publication
from domain.consent.commands import (
    AmendConsent,
    ApprovePublication,
    AuthorisePoster,
    Choice,
    CloseChannel,
    ConfirmConsentForYear,
    ConsentForm,
    GiveConsent,
    OpenChannel,
    RecordCompetenceAssessment,
    RecordPublication,
    RecordTakedown,
    RevokePoster,
    SetPublicationApproval,
    WithdrawConsent,
)
from domain.consent.errors import ConsentMissing

Form = TypeVar("Form", bound=ConsentForm)
Poster = TypeVar("Poster", AuthorisePoster, RevokePoster)


@strawberry.input
class RecordCompetenceAssessmentInput:
    pupil_id: strawberry.ID
    assessed_at: datetime.datetime
    competent: bool = strawberry.field(
        description="Whether the pupil can understand what they would consent to."
    )
    notes: str | None = None

    def to_command(self) -> RecordCompetenceAssessment:
        return RecordCompetenceAssessment(
            pupil_id=parse_id("pupilId", self.pupil_id),
            assessed_at=self.assessed_at,
            competent=self.competent,
            notes=self.notes,
        )


@strawberry.input(description="One decision for every combination of these media and channels.")
class ConsentChoiceInput:
    media: list[Medium]
    channels: list[ConsentChannel]
    granted: bool

    def to_choice(self) -> Choice:
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

    def to_command(self) -> GiveConsent:
        return self._form(GiveConsent)

    def _form(self, command: type[Form]) -> Form:
        return command(
            pupil_id=parse_id("pupilId", self.pupil_id),
            consenter_kind=self.consenter_kind.value,
            choices=[c.to_choice() for c in self.choices],
            method=self.method.value,
            reference=self.reference,
            statement_version=self.statement_version,
            received_at=self.received_at,
            parent_carer_id=optional_uuid("parentCarerId", self.parent_carer_id),
        )


@strawberry.input
class AmendConsentInput(GiveConsentInput):
    def to_command(self) -> AmendConsent:  # type: ignore[override]
        return self._form(AmendConsent)


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

    def to_command(self) -> WithdrawConsent:
        return WithdrawConsent(
            pupil_id=parse_id("pupilId", self.pupil_id),
            consenter_kind=self.consenter_kind.value,
            media=[m.value for m in self.media],
            channels=[c.value for c in self.channels],
            method=self.method.value,
            reference=self.reference,
            received_at=self.received_at,
            parent_carer_id=optional_uuid("parentCarerId", self.parent_carer_id),
        )


@strawberry.input
class ConfirmConsentForYearInput:
    pupil_id: strawberry.ID
    academic_year: str = strawberry.field(description="e.g. 2026/27: the current or the next.")

    def to_command(self) -> ConfirmConsentForYear:
        return ConfirmConsentForYear(
            pupil_id=parse_id("pupilId", self.pupil_id), academic_year=self.academic_year
        )


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

    def to_command(self) -> OpenChannel:
        return OpenChannel(
            school_id=parse_id("schoolId", self.school_id),
            kind=self.kind.value,
            platform=self.platform,
            account_name=self.account_name,
            master_administrator_id=parse_id("masterAdministratorId", self.master_administrator_id),
            purpose=self.purpose,
            opened_on=self.opened_on,
            risk_assessment_approved_by=self.risk_assessment_approved_by,
            risk_assessment_approver=self.risk_assessment_approver.value,
            risk_assessment_approved_on=self.risk_assessment_approved_on,
            mfa_enabled=self.mfa_enabled,
        )


@strawberry.input
class AuthorisePosterInput:
    channel_id: strawberry.ID
    staff_member_id: strawberry.ID
    effective_at: datetime.datetime | None = strawberry.field(
        default=None,
        description="When the authorisation starts; default now. A publication is checked "
        "against the authorisations in force at its `postedAt`, so with the default a post "
        "made before now is refused (POSTER_NOT_AUTHORISED). To record earlier posts, "
        'authorise from when the poster began, e.g. `effectiveAt: "2025-09-01T00:00:00Z"`.',
    )

    def to_command(self) -> AuthorisePoster:
        return self._poster(AuthorisePoster)

    def _poster(self, command: type[Poster]) -> Poster:
        return command(
            channel_id=parse_id("channelId", self.channel_id),
            staff_member_id=parse_id("staffMemberId", self.staff_member_id),
            effective_at=self.effective_at,
        )


@strawberry.input
class RevokePosterInput(AuthorisePosterInput):
    effective_at: datetime.datetime | None = strawberry.field(
        default=None,
        description="When the authorisation ends; default now. Posts made before it stay "
        "authorised; a post at or after it is refused (POSTER_NOT_AUTHORISED).",
    )

    def to_command(self) -> RevokePoster:  # type: ignore[override]
        return self._poster(RevokePoster)


@strawberry.input
class CloseChannelInput:
    channel_id: strawberry.ID
    closed_on: datetime.date = strawberry.field(description="No posts on or after this day.")
    reason: str | None = None

    def to_command(self) -> CloseChannel:
        return CloseChannel(
            channel_id=parse_id("channelId", self.channel_id),
            closed_on=self.closed_on,
            reason=self.reason,
        )


@strawberry.input
class SetPublicationApprovalInput:
    school_id: strawberry.ID
    required: bool

    def to_command(self) -> SetPublicationApproval:
        return SetPublicationApproval(
            school_id=parse_id("schoolId", self.school_id), required=self.required
        )


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

    def to_command(self) -> RecordPublication:
        return RecordPublication(
            channel_id=parse_id("channelId", self.channel_id),
            posted_at=self.posted_at,
            media=[m.value for m in self.media],
            pupil_ids=[parse_id("pupilIds", p) for p in self.pupil_ids],
            identifiable=self.identifiable,
            caption_names_anyone=self.caption_names_anyone,
            posted_by_id=optional_uuid("postedById", self.posted_by_id),
            description=self.description,
            link=self.link,
        )


@strawberry.input
class ApprovePublicationInput:
    publication_id: strawberry.ID

    def to_command(self) -> ApprovePublication:
        return ApprovePublication(publication_id=parse_id("publicationId", self.publication_id))


@strawberry.input
class RecordTakedownInput:
    publication_id: strawberry.ID
    outcome: TakedownOutcome
    done_at: datetime.datetime
    reason: str | None = strawberry.field(
        default=None, description="Required when removal is not reasonably practicable."
    )

    def to_command(self) -> RecordTakedown:
        return RecordTakedown(
            publication_id=parse_id("publicationId", self.publication_id),
            outcome=self.outcome.value,
            done_at=self.done_at,
            reason=self.reason,
        )


@strawberry.type(description="What was recorded, and where in the event store.")
class ConsentChanged:
    id: strawberry.ID = strawberry.field(
        description="The consent record, channel, publication or school."
    )
    position: Position


ConsentResult = result_union("ConsentResult", ConsentChanged)


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

    @classmethod
    def of(cls, error: ConsentMissing) -> "ConsentMissingError":
        return cls(
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


@strawberry.type
class PublicationRecorded:
    publication_id: strawberry.ID
    status: PublicationStatus
    position: Position


RecordPublicationResult = result_union(
    "RecordPublicationResult", PublicationRecorded | ConsentMissingError
)


def _record_publication(
    app: CaseworkApplication, input: RecordPublicationInput
) -> PublicationRecorded | ConsentMissingError:
    """The publication's status, or every gap in consent that refused it."""
    try:
        publication_id, position = app.record_publication(input.to_command())
    except ConsentMissing as error:
        return ConsentMissingError.of(error)
    publication = app.get(Publication, publication_id, "Publication", read_only=True)
    return PublicationRecorded(
        publication_id=to_id(publication_id),
        status=PublicationStatus(publication.status),
        position=Position(position),
    )


App = CaseworkApplication


@strawberry.type
class ConsentMutation:
    record_competence_assessment = command_mutation(
        App.record_competence_assessment,
        RecordCompetenceAssessmentInput,
        ConsentResult,
        ConsentChanged,
        "Record whether a pupil can consent for themselves (data lead, DSLs, headteacher).",
    )
    give_consent = command_mutation(
        App.give_consent,
        GiveConsentInput,
        ConsentResult,
        ConsentChanged,
        "Record a consent form: granted or refused per medium and channel, effective from receipt.",
    )
    amend_consent = command_mutation(
        App.amend_consent,
        AmendConsentInput,
        ConsentResult,
        ConsentChanged,
        "Record a written change to some media and channels, effective from receipt; earlier "
        "use stays lawful and narrowed publications join the takedown queue.",
    )
    withdraw_consent = command_mutation(
        App.withdraw_consent,
        WithdrawConsentInput,
        ConsentResult,
        ConsentChanged,
        "Record a written withdrawal for some media and channels, effective from receipt "
        "(prospective: earlier use stays lawful); earlier publications join the takedown queue.",
    )
    confirm_consent_for_year = command_mutation(
        App.confirm_consent_for_year,
        ConfirmConsentForYearInput,
        ConsentResult,
        ConsentChanged,
        "The data lead confirms a pupil's consent record for the academic year.",
    )
    open_channel = command_mutation(
        App.open_channel,
        OpenChannelInput,
        ConsentResult,
        ConsentChanged,
        "Add an official channel to the register, after its risk assessment is approved.",
    )
    authorise_poster = command_mutation(
        App.authorise_poster,
        AuthorisePosterInput,
        ConsentResult,
        ConsentChanged,
        "Authorise a member of staff to post on the channel from `effectiveAt` (default now: "
        "give an earlier instant to record posts made before today).",
    )
    revoke_poster = command_mutation(
        App.revoke_poster,
        RevokePosterInput,
        ConsentResult,
        ConsentChanged,
        "End a member of staff's authorisation to post.",
    )
    close_channel = command_mutation(
        App.close_channel,
        CloseChannelInput,
        ConsentResult,
        ConsentChanged,
        "Close a channel: nothing may be posted from then.",
    )
    set_publication_approval = command_mutation(
        App.set_publication_approval,
        SetPublicationApprovalInput,
        ConsentResult,
        ConsentChanged,
        "Switch the two-person rule: each publication is agreed by a second colleague.",
    )
    approve_publication = command_mutation(
        App.approve_publication,
        ApprovePublicationInput,
        ConsentResult,
        ConsentChanged,
        "The second colleague agrees a publication (two-person rule); not its poster.",
    )
    record_takedown = command_mutation(
        App.record_takedown,
        RecordTakedownInput,
        ConsentResult,
        ConsentChanged,
        "Close a publication's takedown: removed, or not reasonably practicable and why.",
    )

    record_publication = answering_mutation(
        _record_publication,
        RecordPublicationInput,
        RecordPublicationResult,
        "Record a publication. Refused, listing every gap, if a pupil shown identifiably lacks "
        "consent for a medium on the channel at `postedAt`; refused if the poster was not "
        "authorised on the channel then, or it was closed or not yet open.",
    )

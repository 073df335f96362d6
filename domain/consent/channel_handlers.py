"""Official channels, their posters, publications and takedowns (issue 5): a publication
showing pupils identifiably is recorded only if each has consent at the instant of posting."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID, uuid4

from domain.consent.aggregates import Channel, ConsentRecord, Publication, consent_record_id
from domain.consent.commands import (
    ApprovePublication,
    AuthorisePoster,
    CloseChannel,
    OpenChannel,
    RecordPublication,
    RecordTakedown,
    RevokePoster,
    SetPublicationApproval,
)
from domain.consent.errors import (
    ChannelClosed,
    ConsentMissing,
    Missing,
    NoTakedownPending,
    PostedBeforeChannelOpened,
    PosterNotAuthorised,
    SelfApproval,
)
from domain.consent.model import (
    ConsentChannel,
    ConsentStatus,
    Medium,
    RiskAssessmentApprover,
    TakedownOutcome,
)
from domain.consent.record_handlers import lapse_of
from domain.consent.rules import MAX_PUPILS_PER_PUBLICATION, may_post
from domain.directory.aggregates import Pupil, School, StaffMember
from domain.shared import clock
from domain.shared.actor import current_principal
from domain.shared.base_app import CaseworkBase
from domain.shared.calendar import LONDON
from domain.shared.errors import NotFound, ValidationFailed
from domain.shared.policy import Action, Target, authorise, permits
from domain.shared.validation import (
    MAX_TEXT,
    choice,
    not_in_future,
    optional_text,
    past_instant,
    required_text,
)


class ChannelHandlers(CaseworkBase):
    # --- channels -------------------------------------------------------------------------

    def _school_staff(self, staff_member_id: UUID, school_id: UUID, field: str) -> StaffMember:
        staff = self.get(StaffMember, staff_member_id, "Staff member", read_only=True)
        if staff.school_id != school_id:  # another school's record: as if there were none
            raise NotFound("Staff member", staff_member_id)
        if staff.has_left:
            raise ValidationFailed(field, f"left on {staff.left_on}")
        return staff

    def open_channel(self, command: OpenChannel) -> tuple[UUID, int]:
        c = command
        target = self.school_for(c.school_id, Action.MANAGE_CHANNELS)
        choice("kind", c.kind, ConsentChannel)
        choice("riskAssessmentApprover", c.risk_assessment_approver, RiskAssessmentApprover)
        approved_on = not_in_future("riskAssessmentApprovedOn", c.risk_assessment_approved_on)
        if approved_on > c.opened_on:
            raise ValidationFailed(
                "riskAssessmentApprovedOn",
                "a channel opens only after its risk assessment is approved",
            )
        self._school_staff(c.master_administrator_id, c.school_id, "masterAdministratorId")
        seal = self.keyring.session()
        channel_id = seal.new_subject(uuid4())
        channel = Channel(
            id=channel_id,
            trust_id=target.trust_id,
            school_id=c.school_id,
            kind=c.kind,
            platform=seal.seal(channel_id, required_text("platform", c.platform, 100)),
            account_name=seal.seal(channel_id, required_text("accountName", c.account_name)),
            master_administrator_id=c.master_administrator_id,
            purpose=seal.seal(channel_id, required_text("purpose", c.purpose, MAX_TEXT)),
            opened_on=c.opened_on,
            risk_assessment_approved_by=seal.seal(
                channel_id,
                required_text("riskAssessmentApprovedBy", c.risk_assessment_approved_by),
            ),
            risk_assessment_approver=c.risk_assessment_approver,
            risk_assessment_approved_on=approved_on,
            mfa_enabled=c.mfa_enabled,
        )
        return channel.id, self.record(channel, new_keys=seal.new_keys)

    def _channel(self, channel_id: UUID, action: Action | None = Action.MANAGE_CHANNELS) -> Channel:
        channel = self.get(Channel, channel_id, "Channel")
        if action is not None:
            authorise(current_principal(), action, Target(channel.trust_id, channel.school_id))
        return channel

    @staticmethod
    def _open(channel: Channel, field: str = "channelId") -> None:
        if channel.closed_on is not None:
            raise ChannelClosed(field, f"the channel closed on {channel.closed_on}")

    def authorise_poster(self, command: AuthorisePoster) -> tuple[UUID, int]:
        channel = self._channel(command.channel_id)
        self._open(channel)
        staff = self._school_staff(command.staff_member_id, channel.school_id, "staffMemberId")  # type: ignore[arg-type]
        if staff.user_id is None:
            raise ValidationFailed("staffMemberId", "has no login, so cannot post")
        if channel.currently_authorised(staff.id):
            raise ValidationFailed("staffMemberId", "is already authorised on this channel")
        at = past_instant("effectiveAt", command.effective_at or clock.now())
        channel.authorise_poster(staff.id, staff.user_id, at)
        return channel.id, self.record(channel)

    def revoke_poster(self, command: RevokePoster) -> tuple[UUID, int]:
        channel = self._channel(command.channel_id)
        if not channel.currently_authorised(command.staff_member_id):
            raise ValidationFailed("staffMemberId", "is not authorised on this channel")
        staff = self.get(StaffMember, command.staff_member_id, "Staff member", read_only=True)
        at = past_instant("effectiveAt", command.effective_at or clock.now())
        channel.revoke_poster(staff.id, staff.user_id or "", at)
        return channel.id, self.record(channel)

    def close_channel(self, command: CloseChannel) -> tuple[UUID, int]:
        channel = self._channel(command.channel_id)
        self._open(channel)
        not_in_future("closedOn", command.closed_on)
        if command.closed_on < channel.opened_on:
            raise ValidationFailed(
                "closedOn", f"is before the channel opened ({channel.opened_on})"
            )
        text = optional_text("reason", command.reason, MAX_TEXT)
        seal = self.keyring.session()
        channel.close(command.closed_on, seal.seal(channel.id, text) if text else None)
        return channel.id, self.record(channel, new_keys=seal.new_keys)

    def set_publication_approval(self, command: SetPublicationApproval) -> tuple[UUID, int]:
        """Switch the two-person rule (seed 003): a colleague agrees each publication."""
        required = command.required
        self.school_for(command.school_id, Action.MANAGE_CHANNELS)
        school = self.get(School, command.school_id, "School")
        if school.publication_approval_required == required:
            raise ValidationFailed("required", f"the rule is already {'on' if required else 'off'}")
        school.set_publication_approval(required)
        return school.id, self.record(school)

    # --- publications ---------------------------------------------------------------------

    def record_publication(self, command: RecordPublication) -> tuple[UUID, int]:
        """Record a post. Refused if any pupil shown identifiably lacks consent at that instant,
        if the poster was not authorised on the channel then, or if the channel was closed."""
        c = command
        principal = current_principal()
        channel = self._channel(c.channel_id, action=None)
        target = Target(channel.trust_id, channel.school_id)
        at = past_instant("postedAt", c.posted_at)
        if not permits(principal, Action.RECORD_PUBLICATION, target) and not (
            c.posted_by_id is None  # an authorised poster records their own posts only
            and may_post(channel.authorisations_of(principal.user_id), principal.grants, target, at)
        ):
            authorise(principal, Action.RECORD_PUBLICATION, target)
        poster = self._poster(channel, c.posted_by_id, principal.user_id)
        posted_on = at.astimezone(LONDON).date()
        if posted_on < channel.opened_on:
            raise PostedBeforeChannelOpened(
                "postedAt", f"is before the channel opened on {channel.opened_on}"
            )
        if channel.closed_on is not None and posted_on >= channel.closed_on:
            raise ChannelClosed("channelId", f"the channel closed on {channel.closed_on}")
        if not channel.poster_authorised(poster, at):
            raise PosterNotAuthorised(
                "postedById", "the poster was not authorised to post on this channel at that time"
            )
        if not c.media:
            raise ValidationFailed("media", "name at least one medium")
        shown = [choice("media", m, Medium) for m in dict.fromkeys(c.media)]
        pupils = self._featured(list(dict.fromkeys(c.pupil_ids)), channel)
        records: list[tuple[ConsentRecord, Pupil]] = []
        if c.identifiable:
            records = self._consent_at(pupils, shown, channel.kind, at)
        school = self.get(School, channel.school_id, "School", read_only=True)  # type: ignore[arg-type]
        seal = self.keyring.session()
        publication_id = seal.new_subject(uuid4())
        text = optional_text("description", c.description, MAX_TEXT)
        url = optional_text("link", c.link, 2000)
        publication = Publication(
            id=publication_id,
            trust_id=channel.trust_id,
            school_id=channel.school_id,
            actor=principal.user_id,
            channel_id=channel.id,
            channel=channel.kind,
            posted_at=at,
            media=shown,
            pupil_ids=[p.id for p in pupils],
            identifiable=c.identifiable,
            caption_names_anyone=c.caption_names_anyone,
            posted_by=poster,
            description=seal.seal(publication_id, text) if text else None,
            link=seal.seal(publication_id, url) if url else None,
            needs_approval=school.publication_approval_required,
        )
        now = clock.now()
        for record, pupil in records:
            record.featured_in(publication.id, channel.kind, shown, at)
            # Lawful when posted, but recorded after an objection received since: queue it now.
            objection = record.objection(shown, channel.kind, now, lapse_of(pupil))
            if objection is not None:
                publication.request_takedown(pupil.id, objection.effective_at, record.version)
        return publication.id, self.record(
            publication, *(r for r, _ in records), new_keys=seal.new_keys
        )

    def _poster(self, channel: Channel, posted_by: UUID | None, caller: str) -> str:
        if posted_by is None:
            return caller
        staff = self.get(StaffMember, posted_by, "Staff member", read_only=True)
        if staff.school_id != channel.school_id or staff.user_id is None:
            raise PosterNotAuthorised("postedById", "is not a poster on this channel")
        return staff.user_id

    def _featured(self, pupil_ids: list[UUID], channel: Channel) -> list[Pupil]:
        if len(pupil_ids) > MAX_PUPILS_PER_PUBLICATION:
            raise ValidationFailed(
                "pupilIds", f"at most {MAX_PUPILS_PER_PUBLICATION} pupils per publication"
            )
        pupils = []
        for pupil_id in pupil_ids:
            pupil = self.get(Pupil, pupil_id, "Pupil", read_only=True)
            if pupil.school_id != channel.school_id:
                raise NotFound("Pupil", pupil_id)
            pupils.append(pupil)
        return pupils

    def _consent_at(
        self, pupils: list[Pupil], media: Sequence[str], channel: str, at: datetime
    ) -> list[tuple[ConsentRecord, Pupil]]:
        """Each featured pupil's record; ConsentMissing lists every gap at ``at``."""
        missing: list[Missing] = []
        records = []
        for pupil in pupils:
            record_id = consent_record_id(pupil.id)
            record = (
                self.get(ConsentRecord, record_id, "Consent record")
                if record_id in self.repository
                else None
            )
            for medium in media:
                status = (
                    record.answer(medium, channel, at, lapse_of(pupil)).status
                    if record is not None
                    else ConsentStatus.NO_RECORD
                )
                if status is not ConsentStatus.GRANTED:
                    missing.append(Missing(pupil.id, medium, channel, status))
            if record is not None:
                records.append((record, pupil))
        if missing:
            raise ConsentMissing(missing, at)
        return records

    def _publication(self, publication_id: UUID) -> tuple[Publication, Channel]:
        publication = self.get(Publication, publication_id, "Publication")
        channel_id = publication.channel_id
        return publication, self.get(Channel, channel_id, "Channel", read_only=True)

    def approve_publication(self, command: ApprovePublication) -> tuple[UUID, int]:
        """The second colleague of the two-person rule agrees a publication."""
        principal = current_principal()
        publication, channel = self._publication(command.publication_id)
        target = Target(publication.trust_id, publication.school_id)
        posting = channel.authorisations_of(principal.user_id)
        if not may_post(posting, principal.grants, target, clock.now()):
            authorise(principal, Action.RECORD_PUBLICATION, target)
        if not publication.needs_approval:
            raise ValidationFailed("publicationId", "this school does not require approval")
        if publication.approved_by is not None:
            raise ValidationFailed("publicationId", "already approved by a colleague")
        if principal.user_id in (publication.posted_by, publication.recorded_by):
            raise SelfApproval(
                "publicationId", "a second colleague approves: not the poster, nor who recorded it"
            )
        publication.approve(principal.user_id)
        return publication.id, self.record(publication)

    def record_takedown(self, command: RecordTakedown) -> tuple[UUID, int]:
        publication, _ = self._publication(command.publication_id)
        authorise(
            current_principal(),
            Action.RECORD_PUBLICATION,
            Target(publication.trust_id, publication.school_id),
        )
        choice("outcome", command.outcome, TakedownOutcome)
        at = past_instant("doneAt", command.done_at)
        if not publication.pending_takedown:
            raise NoTakedownPending(
                "publicationId", "this publication is not in the takedown queue"
            )
        text = optional_text("reason", command.reason, MAX_TEXT)
        if command.outcome == TakedownOutcome.NOT_PRACTICABLE and text is None:
            raise ValidationFailed("reason", "say why removal is not reasonably practicable")
        seal = self.keyring.session()
        sealed = seal.seal(publication.id, text) if text else None
        publication.record_takedown(command.outcome, sealed, at)
        return publication.id, self.record(publication, new_keys=seal.new_keys)

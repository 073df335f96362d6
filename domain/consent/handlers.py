"""Image and video consent, official channels, publications and takedowns (issue 5).

Who may decide (seed 001 §7.2): the pupil, when their latest competence assessment made at or
before receipt says they can; otherwise, and always for a refusal or withdrawal as much as for a
grant, a person linked to the pupil with parental responsibility. How their decisions combine
is ``domain.consent.model``'s rule (refusal wins).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import partialmethod
from uuid import UUID, uuid4

from domain.access.policy import Action, Target, authorise, permits
from domain.consent.aggregates import Channel, ConsentRecord, Publication, consent_record_id
from domain.consent.model import (
    ConsentChannel,
    ConsenterKind,
    ConsentMethod,
    ConsentStatus,
    Decision,
    Lapse,
    Medium,
    RiskAssessmentApprover,
    TakedownOutcome,
)
from domain.directory.aggregates import ParentCarer, Pupil, School, StaffMember
from domain.shared import clock
from domain.shared.actor import current_principal
from domain.shared.base_app import CaseworkBase
from domain.shared.calendar import LONDON, academic_year_of, end_of_london_day, london_today
from domain.shared.errors import DomainError, NotFound, ValidationFailed
from domain.shared.validation import (
    MAX_TEXT,
    choice,
    not_in_future,
    optional_text,
    past_instant,
    required_text,
)

MAX_PUPILS_PER_PUBLICATION = 200


class NoParentalResponsibility(ValidationFailed):
    code = "NO_PARENTAL_RESPONSIBILITY"


class CompetenceNotAssessed(ValidationFailed):
    code = "COMPETENCE_NOT_ASSESSED"


class PupilNotCompetent(ValidationFailed):
    code = "PUPIL_NOT_COMPETENT"


class ConsentNotGiven(ValidationFailed):
    code = "CONSENT_NOT_GIVEN"


class NoConsentRecord(ValidationFailed):
    code = "NO_CONSENT_RECORD"


class PupilLeft(ValidationFailed):
    code = "PUPIL_LEFT"


class ChannelClosed(ValidationFailed):
    code = "CHANNEL_CLOSED"


class PostedBeforeChannelOpened(ValidationFailed):
    code = "POSTED_BEFORE_CHANNEL_OPENED"


class PosterNotAuthorised(ValidationFailed):
    code = "POSTER_NOT_AUTHORISED"


class SelfApproval(ValidationFailed):
    code = "SELF_APPROVAL"


class NoTakedownPending(ValidationFailed):
    code = "NO_TAKEDOWN_PENDING"


@dataclass(frozen=True)
class Missing:
    """One pupil, medium and channel without consent at the instant of posting."""

    pupil_id: UUID
    medium: str
    channel: str
    status: ConsentStatus


class ConsentMissing(DomainError):
    """A publication would show pupils identifiably without consent; every gap is listed."""

    code = "CONSENT_MISSING"

    def __init__(self, missing: list[Missing], posted_at: datetime) -> None:
        gaps = "; ".join(f"{m.pupil_id} {m.medium} on {m.channel}: {m.status}" for m in missing)
        super().__init__(
            f"consent is missing at {posted_at.isoformat()} for {len(missing)} pupil, medium and "
            f"channel combination(s) ({gaps}); pseudonymise (e.g. blur) the image or leave them out"
        )
        self.missing = missing
        self.posted_at = posted_at


@dataclass(frozen=True)
class Choice:
    """A decision for every combination of ``media`` and ``channels``."""

    media: Sequence[str]
    channels: Sequence[str]
    granted: bool


def lapse_of(pupil: Pupil) -> Lapse | None:
    """Consent lapses at the end of the London day the pupil left."""
    if pupil.left_on is None:
        return None
    return Lapse(pupil.left_on, end_of_london_day(pupil.left_on), pupil.id)


def _combinations(
    field: str, media: Sequence[str], channels: Sequence[str]
) -> list[tuple[str, str]]:
    if not media:
        raise ValidationFailed(f"{field}.media", "name at least one medium")
    if not channels:
        raise ValidationFailed(f"{field}.channels", "name at least one channel")
    for m in media:
        choice(f"{field}.media", m, Medium)
    for c in channels:
        choice(f"{field}.channels", c, ConsentChannel)
    return [(m, c) for m in dict.fromkeys(media) for c in dict.fromkeys(channels)]


def _has_decisions(record: ConsentRecord, _at: datetime) -> None:
    if not record.has_decisions:
        raise NoConsentRecord("pupilId", "no consent has been recorded for this pupil yet")


class ConsentHandlers(CaseworkBase):
    # --- look-ups -------------------------------------------------------------------------

    def _consent_pupil(self, pupil_id: UUID, action: Action = Action.RECORD_CONSENT) -> Pupil:
        return self.open(Pupil, pupil_id, "Pupil", action, view=Action.VIEW_PUPIL)

    def consent_record(self, pupil: Pupil) -> ConsentRecord:
        """The pupil's record, or a new one (saved with the first event recorded on it)."""
        record_id = consent_record_id(pupil.id)
        if record_id in self.repository:
            return self.get(ConsentRecord, record_id, "Consent record")
        return ConsentRecord.open(pupil.id, pupil.trust_id, pupil.school_id)  # type: ignore[arg-type]

    @staticmethod
    def _on_roll(pupil: Pupil, at: datetime, field: str) -> None:
        lapse = lapse_of(pupil)
        if lapse is not None and at >= lapse.effective_at:
            raise PupilLeft(
                field, f"the pupil left on {lapse.left_on}, so their consent record has lapsed"
            )

    def _consenter(
        self,
        pupil: Pupil,
        record: ConsentRecord,
        consenter_kind: str,
        parent_carer_id: UUID | None,
        received_at: datetime,
    ) -> UUID | None:
        """Check the person deciding may decide for this pupil; return the parent's id."""
        choice("consenterKind", consenter_kind, ConsenterKind)
        if consenter_kind == ConsenterKind.PUPIL:
            if parent_carer_id is not None:
                raise ValidationFailed("parentCarerId", "leave it out when the pupil decides")
            competent = record.competent_at(received_at)
            if competent is None:
                raise CompetenceNotAssessed(
                    "consenterKind",
                    "a pupil decides for themselves only after a recorded competence assessment "
                    "says they can: record one first, or take the decision from a parent or carer",
                )
            if not competent:
                raise PupilNotCompetent(
                    "consenterKind",
                    "the pupil's latest competence assessment says they cannot consent yet: take "
                    "the decision from a person with parental responsibility",
                )
            return None
        if parent_carer_id is None:
            raise ValidationFailed("parentCarerId", "is required when a parent or carer decides")
        parent = self.get(ParentCarer, parent_carer_id, "Parent or carer", read_only=True)
        if parent.trust_id != pupil.trust_id or not parent.has_parental_responsibility_for(
            pupil.id
        ):
            raise NoParentalResponsibility(
                "parentCarerId",
                "this person has no parental responsibility for the pupil on record, so cannot "
                "decide about their images",
            )
        return parent.id

    # --- competence and consent -----------------------------------------------------------

    def record_competence_assessment(
        self, pupil_id: UUID, assessed_at: datetime, competent: bool, notes: str | None = None
    ) -> tuple[UUID, int]:
        pupil = self._consent_pupil(pupil_id)
        at = past_instant("assessedAt", assessed_at)
        self._on_roll(pupil, at, "assessedAt")
        text = optional_text("notes", notes, MAX_TEXT)
        record = self.consent_record(pupil)
        seal = self.keyring.session()
        sealed = seal.seal(pupil.id, text) if text else None
        record.assess_competence(at, competent, sealed)
        return record.id, self.record(record, new_keys=seal.new_keys)

    def _decision(
        self,
        event_class: type,
        pupil_id: UUID,
        consenter_kind: str,
        parent_carer_id: UUID | None,
        choices: list[dict[str, str]],
        method: str,
        reference: str,
        received_at: datetime,
        check: Callable[[ConsentRecord, datetime], None] | None = None,
        statement_version: str | None = None,
    ) -> tuple[UUID, int]:
        """Record a decision; ``check`` vets it against the record as it stands at receipt.
        How it was given names the family's paperwork, so it is sealed with the pupil's key."""
        pupil = self._consent_pupil(pupil_id)
        at = past_instant("receivedAt", received_at)
        self._on_roll(pupil, at, "receivedAt")
        choice("method", method, ConsentMethod)
        ref = required_text("reference", reference)
        record = self.consent_record(pupil)
        if check is not None:
            check(record, at)
        parent = self._consenter(pupil, record, consenter_kind, parent_carer_id, at)
        seal = self.keyring.session()
        extra = {}
        if statement_version is not None:
            extra["statement_version"] = seal.seal(pupil.id, statement_version)
        sealed_ref = seal.seal(pupil.id, ref)
        record.decide(event_class, consenter_kind, parent, choices, method, sealed_ref, at, **extra)
        publications = self._takedowns(record, pupil, choices)
        return record.id, self.record(record, *publications, new_keys=seal.new_keys)

    def _takedowns(
        self, record: ConsentRecord, pupil: Pupil, choices: list[dict[str, str]]
    ) -> list[Publication]:
        """Publications of the pupil in a scope this decision narrowed, and against which an
        objection stands now: into the takedown queue."""
        narrowed = {
            (c["medium"], c["channel"]) for c in choices if c["decision"] != Decision.GRANTED
        }
        if not narrowed:
            return []
        changed = []
        now = clock.now()
        for featured, objection in record.publications_to_take_down(now, lapse_of(pupil)):
            if not any((m, featured.channel) in narrowed for m in featured.media):
                continue
            publication = self.get(Publication, featured.publication_id, "Publication")
            publication.request_takedown(pupil.id, objection.effective_at, record.version)
            changed.append(publication)
        return changed

    @staticmethod
    def _choices(choices: Sequence[Choice]) -> list[dict[str, str]]:
        if not choices:
            raise ValidationFailed("choices", "give at least one decision")
        decided: dict[tuple[str, str], bool] = {}
        for i, c in enumerate(choices):
            for combination in _combinations(f"choices[{i}]", c.media, c.channels):
                if decided.get(combination, c.granted) != c.granted:
                    raise ValidationFailed(
                        f"choices[{i}]",
                        f"{combination[0]} on {combination[1]} is both granted and refused",
                    )
                decided[combination] = c.granted
        return [
            {
                "medium": m,
                "channel": ch,
                "decision": Decision.GRANTED if granted else Decision.REFUSED,
            }
            for (m, ch), granted in decided.items()
        ]

    def _form(
        self,
        event_class: type,
        check: Callable[[ConsentRecord, datetime], None] | None,
        pupil_id: UUID,
        consenter_kind: str,
        choices: Sequence[Choice],
        method: str,
        reference: str,
        statement_version: str,
        received_at: datetime,
        parent_carer_id: UUID | None = None,
    ) -> tuple[UUID, int]:
        return self._decision(
            event_class,
            pupil_id,
            consenter_kind,
            parent_carer_id,
            self._choices(choices),
            method,
            reference,
            received_at,
            check=check,
            statement_version=required_text("statementVersion", statement_version, 50),
        )

    # A consent form: decisions for any combination of media and channels, from receipt.
    give_consent = partialmethod(_form, ConsentRecord.ConsentGiven, None)
    # A written change to some combinations, effective from receipt (needs an earlier form).
    amend_consent = partialmethod(_form, ConsentRecord.ConsentAmended, _has_decisions)

    def withdraw_consent(
        self,
        pupil_id: UUID,
        consenter_kind: str,
        media: Sequence[str],
        channels: Sequence[str],
        method: str,
        reference: str,
        received_at: datetime,
        parent_carer_id: UUID | None = None,
    ) -> tuple[UUID, int]:
        """Withdraw consent for a subset, from receipt: earlier use stays lawful (Art 7(3))."""
        combinations = _combinations("scope", media, channels)

        def standing_grants(record: ConsentRecord, at: datetime) -> None:
            never = [
                f"{m} on {c}" for m, c in combinations if not record.granted_by_anyone(m, c, at)
            ]
            if never:
                raise ConsentNotGiven(
                    "scope", f"consent was never given (or not standing) for {', '.join(never)}"
                )

        choices = [
            {"medium": m, "channel": c, "decision": Decision.WITHDRAWN} for m, c in combinations
        ]
        return self._decision(
            ConsentRecord.ConsentWithdrawn,
            pupil_id,
            consenter_kind,
            parent_carer_id,
            choices,
            method,
            reference,
            received_at,
            check=standing_grants,
        )

    def confirm_consent_for_year(self, pupil_id: UUID, academic_year: str) -> tuple[UUID, int]:
        """The data lead confirms the pupil's record is up to date for an academic year."""
        pupil = self._consent_pupil(pupil_id)
        self._on_roll(pupil, clock.now(), "pupilId")
        current = academic_year_of(london_today())
        start = int(current[:4])
        allowed = {current, academic_year_of(date(start + 1, 9, 1))}
        if academic_year not in allowed:
            raise ValidationFailed(
                "academicYear", f"must be the current academic year ({current}) or the next"
            )
        record = self.consent_record(pupil)
        if not record.has_decisions:
            raise NoConsentRecord(
                "pupilId", "there is no consent record to confirm: record the pupil's form first"
            )
        if academic_year in record.confirmed_years:
            raise ValidationFailed("academicYear", f"already confirmed for {academic_year}")
        record.confirm_for_year(academic_year)
        return record.id, self.record(record)

    # --- channels -------------------------------------------------------------------------

    def _school_staff(self, staff_member_id: UUID, school_id: UUID, field: str) -> StaffMember:
        staff = self.get(StaffMember, staff_member_id, "Staff member", read_only=True)
        if staff.school_id != school_id:  # another school's record: as if there were none
            raise NotFound("Staff member", staff_member_id)
        if staff.has_left:
            raise ValidationFailed(field, f"left on {staff.left_on}")
        return staff

    def open_channel(
        self,
        school_id: UUID,
        kind: str,
        platform: str,
        account_name: str,
        master_administrator_id: UUID,
        purpose: str,
        opened_on: date,
        risk_assessment_approved_by: str,
        risk_assessment_approver: str,
        risk_assessment_approved_on: date,
        mfa_enabled: bool,
    ) -> tuple[UUID, int]:
        target = self.school_for(school_id, Action.MANAGE_CHANNELS)
        choice("kind", kind, ConsentChannel)
        choice("riskAssessmentApprover", risk_assessment_approver, RiskAssessmentApprover)
        approved_on = not_in_future("riskAssessmentApprovedOn", risk_assessment_approved_on)
        if approved_on > opened_on:
            raise ValidationFailed(
                "riskAssessmentApprovedOn",
                "a channel opens only after its risk assessment is approved",
            )
        self._school_staff(master_administrator_id, school_id, "masterAdministratorId")
        seal = self.keyring.session()
        channel_id = seal.new_subject(uuid4())
        channel = Channel._create(
            Channel.Opened,
            id=channel_id,
            kind=kind,
            platform=seal.seal(channel_id, required_text("platform", platform, 100)),
            account_name=seal.seal(channel_id, required_text("accountName", account_name)),
            master_administrator_id=master_administrator_id,
            purpose=seal.seal(channel_id, required_text("purpose", purpose, MAX_TEXT)),
            opened_on=opened_on,
            risk_assessment_approved_by=seal.seal(
                channel_id, required_text("riskAssessmentApprovedBy", risk_assessment_approved_by)
            ),
            risk_assessment_approver=risk_assessment_approver,
            risk_assessment_approved_on=approved_on,
            mfa_enabled=mfa_enabled,
            trust_id=target.trust_id,
            school_id=school_id,
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

    def authorise_poster(
        self, channel_id: UUID, staff_member_id: UUID, effective_at: datetime | None = None
    ) -> tuple[UUID, int]:
        channel = self._channel(channel_id)
        self._open(channel)
        staff = self._school_staff(staff_member_id, channel.school_id, "staffMemberId")  # type: ignore[arg-type]
        if staff.user_id is None:
            raise ValidationFailed("staffMemberId", "has no login, so cannot post")
        if channel.currently_authorised(staff.id):
            raise ValidationFailed("staffMemberId", "is already authorised on this channel")
        at = past_instant("effectiveAt", effective_at or clock.now())
        channel.authorise_poster(staff.id, staff.user_id, at)
        return channel.id, self.record(channel)

    def revoke_poster(
        self, channel_id: UUID, staff_member_id: UUID, effective_at: datetime | None = None
    ) -> tuple[UUID, int]:
        channel = self._channel(channel_id)
        if not channel.currently_authorised(staff_member_id):
            raise ValidationFailed("staffMemberId", "is not authorised on this channel")
        staff = self.get(StaffMember, staff_member_id, "Staff member", read_only=True)
        at = past_instant("effectiveAt", effective_at or clock.now())
        channel.revoke_poster(staff.id, staff.user_id or "", at)
        return channel.id, self.record(channel)

    def close_channel(
        self, channel_id: UUID, closed_on: date, reason: str | None = None
    ) -> tuple[UUID, int]:
        channel = self._channel(channel_id)
        self._open(channel)
        not_in_future("closedOn", closed_on)
        if closed_on < channel.opened_on:
            raise ValidationFailed(
                "closedOn", f"is before the channel opened ({channel.opened_on})"
            )
        text = optional_text("reason", reason, MAX_TEXT)
        seal = self.keyring.session()
        channel.close(closed_on, seal.seal(channel.id, text) if text else None)
        return channel.id, self.record(channel, new_keys=seal.new_keys)

    def set_publication_approval(self, school_id: UUID, required: bool) -> tuple[UUID, int]:
        """Switch the two-person rule (seed 003): a colleague agrees each publication."""
        self.school_for(school_id, Action.MANAGE_CHANNELS)
        school = self.get(School, school_id, "School")
        if school.publication_approval_required == required:
            raise ValidationFailed("required", f"the rule is already {'on' if required else 'off'}")
        school.set_publication_approval(required)
        return school.id, self.record(school)

    # --- publications ---------------------------------------------------------------------

    def record_publication(
        self,
        channel_id: UUID,
        posted_at: datetime,
        media: Sequence[str],
        pupil_ids: Sequence[UUID],
        identifiable: bool,
        caption_names_anyone: bool,
        posted_by_id: UUID | None = None,
        description: str | None = None,
        link: str | None = None,
    ) -> tuple[UUID, int]:
        """Record a post. Refused if any pupil shown identifiably lacks consent at that instant,
        if the poster was not authorised on the channel then, or if the channel was closed."""
        principal = current_principal()
        channel = self._channel(channel_id, action=None)
        target = Target(channel.trust_id, channel.school_id)
        at = past_instant("postedAt", posted_at)
        if not permits(principal, Action.RECORD_PUBLICATION, target) and not (
            posted_by_id is None  # an authorised poster records their own posts only
            and channel.poster_authorised(principal.user_id, at)
            and any(g.reaches(target) for g in principal.grants)
        ):
            authorise(principal, Action.RECORD_PUBLICATION, target)
        poster = self._poster(channel, posted_by_id, principal.user_id)
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
        if not media:
            raise ValidationFailed("media", "name at least one medium")
        shown = [choice("media", m, Medium) for m in dict.fromkeys(media)]
        pupils = self._featured(list(dict.fromkeys(pupil_ids)), channel)
        records: list[tuple[ConsentRecord, Pupil]] = []
        if identifiable:
            records = self._consent_at(pupils, shown, channel.kind, at)
        school = self.get(School, channel.school_id, "School", read_only=True)  # type: ignore[arg-type]
        seal = self.keyring.session()
        publication_id = seal.new_subject(uuid4())
        text = optional_text("description", description, MAX_TEXT)
        url = optional_text("link", link, 2000)
        publication = Publication._create(
            Publication.Recorded,
            id=publication_id,
            channel_id=channel.id,
            channel=channel.kind,
            posted_at=at,
            media=shown,
            pupil_ids=[p.id for p in pupils],
            identifiable=identifiable,
            caption_names_anyone=caption_names_anyone,
            posted_by=poster,
            description=seal.seal(publication_id, text) if text else None,
            link=seal.seal(publication_id, url) if url else None,
            needs_approval=school.publication_approval_required,
            trust_id=channel.trust_id,
            school_id=channel.school_id,
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
        self, pupils: list[Pupil], media: list[str], channel: str, at: datetime
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

    def approve_publication(self, publication_id: UUID) -> tuple[UUID, int]:
        """The second colleague of the two-person rule agrees a publication."""
        principal = current_principal()
        publication, channel = self._publication(publication_id)
        target = Target(publication.trust_id, publication.school_id)
        if not (
            channel.poster_authorised(principal.user_id, clock.now())
            and any(g.reaches(target) for g in principal.grants)
        ):
            authorise(principal, Action.RECORD_PUBLICATION, target)
        if not publication.needs_approval:
            raise ValidationFailed("publicationId", "this school does not require approval")
        if publication.approved_by is not None:
            raise ValidationFailed("publicationId", "already approved by a colleague")
        if principal.user_id in (publication.posted_by, publication.recorded_by):
            raise SelfApproval(
                "publicationId", "a second colleague approves: not the poster, nor who recorded it"
            )
        publication.approve()
        return publication.id, self.record(publication)

    def record_takedown(
        self,
        publication_id: UUID,
        outcome: str,
        done_at: datetime,
        reason: str | None = None,
    ) -> tuple[UUID, int]:
        publication, _ = self._publication(publication_id)
        authorise(
            current_principal(),
            Action.RECORD_PUBLICATION,
            Target(publication.trust_id, publication.school_id),
        )
        choice("outcome", outcome, TakedownOutcome)
        at = past_instant("doneAt", done_at)
        if not publication.pending_takedown:
            raise NoTakedownPending(
                "publicationId", "this publication is not in the takedown queue"
            )
        text = optional_text("reason", reason, MAX_TEXT)
        if outcome == TakedownOutcome.NOT_PRACTICABLE and text is None:
            raise ValidationFailed("reason", "say why removal is not reasonably practicable")
        seal = self.keyring.session()
        publication.record_takedown(outcome, seal.seal(publication.id, text) if text else None, at)
        return publication.id, self.record(publication, new_keys=seal.new_keys)

"""Consent records, official channels and publications (issue 5).

A pupil's consent record holds every decision ever received about their images, each effective
from its receipt; nothing is overwritten, so the answer for any past instant can be recomputed
(``model.answer_at``). It also remembers where the pupil was published identifiably, so a
withdrawal can put those publications in the takedown queue in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.consent.model import (
    Answer,
    ConsentStatus,
    Decision,
    Lapse,
    PublicationStatus,
    Ruling,
    TakedownOutcome,
    answer_at,
    party_of,
    publication_status,
    standing,
)
from domain.shared.aggregate import CaseworkAggregate
from domain.shared.sealing import Sealed


def consent_record_id(pupil_id: UUID) -> UUID:
    """One consent record per pupil (a pupil belongs to one school), so the id derives."""
    return uuid5(NAMESPACE_URL, f"casework:consent:{pupil_id}")


@dataclass(frozen=True)
class Featured:
    publication_id: UUID
    channel: str
    media: frozenset[str]
    posted_at: datetime


class ConsentRecord(CaseworkAggregate):
    record_type = "consent_record"

    @property
    def subject_ids(self) -> frozenset[UUID]:
        return frozenset({self.pupil_id})

    class Opened(CaseworkAggregate.Created):
        pupil_id: UUID

    class CompetenceAssessed(CaseworkAggregate.Event):
        pupil_id: UUID
        assessed_at: datetime
        competent: bool
        notes: Sealed | None

        def apply(self, aggregate: Any) -> None:
            aggregate.assessments.append(
                (self.assessed_at, self.originator_version, self.competent)
            )

    class _Decided(CaseworkAggregate.Event):
        pupil_id: UUID
        consenter_kind: str
        parent_carer_id: UUID | None
        choices: list[dict[str, str]]  # medium, channel, decision
        method: str
        reference: Sealed | str  # sealed with the pupil's key; plain in events recorded before
        received_at: datetime

        def apply(self, aggregate: Any) -> None:
            party = party_of(self.consenter_kind, self.parent_carer_id)
            kind = type(self).__name__
            for c in self.choices:
                aggregate.rulings.append(
                    Ruling(
                        party=party,
                        medium=c["medium"],
                        channel=c["channel"],
                        decision=c["decision"],
                        effective_at=self.received_at,
                        order=self.originator_version,
                        kind=kind,
                        record_id=self.originator_id,
                        version=self.originator_version,
                        recorded_at=self.timestamp,
                    )
                )
            aggregate.received.append(self.received_at)

    class ConsentGiven(_Decided):
        statement_version: Sealed | str  # as ``reference``

    class ConsentAmended(_Decided):
        statement_version: Sealed | str  # as ``reference``

    class ConsentWithdrawn(_Decided):
        pass

    class ConfirmedForYear(CaseworkAggregate.Event):
        pupil_id: UUID
        academic_year: str

        def apply(self, aggregate: Any) -> None:
            aggregate.confirmed_years.add(self.academic_year)

    class FeaturedInPublication(CaseworkAggregate.Event):
        pupil_id: UUID
        publication_id: UUID
        channel: str
        media: list[str]
        posted_at: datetime

        def apply(self, aggregate: Any) -> None:
            aggregate.featured.append(
                Featured(self.publication_id, self.channel, frozenset(self.media), self.posted_at)
            )

    def __init__(self, pupil_id: UUID, trust_id: UUID, school_id: UUID, **_: Any) -> None:
        self.pupil_id = pupil_id
        self.trust_id = trust_id
        self.school_id = school_id
        self.rulings: list[Ruling] = []
        self.assessments: list[tuple[datetime, int, bool]] = []
        self.received: list[datetime] = []
        self.confirmed_years: set[str] = set()
        self.featured: list[Featured] = []

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        """Every event names the pupil, so views need no look-up from record to pupil."""
        kwargs.setdefault("pupil_id", self.pupil_id)
        super().trigger_event(event_class, **kwargs)

    @classmethod
    def open(cls, pupil_id: UUID, trust_id: UUID, school_id: UUID) -> ConsentRecord:
        return cls._create(
            cls.Opened,
            id=consent_record_id(pupil_id),
            pupil_id=pupil_id,
            trust_id=trust_id,
            school_id=school_id,
        )

    # --- reading --------------------------------------------------------------------------

    def competent_at(self, at: datetime) -> bool | None:
        """The latest competence assessment made at or before ``at``; None if there is none."""
        made = [a for a in self.assessments if a[0] <= at]
        return max(made)[2] if made else None

    def answer(self, medium: str, channel: str, at: datetime, lapse: Lapse | None) -> Answer:
        rulings = [r for r in self.rulings if r.medium == medium and r.channel == channel]
        return answer_at(rulings, lapse, at)

    def granted_by_anyone(self, medium: str, channel: str, at: datetime) -> bool:
        """Someone's standing decision at ``at`` is a grant (there is consent to withdraw)."""
        rulings = [r for r in self.rulings if r.medium == medium and r.channel == channel]
        return any(r.decision == Decision.GRANTED for r in standing(rulings, at).values())

    @property
    def has_decisions(self) -> bool:
        return bool(self.rulings)

    # --- recording ------------------------------------------------------------------------

    def assess_competence(
        self, assessed_at: datetime, competent: bool, notes: Sealed | None
    ) -> None:
        self.trigger_event(
            self.CompetenceAssessed, assessed_at=assessed_at, competent=competent, notes=notes
        )

    def decide(
        self,
        event_class: type[_Decided],
        consenter_kind: str,
        parent_carer_id: UUID | None,
        choices: list[dict[str, str]],
        method: str,
        reference: Sealed,
        received_at: datetime,
        **extra: Any,
    ) -> None:
        self.trigger_event(
            event_class,
            consenter_kind=consenter_kind,
            parent_carer_id=parent_carer_id,
            choices=choices,
            method=method,
            reference=reference,
            received_at=received_at,
            **extra,
        )

    def confirm_for_year(self, academic_year: str) -> None:
        self.trigger_event(self.ConfirmedForYear, academic_year=academic_year)

    def featured_in(
        self, publication_id: UUID, channel: str, media: list[str], posted_at: datetime
    ) -> None:
        self.trigger_event(
            self.FeaturedInPublication,
            publication_id=publication_id,
            channel=channel,
            media=media,
            posted_at=posted_at,
        )

    def objection(
        self, media: frozenset[str] | list[str], channel: str, now: datetime, lapse: Lapse | None
    ) -> Ruling | None:
        """The refusal or withdrawal that stands now against any of ``media`` on ``channel``:
        what puts an earlier publication in the takedown queue. A lapse is not an objection
        (a pupil leaving does not make earlier use unlawful) and a fresh grant ends one."""
        for medium in media:
            answer = self.answer(medium, channel, now, lapse)
            if answer.status in (ConsentStatus.REFUSED, ConsentStatus.WITHDRAWN):
                return answer.deciding
        return None

    def publications_to_take_down(
        self, now: datetime, lapse: Lapse | None
    ) -> list[tuple[Featured, Ruling]]:
        """Publications featuring the pupil against which an objection stands now."""
        found = []
        for f in self.featured:
            objection = self.objection(f.media, f.channel, now, lapse)
            if objection is not None:
                found.append((f, objection))
        return found


@dataclass(frozen=True)
class PosterPeriod:
    """A member of staff's authorisation to post on a channel, from one instant until revoked."""

    user_id: str
    staff_member_id: UUID
    authorised_at: datetime
    revoked_at: datetime | None = None

    def covers(self, at: datetime) -> bool:
        return self.authorised_at <= at and (self.revoked_at is None or at < self.revoked_at)


class Channel(CaseworkAggregate):
    """An official social-media channel, website or publication route (seed 004 §3).

    What identifies the channel or a person (platform, account, the approver's name) is sealed
    with the channel's key; events recorded before that carry those fields in plain."""

    class Opened(CaseworkAggregate.Created):
        kind: str
        platform: Sealed | str
        account_name: Sealed | str
        master_administrator_id: UUID
        purpose: Sealed
        opened_on: date
        risk_assessment_approved_by: Sealed | str
        risk_assessment_approver: str
        risk_assessment_approved_on: date
        mfa_enabled: bool

    class PosterAuthorised(CaseworkAggregate.Event):
        staff_member_id: UUID
        user_id: str
        effective_at: datetime

        def apply(self, aggregate: Any) -> None:
            aggregate.posters.append(
                PosterPeriod(self.user_id, self.staff_member_id, self.effective_at)
            )

    class PosterRevoked(CaseworkAggregate.Event):
        staff_member_id: UUID
        user_id: str
        effective_at: datetime

        def apply(self, aggregate: Any) -> None:
            aggregate.posters = [
                replace(p, revoked_at=self.effective_at)
                if p.staff_member_id == self.staff_member_id and p.revoked_at is None
                else p
                for p in aggregate.posters
            ]

    class Closed(CaseworkAggregate.Event):
        closed_on: date
        reason: Sealed | None

        def apply(self, aggregate: Any) -> None:
            aggregate.closed_on = self.closed_on

    def __init__(self, kind: str, opened_on: date, trust_id: UUID, school_id: UUID, **_: Any):
        self.kind = kind
        self.opened_on = opened_on
        self.trust_id = trust_id
        self.school_id = school_id
        self.posters: list[PosterPeriod] = []
        self.closed_on: date | None = None

    def poster_authorised(self, user_id: str, at: datetime) -> bool:
        return any(p.user_id == user_id and p.covers(at) for p in self.posters)

    def currently_authorised(self, staff_member_id: UUID) -> bool:
        return any(
            p.staff_member_id == staff_member_id and p.revoked_at is None for p in self.posters
        )

    def authorise_poster(self, staff_member_id: UUID, user_id: str, effective_at: datetime) -> None:
        self.trigger_event(
            self.PosterAuthorised,
            staff_member_id=staff_member_id,
            user_id=user_id,
            effective_at=effective_at,
        )

    def revoke_poster(self, staff_member_id: UUID, user_id: str, effective_at: datetime) -> None:
        self.trigger_event(
            self.PosterRevoked,
            staff_member_id=staff_member_id,
            user_id=user_id,
            effective_at=effective_at,
        )

    def close(self, closed_on: date, reason: Sealed | None) -> None:
        self.trigger_event(self.Closed, closed_on=closed_on, reason=reason)


class Publication(CaseworkAggregate):
    """One post, page or print run that may feature pupils; and its takedown, if any."""

    class Recorded(CaseworkAggregate.Created):
        channel_id: UUID
        channel: str
        posted_at: datetime
        media: list[str]
        pupil_ids: list[UUID]
        identifiable: bool
        caption_names_anyone: bool
        posted_by: str
        description: Sealed | None
        link: Sealed | str | None  # sealed with the publication's key; plain in older events
        needs_approval: bool

    class Approved(CaseworkAggregate.Event):
        def apply(self, aggregate: Any) -> None:
            aggregate.approved_by = self.actor

    class TakedownRequested(CaseworkAggregate.Event):
        pupil_id: UUID
        withdrawal_received_at: datetime
        consent_record_version: int

        def apply(self, aggregate: Any) -> None:
            aggregate.pending_takedown.add(self.pupil_id)

    class TakedownRecorded(CaseworkAggregate.Event):
        outcome: str
        reason: Sealed | None
        done_at: datetime

        def apply(self, aggregate: Any) -> None:
            aggregate.pending_takedown.clear()
            if self.outcome == TakedownOutcome.REMOVED:
                aggregate.removed = True

    def __init__(
        self,
        channel_id: UUID,
        posted_at: datetime,
        posted_by: str,
        needs_approval: bool,
        trust_id: UUID,
        school_id: UUID,
        actor: str,
        **_: Any,
    ) -> None:
        self.channel_id = channel_id
        self.recorded_by = actor
        self.posted_at = posted_at
        self.posted_by = posted_by
        self.needs_approval = needs_approval
        self.trust_id = trust_id
        self.school_id = school_id
        self.approved_by: str | None = None
        self.pending_takedown: set[UUID] = set()
        self.removed = False

    @property
    def status(self) -> PublicationStatus:
        return publication_status(self.removed, self.needs_approval, self.approved_by is not None)

    def approve(self) -> None:
        self.trigger_event(self.Approved)

    def request_takedown(self, pupil_id: UUID, received_at: datetime, record_version: int) -> None:
        if self.removed or pupil_id in self.pending_takedown:
            return
        self.trigger_event(
            self.TakedownRequested,
            pupil_id=pupil_id,
            withdrawal_received_at=received_at,
            consent_record_version=record_version,
        )

    def record_takedown(self, outcome: str, reason: Sealed | None, done_at: datetime) -> None:
        self.trigger_event(self.TakedownRecorded, outcome=outcome, reason=reason, done_at=done_at)

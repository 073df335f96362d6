"""Consent records, official channels and publications (issue 5).

A pupil's consent record holds every decision ever received about their images, each effective
from its receipt; nothing is overwritten, so the answer for any past instant can be recomputed
(``model.answer_at``). It also remembers where the pupil was published identifiably, so a
withdrawal can put those publications in the takedown queue in the same transaction.

Each event is applied by the method decorated with its class (``@event``). The classes, their
names and their attributes are those the event store has always held (their topics, e.g.
``domain.consent.aggregates:ConsentRecord.ConsentGiven``, must not change: stored events load
by them), and the view matches on them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, cast
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.consent.model import (
    Answer,
    ConsentStatus,
    Decision,
    Lapse,
    PosterPeriod,
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

    class Opened(CaseworkAggregate.Created):
        pupil_id: UUID

    class CompetenceAssessed(CaseworkAggregate.Event):
        pupil_id: UUID
        assessed_at: datetime
        competent: bool
        notes: Sealed | None

    class _Decided(CaseworkAggregate.Event):
        pupil_id: UUID
        consenter_kind: str
        parent_carer_id: UUID | None
        choices: list[dict[str, str]]  # medium, channel, decision
        method: str
        reference: Sealed | str  # sealed with the pupil's key; plain in events recorded before
        received_at: datetime

    class ConsentGiven(_Decided):
        statement_version: Sealed | str  # as ``reference``

    class ConsentAmended(_Decided):
        statement_version: Sealed | str  # as ``reference``

    class ConsentWithdrawn(_Decided):
        pass

    class ConfirmedForYear(CaseworkAggregate.Event):
        pupil_id: UUID
        academic_year: str

    class FeaturedInPublication(CaseworkAggregate.Event):
        pupil_id: UUID
        publication_id: UUID
        channel: str
        media: list[str]
        posted_at: datetime

    @staticmethod
    def create_id(pupil_id: UUID) -> UUID:
        return consent_record_id(pupil_id)

    @event(Opened)
    def __init__(self, pupil_id: UUID, trust_id: UUID, school_id: UUID) -> None:
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
        return cls(pupil_id=pupil_id, trust_id=trust_id, school_id=school_id)

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

    @event(CompetenceAssessed)
    def assess_competence(
        self, assessed_at: datetime, competent: bool, notes: Sealed | None
    ) -> None:
        # The version of the event being applied (the next one) orders same-instant assessments.
        self.assessments.append((assessed_at, self.version + 1, competent))

    def give(
        self,
        consenter_kind: str,
        parent_carer_id: UUID | None,
        choices: list[dict[str, str]],
        method: str,
        reference: Sealed,
        statement_version: Sealed,
        received_at: datetime,
    ) -> None:
        """A consent form's decisions, effective from ``received_at``."""
        self._given(
            consenter_kind=consenter_kind,
            parent_carer_id=parent_carer_id,
            choices=choices,
            method=method,
            reference=reference,
            statement_version=statement_version,
            received_at=received_at,
        )

    def amend(
        self,
        consenter_kind: str,
        parent_carer_id: UUID | None,
        choices: list[dict[str, str]],
        method: str,
        reference: Sealed,
        statement_version: Sealed,
        received_at: datetime,
    ) -> None:
        """A written change to some combinations, effective from ``received_at``."""
        self._amended(
            consenter_kind=consenter_kind,
            parent_carer_id=parent_carer_id,
            choices=choices,
            method=method,
            reference=reference,
            statement_version=statement_version,
            received_at=received_at,
        )

    def withdraw(
        self,
        consenter_kind: str,
        parent_carer_id: UUID | None,
        choices: list[dict[str, str]],
        method: str,
        reference: Sealed,
        received_at: datetime,
    ) -> None:
        """A written withdrawal of some combinations, effective from ``received_at``."""
        self._withdrawn(
            consenter_kind=consenter_kind,
            parent_carer_id=parent_carer_id,
            choices=choices,
            method=method,
            reference=reference,
            received_at=received_at,
        )

    # ``timestamp`` is the event's own (the library stamps it when it is not given): the
    # instant the decision was recorded. The event applied is the record's next version.

    @event(ConsentGiven)
    def _given(
        self,
        consenter_kind: str,
        parent_carer_id: UUID | None,
        choices: list[dict[str, str]],
        method: str,
        reference: Sealed | str,
        statement_version: Sealed | str,
        received_at: datetime,
        timestamp: datetime | None = None,
    ) -> None:
        self._decided(
            "ConsentGiven", consenter_kind, parent_carer_id, choices, received_at, timestamp
        )

    @event(ConsentAmended)
    def _amended(
        self,
        consenter_kind: str,
        parent_carer_id: UUID | None,
        choices: list[dict[str, str]],
        method: str,
        reference: Sealed | str,
        statement_version: Sealed | str,
        received_at: datetime,
        timestamp: datetime | None = None,
    ) -> None:
        self._decided(
            "ConsentAmended", consenter_kind, parent_carer_id, choices, received_at, timestamp
        )

    @event(ConsentWithdrawn)
    def _withdrawn(
        self,
        consenter_kind: str,
        parent_carer_id: UUID | None,
        choices: list[dict[str, str]],
        method: str,
        reference: Sealed | str,
        received_at: datetime,
        timestamp: datetime | None = None,
    ) -> None:
        self._decided(
            "ConsentWithdrawn", consenter_kind, parent_carer_id, choices, received_at, timestamp
        )

    def _decided(
        self,
        kind: str,
        consenter_kind: str,
        parent_carer_id: UUID | None,
        choices: list[dict[str, str]],
        received_at: datetime,
        recorded_at: datetime | None,
    ) -> None:
        """A decision event's rulings, one per medium and channel it decides."""
        party = party_of(consenter_kind, parent_carer_id)
        version = self.version + 1
        for c in choices:
            self.rulings.append(
                Ruling(
                    party=party,
                    medium=c["medium"],
                    channel=c["channel"],
                    decision=c["decision"],
                    effective_at=received_at,
                    order=version,
                    kind=kind,
                    record_id=self.id,
                    version=version,
                    recorded_at=cast(datetime, recorded_at),
                )
            )
        self.received.append(received_at)

    @event(ConfirmedForYear)
    def confirm_for_year(self, academic_year: str) -> None:
        self.confirmed_years.add(academic_year)

    @event(FeaturedInPublication)
    def featured_in(
        self, publication_id: UUID, channel: str, media: list[str], posted_at: datetime
    ) -> None:
        self.featured.append(Featured(publication_id, channel, frozenset(media), posted_at))

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

    class PosterRevoked(CaseworkAggregate.Event):
        staff_member_id: UUID
        user_id: str
        effective_at: datetime

    class Closed(CaseworkAggregate.Event):
        closed_on: date
        reason: Sealed | None

    @event(Opened)
    def __init__(
        self,
        id: UUID,
        trust_id: UUID,
        school_id: UUID,
        kind: str,
        platform: Sealed | str,
        account_name: Sealed | str,
        master_administrator_id: UUID,
        purpose: Sealed,
        opened_on: date,
        risk_assessment_approved_by: Sealed | str,
        risk_assessment_approver: str,
        risk_assessment_approved_on: date,
        mfa_enabled: bool,
    ) -> None:
        self.kind = kind
        self.opened_on = opened_on
        self.trust_id = trust_id
        self.school_id = school_id
        self.posters: list[PosterPeriod] = []
        self.closed_on: date | None = None

    def authorisations_of(self, user_id: str) -> list[PosterPeriod]:
        """The login's authorisations to post on this channel, past and present."""
        return [p for p in self.posters if p.user_id == user_id]

    def poster_authorised(self, user_id: str, at: datetime) -> bool:
        return any(p.covers(at) for p in self.authorisations_of(user_id))

    def currently_authorised(self, staff_member_id: UUID) -> bool:
        return any(
            p.staff_member_id == staff_member_id and p.revoked_at is None for p in self.posters
        )

    @event(PosterAuthorised)
    def authorise_poster(self, staff_member_id: UUID, user_id: str, effective_at: datetime) -> None:
        self.posters.append(PosterPeriod(user_id, staff_member_id, effective_at))

    @event(PosterRevoked)
    def revoke_poster(self, staff_member_id: UUID, user_id: str, effective_at: datetime) -> None:
        self.posters = [
            replace(p, revoked_at=effective_at)
            if p.staff_member_id == staff_member_id and p.revoked_at is None
            else p
            for p in self.posters
        ]

    @event(Closed)
    def close(self, closed_on: date, reason: Sealed | None) -> None:
        self.closed_on = closed_on


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
        pass

    class TakedownRequested(CaseworkAggregate.Event):
        pupil_id: UUID
        withdrawal_received_at: datetime
        consent_record_version: int

    class TakedownRecorded(CaseworkAggregate.Event):
        outcome: str
        reason: Sealed | None
        done_at: datetime

    @event(Recorded)
    def __init__(
        self,
        id: UUID,
        trust_id: UUID,
        school_id: UUID | None,
        actor: str,
        channel_id: UUID,
        channel: str,
        posted_at: datetime,
        media: list[str],
        pupil_ids: list[UUID],
        identifiable: bool,
        caption_names_anyone: bool,
        posted_by: str,
        description: Sealed | None,
        link: Sealed | str | None,
        needs_approval: bool,
    ) -> None:
        """``actor``: who recorded it (the event's actor, as for every event)."""
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

    @event(Approved)
    def approve(self, actor: str) -> None:
        """``actor``: the approving colleague's login."""
        self.approved_by = actor

    def request_takedown(self, pupil_id: UUID, received_at: datetime, record_version: int) -> None:
        if self.removed or pupil_id in self.pending_takedown:
            return
        self._takedown_requested(
            pupil_id=pupil_id,
            withdrawal_received_at=received_at,
            consent_record_version=record_version,
        )

    @event(TakedownRequested)
    def _takedown_requested(
        self, pupil_id: UUID, withdrawal_received_at: datetime, consent_record_version: int
    ) -> None:
        self.pending_takedown.add(pupil_id)

    @event(TakedownRecorded)
    def record_takedown(self, outcome: str, reason: Sealed | None, done_at: datetime) -> None:
        self.pending_takedown.clear()
        if outcome == TakedownOutcome.REMOVED:
            self.removed = True

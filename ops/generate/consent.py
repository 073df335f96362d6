"""A school's image and video consent, through the consent commands: its official channels
(the social media account, often the website too) with staff authorised to post; a consent form
for most pupils from a person with parental responsibility (or from the pupil, after a
competence assessment says they can) around when they joined; a few amendments and withdrawals
later; the data lead's yearly confirmations; posts featuring pupils with consent; and the
takedowns the commands put in the queue, most then done.

Everything happens in time order. What to do next is decided on the records as the commands
left them (read back, never changed here); whether it is allowed is the commands' business.
Each school draws from a stream of its own, so the rest of the data set does not depend on it.
"""

from __future__ import annotations

import heapq
from datetime import date, datetime, timedelta
from functools import partial
from uuid import UUID

from domain.consent.aggregates import ConsentRecord, consent_record_id
from domain.consent.commands import (
    AmendConsent,
    Choice,
    ConfirmConsentForYear,
    GiveConsent,
    RecordCompetenceAssessment,
    WithdrawConsent,
)
from domain.consent.model import (
    ALL_COMBINATIONS,
    ConsentChannel,
    ConsenterKind,
    ConsentMethod,
    ConsentStatus,
    Medium,
)
from domain.shared.calendar import (
    LONDON,
    academic_year_of,
    academic_year_start,
    london_today,
)
from ops.generate.channels import Consenter, ConsentSample, SchoolChannels
from ops.generate.sampling import working_time
from ops.generate.vocabulary import (
    COMPETENCE_NOTES,
    CONSENT_REFUSALS,
    NARROWED_CHANNELS,
    VIDEO_REFUSAL,
)


class SchoolConsent(SchoolChannels):
    # -- the run

    def run(self) -> ConsentSample:
        channel, poster = self.open_channel(ConsentChannel.SCHOOL_SOCIAL_MEDIA, 0.2)
        if self.rng.random() < 0.5:
            self.open_channel(ConsentChannel.SCHOOL_WEBSITE, 0.04)
        for pupil in self.school.pupils:
            self.plan_form(pupil)
        while self._queue:
            when, _, happening = heapq.heappop(self._queue)
            if when >= self.period.now:
                break  # the rest is still to come
            self.do.clock.at(when)
            happening(when)
        return ConsentSample(
            channel_id=str(channel.channel_id),
            poster_user_id=poster.user_id,
            records=len(self.with_record),
            publications=self.publications,
        )

    # -- consent forms and what follows them

    def year_group_in(self, pupil: UUID, start_year: int) -> int:
        """The pupil's year group in the academic year starting in September ``start_year``."""
        return self.school.year_of[pupil] - (self.period.year_start - start_year)

    def plan_form(self, pupil: UUID) -> None:
        """Most families return the form when the pupil joins (or at the start of the period,
        when the school began keeping the record here); a few never do."""
        period, rng = self.period, self.rng
        if rng.random() >= 0.92:
            return
        secondary = self.school.secondary
        entry = 7 if secondary else 0
        if secondary and self.school.year_of[pupil] >= 12 and rng.random() < 0.3:
            entry = 12  # joined the sixth form from another school
        joined = period.year_start - (self.school.year_of[pupil] - entry)
        start_year = max(joined, period.start.year)
        late = rng.choices(
            (rng.randint(0, 6), rng.randint(7, 30), rng.randint(31, 150)), (55, 35, 10)
        )[0]
        received = self.working(date(start_year, 9, 1) + timedelta(days=late), 8, 18)
        recorded = working_time(received + timedelta(hours=rng.uniform(0.2, 72)), rng)
        self.later(recorded, partial(self.form, pupil, received, start_year))

    def consenter(self, pupil: UUID, received: datetime, assess: float) -> Consenter | None:
        """Who decides: the pupil if assessed competent (assessing an older secondary pupil
        first, with probability ``assess``), else a person with parental responsibility."""
        rng = self.rng
        parents = self.school.responsible_for.get(pupil, [])
        record = self.record(pupil)
        competent = record.competent_at(received) if record is not None else None
        start_year = academic_year_start(received.astimezone(LONDON).date()).year
        older = self.year_group_in(pupil, start_year) >= 10
        if competent is None and older and rng.random() < assess:
            assessed = received - timedelta(days=rng.uniform(1, 20))
            competent = rng.random() < 0.85
            notes = rng.choice(COMPETENCE_NOTES[:2]) if competent else COMPETENCE_NOTES[2]
            command = RecordCompetenceAssessment(
                pupil, assessed, competent, notes if rng.random() < 0.5 else None
            )
            self.do(self.data_lead, command)
            self.with_record.add(pupil)
            self.counts["competence_assessments"] += 1
        if competent and (not parents or rng.random() < 0.7):
            return ConsenterKind.PUPIL, None
        if parents:
            return ConsenterKind.PARENT_CARER, rng.choice(parents)
        return None

    def decided(self, pupil: UUID, narrowed: bool, command: object, when: datetime) -> None:
        """The data lead records a decision; the posts it narrowed join the takedown queue
        (the command queues them: here they are only found, to be done later)."""
        self.do(self.data_lead, command)
        self.with_record.add(pupil)
        if narrowed:
            record = self.record(pupil)
            if record is not None:
                self.queued([f.publication_id for f in record.featured], when)

    def form(self, pupil: UUID, received: datetime, start_year: int, when: datetime) -> None:
        period, rng = self.period, self.rng
        if not self.on_roll(pupil, received):
            return
        who = self.consenter(pupil, received, 0.3)
        if who is None:
            return  # nobody on record may decide (a foster carer, say): no form
        refused = {c for c, p in CONSENT_REFUSALS.items() if rng.random() < p}
        no_video = rng.random() < VIDEO_REFUSAL
        choices = [
            Choice((m.value,), (c.value,), not (c in refused or (no_video and m is Medium.VIDEO)))
            for m, c in ALL_COMBINATIONS
        ]
        method = rng.choices(
            (ConsentMethod.ONLINE_FORM, ConsentMethod.PAPER_FORM, ConsentMethod.EMAIL),
            (50, 45, 5),
        )[0]
        command = GiveConsent(
            pupil_id=pupil,
            consenter_kind=who[0].value,
            choices=choices,
            method=method.value,
            reference=self.reference("CF", received),
            statement_version=f"{start_year}.1",
            received_at=received,
            parent_carer_id=who[1],
        )
        self.decided(pupil, not all(c.granted for c in choices), command, when)
        self.counts["consent_forms"] += 1
        # the other parent sends their own form now and then
        parents = self.school.responsible_for.get(pupil, [])
        if who[0] is ConsenterKind.PARENT_CARER and len(parents) > 1 and rng.random() < 0.05:
            other = next(p for p in parents if p != who[1])
            received = received + timedelta(days=rng.uniform(1, 10))
            self.later(
                working_time(received + timedelta(hours=4), rng),
                partial(self.second_form, pupil, other, received, start_year),
            )
        for year in range(start_year + 1, period.year_start + 1):  # the yearly confirmation
            if rng.random() < (0.7 if year == period.year_start else 0.6):
                self.later(
                    self.working(date(year, 9, 1) + timedelta(days=rng.randint(2, 45)), 9, 16),
                    partial(self.confirm, pupil, academic_year_of(date(year, 9, 1))),
                )
        if rng.random() < 0.08:
            self.later(self.some_time_after(when), partial(self.amend, pupil))
        if rng.random() < 0.05:
            self.later(self.some_time_after(when), partial(self.withdraw, pupil))

    def some_time_after(self, when: datetime) -> datetime:
        """Within two years of ``when``; if that is still to come, it has not happened yet."""
        day = (when + timedelta(days=self.rng.uniform(1, 730))).astimezone(LONDON).date()
        return self.working(day)

    def second_form(
        self, pupil: UUID, parent: UUID, received: datetime, start_year: int, when: datetime
    ) -> None:
        """The other parent's own form: the same, perhaps refusing press (refusal wins)."""
        if not self.on_roll(pupil, received):
            return
        press = self.rng.random() >= 0.5
        choices = [
            Choice((m.value,), (c.value,), press or c is not ConsentChannel.PRESS)
            for m, c in ALL_COMBINATIONS
        ]
        command = GiveConsent(
            pupil_id=pupil,
            consenter_kind=ConsenterKind.PARENT_CARER.value,
            choices=choices,
            method=ConsentMethod.PAPER_FORM.value,
            reference=self.reference("CF", received),
            statement_version=f"{start_year}.1",
            received_at=received,
            parent_carer_id=parent,
        )
        self.decided(pupil, not press, command, when)
        self.counts["consent_forms"] += 1

    def confirm(self, pupil: UUID, academic_year: str, when: datetime) -> None:
        """The data lead confirms the record is up to date for the year."""
        record = self.record(pupil)
        if record is None or not record.has_decisions or not self.on_roll(pupil, when):
            return
        if academic_year in record.confirmed_years:
            return
        if self.do.clock.real_time and academic_year != academic_year_of(london_today()):
            return  # on the wall clock only this year's confirmation is still to make
        self.do(self.data_lead, ConfirmConsentForYear(pupil, academic_year))
        self.counts["confirmations"] += 1

    def amend(self, pupil: UUID, when: datetime) -> None:
        """A written change: take back a channel or two, or grant what was refused."""
        rng = self.rng
        received = when - timedelta(hours=rng.uniform(0, 48))
        record = self.record(pupil)
        if record is None or not record.has_decisions or not self.on_roll(pupil, received):
            return
        who = self.consenter(pupil, received, 0.5)
        if who is None:
            return
        record = self.do.read(ConsentRecord, consent_record_id(pupil))
        refused = [
            c
            for c in ConsentChannel
            if record.answer("photo", c.value, received, None).status is ConsentStatus.REFUSED
        ]
        if refused and rng.random() < 0.4:
            channels, granted = rng.sample(refused, min(len(refused), 2)), True
        else:
            channels, granted = list(dict.fromkeys(rng.choices(NARROWED_CHANNELS, k=2))), False
        year = academic_year_start(received.astimezone(LONDON).date()).year
        command = AmendConsent(
            pupil_id=pupil,
            consenter_kind=who[0].value,
            choices=[Choice([m.value for m in Medium], [c.value for c in channels], granted)],
            method=rng.choice((ConsentMethod.ONLINE_FORM, ConsentMethod.EMAIL)).value,
            reference=self.reference("CA", received),
            statement_version=f"{year}.1",
            received_at=received,
            parent_carer_id=who[1],
        )
        self.decided(pupil, not granted, command, when)
        self.counts["consent_amendments"] += 1

    def withdraw(self, pupil: UUID, when: datetime) -> None:
        """Withdrawal of some standing consent (every combination in the scope granted by
        someone at receipt, as the command requires)."""
        rng = self.rng
        received = when - timedelta(hours=rng.uniform(0, 48))
        record = self.record(pupil)
        if record is None or not self.on_roll(pupil, received):
            return
        media = rng.choices((list(Medium), [Medium.VIDEO]), (75, 25))[0]
        wanted = rng.choices(
            ([ConsentChannel.SCHOOL_SOCIAL_MEDIA], list(ConsentChannel)), (60, 40)
        )[0]
        channels = [
            c
            for c in wanted
            if all(record.granted_by_anyone(m.value, c.value, received) for m in media)
        ]
        if not channels:
            return
        who = self.consenter(pupil, received, 0.3)
        if who is None:
            return
        method = rng.choice((ConsentMethod.EMAIL, ConsentMethod.LETTER, ConsentMethod.ONLINE_FORM))
        command = WithdrawConsent(
            pupil_id=pupil,
            consenter_kind=who[0].value,
            media=[m.value for m in media],
            channels=[c.value for c in channels],
            method=method.value,
            reference=self.reference("CW", received),
            received_at=received,
            parent_carer_id=who[1],
        )
        self.decided(pupil, True, command, when)
        self.counts["consent_withdrawals"] += 1

"""A school's official channels and what is posted on them, through the consent commands: the
social media account (often the website too), entered in the register with staff authorised to
post; posts of pupils shown with consent, or pseudonymised; and the takedowns the commands queue,
which the data lead then records. The consent forms these depend on: ``ops.generate.consent``.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from uuid import UUID

from domain.consent.aggregates import ConsentRecord, Publication, consent_record_id
from domain.consent.commands import (
    AuthorisePoster,
    OpenChannel,
    RecordPublication,
    RecordTakedown,
)
from domain.consent.model import (
    ConsentChannel,
    ConsenterKind,
    ConsentStatus,
    Lapse,
    RiskAssessmentApprover,
    TakedownOutcome,
)
from domain.shared.calendar import (
    end_of_london_day,
)
from ops.generate.commands import Commands, User
from ops.generate.directory import SchoolState
from ops.generate.sampling import Period, at_london, school_day, working_time
from ops.generate.vocabulary import (
    CHANNEL_PURPOSES,
    NOT_PRACTICABLE,
    POSTS,
    SOCIAL_PLATFORMS,
)

Happening = Callable[[datetime], None]
Consenter = tuple[ConsenterKind, UUID | None]


@dataclass
class ConsentSample:
    channel_id: str | None = None
    poster_user_id: str | None = None
    records: int = 0
    publications: int = 0


@dataclass(frozen=True)
class ChannelMade:
    channel_id: UUID
    kind: str


class SchoolChannels:
    """The state of a school's consent history, its queue of happenings in time order, and its
    channels and posts."""

    def __init__(self, commands: Commands, period: Period, school: SchoolState, seed: int):
        self.do = commands
        self.period = period
        self.school = school
        self.rng = random.Random(f"consent-{seed}-{school.school_id}")
        self.counts: Counter[str] = Counter()
        self.with_record: set[UUID] = set()  # pupils with a consent record
        self.lapses = {
            pupil: Lapse(left, end_of_london_day(left), pupil)
            for pupil, left in school.left_on.items()
        }
        self.publications = 0
        self.takedowns: set[tuple[UUID, UUID]] = set()  # publication, pupil: queued
        self._queue: list[tuple[datetime, int, Happening]] = []
        self._order = itertools.count()
        self._serial = itertools.count(1)

    def later(self, when: datetime, happening: Happening) -> None:
        heapq.heappush(self._queue, (when, next(self._order), happening))

    def reference(self, prefix: str, when: datetime) -> str:
        return f"{prefix}-{when.year}-{next(self._serial):04d}"

    def working(self, day: date, first: float = 8.5, last: float = 16.5) -> datetime:
        """A time on ``day`` (or the next working day) in working hours."""
        return working_time(at_london(day, self.rng.uniform(first, last)), self.rng)

    def record(self, pupil: UUID) -> ConsentRecord | None:
        if pupil not in self.with_record:
            return None
        return self.do.read(ConsentRecord, consent_record_id(pupil))

    def on_roll(self, pupil: UUID, at: datetime) -> bool:
        lapse = self.lapses.get(pupil)
        return lapse is None or at < lapse.effective_at

    @property
    def data_lead(self) -> User:
        return self.school.data_lead

    # -- channels and posts

    def open_channel(self, kind: ConsentChannel, posts_per_day: float) -> tuple[ChannelMade, User]:
        """A channel entered in the register before the period, opened some time before that,
        a poster or two authorised on it, and its posts (``posts_per_day`` on a school day)
        planned."""
        period, rng, school = self.period, self.rng, self.school
        entered = at_london(period.start, 9) - timedelta(days=rng.uniform(3, 20))
        opened_on = period.start - timedelta(days=rng.randint(60, 2000))
        if kind is ConsentChannel.SCHOOL_SOCIAL_MEDIA:
            platform = rng.choice(SOCIAL_PLATFORMS)
            account = "@" + "".join(w for w in school.name.split() if w.isalpha())[:28]
        else:
            platform = "School website"
            account = f"www.{school.name.split()[0].lower()}.sch.example"
        administrator = school.head if rng.random() < 0.6 else school.data_lead
        approver = rng.choices(list(RiskAssessmentApprover), (85, 15))[0]
        staff = school.reporters or [school.data_lead]
        posters = rng.sample(staff, min(len(staff), rng.choice((1, 1, 2))))
        command = OpenChannel(
            school_id=school.school_id,
            kind=kind.value,
            platform=platform,
            account_name=account,
            master_administrator_id=staff_id(administrator),
            purpose=CHANNEL_PURPOSES[kind],
            opened_on=opened_on,
            risk_assessment_approved_by=school.head_name,
            risk_assessment_approver=approver.value,
            risk_assessment_approved_on=opened_on - timedelta(days=rng.randint(1, 30)),
            mfa_enabled=rng.random() < 0.95,
        )
        channel = ChannelMade(self.do.new_id(school.head, command, entered), kind.value)
        for poster in posters:
            authorise = AuthorisePoster(channel.channel_id, staff_id(poster), entered)
            self.do(school.head, authorise, entered)
        self.counts["channels"] += 1
        day = period.start
        while day < period.today:
            if school_day(day) and rng.random() < posts_per_day:
                posted = at_london(day, rng.uniform(9.5, 17.5))
                recorded = posted + timedelta(minutes=rng.uniform(2, 90))
                self.later(recorded, partial(self.publish, channel, rng.choice(posters), posted))
            day += timedelta(days=1)
        return channel, posters[0]

    def granted(self, pupil: UUID, media: list[str], channel: str, at: datetime) -> bool:
        record = self.record(pupil)
        lapse = self.lapses.get(pupil)
        return record is not None and all(
            record.answer(m, channel, at, lapse).status is ConsentStatus.GRANTED for m in media
        )

    def publish(self, channel: ChannelMade, poster: User, posted: datetime, when: datetime) -> None:
        """A post of a group from one year group, each shown identifiably with consent when
        posted; a few pseudonymised. An authorised poster records their own posts."""
        rng, school = self.rng, self.school
        media = rng.choices((["photo"], ["video"], ["photo", "video"]), (75, 15, 10))[0]
        identifiable = rng.random() < 0.9
        classmates = school.by_year[rng.choice(list(school.by_year))].items
        if identifiable:
            eligible = [p for p in classmates if self.granted(p, media, channel.kind, posted)]
        else:
            eligible = [p for p in classmates if self.on_roll(p, posted)]
        if not eligible:
            return
        count = rng.choices((1, 2, 3, 4, 6, 8, 12), (12, 15, 20, 20, 15, 10, 8))[0]
        pupils = rng.sample(eligible, min(count, len(eligible)))
        caption = identifiable and rng.random() < 0.1
        command = RecordPublication(
            channel_id=channel.channel_id,
            posted_at=posted,
            media=media,
            pupil_ids=pupils,
            identifiable=identifiable,
            caption_names_anyone=caption,
            description=rng.choice(POSTS),
            link=f"https://posts.example/{rng.getrandbits(48):012x}",
        )
        publication_id = self.do.new_id(poster, command)
        self.publications += 1
        self.counts["publications"] += 1
        # recorded after an objection received since it was posted: the command queues it
        self.queued([publication_id], when)

    def queued(self, publication_ids: list[UUID], when: datetime) -> None:
        """Takedowns the commands have queued on these publications: the data lead records
        each, some time later."""
        for publication_id in dict.fromkeys(publication_ids):
            publication = self.do.read(Publication, publication_id)
            new = {(publication_id, p) for p in publication.pending_takedown} - self.takedowns
            if not new:
                continue
            self.counts["takedowns_requested"] += len(new)
            self.takedowns |= new
            done = working_time(when + timedelta(hours=self.rng.uniform(2, 240)), self.rng)
            self.later(done, partial(self.take_down, publication_id))

    def take_down(self, publication_id: UUID, when: datetime) -> None:
        """The data lead records the takedown: removed, or not reasonably practicable."""
        if not self.do.read(Publication, publication_id).pending_takedown:
            return
        if self.rng.random() < 0.85:
            command = RecordTakedown(publication_id, TakedownOutcome.REMOVED.value, when)
        else:
            reason = self.rng.choice(NOT_PRACTICABLE)
            outcome = TakedownOutcome.NOT_PRACTICABLE.value
            command = RecordTakedown(publication_id, outcome, when, reason)
        self.do(self.data_lead, command)
        self.counts["takedowns_done"] += 1


def staff_id(user: User) -> UUID:
    if user.staff_id is None:
        raise ValueError(f"{user.user_id} has no staff record")
    return user.staff_id

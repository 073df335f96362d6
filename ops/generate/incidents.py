"""A school's online-safety incidents over the period, through the incident commands: reported
by a member of staff, triaged and worked by the DSL or deputy (by the headteacher when the
incident is about a member of staff's conduct), evidence attached, linked, closed, reopened.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from domain.incidents.aggregates import Incident
from domain.incidents.commands import (
    AttachEvidence,
    CloseIncident,
    LinkIncidents,
    RecordIncidentAction,
    ReopenIncident,
    ReportIncident,
    TriageIncident,
)
from domain.incidents.model import Device, Part, Risk, Source
from domain.shared.calendar import LONDON
from ops.generate.commands import Commands, User
from ops.generate.directory import SchoolState
from ops.generate.sampling import (
    Period,
    Weighted,
    at_london,
    next_school_day,
    school_day,
    weighted,
    working_time,
)
from ops.generate.vocabulary import (
    ACTIONS,
    CATEGORY_WEIGHTS,
    CP_THRESHOLD,
    DECISIONS,
    DESCRIPTIONS,
    LESSONS,
    ON_SITE,
    OUTCOMES,
    PLANNABLE,
    PLATFORMS_BY_CATEGORY,
    POLICY_CHANGES,
    PRIMARY_TILT,
    PUPILS_NAMED,
    RISKS,
    SECONDARY_TILT,
    TRIAGE_RATIONALE,
)

_PRIMARY = weighted({c: w * PRIMARY_TILT.get(c, 1.0) for c, w in CATEGORY_WEIGHTS.items()})
_SECONDARY = weighted({c: w * SECONDARY_TILT.get(c, 1.0) for c, w in CATEGORY_WEIGHTS.items()})
_PLATFORMS = {c: weighted(t) for c, t in PLATFORMS_BY_CATEGORY.items()}
_ACTIONS = {c: weighted(t) for c, t in ACTIONS.items()}
_RISKS = {c: Weighted(list(Risk), w) for c, w in RISKS.items()}


@dataclass(frozen=True)
class Reported:
    """An incident as the rest of the school's history may refer to it."""

    incident_id: UUID
    reported_at: datetime
    staff_conduct: bool


def evidence_file(rng: random.Random, text_only: bool) -> tuple[str, str, bytes]:
    """A file as staff attach them: a screenshot, a PDF of messages, a filter log or a parent's
    e-mail, whose bytes are what its type says (the command checks). On a nudes incident only
    notes in plain text: never imagery, nor a file that can carry it."""
    kind = "notes" if text_only else rng.choice(("png", "pdf", "log", "eml"))
    filler = rng.randint(600, 3000)
    if kind == "png":
        content = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.randbytes(filler)
        return "screenshot.png", "image/png", content
    if kind == "pdf":
        return "messages.pdf", "application/pdf", b"%PDF-1.4\n" + rng.randbytes(filler)
    if kind == "eml":
        head = (
            "From: parent@home.example\r\nTo: office@school.example\r\n"
            "Subject: Messages my child received\r\nMIME-Version: 1.0\r\n\r\n"
        )
        body = "Please see the messages below, copied from the group chat.\r\n" * (filler // 60)
        return "parent-email.eml", "message/rfc822", (head + body).encode()
    line = (
        "Blocked search recorded on a school laptop; user and time noted.\n"
        if kind == "log"
        else "Report taken from the pupil; no imagery seen or kept.\n"
    )
    name = "filter-log.txt" if kind == "log" else "report-notes.txt"
    return name, "text/plain", (line * (filler // len(line) + 1)).encode()


class SchoolIncidents:
    """One school's incidents, until the school's share of the events is made."""

    def __init__(self, commands: Commands, period: Period, school: SchoolState, seed: int):
        self.do = commands
        self.clock = commands.clock
        self.period = period
        self.school = school
        self.rng = random.Random(f"incidents-{seed}-{school.urn}")
        self.counts: Counter[str] = Counter()
        self.incidents = 0  # about pupils (not staff conduct)
        self.open_incidents = 0
        self.involvement: Counter[UUID] = Counter()
        self.last_incident_of: dict[UUID, Reported] = {}
        self.history: list[tuple[date, UUID]] = []  # day, first pupil named

    def run(self, events: float) -> None:
        """Incidents until this school's incidents have made ``events`` events (20 at least)."""
        start = self.do.events
        made = 0
        while self.do.events - start < events or made < 20:
            self.incident()
            made += 1

    def occurrence(
        self, category: str, after: date | None = None
    ) -> tuple[datetime, datetime, bool]:
        """When it happened (within four weeks ``after`` a day, if given) and was reported,
        and whether on site."""
        rng, period = self.rng, self.period
        on_site = rng.random() < ON_SITE[category]
        for attempt in itertools.count():
            if after is not None and attempt < 20:
                day = min(period.today, after + timedelta(days=rng.randint(1, 28)))
            else:
                day = period.random_day(rng)
            if school_day(day) or (not on_site and rng.random() < 0.35):
                break
        if on_site:
            occurred = at_london(day, rng.uniform(8.5, 15.5))
            reported = occurred + timedelta(minutes=rng.uniform(5, 180))
        else:
            occurred = at_london(day, rng.uniform(15.5, 23.5) if rng.random() < 0.85 else 12)
            if rng.random() < 0.15:  # a parent's email the same evening
                reported = occurred + timedelta(minutes=rng.uniform(30, 180))
            else:
                reported = at_london(next_school_day(day), rng.uniform(8.25, 12))
        latest = period.now - timedelta(minutes=rng.uniform(5, 120))
        if reported > latest:  # nothing is reported before it happens, nor in the future
            reported = latest
            occurred = min(occurred, reported - timedelta(minutes=rng.uniform(1, 60)))
        return occurred, reported, on_site

    def people(
        self, category: str, when: date, again: UUID | None = None
    ) -> list[tuple[UUID, Part]] | None:
        rng, school = self.rng, self.school
        candidates = [school.pupil_pick.pick(rng) for _ in range(6)]
        if again is not None:
            candidates.insert(0, again)
        present = [p for p in candidates if self.on_roll(p, when)]
        if not present:
            return None
        first = present[0]
        count = rng.choices((1, 2, 3), PUPILS_NAMED.get(category, (60, 30, 10)))[0]
        chosen = [first]
        group = next((g for g in school.groups if first in g), None)
        in_group = group is not None and rng.random() < 0.7
        same_year = school.by_year[school.year_of[first]]
        for _ in range(12):
            if len(chosen) >= count:
                break
            candidate = rng.choice(group) if in_group and group else same_year.pick(rng)
            if candidate not in chosen and self.on_roll(candidate, when):
                chosen.append(candidate)
        parts = self.parts(category, len(chosen))
        return list(zip(chosen, parts, strict=True))

    def on_roll(self, pupil: UUID, when: date) -> bool:
        left = self.school.left_on.get(pupil)
        return left is None or left > when

    def parts(self, category: str, count: int) -> list[Part]:
        rng = self.rng
        harmed, alleged, witness = Part.PUPIL_HARMED, Part.PUPIL_ALLEGED, Part.PUPIL_WITNESS
        if category in ("cyberbullying", "nudes_sharing"):
            return [harmed, alleged, rng.choice((alleged, witness))][:count]
        if category in ("filtering_breach", "other_breach", "online_references"):
            return [alleged, rng.choice((alleged, witness)), witness][:count]
        if category == "inappropriate_content":
            first = harmed if rng.random() < 0.5 else alleged
            return [first, rng.choice((first, witness)), witness][:count]
        if category == "inappropriate_contact":
            return [alleged, witness, witness][:count]
        return [harmed, rng.choice((harmed, witness)), witness][:count]

    def incident(self) -> None:
        rng, school = self.rng, self.school
        staff_conduct = rng.random() < 0.005
        table = _SECONDARY if school.secondary else _PRIMARY
        category = (
            rng.choice(("inappropriate_contact", "online_references"))
            if staff_conduct
            else table.pick(rng)
        )
        # a fifth are episodes: the same pupil again within a few weeks of an earlier incident
        earlier = rng.choice(self.history) if self.history and rng.random() < 0.2 else None
        occurred, reported, on_site = self.occurrence(category, earlier[0] if earlier else None)
        day = occurred.astimezone(LONDON).date()
        involved = self.people(category, day, earlier[1] if earlier else None)
        if involved is None:
            return
        self.history.append((day, involved[0][0]))
        people: list[tuple[UUID, str]] = [(p, part.value) for p, part in involved]
        if staff_conduct or (category == "inappropriate_contact" and rng.random() < 0.5):
            people.append((rng.choice(school.staff_to_name), Part.STAFF_MEMBER.value))
        elif category == "online_references" and rng.random() < 0.3:
            parents = school.parents_of.get(involved[0][0])
            if parents:
                people.append((parents[0], Part.PARENT_CARER.value))
        platform = _PLATFORMS[category].pick(rng)
        if category == "filtering_breach":
            source = rng.choices((Source.STAFF_OBSERVATION, Source.OTHER), (60, 40))[0]
        else:
            source = rng.choices(list(Source), (30, 40, 25, 5))[0]
        if on_site:
            device = rng.choices((Device.SCHOOL, Device.PERSONAL, Device.UNKNOWN), (80, 15, 5))[0]
        else:
            device = rng.choices((Device.PERSONAL, Device.UNKNOWN), (85, 15))[0]
        if staff_conduct:
            reporter = school.dsl
        else:
            reporter = rng.choices(
                (rng.choice(school.reporters), school.dsl, school.deputy, school.head),
                (75, 12, 8, 5),
            )[0]
        handlers = (school.head,) if staff_conduct else (school.dsl, school.deputy)
        handler = handlers[0] if len(handlers) == 1 or rng.random() < 0.65 else handlers[1]
        text = rng.choice(DESCRIPTIONS[category]).format(platform=platform or "the school network")
        report = ReportIncident(
            school_id=school.school_id,
            occurred_at=occurred,
            reported_at=reported,
            category=category,
            description=text,
            people=people,
            platform=platform,
            source=source.value,
            on_site=on_site,
            device=device.value,
            concerns_staff_conduct=staff_conduct,
        )
        at = reported + timedelta(minutes=rng.uniform(1, 10))
        incident_id = self.do.new_id(reporter, report, at)
        self.counts["incidents"] += 1
        if not staff_conduct:
            self.incidents += 1
            for pupil, _ in involved:
                self.involvement[pupil] += 1
        this = Reported(incident_id, reported, staff_conduct)
        still_open = Lifecycle(self, handler, this, category, involved[0][0]).run()
        if still_open and not staff_conduct:
            self.open_incidents += 1
        for pupil, _ in involved:
            self.last_incident_of[pupil] = this


class Lifecycle:
    """Triage, evidence, actions, links, closing and reopening, as far as now allows."""

    def __init__(
        self, school: SchoolIncidents, handler: User, incident: Reported, category: str, first: UUID
    ) -> None:
        self.s = school
        self.rng = school.rng
        self.now = school.period.now
        self.handler = handler
        self.incident = incident
        self.id = incident.incident_id
        self.category = category
        self.first_pupil = first

    def do(self, command: object, at: datetime) -> None:
        self.s.do(self.handler, command, at)

    def run(self) -> bool:
        """Whether the incident is still open at the end."""
        rng, now, category, counts = self.rng, self.now, self.category, self.s.counts
        # triage: mostly within the working day; a few stuck untriaged
        delay = rng.choices(
            (
                timedelta(minutes=rng.uniform(15, 240)),
                timedelta(hours=rng.uniform(18, 30)),
                timedelta(hours=rng.uniform(40, 80)),
            ),
            (70, 25, 5),
        )[0]
        triaged_at = working_time(self.incident.reported_at + delay, rng)
        if triaged_at > now or rng.random() < 0.015:
            return True
        risk: Risk = _RISKS[category].pick(rng)
        meets = rng.random() < CP_THRESHOLD[risk.value]
        final_category = category
        reason = None
        if rng.random() < 0.04:
            final_category = rng.choice([c for c in CATEGORY_WEIGHTS if c != category])
            reason = "On investigation the concern fits another category."
        rationale = rng.choice(TRIAGE_RATIONALE)
        triage = TriageIncident(self.id, risk.value, meets, rationale, final_category, reason)
        self.do(triage, triaged_at)
        moment = triaged_at
        if rng.random() < 0.1:
            nudes = "nudes_sharing" in (final_category, category)
            filename, content_type, content = evidence_file(rng, text_only=nudes)
            moment += timedelta(minutes=rng.uniform(5, 120))
            if moment < now:
                note = "Captured by the reporting member of staff."
                self.do(AttachEvidence(self.id, filename, content_type, content, note), moment)
                counts["evidence_files"] += 1
        # a link to the last incident of one of its pupils: one already reported, and one the
        # same people handle (the DSLs do not see a staff-conduct incident, nor the head theirs)
        other = self.s.last_incident_of.get(self.first_pupil)
        if (
            other is not None
            and rng.random() < 0.05
            and moment + timedelta(hours=1) < now
            and other.staff_conduct == self.incident.staff_conduct
            and other.reported_at < moment
        ):
            moment += timedelta(minutes=rng.uniform(5, 60))
            text = "Same pupils as an earlier incident."
            self.do(LinkIncidents(self.id, other.incident_id, text), moment)
            counts["links"] += 1
        moment, planned_open, police = self.actions(moment)
        if police and rng.random() < 0.5 and moment + timedelta(days=10) < now:
            outcome_at = working_time(moment + timedelta(days=rng.uniform(10, 40)), rng)
            if outcome_at < now:  # else no outcome yet, and the incident's work ends where it was
                moment = outcome_at
                code = (
                    "outcome_21"
                    if category == "nudes_sharing"
                    else rng.choice(("outcome_21", "outcome_22", "outcome_16"))
                )
                self.action("police_outcome", moment, False, None, outcome=code)
        # closing: most, once the work is done; some stay open (a few with overdue follow-ups)
        stays_open = rng.random() < 0.07
        for action_id, kind, due in planned_open:
            done = at_london(due, rng.uniform(9, 16)) - timedelta(days=rng.uniform(0, 3))
            if stays_open or done >= now:
                stays_open = True  # a follow-up still to do: not closed yet
                continue
            moment = max(moment, done)
            self.action(kind, moment, False, None, completes=action_id)
        days = rng.uniform(2, 30 if risk in (Risk.LOW, Risk.MEDIUM) else 60)
        close_at = working_time(moment + timedelta(days=days), rng)
        if stays_open or close_at >= now:
            return True
        self.close(close_at)
        if rng.random() < 0.015:
            reopen_at = working_time(close_at + timedelta(days=rng.uniform(3, 30)), rng)
            if reopen_at < now:
                self.do(ReopenIncident(self.id, "New information from a parent."), reopen_at)
                counts["reopened"] += 1
                again = working_time(reopen_at + timedelta(days=rng.uniform(1, 14)), rng)
                if again >= now:
                    return True
                self.action("pastoral_support", again, False, None)
                close_again = working_time(again + timedelta(days=rng.uniform(2, 20)), rng)
                if close_again < now and rng.random() < 0.7:
                    self.close(close_again)
                    return False
                return True
        return False

    def actions(self, moment: datetime) -> tuple[datetime, list[tuple[UUID, str, date]], bool]:
        """Up to three actions, some planned follow-ups; whether the police were contacted."""
        rng = self.rng
        count = rng.choices((0, 1, 2, 3), (5, 35, 35, 25))[0]
        planned_open: list[tuple[UUID, str, date]] = []
        police = False
        for _ in range(count):
            taken = working_time(moment + timedelta(hours=rng.uniform(0.5, 72)), rng)
            if taken >= self.now:
                break  # not yet: the incident's work so far ends at its last action
            moment = taken
            kind = _ACTIONS[self.category].pick(rng)
            if kind == "police_contacted":
                police = True
            planned = kind in PLANNABLE and rng.random() < 0.3
            due = moment.astimezone(LONDON).date() + timedelta(days=rng.randint(5, 21))
            action_id = self.action(kind, moment, planned, due if planned else None)
            if planned:
                planned_open.append((action_id, kind, due))
        return moment, planned_open, police

    def action(
        self,
        kind: str,
        taken: datetime,
        planned: bool,
        due: date | None,
        completes: UUID | None = None,
        outcome: str | None = None,
    ) -> UUID:
        """Record an action; its id (read back from the incident, for a follow-up's completion)."""
        decision, rationale = DECISIONS[kind]
        if planned:
            decision = f"Planned follow-up: {decision[0].lower()}{decision[1:]}"
        before = set(self.s.do.read(Incident, self.id).actions) if planned else set()
        command = RecordIncidentAction(
            self.id, kind, taken, decision, rationale, planned, due, completes, outcome
        )
        self.do(command, taken + timedelta(minutes=self.rng.uniform(1, 20)))
        self.s.counts["actions"] += 1
        if not planned:
            return self.id
        (action_id,) = set(self.s.do.read(Incident, self.id).actions) - before
        return action_id

    def close(self, at: datetime) -> None:
        rng = self.rng
        policy = rng.choice(POLICY_CHANGES) if rng.random() < 0.25 else None
        self.do(CloseIncident(self.id, rng.choice(OUTCOMES), rng.choice(LESSONS), policy), at)

"""The directory: a trust, its schools, their staff, pupils and families, and the role grants a
trust would make, all through the directory and access commands.

The operator provisions the trust and grants its safeguarding lead and DPO; the safeguarding
lead registers the schools and grants each headteacher; the headteacher registers their own
staff record and the data lead's and grants the data lead, who registers the rest of the staff
and the pupils and links their parents and carers; then the headteacher grants the DSL, the
deputy and the staff who report.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from domain.access.commands import GrantRole
from domain.directory.aggregates import StaffRole
from domain.directory.commands import (
    CreateTrust,
    LinkParent,
    RecordPupilLeft,
    RecordStaffLeft,
    RegisterPupil,
    RegisterSchool,
    RegisterStaffMember,
)
from domain.shared.policy import Role
from ops.generate.commands import OPERATOR, Commands, User
from ops.generate.sampling import Period, Weighted, at_london
from ops.generate.vocabulary import FIRST_NAMES, LEAVING_DESTINATIONS, SURNAMES, TRUST_WORDS


@dataclass(frozen=True)
class SchoolPlan:
    """A school to make: drawn by the runner from the seed, before anything is written."""

    urn: str
    name: str
    secondary: bool
    weight: float  # its share of the incidents


@dataclass
class SchoolState:
    """What the rest of the run needs to know of a school it made (sent between processes)."""

    trust_id: UUID
    school_id: UUID
    urn: str
    name: str
    secondary: bool
    weight: float
    head_name: str
    head: User
    dsl: User
    deputy: User
    data_lead: User
    reporters: list[User]
    pupils: list[UUID]
    year_of: dict[UUID, int]
    left_on: dict[UUID, date]
    parents_of: dict[UUID, list[UUID]]
    responsible_for: dict[UUID, list[UUID]]  # pupil: the parents and carers with responsibility
    staff_to_name: list[UUID]  # staff records an incident may name (not the DSLs or head)
    pupil_pick: Weighted[UUID]
    by_year: dict[int, Weighted[UUID]]
    groups: list[list[UUID]]
    directory_events: int = 0


@dataclass
class Roll:
    years: list[int]
    pupils: list[UUID]
    year_of: dict[UUID, int]
    left_on: dict[UUID, date]
    parents_of: dict[UUID, list[UUID]]
    responsible_for: dict[UUID, list[UUID]]


class TrustDirectory:
    """Makes one trust and its schools."""

    def __init__(self, commands: Commands, period: Period, options_seed: int, number: int):
        self.do = commands
        self.clock = commands.clock
        self.period = period
        self.number = number
        self.rng = random.Random(f"trust-{options_seed}-{number}")
        self.counts: Counter[str] = Counter()
        self._used_user_ids: set[str] = set()

    def person_name(self, surname: str | None = None) -> tuple[str, str]:
        return self.rng.choice(FIRST_NAMES), surname or self.rng.choice(SURNAMES)

    def user(self, first: str, last: str, domain: str) -> User:
        base = f"{first}.{last}".lower()
        candidate = f"{base}@{domain}"
        n = 1
        while candidate in self._used_user_ids:
            n += 1
            candidate = f"{base}{n}@{domain}"
        self._used_user_ids.add(candidate)
        self.counts["users"] += 1
        return User(candidate)

    def grant(
        self, by: User, user: User, role: Role, trust_id: UUID, school_id: UUID | None = None
    ) -> None:
        self.do(by, GrantRole(user.user_id, role.value, trust_id, school_id))
        self.counts["role_grants"] += 1

    def make(self, plans: list[SchoolPlan], pupils: int, staff: int) -> list[SchoolState]:
        word = TRUST_WORDS[self.number % len(TRUST_WORDS)]
        many = self.number >= len(TRUST_WORDS)
        name = f"{word} Trust {self.number}" if many else f"{word} Learning Trust"
        domain = f"{word.lower()}{self.number}.trust.example"
        self.clock.at(self.period.setup_time(self.rng, 60))
        trust_id = self.do.new_id(OPERATOR, CreateTrust(name))
        self.counts["trusts"] += 1
        tsl, dpo = User(f"safeguarding@{domain}"), User(f"dpo@{domain}")
        self.counts["users"] += 2
        for user, role in ((tsl, Role.TRUST_SAFEGUARDING_LEAD), (dpo, Role.DPO)):
            self.clock.later(minutes=5)
            self.grant(OPERATOR, user, role, trust_id)
        schools = []
        for plan in plans:
            before = self.do.events
            school = self.school(trust_id, tsl, plan, pupils, staff)
            school.directory_events = self.do.events - before
            schools.append(school)
        return schools

    def school(
        self, trust_id: UUID, tsl: User, plan: SchoolPlan, pupil_count: int, staff_count: int
    ) -> SchoolState:
        rng, do, clock, period = self.rng, self.do, self.clock, self.period
        domain = f"{plan.urn}.school.example"
        clock.at(period.setup_time(rng, 45))
        school_id = do.new_id(tsl, RegisterSchool(trust_id, plan.name, plan.urn))
        self.counts["schools"] += 1
        head_name = self.person_name()
        head = self.user(*head_name, domain)
        clock.later(hours=2)
        self.grant(tsl, head, Role.HEADTEACHER, trust_id, school_id)

        # staff: the roster, who has a login, and the roles granted to them
        total = max(12, round(rng.gauss(staff_count, 3)))
        roster: list[StaffRole] = [StaffRole.HEADTEACHER, StaffRole.SUPPORT]  # and the data lead
        fixed = [
            StaffRole.SUPPLY,
            StaffRole.VOLUNTEER,
            StaffRole.CONTRACTOR,
            StaffRole.GOVERNOR,
            StaffRole.GOVERNOR,
            StaffRole.OTHER,
        ]
        rest = total - len(roster) - len(fixed)
        teachers = max(4, round(rest * 0.7))
        roster += [StaffRole.TEACHER] * teachers + [StaffRole.SUPPORT] * max(0, rest - teachers)
        roster += fixed
        data_lead: User | None = None
        dsl: User | None = None
        deputy: User | None = None
        reporters: list[User] = []
        staff_to_name: list[UUID] = []
        supply: UUID | None = None
        clock.at(period.setup_time(rng, 40))
        for index, role in enumerate(roster):
            first, last = head_name if index == 0 else self.person_name()
            user: User | None = None
            if index == 0:
                user = head
            elif index == 1:
                user = data_lead = self.user(first, last, domain)
            elif role is StaffRole.TEACHER and dsl is None:
                user = dsl = self.user(first, last, domain)
            elif role is StaffRole.TEACHER and deputy is None:
                user = deputy = self.user(first, last, domain)
            elif role in (StaffRole.TEACHER, StaffRole.SUPPORT) and rng.random() < 0.75:
                user = self.user(first, last, domain)
                reporters.append(user)
            # the headteacher registers their own record and the data lead's, grants the data
            # lead their role, and the data lead registers everyone else
            registrar = head if index <= 1 or data_lead is None else data_lead
            clock.later(minutes=rng.uniform(1, 20))
            # started before the records were entered here (six weeks before the period)
            started = period.start - timedelta(days=rng.randint(42, 365 * 15))
            staff_id = do.new_id(
                registrar,
                RegisterStaffMember(
                    school_id,
                    f"{first} {last}",
                    role.value,
                    user.user_id if user else None,
                    started,
                ),
            )
            if user is not None:
                user.staff_id = staff_id
            if index == 1 and data_lead is not None:
                clock.later(minutes=rng.uniform(5, 30))
                self.grant(head, data_lead, Role.DATA_LEAD, trust_id, school_id)
            if role is StaffRole.SUPPLY:
                supply = staff_id
            if (user is None or user in reporters) and role in (
                StaffRole.TEACHER,
                StaffRole.SUPPORT,
            ):
                staff_to_name.append(staff_id)
            self.counts["staff"] += 1
        if dsl is None or deputy is None or data_lead is None or supply is None:
            raise RuntimeError("a school's roster has no DSL, deputy, data lead or supply teacher")
        clock.later(hours=1)
        for user, granted in (
            (dsl, Role.DSL),
            (deputy, Role.DEPUTY_DSL),
            *((r, Role.STAFF_REPORTER) for r in reporters),
        ):
            clock.later(minutes=rng.uniform(1, 5))
            self.grant(head, user, granted, trust_id, school_id)
        # a supply teacher who has since left
        if rng.random() < 0.5:
            left = period.random_day(rng)
            reason = "End of supply placement"
            do(data_lead, RecordStaffLeft(supply, left, reason), at_london(left, 16))

        roll = self.pupils(school_id, plan.secondary, pupil_count, data_lead)
        pick, by_year, groups = self.who_comes_up(roll)
        return SchoolState(
            trust_id=trust_id,
            school_id=school_id,
            urn=plan.urn,
            name=plan.name,
            secondary=plan.secondary,
            weight=plan.weight,
            head_name=" ".join(head_name),
            head=head,
            dsl=dsl,
            deputy=deputy,
            data_lead=data_lead,
            reporters=reporters,
            pupils=roll.pupils,
            year_of=roll.year_of,
            left_on=roll.left_on,
            parents_of=roll.parents_of,
            responsible_for=roll.responsible_for,
            staff_to_name=staff_to_name,
            pupil_pick=pick,
            by_year=by_year,
            groups=groups,
        )

    def who_comes_up(
        self, roll: Roll
    ) -> tuple[Weighted[UUID], dict[int, Weighted[UUID]], list[list[UUID]]]:
        """Who comes up again and again: a few pupils, and a few friendship groups."""
        rng = self.rng
        weights = [
            rng.uniform(6, 14) if rng.random() < 0.05 else rng.uniform(0.5, 1.5)
            for _ in roll.pupils
        ]
        by_year: dict[int, Weighted[UUID]] = {}
        for year in roll.years:
            members = [
                (p, w) for p, w in zip(roll.pupils, weights, strict=True) if roll.year_of[p] == year
            ]
            if members:
                by_year[year] = Weighted([p for p, _ in members], [w for _, w in members])
        groups: list[list[UUID]] = []
        for _ in range(max(2, len(roll.pupils) // 40)):
            year = rng.choice(list(by_year))
            classmates = by_year[year].items
            groups.append(rng.sample(classmates, min(len(classmates), rng.randint(3, 4))))
        return Weighted(roll.pupils, weights), by_year, groups

    def pupils(self, school_id: UUID, secondary: bool, total: int, data_lead: User) -> Roll:
        """Pupils, in families with their parents and carers; a few leave during the period."""
        rng, do, clock, period = self.rng, self.do, self.clock, self.period
        years = list(range(7, 12)) + ([12, 13] if rng.random() < 0.5 else [])
        if not secondary:
            years = list(range(0, 7))
        total = max(60, round(rng.gauss(total, 50)))
        pupils: list[UUID] = []
        year_of: dict[UUID, int] = {}
        left_on: dict[UUID, date] = {}
        parents_of: dict[UUID, list[UUID]] = {}
        responsible_for: dict[UUID, list[UUID]] = {}
        clock.at(period.setup_time(rng, 30))
        while len(pupils) < total:
            children = min(total - len(pupils), rng.choices((1, 2, 3), (60, 30, 10))[0])
            surname = rng.choice(SURNAMES)
            family: list[UUID] = []
            for _ in range(children):
                year = rng.choice(years)
                first, _ = self.person_name(surname)
                clock.later(seconds=rng.uniform(20, 120))
                born = period.birthday(rng, year)
                pupil_id = do.new_id(
                    data_lead, RegisterPupil(school_id, f"{first} {surname}", born, year)
                )
                family.append(pupil_id)
                pupils.append(pupil_id)
                year_of[pupil_id] = year
            for carer_number in range(1 if rng.random() < 0.3 else 2):
                relationship, responsibility = self.relationship(carer_number)
                first, _ = self.person_name(surname)
                parent_id: UUID | None = None
                for child in family:
                    clock.later(seconds=rng.uniform(5, 30))
                    link = LinkParent(
                        child,
                        relationship,
                        responsibility,
                        parent_id=parent_id,
                        full_name=None if parent_id else f"{first} {surname}",
                    )
                    parent_id = do.new_id(data_lead, link)
                    parents_of.setdefault(child, []).append(parent_id)
                    if responsibility:
                        responsible_for.setdefault(child, []).append(parent_id)
                self.counts["parents"] += 1
            for child in family:
                if rng.random() < 0.015:
                    left = period.random_day(rng)
                    left_on[child] = left
                    destination = rng.choice(LEAVING_DESTINATIONS)
                    do(data_lead, RecordPupilLeft(child, left, destination), at_london(left, 15.5))
                    clock.at(period.setup_time(rng, 30))
        self.counts["pupils"] += len(pupils)
        return Roll(years, pupils, year_of, left_on, parents_of, responsible_for)

    def relationship(self, carer_number: int) -> tuple[str, bool]:
        rng = self.rng
        if carer_number == 0:
            relationship = rng.choices(
                ("mother", "father", "parent", "guardian", "foster carer", "grandparent"),
                (55, 25, 10, 3, 3, 4),
            )[0]
        else:
            relationship = rng.choices(
                ("father", "mother", "step-parent", "grandparent", "carer"), (50, 20, 15, 10, 5)
            )[0]
        responsibility = {
            "step-parent": rng.random() < 0.3,
            "grandparent": rng.random() < 0.2,
            "foster carer": False,
            "carer": rng.random() < 0.2,
        }.get(relationship, True)
        return relationship, responsibility

"""The retention schedule's rules as pure functions of plain values (docs/rules.md §9): which
rule keeps each record, until when, whether it is reviewed then, what a trust may configure,
and what blocks erasure on a given day.

Nothing here reads a view or a request: ``projections/retention/queries.py`` passes the facts
it read (a date of birth it opened, a leaving date, an outcome) and builds on these answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.shared.calendar import LONDON
from domain.shared.errors import ValidationFailed
from domain.staff_cases.model import RETENTION_YEARS
from domain.staff_cases.rules import erasure_due


class RecordType(StrEnum):
    """What the schedule keeps: a pupil's safeguarding file (their personal data, the consent
    record sealed with their key included), a pupil incident, an allegation against staff, a
    low-level concern, and each trust's access log."""

    PUPIL = "pupil"
    INCIDENT = "incident"
    ALLEGATION = "allegation"
    LOW_LEVEL_CONCERN = "low_level_concern"
    ACCESS_LOG = "access_log"


class Rule(StrEnum):
    PUPIL_FILE = "pupil_file"
    CONSENT_RECORD = "consent_record"
    ALLEGATION = "allegation"
    ALLEGATION_REMOVED = "allegation_removed"
    LOW_LEVEL_CONCERN = "low_level_concern"
    ACCESS_LOG = "access_log"


SOURCES: dict[Rule, str] = {
    Rule.PUPIL_FILE: "IRMS toolkit for schools: the pupil's child-protection file until their "
    "25th birthday, then review",
    Rule.CONSENT_RECORD: "seed 001 §7.1 (consent is valid while the pupil remains at the "
    "academy): until the pupil leaves, then review",
    Rule.ALLEGATION: "KCSIE Part four, Section one: normal pension age or ten years from the "
    "allegation, whichever is later",
    Rule.ALLEGATION_REMOVED: "KCSIE Part four, Section one: malicious and false allegations are "
    "removed from personnel records unless the individual consents to retention",
    Rule.LOW_LEVEL_CONCERN: "KCSIE Part four, Section two: at least until the individual leaves "
    "employment, then review",
    Rule.ACCESS_LOG: "UK GDPR Article 5(2) (accountability) and 5(1)(e) (storage limitation): "
    "the trust's configured period",
}

# The rules whose due date starts a review: a DPO's "destroy", recorded on or after the due
# date, is what makes the record erasable.
REVIEWED: frozenset[Rule] = frozenset(
    {Rule.PUPIL_FILE, Rule.CONSENT_RECORD, Rule.LOW_LEVEL_CONCERN}
)


@dataclass(frozen=True)
class Bound:
    """What a trust may set a rule's number to (the law's floor, a sane ceiling), its default,
    and what the number means."""

    minimum: int
    maximum: int
    default: int
    meaning: str


# The configurable rules, each one number. ``allegation_removed`` is not configurable: the law
# says "at once".
BOUNDS: dict[Rule, Bound] = {
    Rule.PUPIL_FILE: Bound(25, 100, 25, "the pupil's age (birthday) the file is kept until"),
    Rule.CONSENT_RECORD: Bound(0, 50, 0, "years after the pupil leaves"),
    Rule.ALLEGATION: Bound(RETENTION_YEARS, 100, RETENTION_YEARS, "years from receipt"),
    Rule.LOW_LEVEL_CONCERN: Bound(0, 50, 0, "years after the member of staff leaves"),
    Rule.ACCESS_LOG: Bound(1, 100, 6, "years an access-log entry is kept"),
}


def configured_value(rule: str, value: int) -> int:
    """``value`` for ``rule`` if the law allows it; ValidationFailed naming the bound if not."""
    if rule not in BOUNDS:
        raise ValidationFailed(
            "rule", f"must be one of {', '.join(BOUNDS)} ({Rule.ALLEGATION_REMOVED} is fixed)"
        )
    bound = BOUNDS[Rule(rule)]
    if value < bound.minimum:
        raise ValidationFailed(
            "value", f"{rule} must be at least {bound.minimum} ({bound.meaning})"
        )
    if value > bound.maximum:
        raise ValidationFailed("value", f"{rule} must be at most {bound.maximum} ({bound.meaning})")
    return value


@dataclass(frozen=True)
class Settings:
    """A trust's numbers, one per configurable rule (the defaults where none was set)."""

    values: Mapping[Rule, int]

    def __getitem__(self, rule: Rule) -> int:
        return self.values.get(rule, BOUNDS[rule].default)

    @classmethod
    def of(cls, configured: Mapping[str, int]) -> Settings:
        return cls({Rule(r): v for r, v in configured.items() if r in BOUNDS})


DEFAULTS = Settings({})


def configuration_id(trust_id: UUID) -> UUID:
    """A trust's retention configuration: one per trust."""
    return uuid5(NAMESPACE_URL, f"casework:retention-configuration:{trust_id}")


def review_id(record_id: UUID) -> UUID:
    """The reviews of one record."""
    return uuid5(NAMESPACE_URL, f"casework:retention-review:{record_id}")


def access_log_id(trust_id: UUID) -> UUID:
    """The record id the schedule gives a trust's access log."""
    return uuid5(NAMESPACE_URL, f"casework:access-log:{trust_id}")


# --- dates ------------------------------------------------------------------------------------


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 1 March in a year with none (the
    later day: nothing is due before its time)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def london_day(instant: datetime) -> date:
    return instant.astimezone(LONDON).date()


@dataclass(frozen=True)
class Due:
    """When a record's rule makes it due: ``due_on`` None means not yet known, ``why`` says
    what it waits for; ``review`` whether the due date starts a review."""

    rule: Rule
    due_on: date | None
    why: str
    review: bool

    @property
    def source(self) -> str:
        return SOURCES[self.rule]


def _due(rule: Rule, due_on: date | None, why: str) -> Due:
    return Due(rule, due_on, why, rule in REVIEWED)


def nth_birthday(born: date, age: int) -> date:
    return add_years(born, age)


def incident_due(births: Iterable[date], settings: Settings = DEFAULTS) -> Due:
    """The latest of the involved pupils' 25th (configured) birthdays, then review."""
    age = settings[Rule.PUPIL_FILE]
    known = [nth_birthday(b, age) for b in births]
    if not known:
        return _due(Rule.PUPIL_FILE, None, "no involved pupil's date of birth is known")
    return _due(Rule.PUPIL_FILE, max(known), f"the youngest involved pupil's birthday at {age}")


def pupil_due(
    born: date | None,
    holds_safeguarding_record: bool,
    left_on: date | None,
    settings: Settings = DEFAULTS,
) -> Due:
    """A pupil's file: with any safeguarding record (an incident, or named on an allegation),
    until their 25th (configured) birthday; without, their consent record, until they leave
    (+ the configured years). Both then reviewed."""
    if holds_safeguarding_record:
        age = settings[Rule.PUPIL_FILE]
        if born is None:
            return _due(Rule.PUPIL_FILE, None, "the pupil's date of birth is not known")
        return _due(Rule.PUPIL_FILE, nth_birthday(born, age), f"the pupil's birthday at {age}")
    years = settings[Rule.CONSENT_RECORD]
    if left_on is None:
        return _due(Rule.CONSENT_RECORD, None, "when the pupil leaves")
    return _due(
        Rule.CONSENT_RECORD, add_years(left_on, years), f"{years} years after the pupil left"
    )


def allegation_due(
    outcome: str | None,
    retention_consent: bool,
    received_at: datetime,
    outcome_at: datetime | None,
    reaches_pension_age_on: date | None,
    settings: Settings = DEFAULTS,
) -> Due:
    """Substantiated, unsubstantiated, unfounded: the later of normal pension age and ten
    (configured) years from receipt. Malicious, false: at once (the outcome's day) unless the
    subject consented to retention. No outcome yet: not known."""
    if outcome is None:
        return _due(Rule.ALLEGATION, None, "no outcome recorded yet")
    if erasure_due(outcome, retention_consent):
        day = london_day(outcome_at or received_at)
        return _due(Rule.ALLEGATION_REMOVED, day, f"{outcome}: removed at once")
    years = settings[Rule.ALLEGATION]
    ten_years = add_years(london_day(received_at), years)
    if reaches_pension_age_on is None:
        return _due(
            Rule.ALLEGATION,
            None,
            f"the member of staff's normal pension age is not recorded (at least {ten_years})",
        )
    later = max(ten_years, reaches_pension_age_on)
    why = "normal pension age" if later == reaches_pension_age_on else f"{years} years from receipt"
    return _due(Rule.ALLEGATION, later, why)


def concern_due(staff_left_on: date | None, settings: Settings = DEFAULTS) -> Due:
    """Until the member of staff leaves (+ the configured years), then review."""
    years = settings[Rule.LOW_LEVEL_CONCERN]
    if staff_left_on is None:
        return _due(Rule.LOW_LEVEL_CONCERN, None, "when the member of staff leaves")
    return _due(
        Rule.LOW_LEVEL_CONCERN,
        add_years(staff_left_on, years),
        f"{years} years after the member of staff left",
    )


def access_log_due(oldest_entry_at: datetime | None, settings: Settings = DEFAULTS) -> Due:
    """The day the oldest entry passes the configured period (entries older than
    :func:`access_log_cutoff` are due)."""
    years = settings[Rule.ACCESS_LOG]
    if oldest_entry_at is None:
        return _due(Rule.ACCESS_LOG, None, "the access log has no entries")
    day = add_years(london_day(oldest_entry_at), years)
    return _due(Rule.ACCESS_LOG, day, f"entries older than {years} years")


def access_log_cutoff(as_of: date, settings: Settings = DEFAULTS) -> date:
    """Entries made before this day are past the configured period at ``as_of``."""
    return add_years(as_of, -settings[Rule.ACCESS_LOG])


# --- review decisions and legal holds ----------------------------------------------------------


class Decision(StrEnum):
    DESTROY = "destroy"
    KEEP = "keep"


class HoldScope(StrEnum):
    RECORD = "record"
    PERSON = "person"
    SCHOOL = "school"


class HoldAuthority(StrEnum):
    INQUIRY = "inquiry"
    LITIGATION = "litigation"
    POLICE = "police"
    REGULATOR = "regulator"
    OTHER = "other"


def keep_until(value: date | None, today: date) -> date:
    """A "keep" decision's new date: required, and after today."""
    if value is None:
        raise ValidationFailed("keepUntil", "is required to keep a record")
    if value <= today:
        raise ValidationFailed("keepUntil", f"must be after today ({today})")
    return value


class BlockerKind(StrEnum):
    NOT_DUE = "not_due"
    AWAITING_REVIEW = "awaiting_review"
    KEPT = "kept"
    LEGAL_HOLD = "legal_hold"


@dataclass(frozen=True)
class Blocker:
    """One reason a record may not be erased on a day, as a sentence (``reason``): ``until``
    the date it lasts to (not yet due, kept), ``hold_id`` the legal hold."""

    kind: BlockerKind
    reason: str
    until: date | None = None
    hold_id: UUID | None = None


class HeldBy(Protocol):
    """An active legal hold covering a record (``projections.retention.queries.HoldRow``)."""

    @property
    def hold_id(self) -> UUID: ...

    @property
    def authority(self) -> str: ...


class Reviewable(Protocol):
    """What ``blockers`` needs of a record on the schedule
    (``projections.retention.queries.Scheduled``): its due date (None: not yet known, ``why``
    says what it waits for), whether the rule is reviewed, the latest review decision (recorded
    on ``decided_on``; a keep's ``keep_until``) and the active holds covering it."""

    @property
    def due_on(self) -> date | None: ...

    @property
    def review(self) -> bool: ...

    @property
    def decision(self) -> str | None: ...

    @property
    def decided_on(self) -> date | None: ...

    @property
    def keep_until(self) -> date | None: ...

    @property
    def holds(self) -> Sequence[HeldBy]: ...

    @property
    def why(self) -> str: ...


@dataclass(frozen=True)
class HoldFact:
    hold_id: UUID
    authority: str


@dataclass(frozen=True)
class Facts:
    """A :class:`Reviewable` of plain values."""

    due_on: date | None
    review: bool = False
    decision: str | None = None
    decided_on: date | None = None
    keep_until: date | None = None
    holds: Sequence[HoldFact] = ()
    why: str = ""


def blockers(record: Reviewable, as_of: date) -> tuple[Blocker, ...]:
    """What blocks erasure of ``record`` at ``as_of``; empty: erasable now.

    The latest review decision rules: a "keep" moves the due date to its ``keep_until``; a
    record whose rule is reviewed is erasable only once a "destroy" is recorded on or after the
    (moved) due date. Every active legal hold blocks, whatever else."""
    found: list[Blocker] = []
    due_on, keep_until, decision = record.due_on, record.keep_until, record.decision
    kept = keep_until if decision == Decision.KEEP else None
    if due_on is None:
        why = record.why
        found.append(Blocker(BlockerKind.NOT_DUE, f"not yet due: {why}" if why else "not yet due"))
    elif kept is not None and as_of < kept:
        found.append(Blocker(BlockerKind.KEPT, f"kept by review until {kept}", kept))
    elif as_of < due_on:
        found.append(Blocker(BlockerKind.NOT_DUE, f"due on {due_on}", due_on))
    elif record.review:
        effective = kept or due_on
        decided_on = record.decided_on
        destroyed = (
            decision == Decision.DESTROY and decided_on is not None and decided_on >= effective
        )
        if not destroyed:
            found.append(
                Blocker(BlockerKind.AWAITING_REVIEW, f"due on {effective}: awaiting review")
            )
    for hold in record.holds:
        found.append(
            Blocker(BlockerKind.LEGAL_HOLD, f"legal hold ({hold.authority})", hold_id=hold.hold_id)
        )
    return tuple(found)

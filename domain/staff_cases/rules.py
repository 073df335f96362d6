"""The staff-case rules a reader's view depends on, as pure functions of plain values: what
stays on a personnel record, what is due for erasure, what a reference may cite, when the LADO
is overdue, and which patterns in a member of staff's records are worth a look.

Nothing here reads a view row or a request: the GraphQL layer passes the values it read, and
the view's SQL builds on the same constants (:func:`sql_list`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from domain.shared.calendar import end_of_london_day
from domain.shared.errors import ValidationFailed
from domain.staff_cases.model import CITABLE_OUTCOMES, REMOVED_OUTCOMES, Outcome

# --- retention and references (KCSIE Part four) -----------------------------------------------


def erasure_due(outcome: str | None, retention_consent: bool) -> bool:
    """Malicious or false, without the subject's consent to retention: to be erased."""
    return outcome in REMOVED_OUTCOMES and not retention_consent


def on_personnel_record(outcome: str | None, retention_consent: bool) -> bool:
    """Decided, and not removed: every outcome but malicious and false stays on the record,
    and those too when the subject consented to their retention."""
    return outcome is not None and not erasure_due(outcome, retention_consent)


def may_be_cited_in_reference(outcome: str | None, will_be_referred_to: bool | None) -> bool:
    """Substantiated, and declared to be referred to in references."""
    return outcome in CITABLE_OUTCOMES and bool(will_be_referred_to)


def awaits_reference_declaration(outcome: str | None, will_be_referred_to: bool | None) -> bool:
    """Substantiated, with no declaration yet of whether references will mention it."""
    return outcome == Outcome.SUBSTANTIATED and will_be_referred_to is None


def sql_list(values: Collection[str]) -> str:
    """An SQL ``IN`` list of a rule's constant values (e.g. :data:`REMOVED_OUTCOMES`), so the
    view's queries say what the rule says. The values are the domain's own codes."""
    return ", ".join(f"'{value}'" for value in sorted(values))


# --- the LADO deadline ----------------------------------------------------------------------


def lado_due_at(due_on: date) -> datetime:
    """The LADO is consulted by the end of the London working day ``due_on``."""
    return end_of_london_day(due_on)


def lado_overdue(due_on: date, consulted_at: datetime | None, now: datetime) -> bool:
    """Not consulted and the deadline has passed, or consulted after it."""
    return (consulted_at or now) >= lado_due_at(due_on)


# --- patterns in a member of staff's records ------------------------------------------------

PATTERN_WINDOW = timedelta(days=365)  # "in the last 12 months"
MIN_PATTERN_THRESHOLD = 1
MAX_PATTERN_THRESHOLD = 50
REPEATED_CONTACT = 2  # attempts by one person that make a pattern on their own


@dataclass(frozen=True)
class ContactAttemptFact:
    """What the pattern rules need to know of a contact attempt."""

    record_id: UUID
    at: datetime
    from_person_id: UUID | None


@dataclass(frozen=True)
class PatternFlag:
    kind: str  # low_level_concerns, contact_attempts or repeated_contact
    count: int
    threshold: int
    since: date
    record_ids: tuple[UUID, ...]
    explanation: str


def pattern_threshold(configured: int, asked: int | None) -> int:
    """The threshold a reader asked for, or else the trust's; from 1 to 50."""
    limit = configured if asked is None else asked
    if not MIN_PATTERN_THRESHOLD <= limit <= MAX_PATTERN_THRESHOLD:
        raise ValidationFailed(
            "threshold", f"must be from {MIN_PATTERN_THRESHOLD} to {MAX_PATTERN_THRESHOLD}"
        )
    return limit


def pattern_since(now: datetime) -> datetime:
    """The start of the window the pattern rules count in."""
    return now - PATTERN_WINDOW


def _flag(
    kind: str, record_ids: Sequence[UUID], threshold: int, since: date, explanation: str
) -> PatternFlag:
    """A flag on the records that reached ``threshold``: their count is the flag's."""
    return PatternFlag(
        kind=kind,
        count=len(record_ids),
        threshold=threshold,
        since=since,
        record_ids=tuple(record_ids),
        explanation=explanation,
    )


def staff_pattern_flags(
    since: datetime,
    threshold: int,
    concern_ids: Sequence[UUID],
    contact_attempts: Sequence[ContactAttemptFact] | None,
) -> list[PatternFlag]:
    """The flags raised by the low-level concerns raised since ``since`` (those the reader may
    see) and the contact attempts (``None`` when the reader may not see social media)."""
    day = since.date()
    flags: list[PatternFlag] = []
    if len(concern_ids) >= threshold:
        flags.append(
            _flag(
                "low_level_concerns",
                concern_ids,
                threshold,
                day,
                f"{len(concern_ids)} low-level concerns in the last 12 months "
                f"(threshold {threshold}): review whether together they meet the harm threshold",
            )
        )
    if contact_attempts is None:
        return flags
    attempts = [a for a in contact_attempts if a.at >= since]
    if len(attempts) >= threshold:
        flags.append(
            _flag(
                "contact_attempts",
                [a.record_id for a in attempts],
                threshold,
                day,
                f"{len(attempts)} attempts by pupils or parents to contact a "
                f"personal account in the last 12 months (threshold {threshold})",
            )
        )
    by_person: dict[UUID, list[ContactAttemptFact]] = {}
    for attempt in attempts:
        if attempt.from_person_id is not None:
            by_person.setdefault(attempt.from_person_id, []).append(attempt)
    for person, theirs in by_person.items():
        if len(theirs) >= REPEATED_CONTACT:
            flags.append(
                _flag(
                    "repeated_contact",
                    [a.record_id for a in theirs],
                    REPEATED_CONTACT,
                    day,
                    f"{person} tried to make contact {len(theirs)} times in the last 12 months",
                )
            )
    return flags

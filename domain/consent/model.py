"""Image and video consent (docs/rules.md §6 to §7; seed 001 §7): the vocabulary, and the one rule
that turns a history of decisions into an answer for an instant.

The rule, stated once here and in the README:

- Every decision is effective from when it was *received* (``effective_at``), not from when it
  was typed in. The answer at instant ``t`` looks only at decisions effective at or before ``t``
  (ties broken by the order they were recorded), so nothing that happens later can change it.
- Each person who has decided (the pupil, who may decide once assessed competent; each person
  with parental responsibility) has a standing decision per medium and channel: their latest
  one. It stands until they change it, even if a later assessment or a change of parental
  responsibility means they could not make a new one.
- **Refusal wins.** If anyone's standing decision is a refusal or a withdrawal, the answer is
  refused (withdrawn), naming the most recent such decision. A competent pupil and a parent who
  disagree therefore get "refused" until the one who refused changes their mind. Not publishing
  is always lawful; publishing over an objection cannot be undone (posts are removed only
  "wherever reasonably practicable").
- Otherwise, if anyone's standing decision is a grant, the answer is granted, naming the most
  recent grant. Otherwise there is no record.
- Consent lapses when the pupil leaves (seed 001 §7.1): from the end of the London day they
  left, the answer is lapsed, whatever was decided.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from itertools import product
from typing import NamedTuple
from uuid import UUID


class Medium(StrEnum):
    PHOTO = "photo"
    VIDEO = "video"


class ConsentChannel(StrEnum):
    """Where an image may be used (seed 001 §7.11; docs/rules.md §6)."""

    SCHOOL_SOCIAL_MEDIA = "school_social_media"
    TRUST_SOCIAL_MEDIA = "trust_social_media"
    SCHOOL_WEBSITE = "school_website"
    PROSPECTUS_MARKETING = "prospectus_marketing"
    PRESS = "press"


ALL_COMBINATIONS: tuple[tuple[Medium, ConsentChannel], ...] = tuple(product(Medium, ConsentChannel))


class Decision(StrEnum):
    GRANTED = "granted"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class ConsentStatus(StrEnum):
    GRANTED = "granted"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    LAPSED = "lapsed"
    NO_RECORD = "no_record"


class ConsenterKind(StrEnum):
    PUPIL = "pupil"
    PARENT_CARER = "parent_carer"


class ConsentMethod(StrEnum):
    """Consent and its withdrawal are in writing (seed 001 §7.4)."""

    PAPER_FORM = "paper_form"
    ONLINE_FORM = "online_form"
    EMAIL = "email"
    LETTER = "letter"


class RiskAssessmentApprover(StrEnum):
    """Who approves a new channel's risk assessment (docs/rules.md §7)."""

    HEADTEACHER = "headteacher"
    CEO = "ceo"


class PublicationStatus(StrEnum):
    PUBLISHED = "published"
    AWAITING_APPROVAL = "awaiting_approval"
    REMOVED = "removed"


def publication_status(removed: bool, needs_approval: bool, approved: bool) -> PublicationStatus:
    """Removed, else awaiting a second colleague's approval (two-person rule), else published."""
    if removed:
        return PublicationStatus.REMOVED
    if needs_approval and not approved:
        return PublicationStatus.AWAITING_APPROVAL
    return PublicationStatus.PUBLISHED


class TakedownOutcome(StrEnum):
    REMOVED = "removed"
    NOT_PRACTICABLE = "not_practicable"


PUPIL_PARTY = "pupil"


def party_of(kind: str, parent_carer_id: UUID | None) -> str:
    """Whose decision it is: the pupil, or one named person with parental responsibility."""
    return PUPIL_PARTY if kind == ConsenterKind.PUPIL else f"parent:{parent_carer_id}"


class Ruling(NamedTuple):
    """One decision about one medium and channel, as the rule reads it. (The rule's values are
    named tuples, immutable and several times cheaper to make than frozen dataclasses: a
    posting check makes a few for each pupil on every request.)"""

    party: str
    medium: str
    channel: str
    decision: str
    effective_at: datetime
    order: int  # recording order, for decisions received at the same instant
    kind: str  # the event that made it
    record_id: UUID
    version: int
    recorded_at: datetime

    @property
    def key(self) -> tuple[datetime, int]:
        return (self.effective_at, self.order)


@dataclass(frozen=True, slots=True)
class Lapse:
    """The pupil left: consent lapses from ``effective_at``."""

    left_on: date
    effective_at: datetime
    pupil_id: UUID


@dataclass(frozen=True)
class PosterPeriod:
    """A member of staff's authorisation to post on a channel, from one instant until revoked."""

    user_id: str
    staff_member_id: UUID
    authorised_at: datetime
    revoked_at: datetime | None = None

    def covers(self, at: datetime) -> bool:
        return self.authorised_at <= at and (self.revoked_at is None or at < self.revoked_at)


class Answer(NamedTuple):
    status: ConsentStatus
    deciding: Ruling | None = None
    lapse: Lapse | None = None

    @property
    def may_publish(self) -> bool:
        return self.status is ConsentStatus.GRANTED


def standing(rulings: Iterable[Ruling], at: datetime) -> dict[str, Ruling]:
    """Each party's latest decision effective at or before ``at`` (one medium and channel)."""
    latest: dict[str, Ruling] = {}
    for r in rulings:
        if r.effective_at <= at and (r.party not in latest or r.key > latest[r.party].key):
            latest[r.party] = r
    return latest


def decide(standing_rulings: Iterable[Ruling], lapse: Lapse | None, at: datetime) -> Answer:
    """The rule (module docstring) over each party's standing decision at ``at``."""
    if lapse is not None and lapse.effective_at <= at:
        return Answer(ConsentStatus.LAPSED, lapse=lapse)
    rulings = list(standing_rulings)
    refusals = [r for r in rulings if r.decision != Decision.GRANTED]
    if refusals:
        last = max(refusals, key=lambda r: r.key)
        return Answer(ConsentStatus(last.decision), deciding=last)
    if rulings:
        return Answer(ConsentStatus.GRANTED, deciding=max(rulings, key=lambda r: r.key))
    return Answer(ConsentStatus.NO_RECORD)


def answer_at(rulings: Iterable[Ruling], lapse: Lapse | None, at: datetime) -> Answer:
    """The answer for one medium and channel at ``at`` from its whole history."""
    return decide(standing(rulings, at).values(), lapse, at)

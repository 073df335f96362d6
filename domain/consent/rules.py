"""The consent feature's rules that are not the consent rule itself (``model.answer_at``): who
may post on a channel and run its posting check, and how many pupils one post may name. Pure
functions of plain values (authorisation periods, grants, a place, an instant), so the commands
and the posting check's read decide by the same code."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from domain.consent.model import PosterPeriod
from domain.shared.calendar import academic_year_starts
from domain.shared.errors import NotAuthorised, ValidationFailed
from domain.shared.policy import Action, Grant, Principal, Target, authorise, permits

MAX_PUPILS_PER_PUBLICATION = 200


def at_school(target: Target) -> Target:
    """The school of ``target`` itself, without the people the action is about."""
    return Target(target.trust_id, target.school_id)


def may_post(
    authorisations: Iterable[PosterPeriod], grants: Iterable[Grant], school: Target, at: datetime
) -> bool:
    """A poster's own right on a channel: one of their authorisations on it covers ``at`` and
    they hold a role at the channel's school (``school``)."""
    return any(p.covers(at) for p in authorisations) and any(g.reaches(school) for g in grants)


def posting_check_detailed(
    principal: Principal,
    target: Target,
    authorisations: Iterable[PosterPeriod],
    now: datetime,
) -> bool:
    """Whether ``principal`` sees why in a posting check on ``target`` (the channel's school and
    the pupils asked about): True for the school's data lead, DSLs and headteacher; False for a
    member of staff authorised on the channel now, who sees yes or no. NotAuthorised for anyone
    else, and for a caller who is one of the pupils asked about."""
    detailed = permits(principal, Action.CHECK_POSTING, target)
    if not detailed and not may_post(authorisations, principal.grants, at_school(target), now):
        authorise(principal, Action.CHECK_POSTING, target)
    if target.subject_ids & principal.subject_of:
        raise NotAuthorised()
    return detailed


def check_posting_check_size(count: int) -> None:
    """A posting check names from one pupil to as many as one post may show."""
    if not 1 <= count <= MAX_PUPILS_PER_PUBLICATION:
        raise ValidationFailed("pupilIds", f"name from 1 to {MAX_PUPILS_PER_PUBLICATION} pupils")


def has_record_by(first_received_at: datetime | None, at: datetime) -> bool:
    """A pupil has a consent record at ``at`` once any decision about them was received."""
    return first_received_at is not None and first_received_at <= at


def current_for_year(
    year: str, confirmed_years: Iterable[str], last_received_at: datetime | None
) -> bool:
    """A pupil's record is current for an academic year (e.g. 2026/27) once the data lead
    confirmed it for that year, or a decision was received during it."""
    return year in confirmed_years or (
        last_received_at is not None and last_received_at >= academic_year_starts(year)
    )


def posted_after_withdrawal(posted_at: datetime, withdrawal_received_at: datetime) -> bool:
    """A post published after the withdrawal was received (recorded late): a breach to report
    to the data protection officer."""
    return posted_at >= withdrawal_received_at

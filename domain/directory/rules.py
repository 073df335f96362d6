"""The directory's rules, as pure functions of plain values: which year groups, relationships
and ages a record may carry, and what the policy decides on for a person record."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from domain.shared.policy import Target

YEAR_GROUPS = range(-2, 14)  # N1 = -2, N2 = -1, Reception = 0, Years 1 to 13
RELATIONSHIPS = (
    "mother",
    "father",
    "parent",
    "step-parent",
    "grandparent",
    "carer",
    "foster carer",
    "guardian",
    "other",
)
# The ages, in years, a pupil's date of birth may give on the day they are registered.
PUPIL_AGE_YEARS = (1, 26)
# The longest reason for leaving a member of staff's record may carry.
LEAVING_REASON_MAX = 2000


def is_year_group(year_group: int) -> bool:
    """A year group a pupil may be in: -2 (N1), -1 (N2), 0 (Reception) to 13."""
    return year_group in YEAR_GROUPS


def is_relationship(relationship: str) -> bool:
    """A relationship a parent or carer may have to a pupil."""
    return relationship in RELATIONSHIPS


def age_in_years(date_of_birth: date, today: date) -> float:
    """An age in years, counting a year as 365.25 days."""
    return (today - date_of_birth).days / 365.25


def is_pupil_age(date_of_birth: date, today: date) -> bool:
    """Whether a date of birth gives a pupil's age on ``today`` (from 1 to 26 years)."""
    youngest, oldest = PUPIL_AGE_YEARS
    return youngest <= age_in_years(date_of_birth, today) <= oldest


def school_target(trust_id: UUID, school_id: UUID) -> Target:
    """What the policy decides on for a school: its tenancy."""
    return Target(trust_id, school_id)


def person_target(trust_id: UUID, school_id: UUID | None, person_id: UUID) -> Target:
    """What the policy decides on for a person's record (a pupil, a member of staff): its
    tenancy, and the person it is about, who never reads it."""
    return Target(trust_id, school_id, frozenset({person_id}))

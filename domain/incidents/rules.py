"""The incidents' rules as pure functions of plain values: who works on or reads an incident,
when its triage is due, and the pattern flags' limits and what each flag says.

The API asks these; the incidents view's SQL builds on the same constants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.shared.calendar import add_working_days
from domain.shared.errors import ValidationFailed
from domain.shared.policy import Action


def incident_action(concerns_staff_conduct: bool, *, managing: bool) -> Action:
    """The action that authorises working on (``managing``) or reading an incident: one about
    a member of staff's conduct is the headteacher's, outside the DSL's views."""
    if concerns_staff_conduct:
        return Action.HANDLE_STAFF_CONDUCT_INCIDENT
    return Action.MANAGE_INCIDENT if managing else Action.VIEW_INCIDENT


# --- triage -----------------------------------------------------------------------------------

TRIAGE_WORKING_DAYS = 1  # an incident is triaged within one working day of its report


def triage_due_at(reported_at: datetime) -> datetime:
    """When the triage of an incident reported at ``reported_at`` is due."""
    return add_working_days(reported_at, TRIAGE_WORKING_DAYS)


def triage_overdue(reported_at: datetime, now: datetime) -> bool:
    """Whether an untriaged incident reported at ``reported_at`` has waited past its due time."""
    return triage_due_at(reported_at) < now


# --- pattern flags ----------------------------------------------------------------------------


class PatternKind(StrEnum):
    PUPIL_REPEATED = "pupil_repeated"  # a pupil in many incidents
    PLATFORM_SPIKE = "platform_spike"  # a platform's incidents well above its usual rate
    GROUP_REPEATED = "group_repeated"  # two pupils together in many incidents


MIN_THRESHOLD = 2  # a count of one is no pattern
MAX_WINDOW_DAYS = 3660  # about ten years

DEFAULT_PUPIL_THRESHOLD = 3
DEFAULT_PUPIL_WINDOW_DAYS = 90
DEFAULT_SPIKE_WINDOW_DAYS = 7
DEFAULT_SPIKE_BASELINE_WEEKS = 8
DEFAULT_SPIKE_FACTOR = 2.0
DEFAULT_SPIKE_MINIMUM = 3
DEFAULT_GROUP_THRESHOLD = 3
DEFAULT_GROUP_WINDOW_DAYS = 180


@dataclass(frozen=True)
class PatternLimits:
    """The thresholds and windows of the pattern flags (adjustable by the reader); refused with
    ``ValidationFailed`` naming the argument when out of range."""

    pupil_threshold: int = DEFAULT_PUPIL_THRESHOLD
    pupil_window_days: int = DEFAULT_PUPIL_WINDOW_DAYS
    spike_window_days: int = DEFAULT_SPIKE_WINDOW_DAYS
    spike_baseline_weeks: int = DEFAULT_SPIKE_BASELINE_WEEKS
    spike_factor: float = DEFAULT_SPIKE_FACTOR
    spike_minimum: int = DEFAULT_SPIKE_MINIMUM
    group_threshold: int = DEFAULT_GROUP_THRESHOLD
    group_window_days: int = DEFAULT_GROUP_WINDOW_DAYS

    def __post_init__(self) -> None:
        for name, value in (
            ("pupilThreshold", self.pupil_threshold),
            ("groupThreshold", self.group_threshold),
            ("spikeMinimum", self.spike_minimum),
        ):
            if value < MIN_THRESHOLD:
                raise ValidationFailed(name, f"must be at least {MIN_THRESHOLD}")
        for name, value in (
            ("pupilWindowDays", self.pupil_window_days),
            ("spikeWindowDays", self.spike_window_days),
            ("spikeBaselineWeeks", self.spike_baseline_weeks),
            ("groupWindowDays", self.group_window_days),
        ):
            if not 1 <= value <= MAX_WINDOW_DAYS:
                raise ValidationFailed(name, f"must be from 1 to {MAX_WINDOW_DAYS}")

    def pupil_since(self, now: datetime) -> datetime:
        """The start of the window in which a pupil's incidents are counted."""
        return now - timedelta(days=self.pupil_window_days)

    def group_since(self, now: datetime) -> datetime:
        """The start of the window in which two pupils' incidents together are counted."""
        return now - timedelta(days=self.group_window_days)

    def explanation(self, kind: str, count: int) -> str:
        """What a flag of ``kind`` with ``count`` incidents says, in the limits that raised it."""
        if kind == PatternKind.PUPIL_REPEATED:
            return (
                f"in {count} incidents within {self.pupil_window_days} days "
                f"(threshold {self.pupil_threshold})"
            )
        if kind == PatternKind.PLATFORM_SPIKE:
            return (
                f"{count} incidents in {self.spike_window_days} days, at least "
                f"{self.spike_factor}x the weekly rate of the previous "
                f"{self.spike_baseline_weeks} weeks"
            )
        if kind == PatternKind.GROUP_REPEATED:
            return (
                f"together in {count} incidents within {self.group_window_days} days "
                f"(threshold {self.group_threshold})"
            )
        raise ValueError(f"no pattern flag is of kind {kind!r}")

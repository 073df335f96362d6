"""What a run is asked for (:class:`Options`) and what it answers (:class:`Generated`, with a
:class:`SchoolSample` of ids per school for the benchmarks to query)."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Options:
    schools: int = 200
    schools_per_trust: int = 10
    pupils_per_school: int = 300
    staff_per_school: int = 30
    min_events: int = 500_000  # incidents fill each school's share of this
    academic_years: int = 2  # full academic years before the current one
    seed: int = 20240901
    simulated_clock: bool = True
    consent: bool = True  # image and video consent, channels and publications (on top)
    workers: int = 0  # processes running commands side by side (0: one more than the CPUs)
    commands_per_transaction: int = 100  # 1: each command in its own, as in service


@dataclass
class SchoolSample:
    """Ids a benchmark can query: a school, its DSL, and pupils it can name or look up."""

    trust_id: str
    school_id: str
    school_name: str
    dsl_user_id: str
    deputy_user_id: str
    incidents: int  # incidents about pupils (not staff conduct)
    open_incidents: int
    pupil_ids: list[str]  # pupils on roll, for new reports
    repeat_pupil_ids: list[str]  # pupils in the most incidents, most first
    repeat_pupil_incidents: list[int]
    data_lead_user_id: str = ""
    roll_pupil_ids: list[str] = field(default_factory=list)  # every pupil on roll now
    channel_id: str | None = None  # its social media channel (None: no consent data)
    poster_user_id: str | None = None  # a member of staff authorised to post on it
    consent_records: int = 0  # pupils with a consent record
    publications: int = 0


@dataclass
class Generated:
    events: int
    seconds: float
    counts: dict[str, int]
    schools: list[SchoolSample] = field(repr=False)
    catch_up_seconds: dict[str, float] = field(default_factory=dict)
    analyze_seconds: float | None = None

    def typical(self, count: int = 1) -> list[SchoolSample]:
        """Schools with a typical number of incidents: the median first, then its neighbours."""
        ordered = sorted(self.schools, key=lambda s: (s.incidents, s.school_id))
        middle = len(ordered) // 2
        by_distance = sorted(range(len(ordered)), key=lambda i: (abs(i - middle), i))
        return [ordered[i] for i in by_distance[:count]]

    def summary(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "seconds": round(self.seconds, 1),
            "counts": self.counts,
            "catch_up_seconds": {k: round(v, 1) for k, v in self.catch_up_seconds.items()},
            "analyze_seconds": None
            if self.analyze_seconds is None
            else round(self.analyze_seconds, 1),
            "incidents_per_school": {
                "min": min(s.incidents for s in self.schools),
                "median": statistics.median(s.incidents for s in self.schools),
                "max": max(s.incidents for s in self.schools),
            },
            "sample": [
                asdict(s)
                | {
                    "pupil_ids": s.pupil_ids[:5],
                    "more_pupil_ids": len(s.pupil_ids) - 5,
                    "roll_pupil_ids": s.roll_pupil_ids[:5],
                    "more_roll_pupil_ids": max(0, len(s.roll_pupil_ids) - 5),
                }
                for s in self.typical(2)
            ],
        }

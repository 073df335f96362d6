"""What each incident event says in a chronology: KCSIE record keeping — when, who, what
happened, the decision and its rationale. Pure: the view and the tests share it.

A summary is stored in plain, so it says only what is plain anyway: kinds, categories, counts,
dates and ids. Free text (a platform, a reason) stays in the sealed fields, and an evidence
file's fingerprint in its sealed record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.incidents.aggregates import Incident
from domain.shared.sealing import Sealed


@dataclass(frozen=True)
class Entry:
    kind: str
    summary: str
    what: Sealed | None = None
    decision: Sealed | None = None
    rationale: Sealed | None = None


def _words(code: str) -> str:
    return code.replace("_", " ")


def entry_for(event: Any) -> Entry | None:
    """The chronology entry an incident event makes, or None if it makes none."""
    if isinstance(event, Incident.Reported):
        where = "on site" if event.on_site else "off site"
        return Entry(
            "reported",
            f"Reported: {_words(event.category)}, {where} "
            f"({_words(event.source)}, {event.device} device)",
            what=event.description,
        )
    if isinstance(event, Incident.Triaged):
        threshold = "meets" if event.meets_cp_threshold else "does not meet"
        summary = f"Triaged: risk {event.risk}; {threshold} the child-protection threshold"
        if event.category_reason is not None:
            summary += f"; category corrected to {_words(event.category)}"
        return Entry("triaged", summary, what=event.category_reason, rationale=event.rationale)
    if isinstance(event, Incident.ActionRecorded):
        summary = _words(event.kind).capitalize()
        if event.planned:
            summary = f"Planned: {summary.lower()}, due {event.due_on}"
        if event.completes is not None:
            summary += " (completes a planned action)"
        if event.outcome_code:
            summary += f": {_words(event.outcome_code).capitalize()}"
        return Entry(
            f"action:{event.kind}", summary, decision=event.decision, rationale=event.rationale
        )
    if isinstance(event, Incident.EvidenceAttached):
        return Entry(
            "evidence",
            f"Evidence attached ({event.content_type}, {event.size} bytes)",
            what=event.note,
        )
    if isinstance(event, Incident.Linked):
        return Entry(
            "linked", f"Linked to incident {event.other_incident_id}", rationale=event.reason
        )
    if isinstance(event, Incident.Closed):
        return Entry(
            "closed",
            "Closed",
            what=event.outcome,
            decision=event.lessons_learnt,
            rationale=event.policy_changes,
        )
    if isinstance(event, Incident.Reopened):
        return Entry("reopened", "Reopened", rationale=event.reason)
    return None

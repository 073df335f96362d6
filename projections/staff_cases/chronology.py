"""What each allegation and low-level concern event says in its case chronology: when, who,
what happened, the decision and its rationale. Pure: the view and the tests share it.

A summary is stored as it is shown, except for the personal data it quotes: the login it names
(a case manager, a new team member, a concern's recipient) and free text (a LADO or DBS
reference, a team member's responsibility) are kept apart, sealed, and the summary holds
``{named}`` and ``{detail}`` in their place: :func:`summary_text` puts them back for a reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.shared.sealing import Erased
from domain.staff_cases.allegations import Allegation
from domain.staff_cases.concerns import LowLevelConcern
from domain.staff_cases.model import Text
from projections.incidents.chronology import Entry

NAMED = "{named}"
DETAIL = "{detail}"
ERASED_TEXT = "[erased]"


@dataclass(frozen=True)
class CaseEntry(Entry):
    named: str | None = None  # the login the summary's {named} stands for
    detail: Text | None = None  # what the summary's {detail} stands for


def summary_text(summary: str, named: str | Erased | None, detail: str | Erased | None) -> str:
    """The summary a reader sees, with the login it names and the detail it quotes opened."""
    for placeholder, opened in ((NAMED, named), (DETAIL, detail)):
        if placeholder in summary:
            text = opened if isinstance(opened, str) else ERASED_TEXT
            summary = summary.replace(placeholder, text)
    return summary


def _words(code: str) -> str:
    return code.replace("_", " ")


def _tests_met(tests: dict[str, bool]) -> str:
    met = [_words(name) for name, value in tests.items() if value]
    return ", ".join(met) if met else "none"


def _children_named(children: list[dict[str, Any]]) -> str:
    """How many children, and how many in each relationship: never who they are."""
    counts: dict[str, int] = {}
    for child in children:
        counts[child["relationship"]] = counts.get(child["relationship"], 0) + 1
    parts = ", ".join(f"{n} {_words(relationship)}" for relationship, n in sorted(counts.items()))
    return f"children concerned: {len(children)} ({parts})"


def details_changed(event: Any) -> list[str]:
    """The referral details an event gives (at receipt, or amended), in words: the children by
    count and relationship, the answers as given, and the free text by name only (its words are
    sealed; the allegation shows them)."""
    changed = [_children_named(event.children)] if event.children else []
    if event.location is not None:
        changed.append("location")
    if event.more_than_one_incident is not None:
        changed.append(f"more than one incident: {_words(event.more_than_one_incident)}")
    if event.after_physical_intervention is not None:
        changed.append(
            "after an authorised physical intervention: "
            + _words(event.after_physical_intervention)
        )
    if event.injury is not None:
        changed.append("injury")
    if event.others_told is not None:
        changed.append("who else was told")
    return changed


def entry_for(event: Any) -> CaseEntry | None:
    """The chronology entry a staff-case event makes, or None if it makes none."""
    if isinstance(event, Allegation.Received):
        origin = (
            f"escalated from {len(event.from_concerns)} low-level concern(s)"
            if event.from_concerns
            else f"from {_words(event.source)} by {_words(event.received_via)}"
        )
        given = details_changed(event)
        return CaseEntry(
            "received",
            f"Allegation received ({origin}); harm tests met: {_tests_met(event.harm_tests)}; "
            f"case manager {NAMED} ({_words(event.case_manager_basis)}); "
            f"LADO to be consulted by {event.lado_due_on}"
            + (f"; details given: {'; '.join(given)}" if given else ""),
            named=event.case_manager,
            what=event.description,
        )
    if isinstance(event, Allegation.DetailsRecorded):
        return CaseEntry("details", "Details recorded: " + "; ".join(details_changed(event)))
    if isinstance(event, Allegation.ReferralExported):
        return CaseEntry(
            "referral_exported",
            f"Referral evidence exported to {DETAIL}: bundle fingerprint {event.fingerprint}, "
            f"{len(event.heads)} record(s) committed at their current versions",
            detail=event.recipient,
        )
    if isinstance(event, Allegation.EvidenceAttached):
        # The file's name is free text: sealed in its record, never in the summary.
        return CaseEntry(
            "evidence",
            f"Supporting document attached ({event.content_type}, {event.size} bytes)",
            what=event.note,
        )
    if isinstance(event, Allegation.CaseManagerAssigned):
        return CaseEntry(
            "case_manager",
            f"Case manager changed to {NAMED}",
            named=event.user_id,
            rationale=event.reason,
        )
    if isinstance(event, Allegation.CaseTeamMemberAdded):
        return CaseEntry(
            "case_team",
            f"{NAMED} added to the case team ({DETAIL})",
            named=event.user_id,
            detail=event.responsibility,
        )
    if isinstance(event, Allegation.LadoConsulted):
        return CaseEntry(
            "lado_consulted",
            f"LADO consulted, reference {DETAIL}" if event.reference else "LADO consulted",
            detail=event.reference,
            what=event.lado_name,
            decision=event.agreed_action,
            rationale=event.advice,
        )
    if isinstance(event, Allegation.ActionRecorded):
        ref = f" (reference {DETAIL})" if event.reference else ""
        return CaseEntry(
            f"action:{event.kind}",
            _words(event.kind).capitalize() + ref,
            detail=event.reference,
            decision=event.decision,
            rationale=event.rationale,
        )
    if isinstance(event, Allegation.StrategyDiscussionHeld):
        return CaseEntry(
            "strategy_discussion",
            "Strategy discussion held",
            what=event.attendees,
            decision=event.decisions,
            rationale=event.actions,
        )
    if isinstance(event, Allegation.SuspensionConsidered):
        return CaseEntry(
            "suspension_considered",
            f"Suspension considered: {_words(event.decision)}",
            what=event.alternatives,
            rationale=event.rationale,
        )
    if isinstance(event, Allegation.OutcomeRecorded):
        return CaseEntry(
            "outcome",
            f"Outcome: {event.outcome}",
            what=event.summary,
            rationale=event.rationale,
        )
    if isinstance(event, Allegation.ReferenceDeclared):
        cited = "will" if event.will_be_referred_to else "will not"
        return CaseEntry(
            "reference_declaration",
            f"Reference declaration: it {cited} be referred to in future references",
            what=event.declaration,
        )
    if isinstance(event, Allegation.RetentionConsentRecorded):
        return CaseEntry(
            "retention_consent",
            f"The subject consented to retention ({_words(event.method)})",
            what=event.note,
        )
    if isinstance(event, Allegation.LessonsLearntRecorded):
        return CaseEntry(
            "lessons_learnt", "Lessons-learnt review", what=event.lessons, decision=event.changes
        )
    if isinstance(event, Allegation.Closed):
        return CaseEntry("closed", "Closed", what=event.note)
    if isinstance(event, LowLevelConcern.Raised):
        how = "self-reported" if event.self_reported else "raised by a colleague"
        if event.screening is not None:
            how = "received as an allegation; no harm test met, so recorded as a low-level concern"
        return CaseEntry(
            "raised",
            f"Low-level concern {how}; received by {NAMED}",
            named=event.recipient,
            what=event.details,
            rationale=event.context,
        )
    if isinstance(event, LowLevelConcern.Reviewed):
        return CaseEntry(
            "reviewed", "Reviewed", decision=event.action_taken, rationale=event.rationale
        )
    if isinstance(event, LowLevelConcern.Escalated):
        return CaseEntry("escalated", f"Escalated to allegation {event.allegation_id}")
    if isinstance(event, LowLevelConcern.Closed):
        return CaseEntry("closed", "Closed", what=event.note)
    return None

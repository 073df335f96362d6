"""What a LADO referral bundle says: the referral form's fields, the chronology's entries, the
pseudonyms of the children who are not the allegation's, and for every exported event the
fields the bundle shows (docs/rules.md §13). Pure: plain values in, plain values out.

A gathered :class:`Case` holds the events of every aggregate the bundle draws on (the
allegation, the low-level concerns it came from, the adult's other concerns and allegations,
and the directory records it names), each event's fields opened (a sealed value whose key is
gone reads as :data:`~domain.shared.sealing.ERASED`), and the directory's names as plain values.

Rules:

- The referral has every field the forms ask for, in the forms' order; a field the record does
  not hold is present and empty (``""``, ``[]`` or ``None``), never a guess. The record holds
  no reporter's identity: who made the allegation is its source and how it came, and an
  anonymous source says so.
- A pupil named in the exported records who is not one of the allegation's children is shown
  as "Child A", "Child B", ... in the order they first appear (store order, then field order,
  then place in the text), the same in every file.
- An event's field is disclosed only if the bundle shows it, it holds nothing erased, and it
  neither holds nor names a pupil who is not one of the allegation's children.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from string import ascii_uppercase
from typing import Any
from uuid import UUID

from domain.lado.contents import Contents, ExportedEvent
from domain.shared.sealing import Erased
from domain.staff_cases.rules import erasure_due

ERASED_TEXT = "[erased]"
NAMED = "{named}"
DETAIL = "{detail}"
# Who raised a concern whose reporter asked not to be named to its subject: not even their role.
WITHHELD = "the reporter (asked not to be named to the subject)"

Opened = str | Erased | None


@dataclass(frozen=True)
class Wording:
    """What the case chronology says of an event (projections.staff_cases.chronology): the
    summary with ``{named}`` and ``{detail}`` in place of who it names and what it quotes,
    and its free text opened."""

    summary: str
    named: Opened = None
    detail: Opened = None
    what: Opened = None
    decision: Opened = None
    rationale: Opened = None


@dataclass(frozen=True)
class Event:
    """One stored event: where it is, what it is (``topic``: its class, ``Allegation.Received``),
    who acted (their role), its fields opened, and its chronology wording if it has one."""

    position: int
    aggregate_id: UUID
    version: int
    topic: str
    recorded_at: datetime
    actor_role: str
    fields: Mapping[str, Any]
    wording: Wording | None = None


@dataclass(frozen=True)
class Parent:
    full_name: Opened
    relationship: str
    parental_responsibility: bool


@dataclass(frozen=True)
class Pupil:
    pupil_id: UUID
    full_name: Opened
    date_of_birth: Opened
    year_group: int | None
    parents: tuple[Parent, ...] = ()


@dataclass(frozen=True)
class Adult:
    staff_member_id: UUID
    full_name: Opened
    staff_role: str
    started_on: date | None


@dataclass(frozen=True)
class Case:
    """A case as gathered from the record. ``pupils`` is every pupil of the school, by id (for
    the children concerned and for the names free text may hold); ``named`` gives the DSL,
    headteacher and chair of governors' names, empty where the record names none;
    ``case_manager`` the case manager's name."""

    allegation_id: UUID
    trust_id: UUID
    school_id: UUID | None
    trust_name: str
    school_name: str
    school_urn: str
    adult: Adult
    events: Sequence[Event]
    pupils: Mapping[UUID, Pupil]
    dsl: Opened = None
    headteacher: Opened = None
    chair: Opened = None
    case_manager: Opened = None
    linked_concerns: frozenset[UUID] = field(default_factory=frozenset)

    def of(self, aggregate_id: UUID) -> list[Event]:
        return [e for e in self.events if e.aggregate_id == aggregate_id]


def left_out(events: Sequence[Event]) -> bool:
    """Whether an earlier allegation of the adult stays out of the bundle: found malicious or
    false without their consent to its retention, it is off their personnel record (KCSIE
    Part four, docs/rules.md §3.6), and so out of the referral too."""
    outcome = next(
        (e.fields.get("outcome") for e in events if e.topic == "Allegation.OutcomeRecorded"), None
    )
    consented = any(e.topic == "Allegation.RetentionConsentRecorded" for e in events)
    return erasure_due(outcome, consented)


def case_reference(case: Case) -> str:
    """The reference the LADO gave at the last consultation that recorded one, else the
    allegation's id."""
    show = _Shower(case)
    given = [
        e.fields.get("reference")
        for e in case.of(case.allegation_id)
        if e.topic == "Allegation.LadoConsulted"
    ]
    known = [show.text(r) for r in given if isinstance(r, str) and r.strip()]
    return known[-1] if known else str(case.allegation_id)


# --- the children -------------------------------------------------------------------------


def children_of(case: Case) -> list[dict[str, Any]]:
    """The allegation's children as last recorded (at receipt, or the last amendment)."""
    children: list[dict[str, Any]] = []
    for event in case.of(case.allegation_id):
        given = event.fields.get("children")
        if event.topic == "Allegation.Received":
            children = list(given or [])
        elif event.topic == "Allegation.DetailsRecorded" and given is not None:
            children = list(given)
    return children


def concerned(case: Case) -> set[UUID]:
    return {_uuid(child["pupil_id"]) for child in children_of(case)}


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _others(case: Case) -> dict[UUID, str]:
    """The school's pupils who are not the allegation's children, with readable names."""
    mine = concerned(case)
    return {
        pupil_id: pupil.full_name
        for pupil_id, pupil in case.pupils.items()
        if pupil_id not in mine and isinstance(pupil.full_name, str) and pupil.full_name.strip()
    }


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


class _Names:
    """Finds pupils in a value: by id, or by full name in text (whole words, any case, any
    spacing between the words)."""

    def __init__(self, names: Mapping[UUID, str], ids: Iterable[UUID] = ()) -> None:
        self.ids = set(ids) | set(names)
        self.by_key: dict[str, UUID] = {}
        for pupil_id, name in names.items():
            self.by_key.setdefault(_key(name), pupil_id)
        alternatives = sorted(
            {r"\s+".join(re.escape(word) for word in name.split()) for name in names.values()},
            key=lambda alternative: (-len(alternative), alternative),
        )
        self.pattern = (
            re.compile(r"(?<!\w)(" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)
            if alternatives
            else None
        )

    def named(self, text: str) -> UUID | None:
        """Which pupil a match of the pattern names."""
        return self.by_key.get(_key(text))

    def matches(self, text: str) -> Iterator[tuple[re.Match[str], UUID]]:
        if self.pattern is None:
            return
        for match in self.pattern.finditer(text):
            pupil_id = self.named(match.group(1))
            if pupil_id is not None:
                yield match, pupil_id

    def held(self, value: Any) -> Iterator[UUID]:
        """The pupils ``value`` holds (by id) or names (by full name), in order."""
        if isinstance(value, UUID):
            if value in self.ids:
                yield value
        elif isinstance(value, str):
            for _, pupil_id in self.matches(value):
                yield pupil_id
            try:
                as_id = UUID(value)
            except ValueError:
                return
            if as_id in self.ids:
                yield as_id
        elif isinstance(value, Mapping):
            for item in value.values():
                yield from self.held(item)
        elif isinstance(value, list | tuple | set | frozenset):
            for item in value:
                yield from self.held(item)


def pseudonyms(case: Case) -> dict[UUID, str]:
    """Every pupil named in the exported records who is not one of the allegation's children:
    "Child A", "Child B", ... by first appearance."""
    names = _Names(_others(case))
    found: dict[UUID, str] = {}
    for event in case.events:
        for value in event.fields.values():
            for pupil_id in names.held(value):
                if pupil_id not in found:
                    found[pupil_id] = _letter(len(found))
    return found


def _letter(n: int) -> str:
    letters = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = ascii_uppercase[rest] + letters
    return f"Child {letters}"


class _Shower:
    """Opened values as the bundle shows them: erased as "[erased]", other pupils' names as
    their pseudonyms."""

    def __init__(self, case: Case) -> None:
        self.aliases = pseudonyms(case)
        others = _others(case)
        self.names = _Names({p: others[p] for p in self.aliases if p in others})

    def text(self, value: Opened) -> str:
        if value is None:
            return ""
        if isinstance(value, Erased):
            return ERASED_TEXT
        shown, last = [], 0
        for match, pupil_id in self.names.matches(value):
            shown += [value[last : match.start()], self.aliases[pupil_id]]
            last = match.end()
        return "".join([*shown, value[last:]])

    def optional(self, value: Opened) -> str | None:
        return None if value is None else self.text(value)


# --- the referral -------------------------------------------------------------------------

ROLE_WORDS = {
    "headteacher": "headteacher",
    "chair_of_governors": "chair of governors",
    "trust_safeguarding_lead": "trust safeguarding lead",
    "dsl": "designated safeguarding lead",
    "deputy_dsl": "deputy designated safeguarding lead",
    "dpo": "data protection officer",
    "data_lead": "data lead",
    "staff_reporter": "member of staff",
}


def role_words(held: Iterable[str]) -> str | None:
    """The words for the first role of :data:`ROLE_WORDS` among ``held`` (role values), by
    which a chronology or a cover names someone who holds several; None if none is known."""
    roles = set(held)
    return next((words for role, words in ROLE_WORDS.items() if role in roles), None)


# The staff roles that say on what basis the adult works for the school; the others (teacher,
# support, headteacher, other) do not say whether they are employed directly or by an agency.
_BASES = {"supply": "supply", "volunteer": "volunteer", "contractor": "contractor"}


def _instant(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime | date) else ""


def _service(started_on: date | None, on: date) -> str:
    if started_on is None or started_on > on:
        return ""
    months = (on.year - started_on.year) * 12 + on.month - started_on.month
    if on.day < started_on.day:
        months -= 1
    years, months = divmod(months, 12)
    return f"{years} year{'s' if years != 1 else ''} {months} month{'s' if months != 1 else ''}"


def _details(case: Case) -> dict[str, Any]:
    """The allegation's opened fields as they stand: receipt, then each amendment."""
    state: dict[str, Any] = {}
    for event in case.of(case.allegation_id):
        if event.topic == "Allegation.Received":
            state = dict(event.fields)
        elif event.topic == "Allegation.DetailsRecorded":
            state.update({k: v for k, v in event.fields.items() if v is not None})
    return state


def _history(case: Case) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The adult's low-level concerns and other allegations, with how each ended (codes and
    dates only: their words are not the referral's)."""
    concerns: dict[UUID, dict[str, Any]] = {}
    allegations: dict[UUID, dict[str, Any]] = {}
    for event in case.events:
        f, aid = event.fields, event.aggregate_id
        if event.topic == "LowLevelConcern.Raised":
            concerns[aid] = {
                "id": str(aid),
                "raised_at": _instant(event.recorded_at),
                "occurred_on": _instant(f.get("occurred_on")),
                "self_reported": bool(f.get("self_reported")),
                "status": "raised",
                "outcome": "",
                "escalated_to_this_allegation": aid in case.linked_concerns,
            }
        elif event.topic.startswith("LowLevelConcern.") and aid in concerns:
            status = {"Reviewed": "reviewed", "Escalated": "escalated", "Closed": "closed"}
            concerns[aid]["status"] = status.get(event.topic.split(".")[1], concerns[aid]["status"])
            if event.topic == "LowLevelConcern.Escalated":
                concerns[aid]["outcome"] = "escalated to an allegation"
        elif event.topic == "Allegation.Received" and aid != case.allegation_id:
            allegations[aid] = {
                "id": str(aid),
                "received_at": _instant(f.get("received_at")),
                "category": f.get("category") or "",
                "status": "open",
                "outcome": "",
            }
        elif aid in allegations:
            if event.topic == "Allegation.OutcomeRecorded":
                allegations[aid]["outcome"] = f.get("outcome") or ""
            elif event.topic == "Allegation.Closed":
                allegations[aid]["status"] = "closed"
    return list(concerns.values()), list(allegations.values())


def _events_of(case: Case, topic: str) -> list[Event]:
    return [e for e in case.of(case.allegation_id) if e.topic == topic]


def referral(case: Case) -> dict[str, Any]:
    """The referral form's fields in the forms' order (docs/rules.md §13), filled from the
    record; what the record does not hold is present and empty."""
    show = _Shower(case)
    details = _details(case)
    received_at = details.get("received_at")
    consulted = _events_of(case, "Allegation.LadoConsulted")
    linked = [e for e in case.events if e.aggregate_id in case.linked_concerns]
    raised = [e for e in linked if e.topic == "LowLevelConcern.Raised"]
    incident = sorted(
        _instant(e.fields.get("occurred_on")) for e in raised if e.fields.get("occurred_on")
    )
    concerns, allegations = _history(case)
    source = details.get("source") or ""
    suspensions = _events_of(case, "Allegation.SuspensionConsidered")
    service_on = received_at.date() if isinstance(received_at, datetime) else None
    return {
        "timing": {
            "incident": incident[0] if incident else "",
            "reported_to_referrer": _instant(received_at),
            "referral": _instant(consulted[0].fields.get("consulted_at")) if consulted else "",
        },
        "referrer": {
            "name": show.text(case.case_manager),
            "role": "case manager",
            "organisation": case.school_name,
            "trust": case.trust_name,
            "urn": case.school_urn,
            "address": "",
            "telephone": "",
            "email": "",
        },
        "designated_safeguarding_lead": {"name": show.text(case.dsl)},
        "headteacher": {"name": show.text(case.headteacher)},
        "chair_of_governors": {"name": show.text(case.chair)},
        "case_manager": {
            "name": show.text(case.case_manager),
            "basis": str(details.get("case_manager_basis") or "").replace("_", " "),
        },
        "adult": {
            "name": show.text(case.adult.full_name),
            "known_as": "",
            "date_of_birth": "",
            "role": case.adult.staff_role,
            "employer": case.trust_name,
            "employment_basis": _BASES.get(case.adult.staff_role, ""),
            "started_on": _instant(case.adult.started_on),
            "length_of_service": ""
            if service_on is None
            else _service(case.adult.started_on, service_on),
            "previous_low_level_concerns": concerns,
            "previous_allegations": allegations,
            "other_work_with_children": "",
        },
        "allegation": {
            "category": details.get("category") or "",
            "harm_tests": {
                name: bool((details.get("harm_tests") or {}).get(name, False))
                for name in ("harmed_child", "possible_offence", "risk_of_harm", "unsuitable")
            },
            "outside_work": bool(details.get("outside_work", False)),
            "more_than_one_incident": details.get("more_than_one_incident") or "",
            "after_physical_intervention": details.get("after_physical_intervention") or "",
            "location": show.text(details.get("location")),
            "made_by": {
                "source": source,
                "how": details.get("received_via") or "",
                "anonymous": source == "anonymous",
                "name": "",
                "contact": "",
                "not_to_be_named_to_the_subject": any(
                    bool(e.fields.get("withhold_name_from_subject")) for e in raised
                ),
            },
            "others_told": show.text(details.get("others_told")),
            "summary": show.text(details.get("description")),
            "injury": show.text(details.get("injury")),
            "action_so_far": {
                "actions": [
                    {
                        "kind": e.fields.get("kind") or "",
                        "taken_at": _instant(e.fields.get("taken_at")),
                        "decision": show.text(e.fields.get("decision")),
                    }
                    for e in _events_of(case, "Allegation.ActionRecorded")
                ],
                "strategy_discussions": [
                    {
                        "held_at": _instant(e.fields.get("held_at")),
                        "decisions": show.text(e.fields.get("decisions")),
                    }
                    for e in _events_of(case, "Allegation.StrategyDiscussionHeld")
                ],
                "interviews": "",
                "statements": "",
                "suspension": None
                if not suspensions
                else {
                    "considered_at": _instant(suspensions[-1].fields.get("considered_at")),
                    "decision": suspensions[-1].fields.get("decision") or "",
                    "rationale": show.text(suspensions[-1].fields.get("rationale")),
                },
            },
        },
        "children": [_child(case, show, child) for child in children_of(case)],
        "supporting_documents": [],
    }


def _child(case: Case, show: _Shower, child: Mapping[str, Any]) -> dict[str, Any]:
    pupil = case.pupils.get(_uuid(child["pupil_id"]))
    if pupil is None:
        return {
            "name": "",
            "date_of_birth": "",
            "gender": "",
            "year_group": None,
            "relationship": child.get("relationship") or "",
            "parents_carers": [],
            "professionals_involved": "",
        }
    return {
        "name": show.text(pupil.full_name),
        "date_of_birth": show.text(pupil.date_of_birth),
        "gender": "",
        "year_group": pupil.year_group,
        "relationship": child.get("relationship") or "",
        "parents_carers": [
            {
                "name": show.text(p.full_name),
                "relationship": p.relationship,
                "parental_responsibility": p.parental_responsibility,
            }
            for p in pupil.parents
        ],
        "professionals_involved": "",
    }


# --- the chronology -----------------------------------------------------------------------


def chronology(case: Case) -> list[dict[str, Any]]:
    """Every event of the allegation and the low-level concerns it came from that makes an
    entry, in store order: when, who (their role), what, decision and rationale, and the
    event's position (to find its proof)."""
    show = _Shower(case)
    mine = {case.allegation_id, *case.linked_concerns}
    entries = []
    for event in case.events:
        wording = event.wording
        if event.aggregate_id not in mine or wording is None:
            continue
        summary = wording.summary
        if NAMED in summary:
            summary = summary.replace(NAMED, show.text(wording.named) or "someone unnamed")
        if DETAIL in summary:
            summary = summary.replace(DETAIL, show.text(wording.detail))
        what = summary if wording.what is None else f"{summary}\n{show.text(wording.what)}"
        who = event.actor_role
        if event.topic == "LowLevelConcern.Raised" and event.fields.get(
            "withhold_name_from_subject"
        ):
            who = WITHHELD
        entries.append(
            {
                "position": event.position,
                "when": event.recorded_at.isoformat(),
                "who": who,
                "what": what,
                "decision": show.optional(wording.decision),
                "rationale": show.optional(wording.rationale),
            }
        )
    return entries


# --- what each exported event discloses -----------------------------------------------------

_CASE_SHOWN: dict[str, frozenset[str]] = {
    topic: frozenset(names.split())
    for topic, names in {
        "Allegation.Received": "trust_id school_id subject_id received_at source received_via "
        "category description harm_tests outside_work case_manager_basis lado_due_on "
        "from_concerns children location more_than_one_incident after_physical_intervention "
        "injury others_told",
        "Allegation.DetailsRecorded": "children location more_than_one_incident "
        "after_physical_intervention injury others_told",
        "Allegation.CaseManagerAssigned": "reason",
        "Allegation.CaseTeamMemberAdded": "responsibility",
        "Allegation.LadoConsulted": "consulted_at lado_name reference advice agreed_action",
        "Allegation.ActionRecorded": "kind taken_at reference decision rationale",
        "Allegation.StrategyDiscussionHeld": "held_at attendees decisions actions",
        "Allegation.SuspensionConsidered": "considered_at alternatives decision rationale",
        "Allegation.OutcomeRecorded": "outcome summary rationale",
        "Allegation.ReferenceDeclared": "will_be_referred_to declaration",
        "Allegation.RetentionConsentRecorded": "method note",
        "Allegation.LessonsLearntRecorded": "lessons changes",
        "Allegation.Closed": "note",
        "Allegation.ReferralExported": "export_id recipient fingerprint heads",
        "Allegation.EvidenceAttached": "file_id filename content_type size sha256 note",
        "LowLevelConcern.Raised": "trust_id school_id subject_id self_reported "
        "withhold_name_from_subject occurred_on details context",
        "LowLevelConcern.Reviewed": "action_taken rationale",
        "LowLevelConcern.Escalated": "allegation_id",
        "LowLevelConcern.Closed": "note",
    }.items()
}
# The adult's other concerns and allegations: only what the referral shows of them.
_HISTORY_SHOWN: dict[str, frozenset[str]] = {
    "Allegation.Received": frozenset({"subject_id", "received_at", "category"}),
    "Allegation.OutcomeRecorded": frozenset({"outcome"}),
    "LowLevelConcern.Raised": frozenset({"subject_id", "occurred_on", "self_reported"}),
}
_DIRECTORY_SHOWN: dict[str, frozenset[str]] = {
    "Trust.Created": frozenset({"name"}),
    "School.Registered": frozenset({"name", "urn"}),
    "StaffMember.Registered": frozenset({"full_name", "staff_role", "started_on"}),
    "Pupil.Registered": frozenset({"full_name", "date_of_birth", "year_group"}),
    "ParentCarer.Registered": frozenset({"full_name"}),
    "ParentCarer.LinkedToPupil": frozenset({"pupil_id", "relationship", "parental_responsibility"}),
}


def _holds_erased(value: Any) -> bool:
    if isinstance(value, Erased):
        return True
    if isinstance(value, Mapping):
        return any(_holds_erased(v) for v in value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return any(_holds_erased(v) for v in value)
    return False


def disclosures(case: Case) -> dict[int, frozenset[str]]:
    """By position, the fields of each exported event the bundle shows: never one it does not
    show, one holding an erased value, or one that holds or names a pupil who is not one of
    the allegation's children."""
    mine = {case.allegation_id, *case.linked_concerns}
    kinds = {e.aggregate_id: e.topic.split(".")[0] for e in case.events if e.version == 1}
    mine_children = concerned(case)
    names = _Names(_others(case), ids=(p for p in case.pupils if p not in mine_children))
    disclosed: dict[int, frozenset[str]] = {}
    for event in case.events:
        if event.aggregate_id in mine:
            table = _CASE_SHOWN
        elif kinds.get(event.aggregate_id) in ("Allegation", "LowLevelConcern"):
            table = _HISTORY_SHOWN
        else:
            table = _DIRECTORY_SHOWN
        shown = table.get(event.topic, frozenset())
        if event.fields.get("pupil_id") in names.ids:
            shown = frozenset()  # a record about a pupil the bundle does not show
        if (
            event.topic == "StaffMember.Registered"
            and event.aggregate_id != case.adult.staff_member_id
        ):
            shown = frozenset({"full_name"})  # the DSL, headteacher...: only their names
        disclosed[event.position] = frozenset(
            name
            for name in shown
            if name in event.fields
            and not _holds_erased(event.fields[name])
            and next(names.held(event.fields[name]), None) is None
        )
    return disclosed


def contents(case: Case) -> Contents:
    """The bundle's contents: referral, chronology entries, exported events with what each
    discloses, and the pseudonyms."""
    shown = disclosures(case)
    return Contents(
        allegation_id=case.allegation_id,
        case_reference=case_reference(case),
        trust_id=case.trust_id,
        school_id=case.school_id,
        school_name=case.school_name,
        referral=referral(case),
        entries=chronology(case),
        events=[
            ExportedEvent(e.position, e.aggregate_id, e.version, shown[e.position])
            for e in case.events
        ],
        pseudonyms=pseudonyms(case),
    )

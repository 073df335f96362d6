"""Staff-case queries: the only way ``api/`` reads the staff-cases view.

A case is visible to its named people (case manager and team, or a concern's recipient) while
they hold a role reaching its school, and to the oversight roles; never to its subject.
"""

from __future__ import annotations

from base64 import b64decode
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from psycopg import Connection

from domain.shared.sealing import Sealed
from domain.staff_cases.model import REMOVED_OUTCOMES, RETENTION_YEARS
from domain.staff_cases.rules import sql_list
from projections.common import Page, add_given, fetch_page, from_row, rows_of
from projections.evidence import EvidenceRow, EvidenceTable


@dataclass(frozen=True)
class CaseReader:
    """Who is reading: where they oversee, where they hold any role, and who they are (the
    blind index of their login: the view keeps no login in plain to compare with)."""

    login_ix: bytes
    oversee_trusts: Collection[UUID] = field(default_factory=frozenset)
    oversee_schools: Collection[UUID] = field(default_factory=frozenset)
    member_trusts: Collection[UUID] = field(default_factory=frozenset)
    member_schools: Collection[UUID] = field(default_factory=frozenset)
    excluded_subjects: Collection[UUID] = field(default_factory=frozenset)

    def clause(self, alias: str, named: str) -> tuple[str, list[Any]]:
        """SQL for the rows of table ``alias`` this reader sees; ``named`` is true when the
        reader is one of the case's named people."""
        sql = (
            f"({alias}.trust_id = ANY(%s) OR {alias}.school_id = ANY(%s) "
            f"OR (({alias}.trust_id = ANY(%s) OR {alias}.school_id = ANY(%s)) AND {named})) "
            f"AND {alias}.subject_id <> ALL(%s) AND {alias}.subject_user_ix IS DISTINCT FROM %s"
        )
        params: list[Any] = [
            list(self.oversee_trusts),
            list(self.oversee_schools),
            list(self.member_trusts),
            list(self.member_schools),
            self.login_ix,  # the one parameter of ``named``
            list(self.excluded_subjects),
            self.login_ix,
        ]
        return sql, params


_IS_MEMBER = (
    "EXISTS (SELECT 1 FROM sc_members m WHERE m.allegation_id = a.allegation_id AND m.user_ix = %s)"
)
_IS_RECIPIENT = "c.recipient_ix = %s"


class MemberPart(StrEnum):
    """Why someone is one of a case's named people."""

    CASE_MANAGER = "case_manager"
    RECEIVER = "receiver"  # received the allegation
    TEAM = "team"  # added to the case team, with a responsibility in the manager's words


@dataclass(frozen=True)
class Member:
    user_ix: bytes
    user_id: Sealed | None  # null once the login is erased
    part: MemberPart
    responsibility: Sealed | None  # a team member's

    @classmethod
    def from_json(cls, member: dict[str, Any]) -> Member:
        """A member as the allegation query aggregates it: JSON, its bytes in base64."""
        return cls(
            b64decode(member["user_ix"]),
            _from_base64(member["user_id"]),
            MemberPart(member["part"]),
            _from_base64(member["responsibility"]),
        )


@dataclass(frozen=True)
class ChildRow:
    """A child an allegation concerns: the pupil's record id, and how it concerns them."""

    pupil_id: UUID
    relationship: str

    @classmethod
    def from_json(cls, child: dict[str, Any]) -> ChildRow:
        return cls(UUID(child["pupil_id"]), child["relationship"])


def _from_base64(value: str | None) -> Sealed | None:
    """A sealed column aggregated into JSON (as base64)."""
    return None if value is None else Sealed.from_bytes(b64decode(value))


@dataclass(frozen=True)
class AllegationRow:
    allegation_id: UUID
    trust_id: UUID
    school_id: UUID
    subject_id: UUID
    subject_user_ix: bytes | None
    status: str
    received_at: datetime
    received_by: Sealed | None
    source: str
    received_via: str
    category: str | None
    description: Sealed
    harmed_child: bool
    possible_offence: bool
    risk_of_harm: bool
    unsuitable: bool
    outside_work: bool
    case_manager: Sealed | None
    case_manager_basis: str
    lado_due_on: date
    lado_consulted_at: datetime | None
    suspension_decision: str | None
    outcome: str | None
    outcome_at: datetime | None
    outcome_summary: Sealed | None
    reference_will_cite: bool | None
    reference_declaration: Sealed | None
    retention_consent: bool
    lessons_learnt_at: datetime | None
    closed_at: datetime | None
    version: int
    location: Sealed | None
    more_than_one_incident: str | None
    after_physical_intervention: str | None
    injury: Sealed | None
    others_told: Sealed | None
    retain_until: date | None
    members: tuple[Member, ...]
    concern_ids: tuple[UUID, ...]
    children: tuple[ChildRow, ...]


# Retention (docs/rules.md §9): normal pension age or ten years from receipt, whichever is later;
# malicious and false outcomes only when the subject consented to retention (the rule
# ``domain.staff_cases.rules.erasure_due``, on the same constant).
_RETAIN_UNTIL = (
    "CASE WHEN a.outcome IS NULL THEN NULL "
    f"WHEN a.outcome IN ({sql_list(REMOVED_OUTCOMES)}) AND NOT a.retention_consent THEN NULL "
    "ELSE GREATEST(((a.received_at AT TIME ZONE 'Europe/London') "
    f"+ interval '{RETENTION_YEARS} years')::date, "
    "(SELECT s.reaches_pension_age_on FROM sc_staff s WHERE s.staff_id = a.subject_id)) END"
)
_ALLEGATIONS = (
    f"SELECT a.*, {_RETAIN_UNTIL} AS retain_until, "
    "(SELECT coalesce(json_agg(json_build_object('user_ix', encode(m.user_ix, 'base64'), "
    "'user_id', encode(m.user_id, 'base64'), 'part', m.part, "
    "'responsibility', encode(m.responsibility, 'base64')) ORDER BY m.part, m.user_ix), '[]') "
    "FROM sc_members m "
    "WHERE m.allegation_id = a.allegation_id) AS members, "
    "(SELECT coalesce(array_agg(l.concern_id), '{}') FROM sc_case_links l "
    "WHERE l.allegation_id = a.allegation_id) AS concern_ids, "
    "(SELECT coalesce(json_agg(json_build_object('pupil_id', k.pupil_id, "
    "'relationship', k.relationship) ORDER BY k.ordinal), '[]') FROM sc_allegation_children k "
    "WHERE k.allegation_id = a.allegation_id) AS children FROM sc_allegations a"
)


def _allegation(r: Any) -> AllegationRow:
    return from_row(
        AllegationRow,
        r,
        members=tuple(Member.from_json(m) for m in r["members"]),
        children=tuple(ChildRow.from_json(c) for c in r["children"]),
    )


@dataclass(frozen=True)
class AllegationFilter:
    school_id: UUID | None = None
    subject_id: UUID | None = None
    status: str | None = None
    awaiting_lado: bool = False


def allegation(conn: Connection[Any], allegation_id: UUID) -> AllegationRow | None:
    r = conn.execute(_ALLEGATIONS + " WHERE a.allegation_id = %s", (allegation_id,)).fetchone()
    return None if r is None else _allegation(r)


def _case_conditions(
    reader: CaseReader, alias: str, named: str, where: AllegationFilter | ConcernFilter
) -> tuple[list[str], list[Any]]:
    """The cases of one kind the reader sees (``named``: as in ``CaseReader.clause``), narrowed to
    the school, subject and status the filter gives."""
    clause, params = reader.clause(alias, named)
    conditions = [clause]
    add_given(
        conditions,
        params,
        (f"{alias}.school_id = %s", where.school_id),
        (f"{alias}.subject_id = %s", where.subject_id),
        (f"{alias}.status = %s", where.status),
    )
    return conditions, params


def allegations(
    conn: Connection[Any],
    reader: CaseReader,
    where: AllegationFilter,
    first: int,
    after: int | None,
) -> Page[AllegationRow]:
    conditions, params = _case_conditions(reader, "a", _IS_MEMBER, where)
    if where.awaiting_lado:
        conditions.append("a.lado_consulted_at IS NULL AND a.status = 'open'")
    return fetch_page(
        conn, _ALLEGATIONS, conditions, params, _allegation, first, after, seq_column="a.seq"
    )


@dataclass(frozen=True)
class CaseEntryRow:
    entry_seq: int
    case_id: UUID
    at: datetime
    actor: Sealed | None
    kind: str
    summary: str  # with {named} and {detail} where it quotes ``named`` and ``detail``
    named: Sealed | None
    detail: Sealed | None
    what: Sealed | None
    decision: Sealed | None
    rationale: Sealed | None


EVIDENCE = EvidenceTable("sc_allegation_evidence", "allegation_id")


def evidence_of(conn: Connection[Any], allegation_id: UUID) -> list[EvidenceRow]:
    """An allegation's supporting documents, in the order they were attached."""
    return EVIDENCE.of(conn, allegation_id)


def evidence(conn: Connection[Any], file_id: UUID) -> EvidenceRow | None:
    return EVIDENCE.file(conn, file_id)


def entries(conn: Connection[Any], case_id: UUID) -> list[CaseEntryRow]:
    return rows_of(
        conn,
        CaseEntryRow,
        "SELECT * FROM sc_entries WHERE case_id = %s ORDER BY entry_seq",
        (case_id,),
    )


@dataclass(frozen=True)
class ConcernRow:
    concern_id: UUID
    trust_id: UUID
    school_id: UUID
    subject_id: UUID
    subject_user_ix: bytes | None
    raised_by: Sealed | None
    raised_at: datetime
    occurred_on: date | None
    self_reported: bool
    withhold_name: bool
    details: Sealed
    context: Sealed | None
    recipient: Sealed | None
    recipient_ix: bytes
    recipient_basis: str
    screened_as_allegation: bool
    status: str
    reviewed_at: datetime | None
    action_taken: Sealed | None
    rationale: Sealed | None
    escalated_to: UUID | None
    closed_at: datetime | None
    version: int
    left_on: date | None


_CONCERNS = (
    "SELECT c.*, (SELECT s.left_on FROM sc_staff s WHERE s.staff_id = c.subject_id) AS left_on "
    "FROM sc_concerns c"
)


def _concern(r: Any) -> ConcernRow:
    return from_row(ConcernRow, r)


@dataclass(frozen=True)
class ConcernFilter:
    school_id: UUID | None = None
    subject_id: UUID | None = None
    status: str | None = None
    raised_from: datetime | None = None


def concern(conn: Connection[Any], concern_id: UUID) -> ConcernRow | None:
    r = conn.execute(_CONCERNS + " WHERE c.concern_id = %s", (concern_id,)).fetchone()
    return None if r is None else _concern(r)


def _concern_conditions(reader: CaseReader, where: ConcernFilter) -> tuple[list[str], list[Any]]:
    conditions, params = _case_conditions(reader, "c", _IS_RECIPIENT, where)
    add_given(conditions, params, ("c.raised_at >= %s", where.raised_from))
    return conditions, params


def concerns(
    conn: Connection[Any],
    reader: CaseReader,
    where: ConcernFilter,
    first: int,
    after: int | None,
) -> Page[ConcernRow]:
    conditions, params = _concern_conditions(reader, where)
    return fetch_page(
        conn, _CONCERNS, conditions, params, _concern, first, after, seq_column="c.seq"
    )


def all_concerns(
    conn: Connection[Any], reader: CaseReader, where: ConcernFilter
) -> list[ConcernRow]:
    """Every concern matching ``where`` that the reader sees (for pattern flags)."""
    conditions, params = _concern_conditions(reader, where)
    rows = conn.execute(
        (_CONCERNS + " WHERE " + " AND ".join(conditions) + " ORDER BY c.raised_at").encode(),
        params,
    ).fetchall()
    return [_concern(r) for r in rows]


@dataclass(frozen=True)
class SocialRow:
    entry_seq: int
    record_id: UUID
    staff_id: UUID
    trust_id: UUID
    school_id: UUID
    kind: str
    at: datetime
    actor: Sealed | None
    platform: Sealed | None
    detail: Sealed | None
    advice: Sealed | None
    decision: Sealed | None
    outcome: str | None
    contact_from: str | None
    from_person_id: UUID | None
    ended: bool


def social_media(conn: Connection[Any], staff_id: UUID) -> list[SocialRow]:
    return rows_of(
        conn,
        SocialRow,
        "SELECT * FROM sc_social WHERE staff_id = %s ORDER BY entry_seq",
        (staff_id,),
    )


@dataclass(frozen=True)
class SchoolCaseCounts:
    school_id: UUID
    open_allegations: int
    awaiting_lado: int
    lado_overdue: int
    open_concerns: int
    allegations_this_year: int


def case_counts(
    conn: Connection[Any],
    trust_id: UUID,
    school_ids: Collection[UUID] | None,
    today: date,
    year_start: date,
    exclude_subjects: Collection[UUID],
    reader_ix: bytes,
) -> list[SchoolCaseCounts]:
    """Counts only, per school: what roles without case access may know. Cases about the
    reader are not counted, so nobody learns of a case about themselves."""
    return rows_of(
        conn,
        SchoolCaseCounts,
        "SELECT s.school_id, "
        "(SELECT count(*) FROM sc_allegations a WHERE a.school_id = s.school_id "
        " AND a.status = 'open' AND " + _not_about("a") + ") AS open_allegations, "
        "(SELECT count(*) FROM sc_allegations a WHERE a.school_id = s.school_id "
        " AND a.status = 'open' AND a.lado_consulted_at IS NULL AND " + _not_about("a") + ") "
        " AS awaiting_lado, "
        "(SELECT count(*) FROM sc_allegations a WHERE a.school_id = s.school_id "
        " AND a.status = 'open' AND a.lado_consulted_at IS NULL AND a.lado_due_on < %(today)s "
        " AND " + _not_about("a") + ") AS lado_overdue, "
        "(SELECT count(*) FROM sc_concerns c WHERE c.school_id = s.school_id "
        " AND c.status IN ('raised', 'reviewed') AND " + _not_about("c") + ") AS open_concerns, "
        "(SELECT count(*) FROM sc_allegations a WHERE a.school_id = s.school_id "
        " AND a.received_at >= %(year_start)s AND " + _not_about("a") + ") "
        " AS allegations_this_year "
        "FROM dir_schools s WHERE s.trust_id = %(trust)s "
        "AND (%(all)s OR s.school_id = ANY(%(schools)s)) ORDER BY s.name",
        {
            "trust": trust_id,
            "all": school_ids is None,
            "schools": list(school_ids or ()),
            "today": today,
            "year_start": year_start,
            "me": list(exclude_subjects),
            "reader": reader_ix,
        },
    )


def _not_about(alias: str) -> str:
    return (
        f"{alias}.subject_id <> ALL(%(me)s) AND {alias}.subject_user_ix IS DISTINCT FROM %(reader)s"
    )

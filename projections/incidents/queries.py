"""Incident queries: the only way ``api/`` reads the incidents view."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from psycopg import Connection

from domain.incidents.model import PUPIL_PARTS
from domain.incidents.rules import PatternKind, PatternLimits
from domain.shared.sealing import Sealed
from projections.common import Page, Visibility, add_given, fetch_page, from_row, rows_of
from projections.evidence import EvidenceRow, EvidenceTable


@dataclass(frozen=True)
class Involved:
    person_id: UUID
    part: str


@dataclass(frozen=True)
class IncidentRow:
    incident_id: UUID
    trust_id: UUID
    school_id: UUID
    status: str
    category: str
    risk: str | None
    meets_cp_threshold: bool | None
    source: str
    platform: Sealed | None
    on_site: bool
    device: str
    occurred_at: datetime
    reported_at: datetime
    reported_by: Sealed | None
    description: Sealed
    staff_conduct: bool
    version: int
    people: tuple[Involved, ...]

    @property
    def subject_ids(self) -> frozenset[UUID]:
        return frozenset(p.person_id for p in self.people)


_INCIDENTS = (
    "SELECT i.*, (SELECT coalesce(json_agg(json_build_object("
    "'person_id', p.person_id, 'part', p.part)), '[]') "
    "FROM inc_people p WHERE p.incident_id = i.incident_id) AS people FROM inc_incidents i"
)


def _incident(r: Any) -> IncidentRow:
    people = tuple(from_row(Involved, p, person_id=UUID(p["person_id"])) for p in r["people"])
    return from_row(IncidentRow, r, people=people)


@dataclass(frozen=True)
class IncidentFilter:
    school_id: UUID | None = None
    staff_conduct: bool = False
    status: str | None = None
    category: str | None = None
    risk: str | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    pupil_id: UUID | None = None


def incident(conn: Connection[Any], incident_id: UUID) -> IncidentRow | None:
    r = conn.execute(_INCIDENTS + " WHERE i.incident_id = %s", (incident_id,)).fetchone()
    return None if r is None else _incident(r)


def incidents(
    conn: Connection[Any], visible: Visibility, where: IncidentFilter, first: int, after: int | None
) -> Page[IncidentRow]:
    clause, params = visible.clause()
    conditions = [
        clause.replace("trust_id", "i.trust_id").replace("school_id", "i.school_id"),
        "i.staff_conduct = %s",
    ]
    params.append(where.staff_conduct)
    if visible.exclude_ids:
        conditions.append(
            "NOT EXISTS (SELECT 1 FROM inc_people x WHERE x.incident_id = i.incident_id "
            "AND x.person_id = ANY(%s))"
        )
        params.append(list(visible.exclude_ids))
    add_given(
        conditions,
        params,
        ("i.school_id = %s", where.school_id),
        ("i.status = %s", where.status),
        ("i.category = %s", where.category),
        ("i.risk = %s", where.risk),
        ("i.occurred_at >= %s", where.occurred_from),
        ("i.occurred_at < %s", where.occurred_to),
        (
            "EXISTS (SELECT 1 FROM inc_people y "
            "WHERE y.incident_id = i.incident_id AND y.person_id = %s)",
            where.pupil_id,
        ),
    )
    return fetch_page(
        conn, _INCIDENTS, conditions, params, _incident, first, after, seq_column="i.seq"
    )


@dataclass(frozen=True)
class ChronologyRow:
    entry_seq: int
    incident_id: UUID
    at: datetime
    actor: Sealed | None
    actor_name: Sealed | None
    actor_roles: tuple[str, ...]
    kind: str
    summary: str
    what: Sealed | None
    decision: Sealed | None
    rationale: Sealed | None


_CHRONOLOGY = (
    "SELECT c.*, "
    "(SELECT s.full_name FROM dir_staff s "
    " WHERE s.user_id_ix = c.actor_ix AND s.school_id = c.school_id "
    " ORDER BY s.seq LIMIT 1) AS actor_name, "
    "(SELECT coalesce(array_agg(DISTINCT g.role ORDER BY g.role), '{}') FROM access_grants g "
    " JOIN inc_incidents i ON i.incident_id = c.incident_id "
    " WHERE g.user_id_ix = c.actor_ix AND g.trust_id = i.trust_id "
    " AND (g.school_id IS NULL OR g.school_id = c.school_id) "
    " AND g.granted_at <= c.at AND (g.revoked_at IS NULL OR g.revoked_at > c.at)) AS actor_roles "
    "FROM inc_chronology c"
)


def chronology(conn: Connection[Any], incident_id: UUID) -> list[ChronologyRow]:
    return rows_of(
        conn,
        ChronologyRow,
        _CHRONOLOGY + " WHERE c.incident_id = %s ORDER BY c.entry_seq",
        (incident_id,),
    )


def pupil_chronology(
    conn: Connection[Any], pupil_id: UUID, exclude: Collection[UUID]
) -> list[ChronologyRow]:
    """Every entry of every incident the pupil appears in, oldest first, in one statement;
    not incidents about a member of staff's conduct, nor incidents that name the reader."""
    return rows_of(
        conn,
        ChronologyRow,
        _CHRONOLOGY + " WHERE c.incident_id IN (SELECT p.incident_id FROM inc_people p "
        "JOIN inc_incidents i USING (incident_id) WHERE p.person_id = %(pupil)s "
        "AND NOT i.staff_conduct" + _NOT_ABOUT_READER + ") ORDER BY c.at, c.entry_seq",
        {"pupil": pupil_id, "me": list(exclude)},
    )


EVIDENCE = EvidenceTable("inc_evidence", "incident_id")


def evidence_of(conn: Connection[Any], incident_id: UUID) -> list[EvidenceRow]:
    return EVIDENCE.of(conn, incident_id)


def evidence(conn: Connection[Any], file_id: UUID) -> EvidenceRow | None:
    return EVIDENCE.file(conn, file_id)


def links_of(conn: Connection[Any], incident_id: UUID) -> list[UUID]:
    rows = conn.execute(
        "SELECT other_id FROM inc_links WHERE incident_id = %s ORDER BY other_id", (incident_id,)
    ).fetchall()
    return [r["other_id"] for r in rows]


@dataclass(frozen=True)
class Dashboard:
    open_by_risk: dict[str, int]
    untriaged: list[tuple[UUID, datetime]]
    overdue_actions: list[tuple[UUID, UUID, str, date]]


_NOT_ABOUT_READER = (
    " AND NOT EXISTS (SELECT 1 FROM inc_people x WHERE x.incident_id = i.incident_id "
    "AND x.person_id = ANY(%(me)s))"
)


def dashboard(
    conn: Connection[Any], school_id: UUID, today: date, exclude: Collection[UUID]
) -> Dashboard:
    """Open incidents by risk, untriaged incidents, and planned actions past their due date, in
    one statement. Incidents about a member of staff's conduct, or about the reader, are not in
    it."""
    row = conn.execute(
        "WITH mine AS (SELECT * FROM inc_incidents i WHERE school_id = %(s)s AND NOT staff_conduct"
        + _NOT_ABOUT_READER
        + ") SELECT "
        "(SELECT coalesce(json_object_agg(risk, n), '{}') FROM ("
        "  SELECT coalesce(risk, 'untriaged') AS risk, "
        "  count(*) AS n FROM mine WHERE status <> 'closed' GROUP BY 1) r) AS by_risk, "
        "(SELECT coalesce(json_agg(json_build_array(incident_id, reported_at) "
        "  ORDER BY reported_at), '[]') "
        "  FROM mine WHERE status = 'reported') AS untriaged, "
        "(SELECT coalesce(json_agg(json_build_array(a.action_id, a.incident_id, a.kind, a.due_on) "
        "  ORDER BY a.due_on), '[]') FROM inc_actions a JOIN mine i USING (incident_id) "
        "  WHERE a.school_id = %(s)s AND a.planned AND NOT a.completed AND a.due_on < %(today)s "
        "  AND i.status <> 'closed') AS overdue",
        {"s": school_id, "today": today, "me": list(exclude)},
    ).fetchone()
    if row is None:
        raise RuntimeError("the dashboard statement answered no row")
    return Dashboard(
        {risk: int(n) for risk, n in row["by_risk"].items()},
        [(UUID(i), datetime.fromisoformat(at)) for i, at in row["untriaged"]],
        [(UUID(a), UUID(i), kind, date.fromisoformat(due)) for a, i, kind, due in row["overdue"]],
    )


@dataclass(frozen=True)
class Flag:
    kind: PatternKind
    subject: str  # a pupil id, or pupil ids joined by ","; a platform's below
    count: int
    incident_ids: tuple[UUID, ...]
    platforms: tuple[Sealed, ...] = ()  # platform_spike: each incident's platform, sealed


_ELIGIBLE = (
    "WITH eligible AS (SELECT i.* FROM inc_incidents i WHERE i.school_id = %(s)s "
    "AND NOT i.staff_conduct" + _NOT_ABOUT_READER + ") "
)


_PUPIL_PARTS = sorted(PUPIL_PARTS)  # the parts a pupil takes; a pattern is about pupils


def pattern_flags(
    conn: Connection[Any],
    school_id: UUID,
    now: datetime,
    limits: PatternLimits,
    exclude: Collection[UUID],
) -> list[Flag]:
    """A school's pattern flags at ``now`` within ``limits``: pupils in many incidents, platform
    spikes, pupils repeatedly together; not incidents about a member of staff's conduct, nor
    incidents that name the reader."""
    return [
        *pupils_in_many(conn, school_id, limits.pupil_since(now), limits.pupil_threshold, exclude),
        *platform_spikes(
            conn,
            school_id,
            now,
            limits.spike_window_days,
            limits.spike_baseline_weeks,
            limits.spike_factor,
            limits.spike_minimum,
            exclude,
        ),
        *repeated_groups(conn, school_id, limits.group_since(now), limits.group_threshold, exclude),
    ]


def pupils_in_many(
    conn: Connection[Any],
    school_id: UUID,
    since: datetime,
    threshold: int,
    exclude: Collection[UUID],
) -> list[Flag]:
    rows = conn.execute(
        _ELIGIBLE + "SELECT p.person_id, array_agg(i.incident_id ORDER BY i.occurred_at) AS ids "
        "FROM inc_people p JOIN eligible i USING (incident_id) WHERE i.occurred_at >= %(since)s "
        "AND p.part = ANY(%(pupil)s) GROUP BY p.person_id HAVING count(*) >= %(n)s "
        "ORDER BY count(*) DESC",
        {
            "s": school_id,
            "me": list(exclude),
            "since": since,
            "n": threshold,
            "pupil": _PUPIL_PARTS,
        },
    ).fetchall()
    return [
        Flag(PatternKind.PUPIL_REPEATED, str(r["person_id"]), len(r["ids"]), tuple(r["ids"]))
        for r in rows
    ]


def platform_spikes(
    conn: Connection[Any],
    school_id: UUID,
    now: datetime,
    window_days: int,
    baseline_weeks: int,
    factor: float,
    minimum: int,
    exclude: Collection[UUID],
) -> list[Flag]:
    rows = conn.execute(
        _ELIGIBLE
        + ", recent AS (SELECT platform_ix, array_agg(incident_id ORDER BY occurred_at) AS ids, "
        "  array_agg(platform ORDER BY occurred_at) AS platforms "
        "  FROM eligible WHERE platform_ix IS NOT NULL "
        "  AND occurred_at >= %(now)s - make_interval(days => %(w)s) GROUP BY platform_ix), "
        "base AS (SELECT platform_ix, count(*)::float / %(weeks)s AS weekly FROM eligible "
        "  WHERE platform_ix IS NOT NULL AND occurred_at < %(now)s - make_interval(days => %(w)s) "
        "  AND occurred_at >= %(now)s - make_interval(days => %(w)s + 7 * %(weeks)s) "
        "  GROUP BY platform_ix) "
        "SELECT r.ids, r.platforms FROM recent r LEFT JOIN base b USING (platform_ix) "
        "WHERE cardinality(r.ids) >= %(min)s "
        "AND cardinality(r.ids) >= %(f)s * coalesce(b.weekly, 0) * %(w)s / 7.0 "
        "ORDER BY cardinality(r.ids) DESC",
        {
            "s": school_id,
            "me": list(exclude),
            "now": now,
            "w": window_days,
            "weeks": baseline_weeks,
            "f": factor,
            "min": minimum,
        },
    ).fetchall()
    return [
        Flag(
            PatternKind.PLATFORM_SPIKE,
            "",
            len(r["ids"]),
            tuple(r["ids"]),
            tuple(Sealed.from_bytes(bytes(p)) for p in r["platforms"] if p is not None),
        )
        for r in rows
    ]


def repeated_groups(
    conn: Connection[Any],
    school_id: UUID,
    since: datetime,
    threshold: int,
    exclude: Collection[UUID],
) -> list[Flag]:
    rows = conn.execute(
        _ELIGIBLE + "SELECT a.person_id AS a, b.person_id AS b, "
        "array_agg(i.incident_id ORDER BY i.occurred_at) AS ids FROM inc_people a "
        "JOIN inc_people b ON a.incident_id = b.incident_id AND a.person_id < b.person_id "
        "JOIN eligible i ON i.incident_id = a.incident_id WHERE i.occurred_at >= %(since)s "
        "AND a.part = ANY(%(pupil)s) AND b.part = ANY(%(pupil)s) GROUP BY 1, 2 "
        "HAVING count(*) >= %(n)s ORDER BY count(*) DESC",
        {
            "s": school_id,
            "me": list(exclude),
            "since": since,
            "n": threshold,
            "pupil": _PUPIL_PARTS,
        },
    ).fetchall()
    return [
        Flag(PatternKind.GROUP_REPEATED, f"{r['a']},{r['b']}", len(r["ids"]), tuple(r["ids"]))
        for r in rows
    ]


@dataclass(frozen=True)
class OverviewRow:
    school_id: UUID
    school_name: str
    category: str
    academic_year: str
    term: str
    incidents: int
    open: int


def trust_overview(
    conn: Connection[Any], trust_id: UUID, school_ids: Collection[UUID] | None
) -> list[OverviewRow]:
    """Counts by school, category and term (Autumn: Sep-Dec, Spring: Jan-Mar, Summer: Apr-Aug,
    by the London date the incident occurred). No pupil identities."""
    rows = conn.execute(
        "WITH dated AS (SELECT i.*, (i.occurred_at AT TIME ZONE 'Europe/London')::date AS d "
        "  FROM inc_incidents i WHERE i.trust_id = %s "
        "  AND (%s::uuid[] IS NULL OR i.school_id = ANY(%s))) "
        "SELECT d.school_id, s.name AS school_name, d.category, "
        "  CASE WHEN extract(month FROM d.d) >= 9 THEN extract(year FROM d.d)::int "
        "       ELSE extract(year FROM d.d)::int - 1 END AS start_year, "
        "  CASE WHEN extract(month FROM d.d) >= 9 THEN 'autumn' "
        "       WHEN extract(month FROM d.d) <= 3 THEN 'spring' ELSE 'summer' END AS term, "
        "  count(*) AS incidents, count(*) FILTER (WHERE d.status <> 'closed') AS open "
        "FROM dated d JOIN dir_schools s USING (school_id) GROUP BY 1, 2, 3, 4, 5 "
        "ORDER BY s.name, start_year, term, d.category",
        (
            trust_id,
            None if school_ids is None else list(school_ids),
            None if school_ids is None else list(school_ids),
        ),
    ).fetchall()
    return [
        from_row(
            OverviewRow,
            r,
            academic_year=f"{r['start_year']}/{(r['start_year'] + 1) % 100:02d}",
            incidents=int(r["incidents"]),
            open=int(r["open"]),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class ReportStatus:
    incident_id: UUID
    school_id: UUID
    reported_at: datetime
    status: str


def reports_by(
    conn: Connection[Any], login_ix: bytes, first: int, after: int | None
) -> Page[ReportStatus]:
    """The incidents reported by the login whose blind index is ``login_ix``."""
    return fetch_page(
        conn,
        "SELECT incident_id, school_id, reported_at, status, seq FROM inc_incidents",
        ["reported_by_ix = %s"],
        [login_ix],
        lambda r: from_row(ReportStatus, r),
        first,
        after,
    )


@dataclass(frozen=True)
class Reported:
    seq: int
    incident_id: UUID
    trust_id: UUID
    school_id: UUID
    category: str
    reported_at: datetime
    staff_conduct: bool
    people: tuple[UUID, ...]


def latest_seq(conn: Connection[Any], school_id: UUID) -> int:
    r = conn.execute(
        "SELECT coalesce(max(seq), 0) AS s FROM inc_incidents WHERE school_id = %s", (school_id,)
    ).fetchone()
    return int(r["s"]) if r else 0


def reported_since(
    conn: Connection[Any], school_id: UUID, after_seq: int, limit: int = 100
) -> list[Reported]:
    rows = conn.execute(
        "SELECT i.seq, i.incident_id, i.trust_id, i.school_id, i.category, i.reported_at, "
        "i.staff_conduct, (SELECT array_agg(p.person_id) FROM inc_people p "
        "WHERE p.incident_id = i.incident_id) AS people "
        "FROM inc_incidents i WHERE i.school_id = %s AND i.seq > %s ORDER BY i.seq LIMIT %s",
        (school_id, after_seq, limit),
    ).fetchall()
    return [from_row(Reported, r, people=tuple(r["people"] or ())) for r in rows]

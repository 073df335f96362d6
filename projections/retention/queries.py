"""The retention schedule (docs/rules.md §9): every record of a trust with its rule, source, due
date, review state and the legal holds covering it; the trust's configuration; legal holds.

The facts each rule needs are read from the views that already hold them (``dir_pupils``,
``inc_people``, ``sc_allegations``, ``sc_staff``, ...). A pupil's date of birth is opened
here, with the pupil's key, and handed to the domain's pure rules
(``domain/retention/rules.py``): no date of birth, nor a date derived from one, is stored.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from psycopg import Connection

from domain.incidents.model import PUPIL_PARTS
from domain.retention import rules
from domain.retention.rules import Blocker, Due, HoldScope, RecordType, Settings
from domain.shared.sealing import Erased, Keyring, Sealed
from projections.common import from_row, rows_of, sealed_or_none

# The views the schedule reads its facts from: its own and those it reads them from.
SCHEDULE_VIEWS = ("retention", "directory", "incidents", "staff_cases")


@dataclass(frozen=True)
class HoldRow:
    """An active legal hold covering a scheduled record."""

    hold_id: UUID
    scope: str
    target_id: UUID
    authority: str
    placed_at: datetime
    reason: Sealed


@dataclass(frozen=True)
class Scheduled:
    """One record on the schedule.

    ``subject_ids`` are the data keys erasing this record destroys, never another subject's:
    an incident's, allegation's or concern's own; a pupil's own and those of their parents
    and carers linked to no other pupil; none for the access log. ``blind_indexes`` are those
    of the logins erasing it erases (none today: no login is linked to a pupil's record).
    ``about`` are the people the record is about (a reader who is one never sees it)."""

    record_type: str
    record_id: UUID
    trust_id: UUID
    school_id: UUID | None
    rule: str
    source: str
    due_on: date | None
    review: bool
    decision: str | None
    keep_until: date | None
    holds: tuple[HoldRow, ...]
    subject_ids: tuple[UUID, ...]
    blind_indexes: tuple[bytes, ...]
    why: str = ""
    decided_on: date | None = None
    about: tuple[UUID, ...] = ()
    review_reason: Sealed | None = None

    def blockers(self, as_of: date) -> tuple[Blocker, ...]:
        """What blocks erasing this record at ``as_of`` (``rules.blockers``): empty when it
        may be erased now."""
        return rules.blockers(self, as_of)


# --- the trust's configuration -----------------------------------------------------------------


@dataclass(frozen=True)
class ConfigRow:
    rule: str
    value: int
    reason: Sealed
    configured_at: datetime
    configured_by: Sealed | None


def configuration(conn: Connection[Any], trust_id: UUID) -> list[ConfigRow]:
    """The rules the trust has configured (the others keep their defaults)."""
    return rows_of(
        conn,
        ConfigRow,
        "SELECT rule, value, reason, configured_at, configured_by FROM ret_config "
        "WHERE trust_id = %s ORDER BY rule",
        (trust_id,),
    )


def settings(conn: Connection[Any], trust_id: UUID) -> Settings:
    return Settings.of({r.rule: r.value for r in configuration(conn, trust_id)})


# --- legal holds ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LegalHoldRow:
    hold_id: UUID
    trust_id: UUID
    school_id: UUID | None
    scope: str
    target_id: UUID
    authority: str
    about: tuple[UUID, ...]
    reason: Sealed
    placed_at: datetime
    placed_by: Sealed | None
    lifted_at: datetime | None
    lifted_by: Sealed | None
    lift_reason: Sealed | None


def legal_holds(
    conn: Connection[Any],
    trust_id: UUID,
    school_ids: Collection[UUID] | None,
    active: bool | None,
    exclude_subjects: Collection[UUID] = (),
) -> list[LegalHoldRow]:
    """The trust's holds (``school_ids`` given: those of these schools only), oldest first;
    ``active`` True: not lifted, False: lifted; never one about ``exclude_subjects``."""
    return rows_of(
        conn,
        LegalHoldRow,
        "SELECT * FROM ret_holds WHERE trust_id = %(trust)s "
        "AND (%(all)s OR school_id = ANY(%(schools)s)) "
        "AND (%(active)s::boolean IS NULL OR (lifted_at IS NULL) = %(active)s) "
        "AND NOT about && %(excluded)s::uuid[] ORDER BY seq",
        {
            "trust": trust_id,
            "all": school_ids is None,
            "schools": list(school_ids or ()),
            "active": active,
            "excluded": list(exclude_subjects),
        },
    )


def legal_hold(conn: Connection[Any], hold_id: UUID) -> LegalHoldRow | None:
    row = conn.execute("SELECT * FROM ret_holds WHERE hold_id = %s", (hold_id,)).fetchone()
    return None if row is None else from_row(LegalHoldRow, row)


# --- the schedule --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Record:
    """A record before its holds and review are attached."""

    record_type: RecordType
    record_id: UUID
    school_id: UUID | None
    due: Due
    subject_ids: tuple[UUID, ...]
    about: tuple[UUID, ...]
    people: tuple[UUID, ...]  # whom a person hold names to cover it


_SCHOOL = "AND (%(school)s::uuid IS NULL OR {alias}.school_id = %(school)s)"


def _births(keyring: Keyring, values: Iterable[Any]) -> list[date | None]:
    """Dates of birth opened with their pupils' keys: None where erased."""
    sealed = [sealed_or_none(v) for v in values]
    present = [s for s in sealed if s is not None]
    opened = iter(keyring.open_many(present))
    result: list[date | None] = []
    for value in sealed:
        plain = None if value is None else next(opened)
        result.append(
            None if plain is None or isinstance(plain, Erased) else date.fromisoformat(plain)
        )
    return result


def _pupils(
    conn: Connection[Any], keyring: Keyring, params: dict[str, Any], s: Settings
) -> list[_Record]:
    rows = conn.execute(
        "SELECT p.pupil_id, p.school_id, p.date_of_birth, p.left_on, "
        "(EXISTS (SELECT 1 FROM inc_people ip WHERE ip.person_id = p.pupil_id "
        "AND ip.part = ANY(%(pupil_parts)s)) OR EXISTS (SELECT 1 FROM sc_allegation_children c "
        "WHERE c.pupil_id = p.pupil_id)) AS holds_record, "
        "(SELECT coalesce(array_agg(l.parent_id ORDER BY l.parent_id), '{}') "
        "FROM dir_parent_links l WHERE l.pupil_id = p.pupil_id AND NOT EXISTS "
        "(SELECT 1 FROM dir_parent_links o WHERE o.parent_id = l.parent_id "
        "AND o.pupil_id <> p.pupil_id)) AS own_parents "
        "FROM dir_pupils p WHERE p.trust_id = %(trust)s " + _SCHOOL.format(alias="p"),
        params,
    ).fetchall()
    births = _births(keyring, [r["date_of_birth"] for r in rows])
    return [
        _Record(
            RecordType.PUPIL,
            r["pupil_id"],
            r["school_id"],
            rules.pupil_due(born, r["holds_record"], r["left_on"], s),
            (r["pupil_id"], *r["own_parents"]),
            (r["pupil_id"],),
            (r["pupil_id"],),
        )
        for r, born in zip(rows, births, strict=True)
    ]


def _incidents(
    conn: Connection[Any], keyring: Keyring, params: dict[str, Any], s: Settings
) -> list[_Record]:
    rows = conn.execute(
        "SELECT i.incident_id, i.school_id, "
        "(SELECT coalesce(array_agg(p.date_of_birth), '{}') FROM inc_people ip "
        "JOIN dir_pupils p ON p.pupil_id = ip.person_id WHERE ip.incident_id = i.incident_id "
        "AND ip.part = ANY(%(pupil_parts)s)) AS births, "
        "(SELECT coalesce(array_agg(ip.person_id ORDER BY ip.person_id), '{}') FROM inc_people ip "
        "WHERE ip.incident_id = i.incident_id) AS people "
        "FROM inc_incidents i WHERE i.trust_id = %(trust)s " + _SCHOOL.format(alias="i"),
        params,
    ).fetchall()
    records = []
    for r in rows:
        births = [b for b in _births(keyring, r["births"]) if b is not None]
        people = tuple(r["people"])
        records.append(
            _Record(
                RecordType.INCIDENT,
                r["incident_id"],
                r["school_id"],
                rules.incident_due(births, s),
                (r["incident_id"],),
                people,
                people,
            )
        )
    return records


def _allegations(conn: Connection[Any], params: dict[str, Any], s: Settings) -> list[_Record]:
    rows = conn.execute(
        "SELECT a.allegation_id, a.school_id, a.subject_id, a.received_at, a.outcome, "
        "a.outcome_at, a.retention_consent, st.reaches_pension_age_on, "
        "(SELECT coalesce(array_agg(c.pupil_id ORDER BY c.ordinal), '{}') "
        "FROM sc_allegation_children c WHERE c.allegation_id = a.allegation_id) AS children "
        "FROM sc_allegations a LEFT JOIN sc_staff st ON st.staff_id = a.subject_id "
        "WHERE a.trust_id = %(trust)s " + _SCHOOL.format(alias="a"),
        params,
    ).fetchall()
    return [
        _Record(
            RecordType.ALLEGATION,
            r["allegation_id"],
            r["school_id"],
            rules.allegation_due(
                r["outcome"],
                r["retention_consent"],
                r["received_at"],
                r["outcome_at"],
                r["reaches_pension_age_on"],
                s,
            ),
            (r["allegation_id"],),
            (r["subject_id"],),
            (r["subject_id"], *r["children"]),
        )
        for r in rows
    ]


def _concerns(conn: Connection[Any], params: dict[str, Any], s: Settings) -> list[_Record]:
    rows = conn.execute(
        "SELECT c.concern_id, c.school_id, c.subject_id, st.left_on "
        "FROM sc_concerns c LEFT JOIN sc_staff st ON st.staff_id = c.subject_id "
        "WHERE c.trust_id = %(trust)s " + _SCHOOL.format(alias="c"),
        params,
    ).fetchall()
    return [
        _Record(
            RecordType.LOW_LEVEL_CONCERN,
            r["concern_id"],
            r["school_id"],
            rules.concern_due(r["left_on"], s),
            (r["concern_id"],),
            (r["subject_id"],),
            (r["subject_id"],),
        )
        for r in rows
    ]


def _access_log(conn: Connection[Any], trust_id: UUID, s: Settings) -> _Record:
    row = conn.execute(
        "SELECT min(at) AS oldest FROM access_log WHERE trust_id = %s", (trust_id,)
    ).fetchone()
    oldest = None if row is None else row["oldest"]
    return _Record(
        RecordType.ACCESS_LOG,
        rules.access_log_id(trust_id),
        None,
        rules.access_log_due(oldest, s),
        (),
        (),
        (),
    )


def _covers(hold: dict[str, Any], record: _Record) -> bool:
    scope, target = hold["scope"], hold["target_id"]
    if scope == HoldScope.RECORD:
        return bool(target == record.record_id)
    if scope == HoldScope.SCHOOL:
        return record.school_id is not None and target == record.school_id
    return target in record.people


def schedule(
    conn: Connection[Any],
    keyring: Keyring,
    trust_id: UUID,
    *,
    school_id: UUID | None = None,
    exclude_subjects: Collection[UUID] = (),
) -> list[Scheduled]:
    """Every record of the trust (of one school, given ``school_id``: the trust's access log
    then left out) with its rule, due date, latest review decision and the active legal holds
    covering it; soonest due first, those not yet known last. Records about
    ``exclude_subjects`` are left out."""
    s = settings(conn, trust_id)
    params = {
        "trust": trust_id,
        "school": school_id,
        "pupil_parts": sorted(p.value for p in PUPIL_PARTS),
    }
    records: list[_Record] = [
        *_pupils(conn, keyring, params, s),
        *_incidents(conn, keyring, params, s),
        *_allegations(conn, params, s),
        *_concerns(conn, params, s),
    ]
    if school_id is None:
        records.append(_access_log(conn, trust_id, s))
    excluded = frozenset(exclude_subjects)
    records = [r for r in records if not excluded.intersection(r.about)]
    reviews = {
        r["record_id"]: r
        for r in conn.execute(
            "SELECT record_id, decision, keep_until, decided_at, reason FROM ret_reviews "
            "WHERE trust_id = %s",
            (trust_id,),
        ).fetchall()
    }
    holds = conn.execute(
        "SELECT hold_id, scope, target_id, authority, placed_at, reason FROM ret_holds "
        "WHERE trust_id = %s AND lifted_at IS NULL ORDER BY seq",
        (trust_id,),
    ).fetchall()
    result = [_scheduled(trust_id, r, reviews.get(r.record_id), holds) for r in records]
    result.sort(key=lambda r: (r.due_on is None, r.due_on or date.min, r.record_type, r.record_id))
    return result


def _scheduled(
    trust_id: UUID, record: _Record, review: dict[str, Any] | None, holds: Sequence[Any]
) -> Scheduled:
    return Scheduled(
        record_type=record.record_type.value,
        record_id=record.record_id,
        trust_id=trust_id,
        school_id=record.school_id,
        rule=record.due.rule.value,
        source=record.due.source,
        due_on=record.due.due_on,
        review=record.due.review,
        decision=None if review is None else review["decision"],
        keep_until=None if review is None else review["keep_until"],
        holds=tuple(from_row(HoldRow, h) for h in holds if _covers(h, record)),
        subject_ids=record.subject_ids,
        blind_indexes=(),
        why=record.due.why,
        decided_on=None if review is None else rules.london_day(review["decided_at"]),
        about=record.about,
        review_reason=None if review is None else sealed_or_none(review["reason"]),
    )


def due(rows: Iterable[Scheduled], as_of: date) -> list[Scheduled]:
    """The records whose rule has made them due by ``as_of`` (erasable or not: see each
    one's ``blockers``)."""
    return [r for r in rows if r.due_on is not None and r.due_on <= as_of]

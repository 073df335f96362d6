"""Consent queries: the only way ``api/`` reads the consent view.

Answers are computed here from each party's standing decision at the instant asked, by the
domain's own rule (``domain.consent.model.answer_at``), so the register, the posting check and
``consentStatus`` can never disagree with the check ``recordPublication`` makes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple
from uuid import UUID

from psycopg import Connection
from psycopg.rows import tuple_row

from domain.consent.model import ALL_COMBINATIONS, Answer, Lapse, PosterPeriod, Ruling, answer_at
from domain.shared.sealing import Sealed
from projections.common import Page, fetch_page, from_row, sealed_or_none


@dataclass(frozen=True, slots=True)
class HowGiven:
    """How a decision was given, as a reader who sees it opens it: the reference and statement
    sealed with the pupil's key, the login of who recorded it with theirs."""

    reference: Sealed | None
    statement_version: Sealed | None
    recorded_by: Sealed | None


class RulingRow(NamedTuple):
    """A decision as the rule reads it, and how it was given (the reference and statement
    sealed with the pupil's key, the login of who recorded it with theirs: opened only for a
    reader who sees them, as the bytes the view holds)."""

    ruling: Ruling
    pupil_id: UUID
    consenter_kind: str
    parent_carer_id: UUID | None
    method: str
    reference: bytes | None
    statement_version: bytes | None
    recorded_by: bytes | None

    @property
    def how_given(self) -> HowGiven:
        """The sealed values, decoded: only for a reader shown them (the hot reads keep the
        bytes, as decoding every decision of a posting check would cost it time)."""
        return HowGiven(
            sealed_or_none(self.reference),
            sealed_or_none(self.statement_version),
            sealed_or_none(self.recorded_by),
        )


@dataclass(frozen=True)
class ConsentPupil:
    pupil_id: UUID
    trust_id: UUID
    school_id: UUID
    year_group: int
    left_on: date | None
    lapses_at: datetime | None
    first_received_at: datetime | None
    last_received_at: datetime | None
    competent: bool | None
    competence_assessed_at: datetime | None
    competence_notes: Sealed | None
    confirmed_years: tuple[str, ...]

    @property
    def lapse(self) -> Lapse | None:
        return _lapse(self.left_on, self.lapses_at, self.pupil_id)


def _lapse(left_on: date | None, lapses_at: datetime | None, pupil_id: UUID) -> Lapse | None:
    if left_on is None or lapses_at is None:
        return None
    return Lapse(left_on, lapses_at, pupil_id)


class Judged(NamedTuple):
    """An answer, with the row of the decision that decided it (None if none did)."""

    pupil_id: UUID
    medium: str
    channel: str
    at: datetime
    answer: Answer
    deciding: RulingRow | None


_PUPIL = (
    "SELECT p.pupil_id, p.trust_id, p.school_id, p.year_group, p.left_on, p.lapses_at, "
    "p.first_received_at, p.last_received_at, p.competent, p.competence_assessed_at, "
    "p.competence_notes, p.seq, ARRAY(SELECT c.academic_year FROM cs_confirmations c "
    "WHERE c.pupil_id = p.pupil_id ORDER BY c.academic_year) AS confirmed_years FROM cs_pupils p"
)


def _pupil(r: Any) -> ConsentPupil:
    return from_row(ConsentPupil, r)


# The rule's hot reads (the posting check, ``consentStatus``) take rows as tuples in binary: on a
# 30-pupil check, loading rows by name and in text was a third of the statement's CPU. A decision
# comes as the columns of ``_BARE`` then those of ``_HOW_GIVEN``, in that order.
_BARE = "s.party, s.effective_at, s.version, s.decision, s.kind, s.record_id, s.recorded_at"
_HOW_GIVEN = (
    ", s.medium, s.channel, s.consenter_kind, s.parent_carer_id, s.method, s.reference, "
    "s.statement_version, s.recorded_by"
)


def _ruling(pupil_id: UUID, d: Sequence[Any]) -> RulingRow:
    """A decision and how it was given, from its ``_BARE`` and ``_HOW_GIVEN`` columns."""
    party, effective_at, version, decision, kind, record_id, recorded_at = d[:7]
    medium, channel, consenter_kind, parent_carer_id, method, reference, statement, by = d[7:15]
    return RulingRow(
        ruling=Ruling(
            party=party,
            medium=medium,
            channel=channel,
            decision=decision,
            effective_at=effective_at,
            order=version,
            kind=kind,
            record_id=record_id,
            version=version,
            recorded_at=recorded_at,
        ),
        pupil_id=pupil_id,
        consenter_kind=consenter_kind,
        parent_carer_id=parent_carer_id,
        method=method,
        reference=reference,
        statement_version=statement,
        recorded_by=by,
    )


def _tuples(conn: Connection[Any], query: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    with conn.cursor(row_factory=tuple_row, binary=True) as cursor:
        return cursor.execute(query, params).fetchall()


def _id_list(ids: list[UUID]) -> str:
    """Ids as the one parameter ``_ANY_PUPIL`` takes: psycopg dumps a list of UUIDs element by
    element in Python, which cost as much as the rest of the parameters."""
    return ",".join(map(str, ids))


_ANY_PUPIL = "ANY(string_to_array(%(pupils)s, ',')::uuid[])"


def standing(conn: Connection[Any], pupil_ids: list[UUID], at: datetime) -> list[RulingRow]:
    """Each party's latest decision effective at or before ``at``, per medium and channel (every
    combination: the register; ``_ANSWERS`` reads one combination)."""
    rows = _tuples(
        conn,
        f"SELECT DISTINCT ON (s.pupil_id, s.medium, s.channel, s.party) s.pupil_id, {_BARE}"
        f"{_HOW_GIVEN} FROM cs_rulings s "
        f"WHERE s.pupil_id = {_ANY_PUPIL} AND s.effective_at <= %(at)s "
        "ORDER BY s.pupil_id, s.medium, s.channel, s.party, s.effective_at DESC, s.version DESC",
        {"pupils": _id_list(pupil_ids), "at": at},
    )
    return [_ruling(r[0], r[1:]) for r in rows]


def judge(
    lapses: dict[UUID, Lapse | None],
    rows: list[RulingRow],
    at: datetime,
    combinations: tuple[tuple[str, str], ...] = ALL_COMBINATIONS,
) -> dict[UUID, list[Judged]]:
    """The rule applied to standing decisions: per pupil (and their lapse, if they left), one
    answer per combination."""
    grouped: dict[tuple[UUID, str, str], list[RulingRow]] = defaultdict(list)
    for row in rows:
        grouped[(row.pupil_id, row.ruling.medium, row.ruling.channel)].append(row)
    return {
        pupil_id: [
            _judge_one(
                pupil_id, medium, channel, at, grouped.get((pupil_id, medium, channel), []), lapse
            )
            for medium, channel in combinations
        ]
        for pupil_id, lapse in lapses.items()
    }


def _judge_one(
    pupil_id: UUID,
    medium: str,
    channel: str,
    at: datetime,
    rows: Sequence[RulingRow],
    lapse: Lapse | None,
) -> Judged:
    """The rule at ``at`` over decisions about one medium and channel: the standing ones, or a
    whole history (the rule takes the standing ones from it)."""
    answer = answer_at((r.ruling for r in rows), lapse, at)
    deciding = None
    if answer.deciding is not None:
        deciding = next(r for r in rows if r.ruling is answer.deciding)
    return Judged(pupil_id, medium, channel, at, answer, deciding)


class PupilAnswer(NamedTuple):
    """One pupil's answer for one medium and channel, and where the pupil is."""

    trust_id: UUID
    school_id: UUID
    judged: Judged


# A pupil row: where the pupil is, then one party's standing decision for one medium and channel
# (all null if nobody has decided for the pupil, who then comes once), read backwards along the
# primary key, so the latest per party comes first with no sort.
_PUPIL_PLACE = "p.pupil_id, p.trust_id, p.school_id, p.left_on, p.lapses_at"
_PLACE_WIDTH = 5
_ANSWERS = (
    f"SELECT {_PUPIL_PLACE}, r.* FROM cs_pupils p "
    f"LEFT JOIN LATERAL (SELECT DISTINCT ON (s.party) {_BARE}{_HOW_GIVEN} "
    "FROM cs_rulings s WHERE s.pupil_id = p.pupil_id AND s.medium = %(medium)s "
    "AND s.channel = %(channel)s AND s.effective_at <= %(at)s "
    "ORDER BY s.party DESC, s.effective_at DESC, s.version DESC) r ON true "
    f"WHERE p.pupil_id = {_ANY_PUPIL}"
)


def _answers(
    rows: list[tuple[Any, ...]], medium: str, channel: str, at: datetime
) -> dict[UUID, PupilAnswer]:
    """From pupil rows (``_PUPIL_PLACE``, then a standing decision and how it was given)."""
    pupils: dict[UUID, tuple[tuple[Any, ...], list[tuple[Any, ...]]]] = {}
    for r in rows:
        found = pupils.get(r[0])
        if found is None:
            found = pupils[r[0]] = (r, [])
        if r[_PLACE_WIDTH] is not None:
            found[1].append(r[_PLACE_WIDTH:])
    result = {}
    for pupil_id, (r, decided) in pupils.items():
        _, trust_id, school_id, left_on, lapses_at = r[:_PLACE_WIDTH]
        lapse = _lapse(left_on, lapses_at, pupil_id)
        rulings = [_ruling(pupil_id, d) for d in decided]
        judged = _judge_one(pupil_id, medium, channel, at, rulings, lapse)
        result[pupil_id] = PupilAnswer(trust_id, school_id, judged)
    return result


def answers(
    conn: Connection[Any], pupil_ids: list[UUID], medium: str, channel: str, at: datetime
) -> dict[UUID, PupilAnswer]:
    """One medium and channel for several pupils (``consentStatus``), in one statement; a
    pupil the view does not know is missing."""
    params = {"pupils": _id_list(pupil_ids), "medium": medium, "channel": channel, "at": at}
    return _answers(_tuples(conn, _ANSWERS, params), medium, channel, at)


class PostingChannel(NamedTuple):
    """A channel as the posting check reads it for one caller: where it is, its kind, and the
    caller's authorisations to post on it."""

    channel_id: UUID
    trust_id: UUID
    school_id: UUID
    kind: str
    callers_authorisations: tuple[PosterPeriod, ...]


class PupilHistory(NamedTuple):
    """Where a pupil is, and every decision about them for one medium and kind of channel: from
    this, the rule answers for any instant."""

    trust_id: UUID
    school_id: UUID
    left_on: date | None
    lapses_at: datetime | None
    rows: tuple[RulingRow, ...]


@dataclass(frozen=True, slots=True)
class PostingCheckRows:
    """What the posting check reads: the channel, the caller's authorisations on it, and the
    pupils' answers for its kind of channel (a pupil the view does not know is missing)."""

    channel_id: UUID
    trust_id: UUID
    school_id: UUID
    kind: str
    callers_authorisations: tuple[PosterPeriod, ...]
    answers: dict[UUID, PupilAnswer]


# One row for the channel (with the caller's authorisations on it), and the pupil rows, one per
# decision about the medium and the channel's kind (or one, all null, for a pupil nobody has
# decided for): a row of one kind has the other's columns null, so the channel is read once.
_CHANNEL_COLUMNS = (
    "c.channel_id, c.trust_id, c.school_id, c.kind, a.poster_staff_ids, a.poster_from, "
    "a.poster_until"
)
_CHANNEL_WIDTH = 7
_DECISION = _BARE + _HOW_GIVEN
_POSTING_SOURCES = (
    "WITH c AS MATERIALIZED (SELECT channel_id, trust_id, school_id, kind FROM cs_channels "
    "WHERE channel_id = %(channel_id)s) "
    f"SELECT {_CHANNEL_COLUMNS}{', NULL' * (_PLACE_WIDTH + _DECISION.count(',') + 1)} "
    "FROM c LEFT JOIN LATERAL ("
    "SELECT array_agg(a.staff_member_id ORDER BY a.seq) AS poster_staff_ids, "
    "array_agg(a.authorised_at ORDER BY a.seq) AS poster_from, "
    "array_agg(a.revoked_at ORDER BY a.seq) AS poster_until FROM cs_posters a "
    "WHERE a.channel_id = c.channel_id AND a.user_id_ix = %(user)s) a ON true "
    f"UNION ALL SELECT {'NULL, ' * _CHANNEL_WIDTH}{_PUPIL_PLACE}, {_DECISION} FROM c "
    f"JOIN cs_pupils p ON p.pupil_id = {_ANY_PUPIL} "
    "LEFT JOIN cs_rulings s ON s.pupil_id = p.pupil_id AND s.medium = %(medium)s "
    "AND s.channel = c.kind"
)


def posting_sources(
    conn: Connection[Any],
    channel_id: UUID,
    user_id: str,
    user_id_ix: bytes | None,
    pupil_ids: list[UUID],
    medium: str,
) -> tuple[PostingChannel | None, dict[UUID, PupilHistory]]:
    """What the posting check reads, in one statement: the channel as ``user_id`` reads it
    (None if there is no such channel) and each pupil's history for the medium and the
    channel's kind (a pupil the view does not know is missing). The caller's authorisations
    are matched on ``user_id_ix``, the blind index of their login (none without it)."""
    rows = _tuples(
        conn,
        _POSTING_SOURCES,
        {
            "channel_id": channel_id,
            "user": user_id_ix,
            "pupils": _id_list(pupil_ids),
            "medium": medium,
        },
    )
    channels = [r for r in rows if r[0] is not None]
    if not channels:
        return None, {}
    found_id, trust_id, school_id, kind, staff_ids, starts, ends = channels[0][:_CHANNEL_WIDTH]
    channel = PostingChannel(
        found_id,
        trust_id,
        school_id,
        kind,
        tuple(
            PosterPeriod(user_id, staff_id, start, end)
            for staff_id, start, end in zip(staff_ids or (), starts or (), ends or (), strict=True)
        ),
    )
    places: dict[UUID, tuple[Any, ...]] = {}
    decided: dict[UUID, list[RulingRow]] = {}
    for r in rows:
        if r[0] is not None:
            continue
        pupil = r[_CHANNEL_WIDTH:]
        pupil_id = pupil[0]
        places.setdefault(pupil_id, pupil)
        found = decided.setdefault(pupil_id, [])
        if pupil[_PLACE_WIDTH] is not None:
            found.append(_ruling(pupil_id, pupil[_PLACE_WIDTH:]))
    histories = {}
    for pupil_id, place in places.items():
        _, trust_id, school_id, left_on, lapses_at = place[:_PLACE_WIDTH]
        history = tuple(decided[pupil_id])
        histories[pupil_id] = PupilHistory(trust_id, school_id, left_on, lapses_at, history)
    return channel, histories


def posting_check(
    channel: PostingChannel, pupils: dict[UUID, PupilHistory], medium: str, at: datetime
) -> PostingCheckRows:
    """The posting check's answers at ``at``, by the domain's rule over each pupil's history."""
    answers = {}
    for pupil_id, history in pupils.items():
        lapse = _lapse(history.left_on, history.lapses_at, pupil_id)
        judged = _judge_one(pupil_id, medium, channel.kind, at, history.rows, lapse)
        answers[pupil_id] = PupilAnswer(history.trust_id, history.school_id, judged)
    return PostingCheckRows(
        channel_id=channel.channel_id,
        trust_id=channel.trust_id,
        school_id=channel.school_id,
        kind=channel.kind,
        callers_authorisations=channel.callers_authorisations,
        answers=answers,
    )


def register(
    conn: Connection[Any],
    school_id: UUID,
    at: datetime,
    first: int,
    after: int | None,
    gaps_for_year: tuple[str, datetime] | None = None,
) -> Page[ConsentPupil]:
    """The school's pupils on roll at ``at``; with ``gaps_for_year`` (an academic year and
    its first instant), only those with no record, or none for that year: neither confirmed
    for it nor a decision received during it."""
    where = ["p.school_id = %s", "(p.lapses_at IS NULL OR p.lapses_at > %s)"]
    params: list[Any] = [school_id, at]
    if gaps_for_year is not None:
        year, starts = gaps_for_year
        where.append(
            "(p.last_received_at IS NULL OR (p.last_received_at < %s AND NOT EXISTS "
            "(SELECT 1 FROM cs_confirmations c WHERE c.pupil_id = p.pupil_id "
            "AND c.academic_year = %s)))"
        )
        params += [starts, year]
    return fetch_page(conn, _PUPIL, where, params, _pupil, first, after, "p.seq")

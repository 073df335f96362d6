"""Gathering an allegation for its LADO referral bundle: the record, as it stood at a store
position, read from the event store and handed to :mod:`domain.lado.referral` as plain values.

It reads the allegation's events, those of the low-level concerns it came from, the adult's
other concerns and allegations, and the directory records it names (the adult, the school, the
trust, the DSL, headteacher, chair of governors and case manager, the children and their parents,
and every pupil of the school, whose names free text may hold), each with its store position.
The mapper decrypts each stored event; each sealed field is opened with its subject's key, and
one whose key is gone reads as erased. Nothing is written and nobody is authorised here: the
exporter authorises.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from api.wiring import Container
from domain.access.aggregates import UserAccess
from domain.directory.aggregates import ParentCarer, School, StaffMember, Trust
from domain.directory.aggregates import Pupil as PupilRecord
from domain.lado.contents import Contents
from domain.lado.referral import (
    Adult,
    Case,
    Event,
    Opened,
    Parent,
    Pupil,
    Wording,
    contents,
    left_out,
    role_words,
)
from domain.ledger.entry import ENVELOPE
from domain.shared.errors import NotFound
from domain.shared.sealing import Erased, Keyring, Sealed
from domain.staff_cases.allegations import Allegation
from domain.staff_cases.concerns import LowLevelConcern
from domain.staff_cases.former_topics import FORMER_TOPICS
from projections.staff_cases.chronology import entry_for

NO_ROLE = "no role recorded"


@dataclass(frozen=True)
class _Row:
    position: int
    event: Any


def _topics(*classes: type) -> list[str]:
    topics = [get_topic(cls) for cls in classes]
    topics += [topic for topic, cls in FORMER_TOPICS.items() if cls in classes]
    return topics


class _Store:
    def __init__(self, container: Container, head: int) -> None:
        self.container = container
        self.head = head
        self.keyring: Keyring = container.keyring

    def _decoded(self, rows: Iterable[dict[str, Any]]) -> list[_Row]:
        mapper = self.container.app.mapper
        return [
            _Row(
                row["notification_id"],
                mapper.to_domain_event(
                    Notification(
                        originator_id=row["originator_id"],
                        originator_version=row["originator_version"],
                        topic=row["topic"],
                        state=bytes(row["state"]),
                        id=row["notification_id"],
                    )
                ),
            )
            for row in rows
        ]

    def aggregate(self, aggregate_id: UUID) -> list[_Row]:
        """Every event of one aggregate up to the head, versions 1 onwards."""
        with self.container.pool.connection() as conn:
            rows = conn.execute(
                "SELECT notification_id, originator_id, originator_version, topic, state "
                "FROM casework_events WHERE originator_id = %s AND notification_id <= %s "
                "ORDER BY originator_version",
                (aggregate_id, self.head),
            ).fetchall()
        return self._decoded(rows)

    def of_topics(self, *classes: type) -> list[_Row]:
        """Every event of these classes up to the head, in store order."""
        with self.container.pool.connection() as conn:
            rows = conn.execute(
                "SELECT notification_id, originator_id, originator_version, topic, state "
                "FROM casework_events WHERE topic = ANY(%s) AND notification_id <= %s "
                "ORDER BY notification_id",
                (_topics(*classes), self.head),
            ).fetchall()
        return self._decoded(rows)

    def opened(self, value: Any) -> Any:
        """A field's value with each sealed part opened (erased where its key is gone)."""
        if isinstance(value, Sealed):
            return self.keyring.open(value)
        if isinstance(value, dict):
            return {k: self.opened(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.opened(v) for v in value]
        return value

    def text(self, value: Any) -> Opened:
        opened = self.opened(value)
        return opened if opened is None or isinstance(opened, str | Erased) else str(opened)


class _Grants:
    """Who held which role where, along the store's order."""

    def __init__(self, rows: Sequence[_Row]) -> None:
        self.rows = rows

    def held(self, at: int) -> list[tuple[str, str, UUID, UUID | None]]:
        """(login, role, trust, school) of the grants in force at position ``at``, in the
        order they were granted."""
        held: dict[tuple[str, str, UUID, UUID | None], None] = {}
        for row in self.rows:
            if row.position > at:
                break
            e = row.event
            key = (e.user_id, e.role, e.trust_id, e.school_id)
            if isinstance(e, UserAccess.RoleGranted):
                held[key] = None
            else:
                held.pop(key, None)
        return list(held)

    def role_of(self, login: str, at: int, trust_id: UUID, school_id: UUID | None) -> str:
        roles = (
            role
            for user, role, trust, school in self.held(at)
            if user == login and trust == trust_id and school in (None, school_id)
        )
        return role_words(roles) or NO_ROLE

    def holders(self, role: str, at: int, trust_id: UUID, school_id: UUID | None) -> list[str]:
        """Who holds ``role`` at the school, then at the trust as a whole."""
        held = self.held(at)
        at_school = [u for u, r, t, s in held if r == role and t == trust_id and s == school_id]
        at_trust = [u for u, r, t, s in held if r == role and t == trust_id and s is None]
        return at_school + at_trust


def gather(container: Container, allegation_id: UUID, as_of: int | None = None) -> Contents:
    """The bundle's contents for ``allegation_id`` as the record stood at store position
    ``as_of`` (by default, now); :class:`NotFound` if there was no such allegation then."""
    head = container.head() if as_of is None else as_of
    store = _Store(container, head)
    alleged = store.aggregate(allegation_id)
    if not alleged or not isinstance(alleged[0].event, Allegation.Received):
        raise NotFound("Allegation", allegation_id)
    received = alleged[0].event
    trust_id, school_id, subject_id = received.trust_id, received.school_id, received.subject_id

    # The adult's low-level concerns and allegations, this one's linked concerns among them.
    firsts = store.of_topics(Allegation.Received, LowLevelConcern.Raised)
    theirs = [
        r.event.originator_id
        for r in firsts
        if r.event.subject_id == subject_id and r.position < alleged[0].position
    ]
    cases = {
        allegation_id: alleged,
        **{a: store.aggregate(a) for a in theirs if a != allegation_id},
    }
    linked = frozenset(received.from_concerns)
    for concern in sorted(linked, key=str):
        cases.setdefault(concern, store.aggregate(concern))

    grants = _Grants(store.of_topics(UserAccess.RoleGranted, UserAccess.RoleRevoked))
    staff_rows = [
        r for r in store.of_topics(StaffMember.Registered) if r.event.trust_id == trust_id
    ]
    staff_by_login = {r.event.user_id: r.event for r in staff_rows if r.event.user_id}

    def name_of(login: str | None) -> Opened:
        staff = staff_by_login.get(login) if login else None
        return None if staff is None else store.text(staff.full_name)

    def named_at(login: str | None, at: int) -> Opened:
        """Who a chronology entry names: their name, or their role if the directory has no
        record of them (never their login)."""
        if login is None:
            return None
        return name_of(login) or grants.role_of(login, at, trust_id, school_id)

    school_rows = store.aggregate(school_id) if school_id is not None else []
    headteachers: list[str] = []
    for row in school_rows:
        if isinstance(row.event, School.HeadteacherAppointed):
            headteachers.append(row.event.user_id)
        elif isinstance(row.event, School.HeadteacherStoodDown):
            headteachers.remove(row.event.user_id)
    case_manager = received.case_manager
    for row in alleged:
        if isinstance(row.event, Allegation.CaseManagerAssigned):
            case_manager = row.event.user_id
    dsls = grants.holders("dsl", head, trust_id, school_id)
    chairs = grants.holders("chair_of_governors", head, trust_id, school_id)
    named_logins = [case_manager, *headteachers[:1], *dsls[:1], *chairs[:1]]

    # The children: every pupil of the school, with the parents of those the allegation names.
    pupils_rows = [
        r for r in store.of_topics(PupilRecord.Registered) if r.event.school_id == school_id
    ]
    concerned: set[UUID] = set()
    for row in alleged:
        children = getattr(row.event, "children", None)
        if children is not None:
            concerned = {UUID(str(c["pupil_id"])) for c in children}
    links = [r for r in store.of_topics(ParentCarer.LinkedToPupil) if r.event.pupil_id in concerned]
    parent_rows = {r.event.originator_id: store.aggregate(r.event.originator_id) for r in links}
    latest = {(r.event.originator_id, r.event.pupil_id): r.event for r in links}
    parents: dict[UUID, list[Parent]] = {}
    for (parent_id, pupil_id), link in latest.items():
        first = parent_rows[parent_id][0].event
        parents.setdefault(pupil_id, []).append(
            Parent(store.text(first.full_name), link.relationship, link.parental_responsibility)
        )
    pupils = {
        r.event.originator_id: Pupil(
            r.event.originator_id,
            store.text(r.event.full_name),
            store.text(r.event.date_of_birth),
            r.event.year_group,
            tuple(parents.get(r.event.originator_id, ())),
        )
        for r in pupils_rows
    }

    # Every aggregate the bundle draws on, whole.
    directory: dict[UUID, list[_Row]] = {trust_id: store.aggregate(trust_id)}
    if school_id is not None:
        directory[school_id] = school_rows
    directory[subject_id] = store.aggregate(subject_id)
    for login in named_logins:
        staff = staff_by_login.get(login)
        if staff is not None:
            directory.setdefault(staff.originator_id, store.aggregate(staff.originator_id))
    for pupil_id in sorted(concerned & set(pupils), key=str):
        directory[pupil_id] = store.aggregate(pupil_id)
    directory.update(parent_rows)
    rows = sorted(
        (row for group in (*cases.values(), *directory.values()) for row in group),
        key=lambda row: row.position,
    )
    events = [_event(store, grants, row, trust_id, school_id, named_at) for row in rows]
    dropped = {
        aggregate
        for aggregate in cases
        if aggregate != allegation_id
        and left_out([e for e in events if e.aggregate_id == aggregate])
    }
    events = [e for e in events if e.aggregate_id not in dropped]

    adult = next(
        r.event for r in directory[subject_id] if isinstance(r.event, StaffMember.Registered)
    )
    trust_name = next(
        r.event.name for r in directory[trust_id] if isinstance(r.event, Trust.Created)
    )
    registered = next(
        (r.event for r in school_rows if isinstance(r.event, School.Registered)), None
    )
    case = Case(
        allegation_id=allegation_id,
        trust_id=trust_id,
        school_id=school_id,
        trust_name=trust_name,
        school_name=trust_name if registered is None else registered.name,
        school_urn="" if registered is None else registered.urn,
        adult=Adult(
            subject_id, store.text(adult.full_name), str(adult.staff_role), adult.started_on
        ),
        events=events,
        pupils=pupils,
        dsl=name_of(dsls[0]) if dsls else None,
        headteacher=name_of(headteachers[0]) if headteachers else None,
        chair=name_of(chairs[0]) if chairs else None,
        case_manager=name_of(case_manager),
        linked_concerns=linked,
    )
    return contents(case)


def _event(
    store: _Store,
    grants: _Grants,
    row: _Row,
    trust_id: UUID,
    school_id: UUID | None,
    named_at: Callable[[str | None, int], Opened],
) -> Event:
    e = row.event
    fields = {name: store.opened(v) for name, v in vars(e).items() if name not in ENVELOPE}
    entry = entry_for(e)
    wording = None
    if entry is not None:
        wording = Wording(
            summary=entry.summary,
            named=named_at(entry.named, row.position),
            detail=store.text(entry.detail),
            what=store.text(entry.what),
            decision=store.text(entry.decision),
            rationale=store.text(entry.rationale),
        )
    return Event(
        position=row.position,
        aggregate_id=e.originator_id,
        version=e.originator_version,
        topic=type(e).__qualname__,
        recorded_at=e.timestamp,
        actor_role=grants.role_of(e.actor, row.position, trust_id, school_id),
        fields=fields,
        wording=wording,
    )

"""The consent rule as properties: the answer for an instant depends only on the decisions
effective (received) at or before it, each party's latest decision stands, and refusal wins.

Three levels: the pure rule (``domain.consent.model``), the consent record aggregate (recording
order gives the tie-break), and the application (who may decide, what is refused).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.application import CaseworkApplication
from domain.consent.aggregates import ConsentRecord, consent_record_id
from domain.consent.commands import (
    AmendConsent,
    Choice,
    GiveConsent,
    RecordCompetenceAssessment,
    WithdrawConsent,
)
from domain.consent.model import (
    PUPIL_PARTY,
    Answer,
    ConsentStatus,
    Decision,
    Lapse,
    Ruling,
    answer_at,
    decide,
    standing,
)
from domain.consent.record_handlers import lapse_of
from domain.directory.commands import (
    RecordPupilLeft,
)
from domain.shared.actor import acting_as
from domain.shared.calendar import end_of_london_day
from domain.shared.errors import DomainError
from domain.shared.policy import Role
from domain.shared.sealing import InMemoryKeyStore, Keyring
from tests import builders as make
from tests.domain.conftest import OPERATOR, as_user

PHOTO, VIDEO = "photo", "video"
SOCIAL, WEBSITE = "school_social_media", "school_website"
COMBINATIONS = [(m, c) for m in (PHOTO, VIDEO) for c in (SOCIAL, WEBSITE)]
PARTIES = [PUPIL_PARTY, "parent:mum", "parent:dad"]

START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
# A few shared instants so that decisions received at the same instant are common.
COMMON = [START + timedelta(days=d, hours=9) for d in (0, 40, 41, 200, 365, 500, 600)]
RECORD_ID = uuid4()
RECORDED = datetime(2026, 11, 1, tzinfo=UTC)


def instants(after: datetime = START) -> st.SearchStrategy[datetime]:
    return st.one_of(
        st.sampled_from([c for c in COMMON if c > after] or [END]),
        st.datetimes(
            min_value=after.replace(tzinfo=None) + timedelta(seconds=1),
            max_value=END.replace(tzinfo=None),
            timezones=st.just(UTC),
        ),
    )


lapses = st.one_of(
    st.none(),
    st.dates(min_value=START.date(), max_value=END.date() - timedelta(days=1)).map(
        lambda day: Lapse(day, end_of_london_day(day), uuid4())
    ),
)


@st.composite
def histories(draw) -> list[Ruling]:
    """Decisions about one medium and channel, in recording order (``order``)."""
    decided = draw(
        st.lists(
            st.tuples(st.sampled_from(PARTIES), st.sampled_from(list(Decision)), instants()),
            max_size=12,
        )
    )
    return [
        Ruling(
            party=party,
            medium=PHOTO,
            channel=SOCIAL,
            decision=decision,
            effective_at=received,
            order=i + 1,
            kind="ConsentGiven",
            record_id=RECORD_ID,
            version=i + 1,
            recorded_at=RECORDED,
        )
        for i, (party, decision, received) in enumerate(decided)
    ]


@st.composite
def history_and_instant(draw) -> tuple[list[Ruling], datetime]:
    """A history and an instant: often exactly a receipt, or just before one."""
    rulings = draw(histories())
    receipts = [r.effective_at for r in rulings]
    edges = receipts + [r - timedelta(microseconds=1) for r in receipts]
    at = draw(st.one_of(st.sampled_from(edges), instants()) if edges else instants())
    return rulings, at


def key(answer: Answer) -> tuple:
    deciding = answer.deciding
    return (
        answer.status,
        None if deciding is None else (deciding.party, deciding.decision, deciding.effective_at),
    )


# --- the pure rule -----------------------------------------------------------------------


@given(history_and_instant(), lapses)
def test_the_answer_at_an_instant_depends_only_on_decisions_effective_by_then(case, lapse):
    rulings, at = case
    known_then = [r for r in rulings if r.effective_at <= at]

    assert answer_at(rulings, lapse, at) == answer_at(known_then, lapse, at)


@given(history_and_instant(), lapses, st.randoms(use_true_random=False))
def test_the_answer_does_not_depend_on_the_order_the_history_is_read_in(case, lapse, rnd):
    rulings, at = case
    shuffled = list(rulings)
    rnd.shuffle(shuffled)

    assert answer_at(shuffled, lapse, at) == answer_at(rulings, lapse, at)


@given(history_and_instant(), lapses)
def test_each_partys_latest_decision_stands_and_refusal_wins(case, lapse):
    rulings, at = case
    latest: dict[str, Ruling] = {}
    for r in sorted(rulings, key=lambda r: r.key):
        if r.effective_at <= at:
            latest[r.party] = r
    objections = [r for r in latest.values() if r.decision != Decision.GRANTED]

    got = answer_at(rulings, lapse, at)

    if lapse is not None and lapse.effective_at <= at:
        assert got.status is ConsentStatus.LAPSED
        assert got.lapse == lapse
    elif objections:
        assert got.deciding == max(objections, key=lambda r: r.key)
        assert got.status == ConsentStatus(got.deciding.decision)
        assert not got.may_publish
    elif latest:
        assert got.status is ConsentStatus.GRANTED
        assert got.deciding == max(latest.values(), key=lambda r: r.key)
        assert got.may_publish
    else:
        assert got.status is ConsentStatus.NO_RECORD
        assert got.deciding is None


@given(history_and_instant())
def test_a_later_grant_by_one_party_never_overrides_another_partys_objection(case):
    rulings, at = case
    objecting = standing(rulings, at)
    if not any(r.decision != Decision.GRANTED for r in objecting.values()):
        return
    others = [p for p in PARTIES if objecting.get(p) is None or objecting[p].decision == "granted"]
    grants = [
        Ruling(p, PHOTO, SOCIAL, Decision.GRANTED, at, 1000 + i, "ConsentGiven", RECORD_ID, 0, at)
        for i, p in enumerate(others)
    ]

    assert not answer_at([*rulings, *grants], None, at).may_publish


@given(history_and_instant())
def test_decide_over_the_standing_decisions_is_the_answer(case):
    rulings, at = case

    assert decide(standing(rulings, at).values(), None, at) == answer_at(rulings, None, at)


# --- the consent record: recording order breaks ties ---------------------------------------


@dataclass(frozen=True)
class Step:
    """One written decision: who, what kind, for which media and channels, received when."""

    who: str  # "pupil", "mum" or "dad"
    command: str  # "give", "amend" or "withdraw"
    media: tuple[str, ...]
    channels: tuple[str, ...]
    granted: bool
    received_at: datetime


def steps(after: datetime = START) -> st.SearchStrategy[Step]:
    return st.builds(
        Step,
        who=st.sampled_from(["pupil", "mum", "dad"]),
        command=st.sampled_from(["give", "amend", "withdraw"]),
        media=st.sampled_from([(PHOTO,), (VIDEO,), (PHOTO, VIDEO)]),
        channels=st.sampled_from([(SOCIAL,), (WEBSITE,), (SOCIAL, WEBSITE)]),
        granted=st.booleans(),
        received_at=instants(after),
    )


PARENT_IDS = {"mum": uuid4(), "dad": uuid4()}


def record_of(history: list[Step]) -> ConsentRecord:
    with acting_as(OPERATOR):
        record = ConsentRecord.open(uuid4(), uuid4(), uuid4())
        for step in history:
            decision = (
                Decision.WITHDRAWN
                if step.command == "withdraw"
                else Decision.GRANTED
                if step.granted
                else Decision.REFUSED
            )
            choices = [
                {"medium": m, "channel": c, "decision": decision}
                for m in step.media
                for c in step.channels
            ]
            kind = "pupil" if step.who == "pupil" else "parent_carer"
            parent = PARENT_IDS.get(step.who)
            at = step.received_at
            if step.command == "withdraw":
                record.withdraw(kind, parent, choices, "paper_form", "REF", at)
            else:
                decide = record.give if step.command == "give" else record.amend
                decide(kind, parent, choices, "paper_form", "REF", "v1", at)
    return record


def named(answer: Answer) -> tuple:
    """An answer with parties named by role, comparable across records and applications."""
    status, deciding = key(answer)
    if deciding is None:
        return (status, None)
    names = {f"parent:{v}": k for k, v in PARENT_IDS.items()} | {PUPIL_PARTY: "pupil"}
    return (status, (names.get(deciding[0], deciding[0]), *deciding[1:]))


@st.composite
def step_history_and_instant(draw) -> tuple[list[Step], datetime]:
    history = draw(st.lists(steps(), max_size=10))
    receipts = [s.received_at for s in history]
    edges = receipts + [r - timedelta(microseconds=1) for r in receipts]
    at = draw(st.one_of(st.sampled_from(edges), instants()) if edges else instants())
    return history, at


@given(step_history_and_instant(), lapses)
def test_a_records_answer_is_that_of_the_decisions_received_by_then(case, lapse):
    """Record everything, or only what had been received by ``at`` (in the same order)."""
    history, at = case
    everything = record_of(history)
    known_then = record_of([s for s in history if s.received_at <= at])

    for medium, channel in COMBINATIONS:
        assert named(everything.answer(medium, channel, at, lapse)) == named(
            known_then.answer(medium, channel, at, lapse)
        )


# --- through the application ----------------------------------------------------------------


@contextmanager
def application() -> Iterator[CaseworkApplication]:
    keyring = Keyring(os.urandom(32), InMemoryKeyStore())
    app = CaseworkApplication(keyring, env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    try:
        yield app
    finally:
        app.close()


@dataclass
class School:
    app: CaseworkApplication
    pupil: UUID
    parents: dict[str, UUID]

    def run(self, step: Step) -> None:
        kind = (
            {"consenter_kind": "pupil"}
            if step.who == "pupil"
            else {"consenter_kind": "parent_carer", "parent_carer_id": self.parents[step.who]}
        )
        with as_user(self.app, "lead@oak"):
            if step.command == "withdraw":
                self.app.withdraw_consent(
                    WithdrawConsent(
                        pupil_id=self.pupil,
                        media=list(step.media),
                        channels=list(step.channels),
                        method="letter",
                        reference="REF",
                        received_at=step.received_at,
                        **kind,
                    )
                )
            else:
                form = GiveConsent if step.command == "give" else AmendConsent
                command = (
                    self.app.give_consent if step.command == "give" else self.app.amend_consent
                )
                command(
                    form(
                        pupil_id=self.pupil,
                        choices=[Choice(list(step.media), list(step.channels), step.granted)],
                        method="paper_form",
                        reference="REF",
                        statement_version="v1",
                        received_at=step.received_at,
                        **kind,
                    )
                )

    def leave(self, left_on: date) -> None:
        with as_user(self.app, "head@oak"):
            self.app.record_pupil_left(RecordPupilLeft(pupil_id=self.pupil, left_on=left_on))

    def answer(self, medium: str, channel: str, at: datetime) -> tuple:
        record = self.app.repository.get(consent_record_id(self.pupil))
        got = record.answer(medium, channel, at, lapse_of(self.app.repository.get(self.pupil)))
        status, deciding = key(got)
        if deciding is None:
            return (status, None)
        names = {f"parent:{v}": k for k, v in self.parents.items()} | {PUPIL_PARTY: "pupil"}
        return (status, (names[deciding[0]], *deciding[1:]))


@contextmanager
def school() -> Iterator[School]:
    """A pupil assessed competent before 2025, with two parents holding parental
    responsibility, and a first form from one of them received at the start of 2025."""
    with application() as app:
        with acting_as(OPERATOR):
            trust = make.trust(app, "Oak Learning Trust")
            school_id = make.school_with(
                app, trust, "head@oak", Role.HEADTEACHER, "Oak Primary", "123456"
            )
            make.grant(app, "lead@oak", Role.DATA_LEAD, trust, school_id)
        with as_user(app, "head@oak"):
            pupil = make.pupil(app, school_id, "Mia Patel", date(2010, 4, 1), year_group=11)
            mum = make.parent(app, pupil, "Ann Patel", "mother")
            dad = make.parent(app, pupil, "Raj Patel", "father")
        with as_user(app, "lead@oak"):
            app.record_competence_assessment(
                RecordCompetenceAssessment(
                    pupil_id=pupil, assessed_at=START - timedelta(days=1), competent=True
                )
            )
        yield School(app, pupil, {"mum": mum, "dad": dad})


@st.composite
def app_histories(draw) -> tuple[Step, list[Step], tuple[int, date] | None, datetime]:
    first = draw(
        st.builds(
            Step,
            who=st.sampled_from(["pupil", "mum", "dad"]),
            command=st.just("give"),
            media=st.just((PHOTO, VIDEO)),
            channels=st.just((SOCIAL, WEBSITE)),
            granted=st.booleans(),
            received_at=st.just(START),
        )
    )
    rest = draw(st.lists(steps(after=START), max_size=8))
    leaving = draw(
        st.one_of(
            st.none(),
            st.tuples(
                st.integers(0, len(rest)),
                st.dates(min_value=START.date(), max_value=END.date() - timedelta(days=1)),
            ),
        )
    )
    receipts = [s.received_at for s in rest]
    edges = [START, *receipts, *(r - timedelta(microseconds=1) for r in receipts)]
    if leaving is not None:
        edges.append(end_of_london_day(leaving[1]))
    at = draw(st.one_of(st.sampled_from(edges), instants()))
    return first, rest, leaving, at


@settings(max_examples=30, deadline=None)
@given(app_histories())
def test_through_the_application_the_answer_is_that_of_the_decisions_received_by_then(case):
    """Record a history (refused commands are left out), then record again only the accepted
    decisions received by ``at``, in the same order: the answers at ``at`` agree."""
    first, rest, leaving, at = case
    accepted: list[tuple[int, Step]] = []
    with school() as full:
        full.run(first)
        for i, step in enumerate(rest):
            if leaving is not None and leaving[0] == i:
                full.leave(leaving[1])
            try:
                full.run(step)
            except DomainError:
                continue
            accepted.append((i, step))
        if leaving is not None and leaving[0] == len(rest):
            full.leave(leaving[1])
        expected = {c: full.answer(*c, at) for c in COMBINATIONS}

    with school() as then:
        then.run(first)
        for i in range(len(rest) + 1):
            if leaving is not None and leaving[0] == i:
                then.leave(leaving[1])
            for j, step in accepted:
                if j == i and step.received_at <= at:
                    then.run(step)  # accepted in the full history, so accepted here too
        assert {c: then.answer(*c, at) for c in COMBINATIONS} == expected

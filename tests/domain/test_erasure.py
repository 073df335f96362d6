"""Erasure (docs/rules.md §9.6): given records the retention schedule gives as erasable, when a
DPO asks and a second approver carries it out, then exactly their keys are destroyed and the
erasure is recorded with the exports already sent; or a named error and nothing recorded."""

from __future__ import annotations

from base64 import b64decode
from datetime import date
from uuid import UUID, uuid4

import pytest

from domain.retention.erasure import Erasure
from domain.retention.erasure_commands import (
    ApproveErasure,
    CancelErasure,
    PlanErasure,
    RequestErasure,
)
from domain.retention.erasure_rules import (
    HOLD,
    Candidate,
    ErasureSettled,
    NotErasable,
    RecordHeld,
    SecondApproverRequired,
)
from domain.shared.actor import acting_as
from domain.shared.errors import NotAuthorised, NotFound, ValidationFailed
from domain.shared.policy import Role
from domain.shared.sealing import ERASED, Sealed
from tests import builders as make
from tests.domain import test_staff_cases
from tests.domain.conftest import OPERATOR, appends_nothing, as_user, events, last_event
from tests.domain.test_referral_export import RECIPIENT, export
from tests.domain.test_staff_cases import allege, decide

people = test_staff_cases.people  # a fixture: Oak's staff, a DSL and a pupil


@pytest.fixture
def dpos(app, trust_id, school_id, people):
    with acting_as(OPERATOR):
        make.grant(app, "dpo@oak", Role.DPO, trust_id)
        make.grant(app, "dpo2@oak", Role.DPO, trust_id)
        make.grant(app, "sdpo@oak", Role.DPO, trust_id, school_id)
    return people


def candidate(record_id: UUID, school_id, *, blockers=(), keys=None, kind="allegation"):
    return Candidate(
        record_type=kind,
        record_id=record_id,
        school_id=school_id,
        rule="allegation_removed",
        source="KCSIE Part four",
        due_on=date(2026, 1, 5),
        subject_ids=tuple(keys if keys is not None else (record_id,)),
        blind_indexes=(b"\x01" * 32,),
        blockers=tuple(blockers),
    )


def malicious(app, people) -> UUID:
    allegation_id = allege(app, people["dana"])
    decide(app, allegation_id, "malicious")
    return allegation_id


def request(app, trust_id, candidates, user="dpo@oak", reason="Malicious, no consent"):
    with as_user(app, user):
        return app.request_erasure(RequestErasure(trust_id, candidates, reason)).erasure_id


def approve(app, erasure_id, candidates, user="dpo2@oak"):
    with as_user(app, user):
        return app.approve_erasure(ApproveErasure(erasure_id, candidates))


def description_of(app, allegation_id):
    first = events(app, allegation_id)[0]
    return app.keyring.open(first.description)


def test_a_request_records_the_records_and_the_keys_and_destroys_nothing(
    app, trust_id, school_id, dpos
):
    allegation_id = malicious(app, dpos)
    erasure_id = request(app, trust_id, [candidate(allegation_id, school_id)])
    requested = last_event(app, erasure_id)
    assert isinstance(requested, Erasure.Requested)
    assert requested.subject_ids == [allegation_id]
    assert requested.records[0]["record_id"] == str(allegation_id)
    assert requested.records[0]["rule"] == "allegation_removed"
    assert description_of(app, allegation_id) != ERASED


def test_a_second_approver_destroys_exactly_the_records_keys(app, trust_id, school_id, dpos):
    erased, kept = malicious(app, dpos), malicious(app, dpos)
    records = [candidate(erased, school_id)]
    approve(app, request(app, trust_id, records), records)
    assert description_of(app, erased) is ERASED
    assert description_of(app, kept) != ERASED


def test_carrying_out_records_approver_keys_records_and_blind_indexes(
    app, trust_id, school_id, dpos
):
    allegation_id = malicious(app, dpos)
    records = [candidate(allegation_id, school_id)]
    erasure_id = request(app, trust_id, records)
    approve(app, erasure_id, records)
    done = last_event(app, erasure_id)
    assert isinstance(done, Erasure.CarriedOut)
    assert (done.actor, done.subject_ids, done.record_ids) == (
        "dpo2@oak",
        [allegation_id],
        [allegation_id],
    )
    assert done.blind_indexes == ["01" * 32]


def test_exports_already_sent_are_listed_with_their_recipient_kept(app, trust_id, school_id, dpos):
    allegation_id = malicious(app, dpos)
    export_id = uuid4()
    export(app, allegation_id, export_id=export_id)
    records = [candidate(allegation_id, school_id)]
    erasure_id = request(app, trust_id, records)
    approve(app, erasure_id, records)
    (sent,) = last_event(app, erasure_id).exports
    assert sent["export_id"] == str(export_id)
    assert sent["allegation_id"] == str(allegation_id)
    assert app.keyring.open(Sealed.from_bytes(b64decode(sent["recipient"]))) == RECIPIENT


def test_the_requester_cannot_approve_their_own_erasure(app, trust_id, school_id, dpos):
    allegation_id = malicious(app, dpos)
    records = [candidate(allegation_id, school_id)]
    erasure_id = request(app, trust_id, records)
    with appends_nothing(app), pytest.raises(SecondApproverRequired):
        approve(app, erasure_id, records, user="dpo@oak")
    assert description_of(app, allegation_id) != ERASED


def test_a_role_below_dpo_or_trust_level_cannot_approve(app, trust_id, school_id, dpos):
    allegation_id = malicious(app, dpos)
    records = [candidate(allegation_id, school_id)]
    erasure_id = request(app, trust_id, records)
    with appends_nothing(app), pytest.raises(NotFound):
        approve(app, erasure_id, records, user="head@oak")


def test_a_trust_wide_role_may_approve(app, trust_id, school_id, dpos):
    allegation_id = malicious(app, dpos)
    records = [candidate(allegation_id, school_id)]
    approve(app, request(app, trust_id, records), records, user="tsl@oak")
    assert description_of(app, allegation_id) is ERASED


def test_only_a_dpo_may_ask(app, trust_id, school_id, dpos):
    allegation_id = malicious(app, dpos)
    with appends_nothing(app), pytest.raises(NotAuthorised):
        request(app, trust_id, [candidate(allegation_id, school_id)], user="tsl@oak")


def test_a_school_dpo_may_not_ask_for_another_schools_records(app, trust_id, school_id, dpos):
    allegation_id = malicious(app, dpos)
    with appends_nothing(app), pytest.raises(NotAuthorised):
        request(app, trust_id, [candidate(allegation_id, uuid4())], user="sdpo@oak")


def test_a_held_record_is_refused_with_the_hold(app, trust_id, school_id, dpos):
    allegation_id = malicious(app, dpos)
    held = candidate(allegation_id, school_id, blockers=[(HOLD, "litigation: claim 123")])
    with appends_nothing(app), pytest.raises(RecordHeld) as refused:
        request(app, trust_id, [held])
    assert refused.value.code == "LEGAL_HOLD"
    assert "litigation" in refused.value.message


def test_a_hold_placed_after_the_request_stops_the_approval(app, trust_id, school_id, dpos):
    allegation_id = malicious(app, dpos)
    erasure_id = request(app, trust_id, [candidate(allegation_id, school_id)])
    held = candidate(allegation_id, school_id, blockers=[(HOLD, "inquiry direction")])
    with appends_nothing(app), pytest.raises(RecordHeld):
        approve(app, erasure_id, [held])
    assert description_of(app, allegation_id) != ERASED


def test_a_record_not_yet_due_is_refused(app, trust_id, school_id, dpos):
    allegation_id = malicious(app, dpos)
    early = candidate(allegation_id, school_id, blockers=[("not_due", "due on 5 January 2036")])
    with appends_nothing(app), pytest.raises(NotErasable) as refused:
        request(app, trust_id, [early])
    assert refused.value.code == "NOT_ERASABLE"


def test_a_request_needs_a_reason(app, trust_id, school_id, dpos):
    allegation_id = malicious(app, dpos)
    with appends_nothing(app), pytest.raises(ValidationFailed) as refused:
        request(app, trust_id, [candidate(allegation_id, school_id)], reason=" ")
    assert refused.value.field == "reason"


def test_a_request_names_at_least_one_record(app, trust_id, dpos):
    with appends_nothing(app), pytest.raises(ValidationFailed) as refused:
        request(app, trust_id, [])
    assert refused.value.field == "recordIds"


def test_an_erasure_is_carried_out_once(app, trust_id, school_id, dpos):
    allegation_id = malicious(app, dpos)
    records = [candidate(allegation_id, school_id)]
    erasure_id = request(app, trust_id, records)
    approve(app, erasure_id, records)
    with appends_nothing(app), pytest.raises(ErasureSettled):
        approve(app, erasure_id, records, user="tsl@oak")


def test_a_cancelled_erasure_cannot_be_approved(app, trust_id, school_id, dpos):
    allegation_id = malicious(app, dpos)
    records = [candidate(allegation_id, school_id)]
    erasure_id = request(app, trust_id, records)
    with as_user(app, "dpo@oak"):
        app.cancel_erasure(CancelErasure(erasure_id, "Asked in error"))
    with appends_nothing(app), pytest.raises(ErasureSettled):
        approve(app, erasure_id, records)
    assert description_of(app, allegation_id) != ERASED


def test_keys_changed_since_the_request_are_refused(app, trust_id, school_id, dpos):
    allegation_id = malicious(app, dpos)
    erasure_id = request(app, trust_id, [candidate(allegation_id, school_id)])
    wider = candidate(allegation_id, school_id, keys=(allegation_id, dpos["dana"]))
    with appends_nothing(app), pytest.raises(ValidationFailed):
        approve(app, erasure_id, [wider])
    assert description_of(app, allegation_id) != ERASED


def test_a_dry_run_lists_keys_blockers_and_exports_and_records_nothing(
    app, trust_id, school_id, dpos
):
    allegation_id = malicious(app, dpos)
    export(app, allegation_id)
    held = candidate(allegation_id, school_id, blockers=[(HOLD, "police request")])
    with appends_nothing(app), as_user(app, "dpo@oak"):
        plan = app.plan_erasure(PlanErasure(trust_id, [held]))
    assert plan.keys == (allegation_id,)
    assert not plan.erasable
    assert [e.recipient for e in plan.exports] == [RECIPIENT]
    assert description_of(app, allegation_id) != ERASED


def test_a_dry_run_is_for_the_dpo_only(app, trust_id, school_id, dpos):
    allegation_id = malicious(app, dpos)
    with pytest.raises(NotAuthorised), as_user(app, "head@oak"):
        app.plan_erasure(PlanErasure(trust_id, [candidate(allegation_id, school_id)]))

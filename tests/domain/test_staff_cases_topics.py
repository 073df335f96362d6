"""Events stored while the staff-case aggregates shared one module still load, and the view
still reads them: their former topics name the classes where they now live."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.application import CaseworkApplication
from domain.staff_cases.commands import (
    DeclareSocialMediaRelationship,
    RaiseLowLevelConcern,
    ReceiveAllegation,
    RecordAllegationOutcome,
    RecordOnlinePresenceCheck,
    ReportContactAttempt,
    ReviewLowLevelConcern,
    UpdateSocialMediaDeclaration,
)
from domain.staff_cases.former_topics import FORMER_MODULE, FORMER_TOPICS
from domain.staff_cases.model import HarmTests
from projections.staff_cases.projection import StaffCasesView
from tests.domain.conftest import as_user
from tests.domain.test_staff_cases import people  # noqa: F401  (a fixture)

NOW = datetime.now(UTC).replace(microsecond=0)
MET = HarmTests(harmed_child=True, possible_offence=False, risk_of_harm=False, unsuitable=False)


def _allegation(app, staff):
    with as_user(app, "dsl@oak"):
        received = app.receive_allegation(
            ReceiveAllegation(
                staff_member_id=staff["dana"],
                received_at=NOW - timedelta(days=1),
                source="pupil",
                received_via="in_person",
                description="Grabbed a pupil by the arm",
                harm_tests=MET,
            )
        )
    with as_user(app, "head@oak"):
        app.record_allegation_outcome(
            RecordAllegationOutcome(
                allegation_id=received.record_id,
                outcome="malicious",
                decided_at=NOW,
                summary="Fabricated",
                rationale="Admitted",
            )
        )
    return received.record_id


def _concern(app, staff):
    with as_user(app, "lee@oak"):
        concern_id, _ = app.raise_low_level_concern(
            RaiseLowLevelConcern(staff_member_id=staff["dana"], details="Keeps a pupil behind")
        )
    with as_user(app, "head@oak"):
        app.review_low_level_concern(
            ReviewLowLevelConcern(concern_id=concern_id, action_taken="Spoke", rationale="Code")
        )
    return concern_id


def _declaration(app, staff):
    with as_user(app, "dana@oak"):
        declaration_id, _ = app.declare_social_media_relationship(
            DeclareSocialMediaRelationship(
                staff_member_id=staff["dana"], platform="Instagram", relationship="Niece"
            )
        )
        app.update_social_media_declaration(
            UpdateSocialMediaDeclaration(
                declaration_id=declaration_id, circumstances="Unfollowed", ended=True
            )
        )
    return declaration_id


def _contact_attempt(app, staff):
    with as_user(app, "dana@oak"):
        attempt_id, _ = app.report_contact_attempt(
            ReportContactAttempt(
                staff_member_id=staff["dana"],
                occurred_at=NOW - timedelta(hours=1),
                platform="Instagram",
                contact_from="pupil",
                description="Follow request",
            )
        )
    return attempt_id


def _presence_check(app, staff):
    with as_user(app, "head@oak"):
        check_id, _ = app.record_online_presence_check(
            RecordOnlinePresenceCheck(
                staff_member_id=staff["dana"],
                checked_at=NOW - timedelta(hours=1),
                platforms="Facebook",
                outcome="no_concerns",
            )
        )
    return check_id


@pytest.mark.parametrize(
    "record", [_allegation, _concern, _declaration, _contact_attempt, _presence_check]
)
def test_a_record_stored_under_its_former_topics_still_loads(app, people, record):  # noqa: F811
    record_id = record(app, people)
    stored = list(app.recorder.select_events(record_id))
    module = stored[0].topic.partition(":")[0]
    former = [replace(e, topic=e.topic.replace(f"{module}:", f"{FORMER_MODULE}:")) for e in stored]
    assert all(e.topic.startswith(f"{FORMER_MODULE}:") for e in former)
    # The same events, as they were stored before the move, in a store of their own.
    old = CaseworkApplication(app.keyring, env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    try:
        old.recorder.insert_events(former)
        loaded = old.repository.get(record_id)
    finally:
        old.close()
    now = app.repository.get(record_id)
    assert type(loaded) is type(now)
    assert loaded.__dict__ == now.__dict__


def test_the_view_reads_the_events_stored_under_former_topics():
    topics = StaffCasesView.topics()
    for former in (
        f"{FORMER_MODULE}:Allegation.Received",
        f"{FORMER_MODULE}:LowLevelConcern.Escalated",
        f"{FORMER_MODULE}:SocialMediaDeclaration.AdviceRecorded",
        f"{FORMER_MODULE}:ContactAttempt.Reported",
        f"{FORMER_MODULE}:PresenceCheck.Recorded",
    ):
        assert former in topics
        assert former in FORMER_TOPICS

"""Consent events stored before the aggregates took the library's ``@event`` methods still load,
and the events recorded now have the same topics and attributes.

``consent_events_recorded_before.json`` holds one of each consent event kind as the earlier
code recorded them (each event class with its own ``apply()``): a consent record's
assessment, form, amendment, yearly confirmation, publication and withdrawal; a channel's
opening, poster, revocation and closing; a publication's recording, approval and takedown.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from domain.consent.aggregates import Channel, ConsentRecord, Publication, consent_record_id
from domain.consent.commands import (
    AmendConsent,
    ApprovePublication,
    AuthorisePoster,
    Choice,
    CloseChannel,
    ConfirmConsentForYear,
    GiveConsent,
    RecordCompetenceAssessment,
    RecordPublication,
    RecordTakedown,
    RevokePoster,
    SetPublicationApproval,
    WithdrawConsent,
)
from domain.consent.model import Decision, PosterPeriod, PublicationStatus
from domain.shared.actor import acting_as
from domain.shared.calendar import academic_year_of, london_today
from domain.shared.policy import Role
from tests import builders as make
from tests.domain.conftest import OPERATOR, as_user

RECORDED_BEFORE = json.loads(
    Path(__file__).with_name("consent_events_recorded_before.json").read_text()
)
SOCIAL = "school_social_media"

# The topics every consent event has been stored under, in the order the lifecycle records them.
TOPICS = [
    f"domain.consent.aggregates:{name}"
    for name in (
        "ConsentRecord.Opened",
        "ConsentRecord.CompetenceAssessed",
        "ConsentRecord.ConsentGiven",
        "ConsentRecord.ConsentAmended",
        "ConsentRecord.ConfirmedForYear",
        "ConsentRecord.FeaturedInPublication",
        "ConsentRecord.ConsentWithdrawn",
        "Channel.Opened",
        "Channel.PosterAuthorised",
        "Channel.PosterRevoked",
        "Channel.Closed",
        "Publication.Recorded",
        "Publication.Approved",
        "Publication.TakedownRequested",
        "Publication.TakedownRecorded",
    )
]


def stored_before() -> list[StoredEvent]:
    return [
        StoredEvent(
            UUID(e["originator_id"]), e["originator_version"], e["topic"], e["state"].encode()
        )
        for e in RECORDED_BEFORE
    ]


def ids_of(events: list[StoredEvent]) -> tuple[UUID, UUID, UUID]:
    """The consent record's, the channel's and the publication's ids, as stored."""
    by_topic = {e.topic: UUID(str(e.originator_id)) for e in events}
    prefix = "domain.consent.aggregates:"
    return (
        by_topic[prefix + "ConsentRecord.Opened"],
        by_topic[prefix + "Channel.Opened"],
        by_topic[prefix + "Publication.Recorded"],
    )


def timestamp(state: bytes) -> datetime:
    return datetime.fromisoformat(json.loads(state)["timestamp"]["_data_"])


@pytest.fixture
def loaded(app):
    """A fresh application whose store holds the events recorded before."""
    events = stored_before()
    app.recorder.insert_events(events)
    return events


def test_the_stored_topics_are_those_of_every_consent_event_kind() -> None:
    assert [e["topic"] for e in RECORDED_BEFORE] == TOPICS


def test_a_consent_record_stored_before_loads_with_its_decisions(app, loaded) -> None:
    record_id, _, publication_id = ids_of(loaded)
    record = app.repository.get(record_id)

    assert isinstance(record, ConsentRecord)
    assert record.version == 7
    assert record.competent_at(datetime(2025, 9, 3, tzinfo=UTC)) is False
    assert [(r.medium, r.decision, r.kind, r.version) for r in record.rulings] == [
        ("photo", Decision.GRANTED, "ConsentGiven", 3),
        ("video", Decision.REFUSED, "ConsentAmended", 4),
        ("photo", Decision.WITHDRAWN, "ConsentWithdrawn", 7),
    ]
    given = loaded[2]
    assert record.rulings[0].order == 3
    assert record.rulings[0].record_id == record_id
    assert record.rulings[0].recorded_at == timestamp(given.state)
    assert record.rulings[0].effective_at == datetime(2025, 9, 8, 9, tzinfo=UTC)
    assert record.confirmed_years == {academic_year_of(london_today())}
    assert [f.publication_id for f in record.featured] == [publication_id]
    assert record.featured[0].media == frozenset({"photo"})


def test_a_channel_stored_before_loads_with_its_posters_and_closing(app, loaded) -> None:
    _, channel_id, _ = ids_of(loaded)
    channel = app.repository.get(channel_id)

    assert isinstance(channel, Channel)
    assert channel.kind == SOCIAL
    assert channel.opened_on == date(2025, 9, 1)
    assert channel.closed_on == date(2026, 3, 4)
    [poster] = channel.posters
    assert poster == PosterPeriod(
        "dana@oak",
        poster.staff_member_id,
        datetime(2025, 9, 1, 8, tzinfo=UTC),
        datetime(2026, 3, 3, 9, tzinfo=UTC),
    )


def test_a_publication_stored_before_loads_approved_and_taken_down(app, loaded) -> None:
    _, channel_id, publication_id = ids_of(loaded)
    publication = app.repository.get(publication_id)

    assert isinstance(publication, Publication)
    assert publication.channel_id == channel_id
    assert publication.recorded_by == "dana@oak"
    assert publication.posted_by == "dana@oak"
    assert publication.approved_by == "lead@oak"
    assert publication.removed is True
    assert publication.pending_takedown == set()
    assert publication.status is PublicationStatus.REMOVED


def record_the_lifecycle(app) -> list[StoredEvent]:
    """The lifecycle the stored events came from, recorded through today's commands."""
    with acting_as(OPERATOR):
        trust = make.trust(app, "Oak Learning Trust")
        school = make.school(app, trust, "Oak Primary", "123456")
        make.grant_all(
            app,
            trust,
            school,
            [
                ("head@oak", Role.HEADTEACHER),
                ("lead@oak", Role.DATA_LEAD),
                ("dana@oak", Role.STAFF_REPORTER),
            ],
        )
        head = make.staff(app, school, "Hal Price", "headteacher", "head@oak")
    with as_user(app, "head@oak"):
        dana = make.staff(app, school, "Dana Cole", "teacher", "dana@oak")
        mia = make.pupil(app, school, "Mia Patel", date(2013, 4, 1))
        mum = make.parent(app, mia, "Ann Patel", "mother")
        channel = make.channel(
            app, school, head, date(2025, 9, 1), SOCIAL, account_name="@oak", purpose="Purpose"
        )
        app.authorise_poster(
            AuthorisePoster(channel, dana, effective_at=datetime(2025, 9, 1, 8, tzinfo=UTC))
        )
        app.set_publication_approval(SetPublicationApproval(school_id=school, required=True))
    parent = {"consenter_kind": "parent_carer", "parent_carer_id": mum}
    with as_user(app, "lead@oak"):
        app.record_competence_assessment(
            RecordCompetenceAssessment(mia, datetime(2025, 9, 2, 9, tzinfo=UTC), False, "Notes")
        )
        app.give_consent(
            GiveConsent(
                pupil_id=mia,
                choices=[Choice(["photo"], [SOCIAL], True)],
                method="paper_form",
                reference="FORM-1",
                statement_version="2025-v1",
                received_at=datetime(2025, 9, 8, 9, tzinfo=UTC),
                **parent,
            )
        )
        app.amend_consent(
            AmendConsent(
                pupil_id=mia,
                choices=[Choice(["video"], [SOCIAL], False)],
                method="email",
                reference="EMAIL-2",
                statement_version="2025-v2",
                received_at=datetime(2025, 9, 9, 9, tzinfo=UTC),
                **parent,
            )
        )
        app.confirm_consent_for_year(ConfirmConsentForYear(mia, academic_year_of(london_today())))
    with as_user(app, "dana@oak"):
        publication, _ = app.record_publication(
            RecordPublication(
                channel_id=channel,
                posted_at=datetime(2026, 2, 10, 12, tzinfo=UTC),
                media=["photo"],
                pupil_ids=[mia],
                identifiable=True,
                caption_names_anyone=False,
                description="A post",
                link="https://posts.example/1",
            )
        )
    with as_user(app, "lead@oak"):
        app.approve_publication(ApprovePublication(publication))
        app.withdraw_consent(
            WithdrawConsent(
                pupil_id=mia,
                media=["photo"],
                channels=[SOCIAL],
                method="letter",
                reference="LETTER-3",
                received_at=datetime(2026, 3, 1, 9, tzinfo=UTC),
                **parent,
            )
        )
        app.record_takedown(
            RecordTakedown(
                publication, "removed", datetime(2026, 3, 2, 9, tzinfo=UTC), "Removed it"
            )
        )
    with as_user(app, "head@oak"):
        app.revoke_poster(RevokePoster(channel, dana, datetime(2026, 3, 3, 9, tzinfo=UTC)))
        app.close_channel(CloseChannel(channel, date(2026, 3, 4), "Moved"))
    return [
        e
        for record_id in (consent_record_id(mia), channel, publication)
        for e in app.recorder.select_events(record_id)
    ]


def test_events_recorded_now_have_the_topics_and_attributes_stored_before(app) -> None:
    now = record_the_lifecycle(app)

    assert [e.topic for e in now] == TOPICS
    before = {e["topic"]: set(json.loads(e["state"])) for e in RECORDED_BEFORE}
    assert {e.topic: set(json.loads(e.state)) for e in now} == before


def test_events_recorded_now_load_as_those_stored_before_do(app) -> None:
    """The same lifecycle, recorded now and loaded, reads as the one stored before."""
    now = record_the_lifecycle(app)
    record_id, channel_id, publication_id = ids_of(now)
    record = app.repository.get(record_id)

    assert [(r.medium, r.decision, r.kind, r.version) for r in record.rulings] == [
        ("photo", Decision.GRANTED, "ConsentGiven", 3),
        ("video", Decision.REFUSED, "ConsentAmended", 4),
        ("photo", Decision.WITHDRAWN, "ConsentWithdrawn", 7),
    ]
    assert record.rulings[0].recorded_at == timestamp(now[2].state)
    assert record.assessments == [(datetime(2025, 9, 2, 9, tzinfo=UTC), 2, False)]
    assert app.repository.get(channel_id).closed_on == date(2026, 3, 4)
    publication = app.repository.get(publication_id)
    assert (publication.approved_by, publication.recorded_by) == ("lead@oak", "dana@oak")
    assert publication.status is PublicationStatus.REMOVED

"""Image and video consent, official channels, publications and takedowns (issue 5):
given events, when a command, then events or a named error.

The rule under test (``domain.consent.model``): each party's latest decision per medium and
channel stands; refusal wins; decisions take effect from receipt; consent lapses at the end of
the London day the pupil left.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain.consent.aggregates import ConsentRecord, Publication, consent_record_id
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
from domain.consent.errors import (
    ChannelClosed,
    CompetenceNotAssessed,
    ConsentMissing,
    ConsentNotGiven,
    Missing,
    NoConsentRecord,
    NoParentalResponsibility,
    NoTakedownPending,
    PostedBeforeChannelOpened,
    PosterNotAuthorised,
    PupilLeft,
    PupilNotCompetent,
    SelfApproval,
)
from domain.consent.model import PUPIL_PARTY, ConsentStatus, Decision, PublicationStatus
from domain.consent.record_handlers import lapse_of
from domain.directory.commands import (
    RecordPupilLeft,
)
from domain.shared.actor import acting_as
from domain.shared.calendar import LONDON
from domain.shared.errors import NotAuthorised, NotFound, ValidationFailed
from domain.shared.policy import Role
from domain.shared.sealing import Sealed, SubjectErased
from tests import builders as make
from tests.domain.conftest import OPERATOR, appends_nothing, as_user, events, oak_staff

PHOTO = "photo"
VIDEO = "video"
BOTH = (PHOTO, VIDEO)
SOCIAL = "school_social_media"
WEBSITE = "school_website"
PUPIL = "pupil"  # who decides: the pupil, or a parent or carer's id

CHANNEL_OPENED = date(2025, 9, 1)
POSTER_FROM = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)
ASSESSED = datetime(2025, 9, 2, 9, 0, tzinfo=UTC)
GIVEN = datetime(2025, 9, 8, 9, 0, tzinfo=UTC)
FEB_POST = datetime(2026, 2, 10, 12, 0, tzinfo=UTC)
WITHDRAWN = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
MAR_POST = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
FRESH = datetime(2026, 4, 20, 9, 0, tzinfo=UTC)
LEFT_ON = date(2026, 7, 22)  # British Summer Time: the London day ends at 23:00 UTC
END_OF_LEFT_DAY = datetime(2026, 7, 22, 23, 0, tzinfo=UTC)


@pytest.fixture
def people(app, trust_id, school_id):
    staff = oak_staff(
        app, trust_id, school_id, [("lead@oak", Role.DATA_LEAD), ("dsl@oak", Role.DSL)]
    )
    with as_user(app, "head@oak"):
        mia = make.pupil(app, school_id, "Mia Patel", date(2013, 4, 1))
        noah = make.pupil(app, school_id, "Noah Reed", date(2013, 6, 1))
        mum = make.parent(app, mia, "Ann Patel", "mother")
        dad = make.parent(app, mia, "Raj Patel", "father")
        aunt = make.parent(app, mia, "Sue Patel", "other", parental_responsibility=False)
        noahs_dad = make.parent(app, noah, "Ben Reed", "father")
    return staff | {
        "mia": mia,
        "noah": noah,
        "mum": mum,
        "dad": dad,
        "aunt": aunt,
        "noahs_dad": noahs_dad,
    }


def open_channel(app, school_id, staff_id, kind=SOCIAL, opened_on=CHANNEL_OPENED) -> UUID:
    with as_user(app, "head@oak"):
        return make.channel(app, school_id, staff_id, opened_on, kind)


@pytest.fixture
def channel(app, school_id, people) -> UUID:
    """The school's Instagram account, open from 1 September 2025; Dana posts on it."""
    channel_id = open_channel(app, school_id, people["head"])
    with as_user(app, "head@oak"):
        app.authorise_poster(
            AuthorisePoster(
                channel_id=channel_id, staff_member_id=people["dana"], effective_at=POSTER_FROM
            )
        )
    return channel_id


def require_approval(app, school_id) -> None:
    """Given the headteacher has turned on approval before posting."""
    with as_user(app, "head@oak"):
        app.set_publication_approval(SetPublicationApproval(school_id=school_id, required=True))


@contextmanager
def refused(app, error: type[Exception], code: str) -> Iterator[pytest.ExceptionInfo]:
    """The command raises ``error`` with ``code``, and nothing is appended."""
    with appends_nothing(app), pytest.raises(error) as caught:
        yield caught
    assert caught.value.code == code


def by(who) -> dict:
    if who == PUPIL:
        return {"consenter_kind": "pupil"}
    return {"consenter_kind": "parent_carer", "parent_carer_id": who}


def _decision(app, command, pupil_id, who, media, channels, granted, at, user, method, ref):
    """Record a consent form's choices: giving (the first) or amending (a later one)."""
    handler = app.give_consent if command is GiveConsent else app.amend_consent
    with as_user(app, user):
        return handler(
            command(
                pupil_id=pupil_id,
                choices=[Choice(list(media), list(channels), granted)],
                method=method,
                reference=ref,
                statement_version="2025-v1",
                received_at=at,
                **by(who),
            )
        )


def give(
    app, pupil_id, who, media=BOTH, channels=(SOCIAL,), granted=True, at=GIVEN, user="lead@oak"
):
    args = (pupil_id, who, media, channels, granted, at, user)
    return _decision(app, GiveConsent, *args, method="paper_form", ref="FORM-1")


def amend(
    app, pupil_id, who, media=BOTH, channels=(SOCIAL,), granted=True, at=GIVEN, user="lead@oak"
):
    args = (pupil_id, who, media, channels, granted, at, user)
    return _decision(app, AmendConsent, *args, method="email", ref="EMAIL-2")


def withdraw(app, pupil_id, who, media=BOTH, channels=(SOCIAL,), at=WITHDRAWN, user="lead@oak"):
    with as_user(app, user):
        return app.withdraw_consent(
            WithdrawConsent(
                pupil_id=pupil_id,
                media=list(media),
                channels=list(channels),
                method="letter",
                reference="LETTER-3",
                received_at=at,
                **by(who),
            )
        )


def assess(app, pupil_id, competent=True, at=ASSESSED, user="lead@oak"):
    with as_user(app, user):
        return app.record_competence_assessment(
            RecordCompetenceAssessment(
                pupil_id=pupil_id, assessed_at=at, competent=competent, notes="Understands the form"
            )
        )


def post(
    app,
    channel_id,
    pupils,
    media=(PHOTO,),
    at=FEB_POST,
    user="dana@oak",
    identifiable=True,
    poster: UUID | None = None,
) -> UUID:
    """Record a post; ``poster`` is the staff member who posted (default: whoever records)."""
    with as_user(app, user):
        publication_id, _ = app.record_publication(
            RecordPublication(
                channel_id=channel_id,
                posted_at=at,
                media=list(media),
                pupil_ids=list(pupils),
                identifiable=identifiable,
                caption_names_anyone=False,
                posted_by_id=poster,
            )
        )
    return publication_id


def answer(app, pupil_id, medium, at, channel=SOCIAL):
    record = app.repository.get(consent_record_id(pupil_id))
    return record.answer(medium, channel, at, lapse_of(app.repository.get(pupil_id)))


def status(app, pupil_id, medium, at, channel=SOCIAL) -> ConsentStatus:
    return answer(app, pupil_id, medium, at, channel).status


def publication(app, publication_id) -> Publication:
    return app.repository.get(publication_id)


# --- recording consent ---------------------------------------------------------------------


def test_a_parents_first_form_opens_the_record_and_grants_from_receipt(app, people):
    give(app, people["mia"], people["mum"])

    record_events = events(app, consent_record_id(people["mia"]))
    assert [type(e) for e in record_events] == [ConsentRecord.Opened, ConsentRecord.ConsentGiven]
    given = record_events[-1]
    assert given.received_at == GIVEN
    assert given.parent_carer_id == people["mum"]
    assert {(c["medium"], c["channel"], c["decision"]) for c in given.choices} == {
        (PHOTO, SOCIAL, Decision.GRANTED),
        (VIDEO, SOCIAL, Decision.GRANTED),
    }
    assert (
        status(app, people["mia"], PHOTO, GIVEN - timedelta(seconds=1)) is ConsentStatus.NO_RECORD
    )
    assert status(app, people["mia"], PHOTO, GIVEN) is ConsentStatus.GRANTED


def test_a_combination_nobody_decided_has_no_record(app, people):
    give(app, people["mia"], people["mum"], channels=(SOCIAL,))

    assert status(app, people["mia"], PHOTO, FEB_POST, WEBSITE) is ConsentStatus.NO_RECORD


def test_a_form_can_refuse_some_combinations_and_grant_others(app, people):
    with as_user(app, "lead@oak"):
        app.give_consent(
            GiveConsent(
                pupil_id=people["mia"],
                consenter_kind="parent_carer",
                choices=[
                    Choice([PHOTO], [SOCIAL, WEBSITE], True),
                    Choice([VIDEO], [SOCIAL], False),
                ],
                method="online_form",
                reference="WEB-9",
                statement_version="2025-v1",
                received_at=GIVEN,
                parent_carer_id=people["mum"],
            )
        )

    assert status(app, people["mia"], PHOTO, FEB_POST, WEBSITE) is ConsentStatus.GRANTED
    assert status(app, people["mia"], VIDEO, FEB_POST) is ConsentStatus.REFUSED


# --- issue scenario (a): a video-only withdrawal ----------------------------------------------


def test_withdrawing_video_only_leaves_photos_allowed(app, people):
    give(app, people["mia"], people["mum"], media=BOTH)

    withdraw(app, people["mia"], people["mum"], media=[VIDEO])

    assert status(app, people["mia"], PHOTO, MAR_POST) is ConsentStatus.GRANTED
    assert status(app, people["mia"], VIDEO, MAR_POST) is ConsentStatus.WITHDRAWN
    withdrawn = events(app, consent_record_id(people["mia"]))[-1]
    assert isinstance(withdrawn, ConsentRecord.ConsentWithdrawn)
    assert withdrawn.choices == [
        {"medium": VIDEO, "channel": SOCIAL, "decision": Decision.WITHDRAWN}
    ]


def test_after_a_video_only_withdrawal_a_photo_post_is_accepted(app, people, channel):
    give(app, people["mia"], people["mum"], media=BOTH)
    withdraw(app, people["mia"], people["mum"], media=[VIDEO])

    publication_id = post(app, channel, [people["mia"]], media=[PHOTO], at=MAR_POST)

    assert publication(app, publication_id).status is PublicationStatus.PUBLISHED


def test_after_a_video_only_withdrawal_a_video_post_is_refused(app, people, channel):
    give(app, people["mia"], people["mum"], media=BOTH)
    withdraw(app, people["mia"], people["mum"], media=[VIDEO])

    with refused(app, ConsentMissing, "CONSENT_MISSING") as caught:
        post(app, channel, [people["mia"]], media=[PHOTO, VIDEO], at=MAR_POST)

    assert caught.value.missing == [Missing(people["mia"], VIDEO, SOCIAL, ConsentStatus.WITHDRAWN)]


# --- issue scenario (b): withdrawal, then a fresh consent --------------------------------------


def test_fresh_consent_after_a_withdrawal_grants_again_from_its_receipt(app, people):
    give(app, people["mia"], people["mum"])
    withdraw(app, people["mia"], people["mum"])

    give(app, people["mia"], people["mum"], at=FRESH)

    mia = people["mia"]
    assert status(app, mia, PHOTO, WITHDRAWN - timedelta(seconds=1)) is ConsentStatus.GRANTED
    assert status(app, mia, PHOTO, WITHDRAWN) is ConsentStatus.WITHDRAWN
    assert status(app, mia, PHOTO, FRESH - timedelta(seconds=1)) is ConsentStatus.WITHDRAWN
    assert status(app, mia, PHOTO, FRESH) is ConsentStatus.GRANTED
    assert answer(app, mia, VIDEO, FRESH).deciding.effective_at == FRESH


def test_a_post_between_withdrawal_and_fresh_consent_is_refused(app, people, channel):
    give(app, people["mia"], people["mum"])
    withdraw(app, people["mia"], people["mum"])
    give(app, people["mia"], people["mum"], at=FRESH)

    with refused(app, ConsentMissing, "CONSENT_MISSING"):
        post(app, channel, [people["mia"]], at=MAR_POST)
    assert post(app, channel, [people["mia"]], at=FRESH + timedelta(days=1))


def test_a_withdrawal_recorded_late_still_takes_effect_from_its_receipt(app, people):
    """Recorded after the fresh form, received before it: the gap between them is withdrawn."""
    give(app, people["mia"], people["mum"])
    give(app, people["mia"], people["mum"], at=FRESH)

    withdraw(app, people["mia"], people["mum"], at=WITHDRAWN)

    assert status(app, people["mia"], PHOTO, MAR_POST) is ConsentStatus.WITHDRAWN
    assert status(app, people["mia"], PHOTO, FRESH) is ConsentStatus.GRANTED


# --- issue scenario (c): earlier posts stay lawful; later posts are refused -------------------


def test_a_february_post_stays_lawful_after_a_march_withdrawal(app, people, channel):
    give(app, people["mia"], people["mum"])
    withdraw(app, people["mia"], people["mum"], at=WITHDRAWN)

    publication_id = post(app, channel, [people["mia"]], at=FEB_POST)

    recorded = events(app, publication_id)[0]
    assert isinstance(recorded, Publication.Recorded)
    assert recorded.posted_at == FEB_POST
    assert recorded.pupil_ids == [people["mia"]]


def test_a_march_post_after_the_withdrawal_is_refused_naming_pupil_medium_and_channel(
    app, people, channel
):
    give(app, people["mia"], people["mum"])
    withdraw(app, people["mia"], people["mum"], at=WITHDRAWN)

    with refused(app, ConsentMissing, "CONSENT_MISSING") as caught:
        post(app, channel, [people["mia"]], media=[PHOTO], at=MAR_POST)

    assert caught.value.missing == [Missing(people["mia"], PHOTO, SOCIAL, ConsentStatus.WITHDRAWN)]
    assert caught.value.posted_at == MAR_POST


def test_a_withdrawal_puts_the_february_post_in_the_takedown_queue(app, people, channel):
    give(app, people["mia"], people["mum"])
    february = post(app, channel, [people["mia"]], at=FEB_POST)

    withdraw(app, people["mia"], people["mum"], at=WITHDRAWN)

    assert publication(app, february).pending_takedown == {people["mia"]}
    requested = events(app, february)[-1]
    assert isinstance(requested, Publication.TakedownRequested)
    assert requested.pupil_id == people["mia"]
    assert requested.withdrawal_received_at == WITHDRAWN


def test_an_amendment_refusing_a_combination_also_queues_its_posts(app, people, channel):
    give(app, people["mia"], people["mum"])
    february = post(app, channel, [people["mia"]], at=FEB_POST)

    amend(app, people["mia"], people["mum"], media=[PHOTO], granted=False, at=WITHDRAWN)

    assert publication(app, february).pending_takedown == {people["mia"]}


def test_withdrawing_another_medium_does_not_queue_a_photo_post(app, people, channel):
    give(app, people["mia"], people["mum"])
    february = post(app, channel, [people["mia"]], media=[PHOTO], at=FEB_POST)

    withdraw(app, people["mia"], people["mum"], media=[VIDEO], at=WITHDRAWN)

    assert publication(app, february).pending_takedown == set()


def test_withdrawing_another_channel_does_not_queue_the_post(app, people, channel):
    give(app, people["mia"], people["mum"], channels=(SOCIAL, WEBSITE))
    february = post(app, channel, [people["mia"]], at=FEB_POST)

    withdraw(app, people["mia"], people["mum"], channels=[WEBSITE], at=WITHDRAWN)

    assert publication(app, february).pending_takedown == set()


def test_a_february_post_recorded_after_the_withdrawal_is_queued_for_takedown(app, people, channel):
    give(app, people["mia"], people["mum"])
    withdraw(app, people["mia"], people["mum"], at=WITHDRAWN)

    february = post(app, channel, [people["mia"]], at=FEB_POST)

    assert publication(app, february).pending_takedown == {people["mia"]}


def test_a_late_withdrawal_does_not_queue_a_post_made_under_a_later_fresh_consent(
    app, people, channel
):
    give(app, people["mia"], people["mum"])
    give(app, people["mia"], people["mum"], at=FRESH)
    may_post = post(app, channel, [people["mia"]], at=FRESH + timedelta(days=10))

    withdraw(app, people["mia"], people["mum"], at=WITHDRAWN)

    assert status(app, people["mia"], PHOTO, FRESH + timedelta(days=10)) is ConsentStatus.GRANTED
    assert publication(app, may_post).pending_takedown == set()


# --- issue scenario (d): the pupil leaves ---------------------------------------------------


def test_consent_lapses_from_the_end_of_the_london_day_the_pupil_left(app, people):
    give(app, people["mia"], people["mum"])

    with as_user(app, "head@oak"):
        app.record_pupil_left(RecordPupilLeft(pupil_id=people["mia"], left_on=LEFT_ON))

    mia = people["mia"]
    assert status(app, mia, PHOTO, END_OF_LEFT_DAY - timedelta(seconds=1)) is ConsentStatus.GRANTED
    lapsed = answer(app, mia, PHOTO, END_OF_LEFT_DAY)
    assert lapsed.status is ConsentStatus.LAPSED
    assert lapsed.lapse.left_on == LEFT_ON
    assert lapsed.lapse.effective_at == END_OF_LEFT_DAY


def test_a_refusal_also_gives_way_to_lapse_once_the_pupil_left(app, people):
    give(app, people["mia"], people["mum"], granted=False)

    with as_user(app, "head@oak"):
        app.record_pupil_left(RecordPupilLeft(pupil_id=people["mia"], left_on=LEFT_ON))

    assert status(app, people["mia"], PHOTO, END_OF_LEFT_DAY) is ConsentStatus.LAPSED


def test_a_decision_received_on_the_day_the_pupil_left_is_recorded(app, people):
    with as_user(app, "head@oak"):
        app.record_pupil_left(RecordPupilLeft(pupil_id=people["mia"], left_on=LEFT_ON))

    give(app, people["mia"], people["mum"], at=END_OF_LEFT_DAY - timedelta(minutes=1))

    assert status(app, people["mia"], PHOTO, END_OF_LEFT_DAY - timedelta(seconds=1)) is (
        ConsentStatus.GRANTED
    )


def test_consent_received_after_the_pupil_left_is_refused(app, people):
    with as_user(app, "head@oak"):
        app.record_pupil_left(RecordPupilLeft(pupil_id=people["mia"], left_on=LEFT_ON))

    with refused(app, PupilLeft, "PUPIL_LEFT"):
        give(app, people["mia"], people["mum"], at=END_OF_LEFT_DAY)


def test_a_withdrawal_received_after_the_pupil_left_is_refused(app, people):
    give(app, people["mia"], people["mum"])
    with as_user(app, "head@oak"):
        app.record_pupil_left(RecordPupilLeft(pupil_id=people["mia"], left_on=LEFT_ON))

    with refused(app, PupilLeft, "PUPIL_LEFT"):
        withdraw(app, people["mia"], people["mum"], at=END_OF_LEFT_DAY + timedelta(days=1))


def test_a_competence_assessment_after_the_pupil_left_is_refused(app, people):
    with as_user(app, "head@oak"):
        app.record_pupil_left(RecordPupilLeft(pupil_id=people["mia"], left_on=LEFT_ON))

    with refused(app, PupilLeft, "PUPIL_LEFT"):
        assess(app, people["mia"], at=END_OF_LEFT_DAY + timedelta(days=1))


def test_a_post_after_the_pupil_left_is_refused_as_lapsed(app, people, channel):
    give(app, people["mia"], people["mum"])
    with as_user(app, "head@oak"):
        app.record_pupil_left(RecordPupilLeft(pupil_id=people["mia"], left_on=LEFT_ON))

    with refused(app, ConsentMissing, "CONSENT_MISSING") as caught:
        post(app, channel, [people["mia"]], at=END_OF_LEFT_DAY + timedelta(days=1))

    assert caught.value.missing == [Missing(people["mia"], PHOTO, SOCIAL, ConsentStatus.LAPSED)]


# --- a competent pupil and a parent ----------------------------------------------------------


def test_a_pupil_assessed_competent_decides_for_themselves(app, people):
    assess(app, people["mia"], competent=True)

    give(app, people["mia"], PUPIL)

    deciding = answer(app, people["mia"], PHOTO, FEB_POST).deciding
    assert deciding.party == PUPIL_PARTY
    assert deciding.decision == Decision.GRANTED


def test_a_parents_refusal_wins_over_a_competent_pupils_grant(app, people):
    assess(app, people["mia"], competent=True)
    give(app, people["mia"], PUPIL, at=GIVEN)

    give(app, people["mia"], people["mum"], granted=False, at=GIVEN + timedelta(days=1))

    ruled = answer(app, people["mia"], PHOTO, FEB_POST)
    assert ruled.status is ConsentStatus.REFUSED
    assert ruled.deciding.party == f"parent:{people['mum']}"
    assert ruled.deciding.decision == Decision.REFUSED
    assert ruled.deciding.effective_at == GIVEN + timedelta(days=1)


def test_once_the_refusing_parent_grants_the_answer_is_granted(app, people):
    assess(app, people["mia"], competent=True)
    give(app, people["mia"], PUPIL, at=GIVEN)
    give(app, people["mia"], people["mum"], granted=False, at=GIVEN + timedelta(days=1))

    amend(app, people["mia"], people["mum"], granted=True, at=GIVEN + timedelta(days=5))

    ruled = answer(app, people["mia"], PHOTO, FEB_POST)
    assert ruled.status is ConsentStatus.GRANTED
    assert ruled.deciding.party == f"parent:{people['mum']}"
    assert ruled.deciding.effective_at == GIVEN + timedelta(days=5)
    assert status(app, people["mia"], PHOTO, GIVEN + timedelta(days=3)) is ConsentStatus.REFUSED


def test_a_competent_pupils_refusal_wins_over_a_parents_grant(app, people):
    assess(app, people["mia"], competent=True)
    give(app, people["mia"], PUPIL, granted=False, at=GIVEN)

    give(app, people["mia"], people["mum"], granted=True, at=GIVEN + timedelta(days=1))

    ruled = answer(app, people["mia"], PHOTO, FEB_POST)
    assert ruled.status is ConsentStatus.REFUSED
    assert ruled.deciding.party == PUPIL_PARTY


def test_one_parents_refusal_wins_over_the_other_parents_grant(app, people):
    give(app, people["mia"], people["mum"], granted=True, at=GIVEN)

    give(app, people["mia"], people["dad"], granted=False, at=GIVEN + timedelta(days=1))

    ruled = answer(app, people["mia"], VIDEO, FEB_POST)
    assert ruled.status is ConsentStatus.REFUSED
    assert ruled.deciding.party == f"parent:{people['dad']}"


def test_a_parent_may_withdraw_consent_the_other_parent_gave(app, people):
    give(app, people["mia"], people["mum"])

    withdraw(app, people["mia"], people["dad"])

    ruled = answer(app, people["mia"], PHOTO, MAR_POST)
    assert ruled.status is ConsentStatus.WITHDRAWN
    assert ruled.deciding.party == f"parent:{people['dad']}"


def test_decisions_received_at_the_same_instant_are_read_in_recording_order(app, people):
    give(app, people["mia"], people["mum"], granted=False, at=GIVEN)

    amend(app, people["mia"], people["mum"], granted=True, at=GIVEN)

    assert status(app, people["mia"], PHOTO, GIVEN) is ConsentStatus.GRANTED


# --- bad input: a named error, nothing appended ----------------------------------------------


def test_a_relative_without_parental_responsibility_cannot_consent(app, people):
    with refused(app, NoParentalResponsibility, "NO_PARENTAL_RESPONSIBILITY"):
        give(app, people["mia"], people["aunt"])


def test_another_pupils_parent_cannot_consent(app, people):
    with refused(app, NoParentalResponsibility, "NO_PARENTAL_RESPONSIBILITY"):
        give(app, people["mia"], people["noahs_dad"])


def test_a_relative_without_parental_responsibility_cannot_withdraw(app, people):
    give(app, people["mia"], people["mum"])

    with refused(app, NoParentalResponsibility, "NO_PARENTAL_RESPONSIBILITY"):
        withdraw(app, people["mia"], people["aunt"])


def test_a_parent_decision_must_name_the_parent(app, people):
    with refused(app, ValidationFailed, "VALIDATION_ERROR") as caught:
        give(app, people["mia"], None)

    assert caught.value.field == "parentCarerId"


def test_an_unknown_parent_is_not_found(app, people):
    with refused(app, NotFound, "NOT_FOUND"):
        give(app, people["mia"], uuid4())


def test_a_pupil_cannot_consent_without_a_competence_assessment(app, people):
    with refused(app, CompetenceNotAssessed, "COMPETENCE_NOT_ASSESSED"):
        give(app, people["mia"], PUPIL)


def test_a_competence_assessment_made_after_receipt_does_not_count(app, people):
    assess(app, people["mia"], competent=True, at=GIVEN + timedelta(days=1))

    with refused(app, CompetenceNotAssessed, "COMPETENCE_NOT_ASSESSED"):
        give(app, people["mia"], PUPIL, at=GIVEN)


def test_a_pupil_assessed_not_competent_cannot_consent(app, people):
    assess(app, people["mia"], competent=False)

    with refused(app, PupilNotCompetent, "PUPIL_NOT_COMPETENT"):
        give(app, people["mia"], PUPIL)


def test_the_latest_assessment_before_receipt_decides_competence(app, people):
    assess(app, people["mia"], competent=True, at=ASSESSED)
    assess(app, people["mia"], competent=False, at=GIVEN - timedelta(days=1))

    with refused(app, PupilNotCompetent, "PUPIL_NOT_COMPETENT"):
        give(app, people["mia"], PUPIL, at=GIVEN)


def test_withdrawing_consent_never_given_is_refused(app, people):
    with refused(app, ConsentNotGiven, "CONSENT_NOT_GIVEN"):
        withdraw(app, people["mia"], people["mum"])


def test_withdrawing_a_combination_that_was_only_refused_is_refused(app, people):
    give(app, people["mia"], people["mum"], media=[PHOTO], granted=True)
    give(app, people["mia"], people["mum"], media=[VIDEO], granted=False)

    with refused(app, ConsentNotGiven, "CONSENT_NOT_GIVEN") as caught:
        withdraw(app, people["mia"], people["mum"], media=BOTH)

    assert "video" in caught.value.reason
    assert "photo" not in caught.value.reason


def test_withdrawing_before_consent_was_received_is_refused(app, people):
    give(app, people["mia"], people["mum"], at=GIVEN)

    with refused(app, ConsentNotGiven, "CONSENT_NOT_GIVEN"):
        withdraw(app, people["mia"], people["mum"], at=GIVEN - timedelta(days=1))


def test_amending_with_no_consent_record_is_refused(app, people):
    with refused(app, NoConsentRecord, "NO_CONSENT_RECORD"):
        amend(app, people["mia"], people["mum"])


def test_amending_when_only_a_competence_assessment_is_recorded_is_refused(app, people):
    assess(app, people["mia"], competent=True)

    with refused(app, NoConsentRecord, "NO_CONSENT_RECORD"):
        amend(app, people["mia"], PUPIL)


def test_a_receipt_without_a_time_zone_is_refused(app, people):
    with refused(app, ValidationFailed, "VALIDATION_ERROR") as caught:
        give(app, people["mia"], people["mum"], at=GIVEN.replace(tzinfo=None))

    assert caught.value.field == "receivedAt"


def test_a_receipt_in_london_time_is_kept_as_the_same_instant(app, people):
    give(app, people["mia"], people["mum"], at=GIVEN.astimezone(LONDON))

    assert events(app, consent_record_id(people["mia"]))[-1].received_at == GIVEN


def test_both_granting_and_refusing_one_combination_is_refused(app, people):
    with as_user(app, "lead@oak"), refused(app, ValidationFailed, "VALIDATION_ERROR") as caught:
        app.give_consent(
            GiveConsent(
                pupil_id=people["mia"],
                consenter_kind="parent_carer",
                choices=[Choice([PHOTO, VIDEO], [SOCIAL], True), Choice([PHOTO], [SOCIAL], False)],
                method="paper_form",
                reference="FORM-1",
                statement_version="2025-v1",
                received_at=GIVEN,
                parent_carer_id=people["mum"],
            )
        )

    assert caught.value.field == "choices[1]"


@pytest.mark.parametrize(
    ("media", "channels", "field"),
    [
        (["hologram"], [SOCIAL], "choices[0].media"),
        ([PHOTO], ["billboard"], "choices[0].channels"),
        ([], [SOCIAL], "choices[0].media"),
        ([PHOTO], [], "choices[0].channels"),
    ],
)
def test_unknown_or_missing_media_and_channels_are_refused(app, people, media, channels, field):
    with refused(app, ValidationFailed, "VALIDATION_ERROR") as caught:
        give(app, people["mia"], people["mum"], media=media, channels=channels)

    assert caught.value.field == field


def test_consent_received_in_the_future_is_refused(app, people):
    with refused(app, ValidationFailed, "VALIDATION_ERROR") as caught:
        give(app, people["mia"], people["mum"], at=datetime.now(UTC) + timedelta(days=1))

    assert caught.value.field == "receivedAt"


def test_consent_for_an_unknown_pupil_is_not_found(app, people):
    with refused(app, NotFound, "NOT_FOUND"):
        give(app, uuid4(), people["mum"])


# --- channels and publications: bad input ----------------------------------------------------


def test_a_post_on_an_unknown_channel_is_not_found(app, people, channel):
    give(app, people["mia"], people["mum"])

    with refused(app, NotFound, "NOT_FOUND"):
        post(app, uuid4(), [people["mia"]])


def test_a_post_dated_before_the_channel_opened_is_refused(app, people, channel):
    give(app, people["mia"], people["mum"])

    with refused(app, PostedBeforeChannelOpened, "POSTED_BEFORE_CHANNEL_OPENED"):
        post(
            app,
            channel,
            [people["mia"]],
            at=datetime(2025, 8, 20, 12, 0, tzinfo=UTC),
            user="lead@oak",
            poster=people["dana"],
        )


def test_whether_a_post_precedes_the_opening_is_judged_by_the_london_day(app, people, channel):
    """23:30 UTC on 31 August 2025 is already 1 September in London (BST)."""
    give(app, people["mia"], people["mum"], at=datetime(2025, 8, 30, 9, 0, tzinfo=UTC))
    with as_user(app, "head@oak"):
        app.authorise_poster(
            AuthorisePoster(
                channel_id=channel,
                staff_member_id=people["lee"],
                effective_at=datetime(2025, 8, 31, 20, 0, tzinfo=UTC),
            )
        )

    with refused(app, PostedBeforeChannelOpened, "POSTED_BEFORE_CHANNEL_OPENED"):
        post(
            app,
            channel,
            [people["mia"]],
            at=datetime(2025, 8, 31, 22, 59, tzinfo=UTC),
            user="lee@oak",
        )
    assert post(
        app, channel, [people["mia"]], at=datetime(2025, 8, 31, 23, 0, tzinfo=UTC), user="lee@oak"
    )


def test_a_post_on_or_after_the_day_the_channel_closed_is_refused(app, people, channel):
    give(app, people["mia"], people["mum"])
    with as_user(app, "head@oak"):
        app.close_channel(
            CloseChannel(
                channel_id=channel, closed_on=date(2026, 3, 1), reason="Moved to a new account"
            )
        )

    with refused(app, ChannelClosed, "CHANNEL_CLOSED"):
        post(app, channel, [people["mia"]], at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC))


def test_a_post_before_the_channel_closed_is_accepted(app, people, channel):
    give(app, people["mia"], people["mum"])
    with as_user(app, "head@oak"):
        app.close_channel(CloseChannel(channel_id=channel, closed_on=date(2026, 3, 1)))

    assert post(app, channel, [people["mia"]], at=FEB_POST)


def test_a_closed_channel_cannot_authorise_posters(app, people, channel):
    with as_user(app, "head@oak"):
        app.close_channel(CloseChannel(channel_id=channel, closed_on=date(2026, 3, 1)))

    with as_user(app, "head@oak"), refused(app, ChannelClosed, "CHANNEL_CLOSED"):
        app.authorise_poster(
            AuthorisePoster(
                channel_id=channel, staff_member_id=people["lee"], effective_at=POSTER_FROM
            )
        )


def test_a_post_before_the_poster_was_authorised_is_refused(app, people, channel):
    give(app, people["mia"], people["mum"])
    with as_user(app, "head@oak"):
        app.authorise_poster(
            AuthorisePoster(
                channel_id=channel, staff_member_id=people["lee"], effective_at=MAR_POST
            )
        )

    with refused(app, PosterNotAuthorised, "POSTER_NOT_AUTHORISED"):
        post(app, channel, [people["mia"]], at=FEB_POST, user="lead@oak", poster=people["lee"])


def test_a_refused_poster_is_not_named_by_their_login(app, people, channel):
    give(app, people["mia"], people["mum"])
    with as_user(app, "head@oak"):
        app.authorise_poster(
            AuthorisePoster(
                channel_id=channel, staff_member_id=people["lee"], effective_at=MAR_POST
            )
        )

    with refused(app, PosterNotAuthorised, "POSTER_NOT_AUTHORISED") as caught:
        post(app, channel, [people["mia"]], at=FEB_POST, user="lead@oak", poster=people["lee"])

    assert "lee@oak" not in caught.value.message


def test_a_post_after_the_posters_authority_was_revoked_is_refused(app, people, channel):
    give(app, people["mia"], people["mum"])
    with as_user(app, "head@oak"):
        app.revoke_poster(
            RevokePoster(channel_id=channel, staff_member_id=people["dana"], effective_at=WITHDRAWN)
        )

    with refused(app, PosterNotAuthorised, "POSTER_NOT_AUTHORISED"):
        post(app, channel, [people["mia"]], at=MAR_POST, user="lead@oak", poster=people["dana"])


def test_a_post_while_the_poster_was_authorised_is_accepted_after_revocation(app, people, channel):
    give(app, people["mia"], people["mum"])
    with as_user(app, "head@oak"):
        app.revoke_poster(
            RevokePoster(channel_id=channel, staff_member_id=people["dana"], effective_at=WITHDRAWN)
        )

    publication_id = post(
        app, channel, [people["mia"]], at=FEB_POST, user="lead@oak", poster=people["dana"]
    )

    assert publication(app, publication_id).posted_by == "dana@oak"


def test_a_post_featuring_a_pupil_of_another_school_is_not_found(app, trust_id, people, channel):
    with acting_as(OPERATOR):
        elm = make.school_with(app, trust_id, "elmhead@elm", Role.HEADTEACHER)
    with as_user(app, "elmhead@elm"):
        elsewhere = make.pupil(app, elm, "Zoe Lane", date(2013, 1, 1))

    with refused(app, NotFound, "NOT_FOUND"):
        post(app, channel, [elsewhere])


def test_a_member_of_staff_of_another_school_named_as_poster_is_not_found(
    app, trust_id, people, channel
):
    with acting_as(OPERATOR):
        elm = make.school_with(app, trust_id, "elmhead@elm", Role.HEADTEACHER)
    with as_user(app, "elmhead@elm"):
        elsewhere = make.staff(app, elm, "Zoe Lane", "teacher", "zoe@elm")

    with as_user(app, "head@oak"), refused(app, NotFound, "NOT_FOUND"):
        app.authorise_poster(
            AuthorisePoster(channel_id=channel, staff_member_id=elsewhere, effective_at=POSTER_FROM)
        )


# --- ConsentMissing lists every gap --------------------------------------------------------


def test_consent_missing_lists_every_pupil_medium_and_channel_without_consent(app, people, channel):
    give(app, people["mia"], people["mum"], media=[PHOTO], granted=True)
    give(app, people["mia"], people["mum"], media=[VIDEO], granted=False)
    give(app, people["noah"], people["noahs_dad"], media=[VIDEO], granted=True)
    withdraw(app, people["noah"], people["noahs_dad"], media=[VIDEO], at=WITHDRAWN)

    with refused(app, ConsentMissing, "CONSENT_MISSING") as caught:
        post(app, channel, [people["mia"], people["noah"]], media=BOTH, at=MAR_POST)

    assert set(caught.value.missing) == {
        Missing(people["mia"], VIDEO, SOCIAL, ConsentStatus.REFUSED),
        Missing(people["noah"], PHOTO, SOCIAL, ConsentStatus.NO_RECORD),
        Missing(people["noah"], VIDEO, SOCIAL, ConsentStatus.WITHDRAWN),
    }


def test_consent_missing_lists_a_pupil_with_no_record_at_all(app, people, channel):
    give(app, people["mia"], people["mum"])

    with refused(app, ConsentMissing, "CONSENT_MISSING") as caught:
        post(app, channel, [people["mia"], people["noah"]], media=BOTH, at=MAR_POST)

    assert set(caught.value.missing) == {
        Missing(people["noah"], PHOTO, SOCIAL, ConsentStatus.NO_RECORD),
        Missing(people["noah"], VIDEO, SOCIAL, ConsentStatus.NO_RECORD),
    }


def test_consent_for_another_channel_does_not_cover_this_one(app, people, channel):
    give(app, people["mia"], people["mum"], channels=[WEBSITE])

    with refused(app, ConsentMissing, "CONSENT_MISSING") as caught:
        post(app, channel, [people["mia"]], at=MAR_POST)

    assert caught.value.missing == [Missing(people["mia"], PHOTO, SOCIAL, ConsentStatus.NO_RECORD)]


def test_a_post_with_consent_marks_each_pupils_record_as_featured(app, people, channel):
    give(app, people["mia"], people["mum"])
    give(app, people["noah"], people["noahs_dad"])

    publication_id = post(app, channel, [people["mia"], people["noah"]], media=BOTH)

    for pupil in ("mia", "noah"):
        featured = events(app, consent_record_id(people[pupil]))[-1]
        assert isinstance(featured, ConsentRecord.FeaturedInPublication)
        assert featured.publication_id == publication_id
        assert featured.posted_at == FEB_POST


# --- pseudonymised publications -------------------------------------------------------------


def test_a_pseudonymised_post_of_pupils_without_consent_is_accepted(app, people, channel):
    publication_id = post(
        app, channel, [people["mia"], people["noah"]], media=BOTH, identifiable=False
    )

    recorded = events(app, publication_id)[0]
    assert recorded.identifiable is False
    assert consent_record_id(people["noah"]) not in app.repository


def test_a_withdrawal_does_not_queue_a_pseudonymised_post(app, people, channel):
    give(app, people["mia"], people["mum"])
    blurred = post(app, channel, [people["mia"]], identifiable=False, at=FEB_POST)

    withdraw(app, people["mia"], people["mum"], at=WITHDRAWN)

    assert publication(app, blurred).pending_takedown == set()
    assert [type(e) for e in events(app, blurred)] == [Publication.Recorded]


# --- the two-person rule --------------------------------------------------------------------


def test_with_the_two_person_rule_a_post_awaits_approval(app, school_id, people, channel):
    give(app, people["mia"], people["mum"])
    with as_user(app, "head@oak"):
        app.set_publication_approval(SetPublicationApproval(school_id=school_id, required=True))

    publication_id = post(app, channel, [people["mia"]])

    assert publication(app, publication_id).status is PublicationStatus.AWAITING_APPROVAL


def test_the_poster_cannot_approve_their_own_post(app, school_id, people, channel):
    give(app, people["mia"], people["mum"])
    require_approval(app, school_id)
    publication_id = post(app, channel, [people["mia"]], user="dana@oak")

    with as_user(app, "dana@oak"), refused(app, SelfApproval, "SELF_APPROVAL"):
        app.approve_publication(ApprovePublication(publication_id=publication_id))


def test_whoever_recorded_a_post_cannot_approve_it(app, school_id, people, channel):
    give(app, people["mia"], people["mum"])
    require_approval(app, school_id)
    publication_id = post(app, channel, [people["mia"]], user="lead@oak", poster=people["dana"])

    with as_user(app, "lead@oak"), refused(app, SelfApproval, "SELF_APPROVAL"):
        app.approve_publication(ApprovePublication(publication_id=publication_id))


def test_a_colleague_approving_publishes_the_post(app, school_id, people, channel):
    give(app, people["mia"], people["mum"])
    require_approval(app, school_id)
    publication_id = post(app, channel, [people["mia"]], user="dana@oak")

    with as_user(app, "lead@oak"):
        app.approve_publication(ApprovePublication(publication_id=publication_id))

    assert publication(app, publication_id).status is PublicationStatus.PUBLISHED
    approved = events(app, publication_id)[-1]
    assert isinstance(approved, Publication.Approved)
    assert approved.actor == "lead@oak"


def test_a_post_is_approved_only_once(app, school_id, people, channel):
    give(app, people["mia"], people["mum"])
    require_approval(app, school_id)
    publication_id = post(app, channel, [people["mia"]], user="dana@oak")
    with as_user(app, "lead@oak"):
        app.approve_publication(ApprovePublication(publication_id=publication_id))

    with as_user(app, "head@oak"), refused(app, ValidationFailed, "VALIDATION_ERROR"):
        app.approve_publication(ApprovePublication(publication_id=publication_id))


def test_a_second_approval_does_not_name_the_first_approver_by_their_login(
    app, school_id, people, channel
):
    give(app, people["mia"], people["mum"])
    require_approval(app, school_id)
    publication_id = post(app, channel, [people["mia"]], user="dana@oak")
    with as_user(app, "lead@oak"):
        app.approve_publication(ApprovePublication(publication_id=publication_id))

    with as_user(app, "head@oak"), refused(app, ValidationFailed, "VALIDATION_ERROR") as caught:
        app.approve_publication(ApprovePublication(publication_id=publication_id))

    assert "lead@oak" not in caught.value.message


def test_a_colleague_who_may_not_post_or_record_posts_cannot_approve(
    app, school_id, people, channel
):
    give(app, people["mia"], people["mum"])
    require_approval(app, school_id)
    publication_id = post(app, channel, [people["mia"]], user="dana@oak")

    with as_user(app, "lee@oak"), refused(app, NotAuthorised, "NOT_AUTHORISED"):
        app.approve_publication(ApprovePublication(publication_id=publication_id))


def test_another_authorised_poster_may_approve(app, school_id, people, channel):
    give(app, people["mia"], people["mum"])
    with as_user(app, "head@oak"):
        app.set_publication_approval(SetPublicationApproval(school_id=school_id, required=True))
        app.authorise_poster(
            AuthorisePoster(
                channel_id=channel, staff_member_id=people["lee"], effective_at=POSTER_FROM
            )
        )
    publication_id = post(app, channel, [people["mia"]], user="dana@oak")

    with as_user(app, "lee@oak"):
        app.approve_publication(ApprovePublication(publication_id=publication_id))

    assert publication(app, publication_id).approved_by == "lee@oak"


def test_switching_the_rule_on_leaves_earlier_posts_published(app, school_id, people, channel):
    give(app, people["mia"], people["mum"])
    earlier = post(app, channel, [people["mia"]])

    with as_user(app, "head@oak"):
        app.set_publication_approval(SetPublicationApproval(school_id=school_id, required=True))

    assert publication(app, earlier).status is PublicationStatus.PUBLISHED


def test_without_the_two_person_rule_a_post_is_published_and_needs_no_approval(
    app, people, channel
):
    give(app, people["mia"], people["mum"])
    publication_id = post(app, channel, [people["mia"]])

    assert publication(app, publication_id).status is PublicationStatus.PUBLISHED
    with as_user(app, "lead@oak"), refused(app, ValidationFailed, "VALIDATION_ERROR"):
        app.approve_publication(ApprovePublication(publication_id=publication_id))


def test_switching_the_two_person_rule_to_its_current_setting_is_refused(app, school_id, people):
    with as_user(app, "head@oak"), refused(app, ValidationFailed, "VALIDATION_ERROR"):
        app.set_publication_approval(SetPublicationApproval(school_id=school_id, required=False))


def test_a_staff_reporter_cannot_switch_the_two_person_rule(app, school_id, people):
    with as_user(app, "dana@oak"), refused(app, NotAuthorised, "NOT_AUTHORISED"):
        app.set_publication_approval(SetPublicationApproval(school_id=school_id, required=True))


# --- takedowns ---------------------------------------------------------------------------------


@pytest.fixture
def queued(app, people, channel) -> UUID:
    """The February post of Mia, in the takedown queue after her mother withdrew."""
    give(app, people["mia"], people["mum"])
    february = post(app, channel, [people["mia"]], at=FEB_POST)
    withdraw(app, people["mia"], people["mum"], at=WITHDRAWN)
    return february


def test_recording_a_removal_empties_the_queue_and_removes_the_post(app, queued):
    with as_user(app, "lead@oak"):
        app.record_takedown(
            RecordTakedown(
                publication_id=queued, outcome="removed", done_at=WITHDRAWN + timedelta(hours=3)
            )
        )

    removed = publication(app, queued)
    assert removed.pending_takedown == set()
    assert removed.status is PublicationStatus.REMOVED
    recorded = events(app, queued)[-1]
    assert isinstance(recorded, Publication.TakedownRecorded)
    assert recorded.done_at == WITHDRAWN + timedelta(hours=3)


def test_not_practicable_without_a_reason_is_refused(app, queued):
    with as_user(app, "lead@oak"), refused(app, ValidationFailed, "VALIDATION_ERROR") as caught:
        app.record_takedown(
            RecordTakedown(
                publication_id=queued,
                outcome="not_practicable",
                done_at=WITHDRAWN + timedelta(hours=3),
            )
        )

    assert caught.value.field == "reason"


def test_not_practicable_with_a_reason_empties_the_queue_and_leaves_the_post(app, queued):
    with as_user(app, "lead@oak"):
        app.record_takedown(
            RecordTakedown(
                publication_id=queued,
                outcome="not_practicable",
                done_at=WITHDRAWN + timedelta(hours=3),
                reason="Printed prospectus",
            )
        )

    left = publication(app, queued)
    assert left.pending_takedown == set()
    assert left.status is PublicationStatus.PUBLISHED


def test_a_takedown_with_none_pending_is_refused(app, people, channel):
    give(app, people["mia"], people["mum"])
    publication_id = post(app, channel, [people["mia"]])

    with as_user(app, "lead@oak"), refused(app, NoTakedownPending, "NO_TAKEDOWN_PENDING"):
        app.record_takedown(
            RecordTakedown(publication_id=publication_id, outcome="removed", done_at=MAR_POST)
        )


def test_a_second_takedown_record_is_refused(app, queued):
    with as_user(app, "lead@oak"):
        app.record_takedown(
            RecordTakedown(
                publication_id=queued, outcome="removed", done_at=WITHDRAWN + timedelta(hours=3)
            )
        )

    with as_user(app, "lead@oak"), refused(app, NoTakedownPending, "NO_TAKEDOWN_PENDING"):
        app.record_takedown(
            RecordTakedown(
                publication_id=queued, outcome="removed", done_at=WITHDRAWN + timedelta(hours=4)
            )
        )


def test_an_unknown_takedown_outcome_is_refused(app, queued):
    with as_user(app, "lead@oak"), refused(app, ValidationFailed, "VALIDATION_ERROR") as caught:
        app.record_takedown(
            RecordTakedown(
                publication_id=queued, outcome="hidden", done_at=WITHDRAWN + timedelta(hours=3)
            )
        )

    assert caught.value.field == "outcome"


def test_a_staff_reporter_cannot_record_a_takedown(app, queued):
    with as_user(app, "dana@oak"), refused(app, NotAuthorised, "NOT_AUTHORISED"):
        app.record_takedown(
            RecordTakedown(
                publication_id=queued, outcome="removed", done_at=WITHDRAWN + timedelta(hours=3)
            )
        )


# --- authorisation -----------------------------------------------------------------------------


def test_a_staff_reporter_cannot_record_consent(app, people):
    with refused(app, NotAuthorised, "NOT_FOUND"):
        give(app, people["mia"], people["mum"], user="lee@oak")


def test_a_staff_reporter_cannot_record_a_competence_assessment(app, people):
    with refused(app, NotAuthorised, "NOT_FOUND"):
        assess(app, people["mia"], user="lee@oak")


def test_a_staff_reporter_not_authorised_on_the_channel_cannot_record_a_post(app, people, channel):
    give(app, people["mia"], people["mum"])

    with refused(app, NotAuthorised, "NOT_AUTHORISED"):
        post(app, channel, [people["mia"]], user="lee@oak")


def test_an_authorised_poster_records_their_own_post(app, people, channel):
    give(app, people["mia"], people["mum"])

    publication_id = post(app, channel, [people["mia"]], user="dana@oak")

    recorded = events(app, publication_id)[0]
    assert recorded.posted_by == "dana@oak"
    assert recorded.actor == "dana@oak"


def test_an_authorised_poster_cannot_record_a_post_for_someone_else(app, people, channel):
    give(app, people["mia"], people["mum"])
    with as_user(app, "head@oak"):
        app.authorise_poster(
            AuthorisePoster(
                channel_id=channel, staff_member_id=people["lee"], effective_at=POSTER_FROM
            )
        )

    with refused(app, NotAuthorised, "NOT_AUTHORISED"):
        post(app, channel, [people["mia"]], user="dana@oak", poster=people["lee"])


def test_an_authorised_poster_still_cannot_record_consent(app, people, channel):
    with refused(app, NotAuthorised, "NOT_FOUND"):
        give(app, people["mia"], people["mum"], user="dana@oak")


def test_a_staff_reporter_cannot_open_a_channel(app, school_id, people):
    with as_user(app, "dana@oak"), refused(app, NotAuthorised, "NOT_AUTHORISED"):
        make.channel(app, school_id, people["head"], CHANNEL_OPENED)


@pytest.fixture
def elm_lead(app, trust_id):
    """The data lead of another school in the same trust."""
    with acting_as(OPERATOR):
        make.school_with(app, trust_id, "lead@elm", Role.DATA_LEAD)
    return "lead@elm"


def test_a_data_lead_at_another_school_cannot_record_consent(app, people, elm_lead):
    with refused(app, NotAuthorised, "NOT_FOUND"):
        give(app, people["mia"], people["mum"], user=elm_lead)


def test_a_data_lead_at_another_school_cannot_withdraw_consent(app, people, elm_lead):
    give(app, people["mia"], people["mum"])

    with refused(app, NotAuthorised, "NOT_FOUND"):
        withdraw(app, people["mia"], people["mum"], user=elm_lead)


def test_a_data_lead_at_another_school_cannot_confirm_consent(app, people, elm_lead):
    give(app, people["mia"], people["mum"])

    with as_user(app, elm_lead), refused(app, NotAuthorised, "NOT_FOUND"):
        app.confirm_consent_for_year(
            ConfirmConsentForYear(pupil_id=people["mia"], academic_year="2026/27")
        )


def test_a_data_lead_at_another_school_cannot_record_a_post(app, people, channel, elm_lead):
    give(app, people["mia"], people["mum"])

    with refused(app, NotAuthorised, "NOT_AUTHORISED"):
        post(app, channel, [people["mia"]], user=elm_lead, poster=people["dana"])


def test_a_data_lead_at_another_school_cannot_manage_the_channel(app, people, channel, elm_lead):
    with as_user(app, elm_lead), refused(app, NotAuthorised, "NOT_AUTHORISED"):
        app.authorise_poster(
            AuthorisePoster(
                channel_id=channel, staff_member_id=people["lee"], effective_at=POSTER_FROM
            )
        )


@pytest.mark.parametrize("user", ["head@oak", "lead@oak", "dsl@oak"])
def test_the_pastoral_roles_record_consent(app, people, user):
    give(app, people["mia"], people["mum"], user=user)

    assert events(app, consent_record_id(people["mia"]))[-1].actor == user


# --- confirming a record for an academic year ----------------------------------------------


def test_the_data_lead_confirms_the_record_for_the_current_year(app, people):
    give(app, people["mia"], people["mum"])

    with as_user(app, "lead@oak"):
        app.confirm_consent_for_year(
            ConfirmConsentForYear(pupil_id=people["mia"], academic_year="2026/27")
        )

    confirmed = events(app, consent_record_id(people["mia"]))[-1]
    assert isinstance(confirmed, ConsentRecord.ConfirmedForYear)
    assert confirmed.academic_year == "2026/27"


def test_the_data_lead_may_confirm_for_the_next_year(app, people):
    give(app, people["mia"], people["mum"])

    with as_user(app, "lead@oak"):
        app.confirm_consent_for_year(
            ConfirmConsentForYear(pupil_id=people["mia"], academic_year="2027/28")
        )

    assert app.repository.get(consent_record_id(people["mia"])).confirmed_years == {"2027/28"}


def test_confirming_without_a_record_is_refused(app, people):
    with as_user(app, "lead@oak"), refused(app, NoConsentRecord, "NO_CONSENT_RECORD"):
        app.confirm_consent_for_year(
            ConfirmConsentForYear(pupil_id=people["mia"], academic_year="2026/27")
        )


def test_confirming_twice_for_the_same_year_is_refused(app, people):
    give(app, people["mia"], people["mum"])
    with as_user(app, "lead@oak"):
        app.confirm_consent_for_year(
            ConfirmConsentForYear(pupil_id=people["mia"], academic_year="2026/27")
        )

    with as_user(app, "lead@oak"), refused(app, ValidationFailed, "VALIDATION_ERROR") as caught:
        app.confirm_consent_for_year(
            ConfirmConsentForYear(pupil_id=people["mia"], academic_year="2026/27")
        )

    assert caught.value.field == "academicYear"


@pytest.mark.parametrize("year", ["2025/26", "2028/29", "2026-27"])
def test_confirming_for_a_year_other_than_this_or_the_next_is_refused(app, people, year):
    give(app, people["mia"], people["mum"])

    with as_user(app, "lead@oak"), refused(app, ValidationFailed, "VALIDATION_ERROR") as caught:
        app.confirm_consent_for_year(
            ConfirmConsentForYear(pupil_id=people["mia"], academic_year=year)
        )

    assert caught.value.field == "academicYear"


def test_confirming_for_a_pupil_who_has_left_is_refused(app, people):
    give(app, people["mia"], people["mum"])
    with as_user(app, "head@oak"):
        app.record_pupil_left(RecordPupilLeft(pupil_id=people["mia"], left_on=LEFT_ON))

    with as_user(app, "lead@oak"), refused(app, PupilLeft, "PUPIL_LEFT"):
        app.confirm_consent_for_year(
            ConfirmConsentForYear(pupil_id=people["mia"], academic_year="2026/27")
        )


# --- sealed at rest (issue 14 §2) ----------------------------------------------------------


def opened(app, value) -> str:
    assert isinstance(value, Sealed)
    return app.keyring.open(value)


def test_a_decisions_reference_and_statement_are_sealed_with_the_pupils_key(app, people):
    give(app, people["mia"], people["mum"])

    given = events(app, consent_record_id(people["mia"]))[-1]
    assert (given.reference.subject_id, given.statement_version.subject_id) == (
        people["mia"],
        people["mia"],
    )
    assert (opened(app, given.reference), opened(app, given.statement_version)) == (
        "FORM-1",
        "2025-v1",
    )


def test_a_channels_platform_account_and_approver_are_sealed_with_its_key(app, people, channel):
    opened_event = events(app, channel)[0]

    fields = (
        opened_event.platform,
        opened_event.account_name,
        opened_event.risk_assessment_approved_by,
    )
    assert {f.subject_id for f in fields} == {channel}
    assert [opened(app, f) for f in fields] == ["Instagram", "@oakprimary", "Hal Price"]


def test_a_publications_link_is_sealed_with_its_key(app, people, channel):
    give(app, people["mia"], people["mum"])
    with as_user(app, "dana@oak"):
        publication_id, _ = app.record_publication(
            RecordPublication(
                channel_id=channel,
                posted_at=FEB_POST,
                media=[PHOTO],
                pupil_ids=[people["mia"]],
                identifiable=True,
                caption_names_anyone=False,
                link="https://instagram.example/p/1",
            )
        )

    recorded = events(app, publication_id)[0]
    assert recorded.link.subject_id == publication_id
    assert opened(app, recorded.link) == "https://instagram.example/p/1"


def test_a_decision_about_an_erased_pupil_is_refused(app, people):
    app.keyring.destroy(people["mia"])

    with refused(app, SubjectErased, "SUBJECT_ERASED"):
        give(app, people["mia"], people["mum"])

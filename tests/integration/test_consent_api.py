"""Image and video consent, channels, publications and takedowns end to end over HTTP, from
`casework seed demo` (issue 5). Each test registers its own pupils and channel, so the shared
demo data never couples one test to another."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import uuid4

import pytest

from tests.api_client import Client, new_pupil, staff_ids

CHANGED = "... on ConsentChanged { id position }"
PUBLISHED = (
    "... on PublicationRecorded { publicationId status position } "
    "... on ConsentMissingError { postedAt missing { pupilId medium channel status } }"
)
STATUS = (
    "query($p: ID!, $m: Medium!, $c: ConsentChannel!, $at: DateTime, $pos: Position) { "
    "consentStatus(pupilId: $p, medium: $m, channel: $c, at: $at, minPosition: $pos) { "
    "status mayPublish lapsedOn decidedBy { event decision effectiveAt givenBy reference "
    "statementVersion parentCarerId } } }"
)
CHECK = (
    "query($c: ID!, $m: Medium!, $ps: [ID!]!, $at: DateTime, $pos: Position) { "
    "postingCheck(channelId: $c, media: $m, pupilIds: $ps, at: $at, minPosition: $pos) { "
    "everyoneMayAppear pupils { pupilId mayAppear detail { status decidedBy { event } } } } }"
)
QUEUE = (
    "query($s: ID!, $pos: Position, $closed: Boolean!) { takedownQueue(schoolId: $s, "
    "minPosition: $pos, includeClosed: $closed) { edges { node { publicationId pupilId "
    "withdrawalReceivedAt postedAfterWithdrawal outcome reason { value } } } } }"
)
JAN5 = "2026-01-05T09:00:00+00:00"
FEB10 = "2026-02-10T12:00:00+00:00"
MAR1 = "2026-03-01T08:30:00+00:00"
MAR5 = "2026-03-05T12:00:00+00:00"
SOCIAL = "SCHOOL_SOCIAL_MEDIA"


@dataclass
class Setting:
    school: str
    lead: Client
    head: Client
    teacher: Client
    pupil: str
    parent: str
    channel: str
    teacher_staff_id: str
    position: str


def decided_by(pupil: str, parent: str | None) -> dict:
    """Whose decision a form records: the parent's, or with no parent the pupil's own."""
    return {
        "pupilId": pupil,
        "consenterKind": "PARENT_CARER" if parent else "PUPIL",
        "parentCarerId": parent,
    }


def give(client: Client, pupil: str, parent: str | None, choices: list[dict], **extra) -> dict:
    fields = {
        **decided_by(pupil, parent),
        "choices": choices,
        "method": "PAPER_FORM",
        "reference": "Joiner form 2026-031",
        "statementVersion": "2025-09 v3",
        "receivedAt": JAN5,
    } | extra
    return client.mutate("giveConsent", "GiveConsentInput", fields, CHANGED)


def withdraw(client: Client, pupil: str, parent: str | None, media: list[str], **extra) -> dict:
    fields = {
        **decided_by(pupil, parent),
        "media": media,
        "channels": [SOCIAL],
        "method": "LETTER",
        "reference": "Letter of 1 March",
        "receivedAt": MAR1,
    } | extra
    return client.mutate("withdrawConsent", "WithdrawConsentInput", fields, CHANGED)


def publish(client: Client, channel: str, pupils: list[str], **extra) -> dict:
    fields = {
        "channelId": channel,
        "postedAt": FEB10,
        "media": ["PHOTO"],
        "pupilIds": pupils,
        "identifiable": True,
        "captionNamesAnyone": False,
        "description": "Sports day relay",
    } | extra
    return client.mutate("recordPublication", "RecordPublicationInput", fields, PUBLISHED)


def status(client: Client, pupil: str, at: str, position: str, medium: str = "PHOTO") -> dict:
    variables = {"p": pupil, "m": medium, "c": SOCIAL, "at": at, "pos": position}
    return client.data(STATUS, variables)["consentStatus"]


ALL = [{"media": ["PHOTO", "VIDEO"], "channels": [SOCIAL, "SCHOOL_WEBSITE"], "granted": True}]


@pytest.fixture
def setting(live, settings, demo) -> Setting:
    def user(name: str) -> Client:
        return Client(live.url, settings, name)

    lead = user("datalead@primary.demo")
    school = demo["primary"]
    pupil, parent, _ = new_pupil(lead, school)
    staff = staff_ids(lead)
    channel = lead.mutate(
        "openChannel",
        "OpenChannelInput",
        {
            "schoolId": school,
            "kind": SOCIAL,
            "platform": "Facebook",
            "accountName": f"Demo Primary {uuid4().hex[:4]}",
            "masterAdministratorId": staff["DSL of primary"],
            "purpose": "Celebrating pupils' successes and school events",
            "openedOn": "2025-09-01",
            "riskAssessmentApprovedBy": "Head of primary",
            "riskAssessmentApprover": "HEADTEACHER",
            "riskAssessmentApprovedOn": "2025-08-20",
            "mfaEnabled": True,
        },
        CHANGED,
    )["id"]
    teacher_staff = staff["Sam Jones (primary)"]
    authorised = lead.mutate(
        "authorisePoster",
        "AuthorisePosterInput",
        {
            "channelId": channel,
            "staffMemberId": teacher_staff,
            "effectiveAt": "2025-09-01T00:00:00Z",
        },
        CHANGED,
    )
    return Setting(
        school=school,
        lead=lead,
        head=user("head@primary.demo"),
        teacher=user("teacher@primary.demo"),
        pupil=pupil,
        parent=parent,
        channel=channel,
        teacher_staff_id=teacher_staff,
        position=authorised["position"],
    )


def test_a_february_post_stays_lawful_after_a_march_withdrawal_and_joins_the_takedown_queue(
    setting: Setting,
) -> None:
    s = setting
    give(s.lead, s.pupil, s.parent, ALL)
    feb = publish(s.teacher, s.channel, [s.pupil])
    assert feb["__typename"] == "PublicationRecorded" and feb["status"] == "PUBLISHED"

    withdrawn = withdraw(s.lead, s.pupil, s.parent, ["PHOTO"])
    march = publish(s.teacher, s.channel, [s.pupil], postedAt=MAR5)

    assert march["__typename"] == "ConsentMissingError"
    assert march["code"] == "CONSENT_MISSING"
    assert march["missing"] == [
        {"pupilId": s.pupil, "medium": "PHOTO", "channel": SOCIAL, "status": "WITHDRAWN"}
    ]
    before = status(s.lead, s.pupil, FEB10, withdrawn["position"])
    assert before["status"] == "GRANTED"
    assert before["decidedBy"]["event"] == "ConsentGiven"
    after = status(s.lead, s.pupil, MAR5, withdrawn["position"])
    assert after["status"] == "WITHDRAWN" and not after["mayPublish"]
    assert after["decidedBy"]["event"] == "ConsentWithdrawn"
    assert after["decidedBy"]["reference"] == "Letter of 1 March"
    queue = s.lead.data(QUEUE, {"s": s.school, "pos": withdrawn["position"], "closed": False})
    items = [e["node"] for e in queue["takedownQueue"]["edges"]]
    mine = [i for i in items if i["publicationId"] == feb["publicationId"]]
    assert mine == [
        {
            "publicationId": feb["publicationId"],
            "pupilId": s.pupil,
            "withdrawalReceivedAt": "2026-03-01T08:30:00+00:00",
            "postedAfterWithdrawal": False,
            "outcome": None,
            "reason": None,
        }
    ]


def test_a_takedown_closed_as_not_practicable_keeps_its_reason_and_leaves_the_queue(
    setting: Setting,
) -> None:
    s = setting
    give(s.lead, s.pupil, s.parent, ALL)
    feb = publish(s.teacher, s.channel, [s.pupil])
    withdraw(s.lead, s.pupil, s.parent, ["PHOTO"])
    done = s.lead.mutate(
        "recordTakedown",
        "RecordTakedownInput",
        {
            "publicationId": feb["publicationId"],
            "outcome": "NOT_PRACTICABLE",
            "doneAt": "2026-03-02T10:00:00Z",
            "reason": "The local newspaper reprinted it; we asked them to remove it",
        },
        CHANGED,
    )
    assert done["__typename"] == "ConsentChanged"
    open_queue = s.lead.data(QUEUE, {"s": s.school, "pos": done["position"], "closed": False})
    assert feb["publicationId"] not in {
        e["node"]["publicationId"] for e in open_queue["takedownQueue"]["edges"]
    }
    closed = s.lead.data(QUEUE, {"s": s.school, "pos": done["position"], "closed": True})
    mine = [
        e["node"]
        for e in closed["takedownQueue"]["edges"]
        if e["node"]["publicationId"] == feb["publicationId"]
    ]
    assert mine[0]["outcome"] == "NOT_PRACTICABLE"
    assert mine[0]["reason"]["value"].startswith("The local newspaper")


def test_video_only_withdrawal_leaves_photos_allowed(setting: Setting) -> None:
    s = setting
    give(s.lead, s.pupil, s.parent, ALL)
    withdrawn = withdraw(s.lead, s.pupil, s.parent, ["VIDEO"])

    assert status(s.lead, s.pupil, MAR5, withdrawn["position"], "VIDEO")["status"] == "WITHDRAWN"
    assert status(s.lead, s.pupil, MAR5, withdrawn["position"], "PHOTO")["status"] == "GRANTED"
    assert publish(s.teacher, s.channel, [s.pupil], postedAt=MAR5)["status"] == "PUBLISHED"


def test_posting_check_gives_an_authorised_poster_yes_or_no_only(setting: Setting) -> None:
    s = setting
    other, _, _ = new_pupil(s.lead, s.school)
    given = give(s.lead, s.pupil, s.parent, ALL)
    variables = {"c": s.channel, "m": "PHOTO", "ps": [s.pupil, other], "pos": given["position"]}

    check = s.teacher.data(CHECK, variables)["postingCheck"]

    assert check["everyoneMayAppear"] is False
    assert check["pupils"] == [
        {"pupilId": s.pupil, "mayAppear": True, "detail": None},
        {"pupilId": other, "mayAppear": False, "detail": None},
    ]
    full = s.lead.data(CHECK, variables)["postingCheck"]
    assert [p["detail"] for p in full["pupils"]] == [
        {"status": "GRANTED", "decidedBy": {"event": "ConsentGiven"}},
        {"status": "NO_RECORD", "decidedBy": None},
    ]


def test_posting_check_lists_who_may_and_may_not_appear_in_the_order_asked(
    setting: Setting,
) -> None:
    s = setting
    first, _, _ = new_pupil(s.lead, s.school)
    give(s.lead, s.pupil, s.parent, ALL)
    last, last_parent, _ = new_pupil(s.lead, s.school)
    given = give(s.lead, last, last_parent, ALL)
    query = (
        "query($c: ID!, $m: Medium!, $ps: [ID!]!, $pos: Position) { postingCheck(channelId: $c, "
        "media: $m, pupilIds: $ps, minPosition: $pos) { everyoneMayAppear mayAppear "
        "mayNotAppear } }"
    )
    variables = {
        "c": s.channel,
        "m": "VIDEO",
        "ps": [last, first, s.pupil],
        "pos": given["position"],
    }

    check = s.teacher.data(query, variables)["postingCheck"]

    assert check == {
        "everyoneMayAppear": False,
        "mayAppear": [last, s.pupil],
        "mayNotAppear": [first],
    }


def test_a_poster_cannot_read_the_consent_record_itself(setting: Setting) -> None:
    s = setting
    given = give(s.lead, s.pupil, s.parent, ALL)
    variables = {"p": s.pupil, "m": "PHOTO", "c": SOCIAL, "at": MAR5, "pos": given["position"]}

    body = s.teacher.gql(STATUS, variables)

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_posting_check_is_refused_to_staff_not_authorised_on_the_channel(setting: Setting) -> None:
    s = setting
    revoked = s.lead.mutate(
        "revokePoster",
        "RevokePosterInput",
        {"channelId": s.channel, "staffMemberId": s.teacher_staff_id},
        CHANGED,
    )
    variables = {"c": s.channel, "m": "PHOTO", "ps": [s.pupil], "pos": revoked["position"]}
    body = s.teacher.gql(CHECK, variables)

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_a_competent_pupil_and_a_parent_who_disagree_get_refused(setting: Setting) -> None:
    s = setting
    s.lead.mutate(
        "recordCompetenceAssessment",
        "RecordCompetenceAssessmentInput",
        {"pupilId": s.pupil, "assessedAt": "2026-01-02T10:00:00Z", "competent": True},
        CHANGED,
    )
    give(s.lead, s.pupil, None, ALL)
    refused = give(
        s.lead,
        s.pupil,
        s.parent,
        [{"media": ["PHOTO"], "channels": [SOCIAL], "granted": False}],
        receivedAt="2026-01-06T09:00:00Z",
    )

    answer = status(s.lead, s.pupil, FEB10, refused["position"])

    assert answer["status"] == "REFUSED"
    assert answer["decidedBy"]["givenBy"] == "PARENT_CARER"
    assert answer["decidedBy"]["parentCarerId"] == s.parent


def test_consent_lapses_when_the_pupil_leaves(setting: Setting) -> None:
    s = setting
    give(s.lead, s.pupil, s.parent, ALL)
    left = s.lead.mutate(
        "recordPupilLeft",
        "RecordPupilLeftInput",
        {"pupilId": s.pupil, "leftOn": "2026-07-22"},
        "... on RecordPupilLeftSuccess { position }",
    )

    during = status(s.lead, s.pupil, "2026-07-22T15:00:00+01:00", left["position"])
    after = status(s.lead, s.pupil, "2026-07-23T00:00:00+01:00", left["position"])

    assert during["status"] == "GRANTED"
    assert after["status"] == "LAPSED" and after["lapsedOn"] == "2026-07-22"


def test_the_register_lists_pupils_without_a_record_for_this_year(setting: Setting) -> None:
    s = setting
    recorded = give(s.lead, s.pupil, s.parent, ALL)  # received January: last academic year
    gaps = (
        "query($s: ID!, $pos: Position) { consentRegister(schoolId: $s, gapsOnly: true, "
        "first: 100, minPosition: $pos) { edges { node { pupilId hasRecord currentForYear } } } }"
    )

    def gap_ids(position: str) -> set[str]:
        register = s.lead.data(gaps, {"s": s.school, "pos": position})["consentRegister"]
        return {e["node"]["pupilId"] for e in register["edges"]}

    assert s.pupil in gap_ids(recorded["position"])
    year = date.today().year if date.today().month >= 9 else date.today().year - 1
    confirmed = s.lead.mutate(
        "confirmConsentForYear",
        "ConfirmConsentForYearInput",
        {"pupilId": s.pupil, "academicYear": f"{year}/{(year + 1) % 100:02d}"},
        CHANGED,
    )
    assert s.pupil not in gap_ids(confirmed["position"])


def test_the_register_as_at_a_date_shows_what_was_known_then(setting: Setting) -> None:
    s = setting
    given = give(s.lead, s.pupil, s.parent, ALL)
    register = (
        "query($s: ID!, $at: DateTime, $pos: Position) { consentRegister(schoolId: $s, at: $at, "
        "first: 100, minPosition: $pos) { edges { node { pupilId hasRecord answers { medium "
        "channel status } } } } }"
    )

    def line(at: str) -> dict:
        edges = s.lead.data(register, {"s": s.school, "at": at, "pos": given["position"]})[
            "consentRegister"
        ]["edges"]
        return next(e["node"] for e in edges if e["node"]["pupilId"] == s.pupil)

    before, after = line("2026-01-04T00:00:00Z"), line(FEB10)
    assert before["hasRecord"] is False
    assert {a["status"] for a in before["answers"]} == {"NO_RECORD"}
    assert len(after["answers"]) == 10
    granted = {(a["medium"], a["channel"]) for a in after["answers"] if a["status"] == "GRANTED"}
    assert granted == {(m, c) for m in ("PHOTO", "VIDEO") for c in (SOCIAL, "SCHOOL_WEBSITE")}


def test_a_consenter_without_parental_responsibility_is_refused(setting: Setting) -> None:
    s = setting
    pupil, no_pr, _ = new_pupil(s.lead, s.school, parental_responsibility=False)

    result = give(s.lead, pupil, no_pr, ALL)

    assert result["code"] == "NO_PARENTAL_RESPONSIBILITY"
    assert result["field"] == "parentCarerId"


def test_a_pupil_cannot_consent_without_a_competence_assessment(setting: Setting) -> None:
    s = setting
    result = give(s.lead, s.pupil, None, ALL)

    assert result["code"] == "COMPETENCE_NOT_ASSESSED"


def test_withdrawing_consent_never_given_is_refused(setting: Setting) -> None:
    s = setting
    result = withdraw(s.lead, s.pupil, s.parent, ["PHOTO"])

    assert result["code"] == "CONSENT_NOT_GIVEN"


def test_a_publication_dated_before_the_channel_opened_is_refused(setting: Setting) -> None:
    s = setting
    result = publish(s.lead, s.channel, [], postedAt="2025-08-01T10:00:00Z")

    assert result["code"] == "POSTED_BEFORE_CHANNEL_OPENED"


def test_a_publication_on_an_unknown_channel_is_refused(setting: Setting) -> None:
    result = publish(setting.lead, str(uuid4()), [])

    assert result["__typename"] == "NotFoundError"


def test_a_pseudonymised_image_needs_no_consent(setting: Setting) -> None:
    s = setting
    result = publish(s.teacher, s.channel, [s.pupil], identifiable=False)

    assert result["status"] == "PUBLISHED"


def test_two_person_rule_needs_a_second_colleague(setting: Setting) -> None:
    s = setting
    s.head.mutate(
        "setPublicationApproval",
        "SetPublicationApprovalInput",
        {"schoolId": s.school, "required": True},
        CHANGED,
    )
    try:
        posted = publish(s.teacher, s.channel, [], description="Our new library")
        assert posted["status"] == "AWAITING_APPROVAL"
        approve = {"publicationId": posted["publicationId"]}
        own = s.teacher.mutate("approvePublication", "ApprovePublicationInput", approve, CHANGED)
        assert own["code"] == "SELF_APPROVAL"
        approved = s.head.mutate("approvePublication", "ApprovePublicationInput", approve, CHANGED)
        log = s.lead.data(
            "query($s: ID!, $c: ID, $pos: Position) { publications(schoolId: $s, channelId: $c, "
            "minPosition: $pos) { edges { node { id status approvedBy } } } }",
            {"s": s.school, "c": s.channel, "pos": approved["position"]},
        )["publications"]["edges"]
        assert [e["node"] for e in log] == [
            {
                "id": posted["publicationId"],
                "status": "PUBLISHED",
                "approvedBy": "head@primary.demo",
            }
        ]
    finally:
        s.head.mutate(
            "setPublicationApproval",
            "SetPublicationApprovalInput",
            {"schoolId": s.school, "required": False},
            CHANGED,
        )


def test_the_channel_register_shows_the_seed_004_columns(setting: Setting) -> None:
    s = setting
    register = s.lead.data(
        "query($s: ID!, $pos: Position) { channels(schoolId: $s, minPosition: $pos) { id "
        "platform accountName masterAdministratorId openedOn closedOn mfaEnabled "
        "riskAssessmentApprover purpose { value } posters { staffMemberId revokedAt } } }",
        {"s": s.school, "pos": s.position},
    )["channels"]
    mine = next(c for c in register if c["id"] == s.channel)
    assert mine["platform"] == "Facebook"
    assert mine["openedOn"] == "2025-09-01" and mine["closedOn"] is None
    assert mine["riskAssessmentApprover"] == "HEADTEACHER" and mine["mfaEnabled"] is True
    assert mine["purpose"]["value"].startswith("Celebrating")
    assert mine["posters"] == [{"staffMemberId": s.teacher_staff_id, "revokedAt": None}]


def test_a_closed_channel_refuses_publications(setting: Setting) -> None:
    s = setting
    s.lead.mutate(
        "closeChannel",
        "CloseChannelInput",
        {"channelId": s.channel, "closedOn": "2026-02-01", "reason": "Moved to Instagram"},
        CHANGED,
    )
    result = publish(s.teacher, s.channel, [])

    assert result["code"] == "CHANNEL_CLOSED"


def test_reading_a_pupil_in_the_consent_register_is_logged(
    setting: Setting, live, settings
) -> None:
    s = setting
    gaps = (
        "query($s: ID!, $pos: Position) { consentRegister(schoolId: $s, gapsOnly: true, "
        "first: 100, minPosition: $pos) { edges { node { pupilId } } } }"
    )
    s.lead.data(gaps, {"s": s.school, "pos": s.position})
    dpo = Client(live.url, settings, "dpo@demo.trust")

    log = dpo.data(
        "query($r: ID!) { accessLog(recordId: $r, first: 100) { edges { node { userId "
        "recordType action } } } }",
        {"r": s.pupil},
    )["accessLog"]["edges"]

    assert {
        "userId": "datalead@primary.demo",
        "recordType": "pupil",
        "action": "consent_register",
    } in [e["node"] for e in log]


MEDIUM_BY = (
    "query($p: ID!, $pos: Position) { consentStatus(pupilId: $p, {given} channel: "
    'SCHOOL_SOCIAL_MEDIA, at: "2026-03-05T12:00:00Z", minPosition: $pos) { status } }'
)


def status_given(s: Setting, given: str, position: str) -> dict:
    query = MEDIUM_BY.replace("{given}", given)
    return s.lead.gql(query, {"p": s.pupil, "pos": position})


def test_consent_status_still_answers_under_the_deprecated_media_argument(setting: Setting) -> None:
    s = setting
    give(s.lead, s.pupil, s.parent, ALL)
    withdrawn = withdraw(s.lead, s.pupil, s.parent, ["VIDEO"])

    old = status_given(s, "media: VIDEO,", withdrawn["position"])
    new = status_given(s, "medium: VIDEO,", withdrawn["position"])

    assert old["data"] == new["data"] == {"consentStatus": {"status": "WITHDRAWN"}}
    assert "errors" not in old


@pytest.mark.parametrize(
    ("given", "reason"),
    [("medium: PHOTO, media: PHOTO,", "not both"), ("", "is required")],
    ids=["both", "neither"],
)
def test_consent_status_needs_exactly_one_of_medium_and_media(
    setting: Setting, given: str, reason: str
) -> None:
    body = status_given(setting, given, setting.position)

    (error,) = body["errors"]
    assert error["extensions"] == {"code": "VALIDATION_ERROR", "field": "medium"}
    assert reason in error["message"]
    assert body["data"] is None


def test_the_schema_marks_media_deprecated_in_favour_of_medium() -> None:
    from api.graphql.schema import sdl

    line = next(x for x in sdl().splitlines() if x.strip().startswith("media: Medium = null"))
    assert '@deprecated(reason: "Use `medium`' in line


def test_a_poster_authorised_with_the_default_effective_at_cannot_record_an_earlier_post(
    setting: Setting,
) -> None:
    s = setting
    head_staff = staff_ids(s.lead)["Head of primary"]
    authorised = s.lead.mutate(
        "authorisePoster",
        "AuthorisePosterInput",
        {"channelId": s.channel, "staffMemberId": head_staff},  # effectiveAt: now
        CHANGED,
    )
    assert authorised["__typename"] == "ConsentChanged"

    result = publish(s.head, s.channel, [], postedAt=FEB10)

    assert result["code"] == "POSTER_NOT_AUTHORISED"

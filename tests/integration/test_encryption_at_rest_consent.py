"""Nothing identifying in plaintext at rest in the consent view (issue 14 §2): logins,
references, approvers, platforms, accounts, links and every free-text input, seeded with marker
strings through the public API, are found in no table; erasing their keys erases them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import psycopg

from api.database import ensure_database
from api.event_store import PostgresKeyStore
from api.migrate import available, migrate
from api.wiring import build
from domain.consent.aggregates import Channel, ConsentRecord, Publication
from domain.shared.actor import acting_as
from domain.shared.calendar import academic_year_of, london_today
from domain.shared.logins import login_subject
from domain.shared.policy import Principal, Role
from domain.shared.sealing import Sealed
from projections.consent import publications, queries
from projections.runner import reset
from tests import builders as make
from tests.api_client import Client, new_pupil
from tests.at_rest import Markers, assert_no_plaintext, wait_for_views
from tests.conftest import LiveServer

CHANGED = "... on ConsentChanged { id position }"
JAN5 = "2026-01-05T09:00:00+00:00"
FEB10 = "2026-02-10T12:00:00+00:00"
MAR1 = "2026-03-01T08:30:00+00:00"
MAR2 = "2026-03-02T10:00:00+00:00"
SOCIAL = "SCHOOL_SOCIAL_MEDIA"

# Logins of the people who record, post and approve, and every free-text input of the feature.
MARK = Markers()
LEAD, POSTER, APPROVER = MARK.login("lead"), MARK.login("poster"), MARK.login("approver")
TEXT = {
    name: MARK(name)
    for name in (
        "notes",
        "reference",
        "statementVersion",
        "withdrawal",
        "platform",
        "accountName",
        "purpose",
        "riskAssessmentApprovedBy",
        "description",
        "takedown",
        "closeReason",
    )
}
LINK = f"https://posts.example/{MARK('link')}"


class Seeded:
    def __init__(self, live: LiveServer, settings, demo: dict[str, str]) -> None:
        self.live = live
        self.url, self.settings = live.url, settings
        self.trust, self.school = demo["trust"], demo["primary"]
        self.positions: list[int] = []
        self.pupil = self.channel = self.publication = ""

    def client(self, user: str) -> Client:
        return Client(self.url, self.settings, user)

    def mutate(self, client: Client, field: str, input_type: str, values: dict, select: str):
        result = client.mutate(field, input_type, values, select)
        assert "position" in result, result
        self.positions.append(int(result["position"]))
        return result

    def wait(self) -> None:
        wait_for_views(self.live.container, max(self.positions))


def seed_every_input(live: LiveServer, settings, demo: dict[str, str]) -> Seeded:
    """Through GraphQL: a data lead, a poster and an approver with marker logins; a pupil's
    competence assessment, consent form, yearly confirmation and withdrawal; a channel, its
    poster, a post under the two-person rule and its approval; the takedown and the closing."""
    s = Seeded(live, settings, demo)
    head = s.client("head@primary.demo")
    school = s.school
    for login, role in ((LEAD, "DATA_LEAD"), (APPROVER, "DSL"), (POSTER, "STAFF_REPORTER")):
        s.mutate(
            head,
            "grantRole",
            "RoleGrantInput",
            {"userId": login, "role": role, "trustId": s.trust, "schoolId": school},
            "... on GrantRoleSuccess { position }",
        )
    lead, poster, approver = s.client(LEAD), s.client(POSTER), s.client(APPROVER)
    staff = s.mutate(
        lead,
        "registerStaffMember",
        "RegisterStaffMemberInput",
        {"schoolId": school, "fullName": "Poster Person", "role": "TEACHER", "userId": POSTER},
        "... on RegisterStaffMemberSuccess { staffMemberId position }",
    )["staffMemberId"]
    pupil, parent, linked_at = new_pupil(lead, school)
    s.positions.append(int(linked_at))
    s.mutate(
        lead,
        "recordCompetenceAssessment",
        "RecordCompetenceAssessmentInput",
        {"pupilId": pupil, "assessedAt": JAN5, "competent": False, "notes": TEXT["notes"]},
        CHANGED,
    )
    by_parent = {"pupilId": pupil, "consenterKind": "PARENT_CARER", "parentCarerId": parent}
    s.mutate(
        lead,
        "giveConsent",
        "GiveConsentInput",
        by_parent
        | {
            "choices": [{"media": ["PHOTO"], "channels": [SOCIAL], "granted": True}],
            "method": "PAPER_FORM",
            "reference": TEXT["reference"],
            "statementVersion": TEXT["statementVersion"],
            "receivedAt": JAN5,
        },
        CHANGED,
    )
    s.mutate(
        lead,
        "confirmConsentForYear",
        "ConfirmConsentForYearInput",
        {"pupilId": pupil, "academicYear": academic_year_of(london_today())},
        CHANGED,
    )
    channel = s.mutate(
        lead,
        "openChannel",
        "OpenChannelInput",
        {
            "schoolId": school,
            "kind": SOCIAL,
            "platform": TEXT["platform"],
            "accountName": TEXT["accountName"],
            "masterAdministratorId": staff,
            "purpose": TEXT["purpose"],
            "openedOn": "2025-09-01",
            "riskAssessmentApprovedBy": TEXT["riskAssessmentApprovedBy"],
            "riskAssessmentApprover": "HEADTEACHER",
            "riskAssessmentApprovedOn": "2025-08-20",
            "mfaEnabled": True,
        },
        CHANGED,
    )["id"]
    s.mutate(
        lead,
        "authorisePoster",
        "AuthorisePosterInput",
        {"channelId": channel, "staffMemberId": staff, "effectiveAt": "2025-09-01T00:00:00Z"},
        CHANGED,
    )
    s.mutate(
        lead,
        "setPublicationApproval",
        "SetPublicationApprovalInput",
        {"schoolId": school, "required": True},
        CHANGED,
    )
    try:
        publication = s.mutate(
            poster,
            "recordPublication",
            "RecordPublicationInput",
            {
                "channelId": channel,
                "postedAt": FEB10,
                "media": ["PHOTO"],
                "pupilIds": [pupil],
                "identifiable": True,
                "captionNamesAnyone": False,
                "description": TEXT["description"],
                "link": LINK,
            },
            "... on PublicationRecorded { publicationId position }",
        )["publicationId"]
        s.mutate(
            approver,
            "approvePublication",
            "ApprovePublicationInput",
            {"publicationId": publication},
            CHANGED,
        )
    finally:
        s.mutate(
            lead,
            "setPublicationApproval",
            "SetPublicationApprovalInput",
            {"schoolId": school, "required": False},
            CHANGED,
        )
    s.mutate(
        lead,
        "withdrawConsent",
        "WithdrawConsentInput",
        by_parent
        | {
            "media": ["PHOTO"],
            "channels": [SOCIAL],
            "method": "LETTER",
            "reference": TEXT["withdrawal"],
            "receivedAt": MAR1,
        },
        CHANGED,
    )
    s.mutate(
        lead,
        "recordTakedown",
        "RecordTakedownInput",
        {
            "publicationId": publication,
            "outcome": "NOT_PRACTICABLE",
            "doneAt": MAR2,
            "reason": TEXT["takedown"],
        },
        CHANGED,
    )
    s.mutate(
        lead,
        "closeChannel",
        "CloseChannelInput",
        {"channelId": channel, "closedOn": date.today().isoformat(), "reason": TEXT["closeReason"]},
        CHANGED,
    )
    s.wait()
    s.pupil, s.channel, s.publication = pupil, channel, publication
    return s


def test_no_table_holds_a_consent_login_reference_approver_link_or_free_text(
    live: LiveServer, settings, demo
) -> None:
    s = seed_every_input(live, settings, demo)

    assert_no_plaintext(live.container, MARK)
    channels = s.client(LEAD).data(
        "query($s: ID!) { channels(schoolId: $s) { id platform accountName "
        "riskAssessmentApprovedBy openedBy posters { userId } } }",
        {"s": s.school},
    )["channels"]
    assert {
        "id": s.channel,
        "platform": TEXT["platform"],
        "accountName": TEXT["accountName"],
        "riskAssessmentApprovedBy": TEXT["riskAssessmentApprovedBy"],
        "openedBy": LEAD,
        "posters": [{"userId": POSTER}],
    } in channels  # the seeded values are in the view, sealed


def test_erasing_a_login_erases_it_from_the_publication_log(
    live: LiveServer, settings, demo
) -> None:
    s = seed_every_input(live, settings, demo)

    live.container.keyring.destroy(login_subject(POSTER))

    log = s.client(LEAD).data(
        "query($s: ID!) { publications(schoolId: $s) { edges { node { id postedBy recordedBy "
        "approvedBy status } } } }",
        {"s": s.school},
    )["publications"]["edges"]
    assert {
        "id": s.publication,
        "postedBy": None,
        "recordedBy": None,
        "approvedBy": APPROVER,
        "status": "PUBLISHED",
    } in [e["node"] for e in log]


def test_erasing_a_channel_erases_its_platform_account_and_approver(
    live: LiveServer, settings, demo
) -> None:
    s = seed_every_input(live, settings, demo)

    live.container.keyring.destroy(UUID(s.channel))

    channels = s.client(LEAD).data(
        "query($s: ID!) { channels(schoolId: $s) { id platform accountName "
        "riskAssessmentApprovedBy openedBy } }",
        {"s": s.school},
    )["channels"]
    assert {
        "id": s.channel,
        "platform": None,
        "accountName": None,
        "riskAssessmentApprovedBy": None,
        "openedBy": LEAD,
    } in channels


def test_erasing_a_pupil_erases_the_references_of_their_decisions(
    live: LiveServer, settings, demo
) -> None:
    s = seed_every_input(live, settings, demo)

    live.container.keyring.destroy(UUID(s.pupil))

    answer = s.client(LEAD).data(
        "query($p: ID!) { consentStatus(pupilId: $p, medium: PHOTO, channel: "
        'SCHOOL_SOCIAL_MEDIA, at: "2026-02-01T00:00:00Z") { status decidedBy { reference '
        "statementVersion recordedBy } } }",
        {"p": s.pupil},
    )["consentStatus"]
    assert answer == {
        "status": "GRANTED",
        "decidedBy": {"reference": None, "statementVersion": None, "recordedBy": LEAD},
    }


OLD = {
    "platform": "Old-Plain-Platform",
    "account": "Old-Plain-Account",
    "approver": "Old-Plain-Approver",
    "reference": "Old-Plain-Reference",
    "statement": "Old-Plain-Statement",
    "link": "https://posts.example/Old-Plain-Link",
}


def record_the_old_way(app) -> tuple[UUID, UUID]:
    """A channel, a consent form and a post as events recorded before these fields were
    sealed carry them: in plain. Returns the channel and the pupil."""
    with acting_as(Principal.operator("tests")):
        trust = make.trust(app, "Trust")
        school = make.school_with(app, trust, "head@old", Role.HEADTEACHER, "School", "400002")
    with acting_as(app.principal_for("head@old")):
        staff = make.staff(app, school, "Staff Person", "teacher", "poster@old")
        pupil = make.pupil(app, school, "Pupil Person", date(2013, 5, 1))
        parent = make.parent(app, pupil, "Parent Person", "mother")
        seal = app.keyring.session()
        channel_id = seal.new_subject(uuid4())
        channel = Channel._create(
            Channel.Opened,
            id=channel_id,
            kind="school_website",
            platform=OLD["platform"],
            account_name=OLD["account"],
            master_administrator_id=staff,
            purpose=seal.seal(channel_id, "Purpose"),
            opened_on=date(2025, 9, 1),
            risk_assessment_approved_by=OLD["approver"],
            risk_assessment_approver="headteacher",
            risk_assessment_approved_on=date(2025, 8, 1),
            mfa_enabled=True,
            trust_id=trust,
            school_id=school,
        )
        channel.authorise_poster(staff, "poster@old", datetime(2025, 9, 1, tzinfo=UTC))
        record = ConsentRecord.open(pupil, trust, school)
        record.give(
            "parent_carer",
            parent,
            [{"medium": "photo", "channel": "school_website", "decision": "granted"}],
            "email",
            OLD["reference"],  # type: ignore[arg-type]
            OLD["statement"],  # type: ignore[arg-type]
            datetime(2026, 1, 5, tzinfo=UTC),
        )
        publication_id = seal.new_subject(uuid4())
        publication = Publication._create(
            Publication.Recorded,
            id=publication_id,
            channel_id=channel_id,
            channel="school_website",
            posted_at=datetime(2026, 2, 10, tzinfo=UTC),
            media=["photo"],
            pupil_ids=[pupil],
            identifiable=True,
            caption_names_anyone=False,
            posted_by="poster@old",
            description=None,
            link=OLD["link"],
            needs_approval=False,
            trust_id=trust,
            school_id=school,
        )
        app.record(channel, record, publication, new_keys=seal.new_keys)
    return channel_id, pupil


def test_fields_recorded_in_plain_before_sealing_are_sealed_by_the_view_and_still_read(
    container,
) -> None:
    channel_id, pupil = record_the_old_way(container.app)

    for worker in container.workers(["consent"]):
        worker.catch_up()

    assert_no_plaintext(container, OLD.values())
    with container.pool.connection() as conn:
        channel = publications.channel(conn, channel_id)
        rulings = queries.standing(conn, [pupil], datetime.now(UTC))
        (entry,) = publications.publications(conn, channel.school_id, None, None, 10, None).items
    assert channel is not None and len(rulings) == 1
    opened = container.keyring.open_many(
        [
            channel.platform,
            channel.account_name,
            channel.risk_assessment_approved_by,
            Sealed.from_bytes(rulings[0].reference),
            Sealed.from_bytes(rulings[0].statement_version),
            entry.link,
        ]
    )
    assert opened == [
        OLD["platform"],
        OLD["account"],
        OLD["approver"],
        OLD["reference"],
        OLD["statement"],
        OLD["link"],
    ]


def test_the_migration_empties_the_consent_view_and_rewinds_it_to_rebuild_sealed(
    server_database,
) -> None:
    """An existing deployment: the view holds plain values and has applied events; after the
    migration it is empty, at position zero, so the projection replays every event sealed."""
    name = f"casework_migration_{uuid4().hex[:8]}"
    ensure_database(server_database, name)
    database = server_database.with_dbname(name)
    try:
        with psycopg.connect(database.conninfo, autocommit=True) as conn:
            for migration in available():
                if migration.version >= "0015":
                    break
                conn.execute(migration.sql.encode())
            conn.execute(
                "INSERT INTO cs_posters (channel_id, staff_member_id, user_id, authorised_at, seq) "
                "VALUES (gen_random_uuid(), gen_random_uuid(), 'poster@old', now(), 7)"
            )
            conn.execute(
                "INSERT INTO projection_tracking (application_name, notification_id) VALUES "
                "('consent', 7), ('directory', 7)"
            )
            conn.execute(
                "CREATE TABLE schema_migrations (version text PRIMARY KEY, checksum text NOT "
                "NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            for migration in available():
                if migration.version < "0015":
                    conn.execute(
                        "INSERT INTO schema_migrations (version, checksum) VALUES (%s, %s)",
                        (migration.version, migration.checksum),
                    )

        migrate(database.conninfo)

        with psycopg.connect(database.conninfo) as conn:
            posters = conn.execute("SELECT count(*) FROM cs_posters").fetchone()
            tracking = dict(
                conn.execute(
                    "SELECT application_name, notification_id FROM projection_tracking"
                ).fetchall()
            )
        assert posters == (0,)
        # Consent is rewound; the directory's position, set above, is untouched (0014, applied
        # with the earlier migrations, rewound the staff-cases view on its own account).
        assert (tracking["consent"], tracking["directory"]) == (0, 7)
    finally:
        with psycopg.connect(server_database.conninfo, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_replaying_the_view_looks_up_the_keys_a_batch_seals_with_at_once(
    container, server_database, settings, monkeypatch
) -> None:
    """Logins, and records whose older events carry plain text: one key look-up for the batch,
    not one per event (a rebuild replays every event)."""
    record_the_old_way(container.app)
    for worker in container.workers(["consent"]):
        worker.catch_up()  # the logins' keys now exist
    reset(container.views["consent"])
    elsewhere = build(settings, database=server_database, apply_migrations=False)
    fetched: list[list[UUID]] = []
    fetch = PostgresKeyStore.fetch

    def counted(store: PostgresKeyStore, subject_ids: Any) -> Any:
        fetched.append(list(subject_ids))
        return fetch(store, fetched[-1])

    monkeypatch.setattr(PostgresKeyStore, "fetch", counted)
    try:
        (worker,) = elsewhere.workers(["consent"])
        worker.catch_up()
    finally:
        elsewhere.close()

    assert len(fetched) == 1


def test_a_plain_field_of_an_erased_record_is_not_stored_when_the_view_replays_it(
    container,
) -> None:
    channel_id, _ = record_the_old_way(container.app)
    container.keyring.destroy(channel_id)

    for worker in container.workers(["consent"]):
        worker.catch_up()

    assert_no_plaintext(container, OLD.values())
    with container.pool.connection() as conn:
        channel = publications.channel(conn, channel_id)
    assert channel is not None
    assert (channel.platform, channel.account_name, channel.risk_assessment_approved_by) == (
        None,
        None,
        None,
    )

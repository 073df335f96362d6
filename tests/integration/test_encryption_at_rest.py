"""No plaintext of a sealed field anywhere in the database: events, views, keys, logs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from domain.access.commands import GrantRole
from domain.access.policy import Principal, Role
from domain.consent.handlers import Choice
from domain.directory.commands import (
    CreateTrust,
    LinkParent,
    RecordPupilLeft,
    RecordStaffLeft,
    RegisterPupil,
    RegisterSchool,
    RegisterStaffMember,
)
from domain.shared.actor import acting_as
from domain.staff_cases.commands import (
    DeclareSocialMediaRelationship,
    RaiseLowLevelConcern,
    ReceiveAllegation,
    RecordAllegationOutcome,
)
from domain.staff_cases.model import HarmTests
from tests.at_rest import assert_no_plaintext, find_plaintext

NAME = "Philippa Unmistakable-Plaintext"
PARENT = "Bartholomew Plaintext-Parent"
DOB = date(2013, 9, 27)
REASON = "Dismissed-for-Plaintext-Reason"
ALLEGATION = "Allegation-Plaintext-Description"
CONCERN = "Concern-Plaintext-Details"
DECLARED = "Declared-Plaintext-Relationship"
COMPETENCE = "Competence-Plaintext-Notes"
PURPOSE = "Channel-Plaintext-Purpose"
CAPTION = "Publication-Plaintext-Description"
TAKEDOWN = "Takedown-Plaintext-Reason"


def test_no_table_holds_the_plaintext_of_a_sealed_field(container):
    app = container.app
    with acting_as(Principal.operator("tests")):
        trust, _ = app.create_trust(CreateTrust(name="Trust"))
        school, _ = app.register_school(RegisterSchool(trust_id=trust, name="School", urn="400001"))
        app.grant_role(
            GrantRole(user_id="head@x", role=Role.HEADTEACHER, trust_id=trust, school_id=school)
        )
    with acting_as(app.principal_for("head@x")):
        pupil, _ = app.register_pupil(
            RegisterPupil(school_id=school, full_name=NAME, date_of_birth=DOB, year_group=7)
        )
        app.link_parent(
            LinkParent(
                pupil_id=pupil,
                relationship="father",
                parental_responsibility=True,
                full_name=PARENT,
            )
        )
        app.record_pupil_left(
            RecordPupilLeft(pupil_id=pupil, left_on=date.today(), destination=REASON)
        )
        staff, _ = app.register_staff_member(
            RegisterStaffMember(school_id=school, full_name=NAME, staff_role="teacher")
        )
        case = app.receive_allegation(
            ReceiveAllegation(
                staff_member_id=staff,
                received_at=datetime.now(UTC),
                source="pupil",
                received_via="in_person",
                description=ALLEGATION,
                harm_tests=HarmTests(True, False, False, False),
            )
        ).record_id
        app.record_allegation_outcome(
            RecordAllegationOutcome(
                allegation_id=case,
                outcome="substantiated",
                decided_at=datetime.now(UTC),
                summary=ALLEGATION,
                rationale=REASON,
            )
        )
        app.raise_low_level_concern(
            RaiseLowLevelConcern(staff_member_id=staff, details=CONCERN, context=CONCERN)
        )
        app.declare_social_media_relationship(
            DeclareSocialMediaRelationship(
                staff_member_id=staff, platform="Facebook", relationship=DECLARED
            )
        )
        _consent_and_publication(app, school, staff)
        app.record_staff_left(
            RecordStaffLeft(staff_member_id=staff, left_on=date.today(), reason=REASON)
        )
    for worker in container.workers():
        worker.catch_up()

    needles = [NAME, PARENT, DOB.isoformat(), REASON, "Philippa", "Bartholomew"]
    needles += [ALLEGATION, CONCERN, DECLARED, COMPETENCE, PURPOSE, CAPTION, TAKEDOWN]
    assert_no_plaintext(container, needles)


def _consent_and_publication(app, school, staff) -> None:
    """Consent with a competence note, a channel, a publication, its takedown and closing."""
    now = datetime.now(UTC)
    pupil, _ = app.register_pupil(
        RegisterPupil(school_id=school, full_name=NAME, date_of_birth=DOB, year_group=7)
    )
    parent, _ = app.link_parent(
        LinkParent(
            pupil_id=pupil, relationship="mother", parental_responsibility=True, full_name=PARENT
        )
    )
    app.record_competence_assessment(pupil, now - timedelta(hours=4), False, notes=COMPETENCE)
    app.give_consent(
        pupil,
        "parent_carer",
        [Choice(["photo"], ["school_website"], True)],
        "email",
        "F-1",
        "v1",
        now - timedelta(hours=4),
        parent_carer_id=parent,
    )
    poster, _ = app.register_staff_member(
        RegisterStaffMember(
            school_id=school, full_name=NAME, staff_role="teacher", user_id="poster@x"
        )
    )
    channel, _ = app.open_channel(
        school,
        "school_website",
        "Website",
        "School site",
        staff,
        PURPOSE,
        date(2025, 9, 1),
        "The head",
        "headteacher",
        date(2025, 8, 1),
        True,
    )
    app.authorise_poster(channel, poster, now - timedelta(hours=4))
    publication, _ = app.record_publication(
        channel,
        now - timedelta(hours=3),
        ["photo"],
        [pupil],
        True,
        False,
        posted_by_id=poster,
        description=CAPTION,
    )
    app.withdraw_consent(
        pupil,
        "parent_carer",
        ["photo"],
        ["school_website"],
        "letter",
        "L-1",
        now - timedelta(hours=2),
        parent_carer_id=parent,
    )
    app.record_takedown(publication, "not_practicable", now - timedelta(hours=1), TAKEDOWN)
    app.close_channel(channel, date.today(), reason=TAKEDOWN)


def test_the_scan_would_find_plaintext_if_it_were_there(container):
    """Guards the scan: an unsealed value (a trust's name) is found, in its column and its row."""
    with acting_as(Principal.operator("tests")):
        container.app.create_trust(CreateTrust(name="Trust Findable-Name"))
    for worker in container.workers():
        worker.catch_up()
    found = find_plaintext(container.database.conninfo, ["Findable-Name"])
    assert {(f.table, f.column) for f in found} == {("dir_trusts", "name"), ("dir_trusts", "(row)")}


def test_the_scan_reads_bytea_as_raw_bytes(container):
    """Guards the scan: a plaintext inside a bytea column does not hide in its hex rendering."""
    with container.pool.connection() as conn:
        conn.execute(
            "INSERT INTO data_keys (subject_id, wrapped_key) VALUES (gen_random_uuid(), %s)",
            (b"\x00Hidden-In-Bytes\x00",),
        )
    found = find_plaintext(container.database.conninfo, ["Hidden-In-Bytes"])
    assert [(f.table, f.column) for f in found] == [("data_keys", "wrapped_key")]

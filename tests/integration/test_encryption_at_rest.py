"""No plaintext of a sealed field anywhere in the database: events, views, keys, logs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from domain.consent.commands import (
    CloseChannel,
    RecordCompetenceAssessment,
    RecordTakedown,
)
from domain.directory.commands import (
    RecordPupilLeft,
    RecordStaffLeft,
)
from domain.shared.actor import acting_as
from domain.shared.policy import Principal, Role
from domain.staff_cases.commands import (
    DeclareSocialMediaRelationship,
    RaiseLowLevelConcern,
    RecordAllegationOutcome,
)
from tests import builders as make
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
        trust = make.trust(app, "Trust")
        school = make.school_with(app, trust, "head@x", Role.HEADTEACHER, "School", "400001")
    with acting_as(app.principal_for("head@x")):
        pupil = make.pupil(app, school, NAME, DOB, year_group=7)
        make.parent(app, pupil, PARENT, "father")
        app.record_pupil_left(
            RecordPupilLeft(pupil_id=pupil, left_on=date.today(), destination=REASON)
        )
        staff = make.staff(app, school, NAME, "teacher")
        case = make.allegation(app, staff, ALLEGATION)
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
    pupil = make.pupil(app, school, NAME, DOB, year_group=7)
    parent = make.parent(app, pupil, PARENT, "mother")
    app.record_competence_assessment(
        RecordCompetenceAssessment(
            pupil_id=pupil, assessed_at=now - timedelta(hours=4), competent=False, notes=COMPETENCE
        )
    )
    website = "school_website"
    form = {"method": "email", "reference": "F-1"}
    make.parental_consent(app, pupil, parent, "photo", website, now - timedelta(hours=4), **form)
    poster = make.staff(app, school, NAME, "teacher", "poster@x")
    channel = make.channel(
        app,
        school,
        staff,
        date(2025, 9, 1),
        website,
        platform="Website",
        account_name="School site",
        purpose=PURPOSE,
        risk_assessment_approved_by="The head",
        risk_assessment_approved_on=date(2025, 8, 1),
    )
    start = now - timedelta(hours=4)
    publication = make.post_then_withdrawal(
        app, channel, website, pupil, parent, poster, start, CAPTION, reference="L-1"
    )
    app.record_takedown(
        RecordTakedown(
            publication_id=publication,
            outcome="not_practicable",
            done_at=now - timedelta(hours=1),
            reason=TAKEDOWN,
        )
    )
    app.close_channel(CloseChannel(channel_id=channel, closed_on=date.today(), reason=TAKEDOWN))


def test_the_scan_would_find_plaintext_if_it_were_there(container):
    """Guards the scan: an unsealed value (a trust's name) is found, in its column and its row."""
    with acting_as(Principal.operator("tests")):
        make.trust(container.app, "Trust Findable-Name")
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

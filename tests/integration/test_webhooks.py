"""Webhooks and the changes feed (docs/rules.md §14), against a real HTTP receiver each test
starts on 127.0.0.1: deliveries are signed as Standard Webhooks says, thin, retried from a
durable outbox until a 2xx, never sent for a record the endpoint's owner may not read, and
never lost across a restart."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from api.settings import Environment, Settings
from api.webhooks import WebhookSender
from api.wiring import Container
from domain.incidents.commands import ReportIncident
from domain.shared.actor import acting_as
from domain.staff_cases.commands import RaiseLowLevelConcern
from domain.webhooks.commands import RegisterWebhookEndpoint
from projections.webhooks import queries
from tests import builders as make
from tests.erasure_support import carry_out

MAX_ATTEMPTS = 3


@pytest.fixture
def settings(test_data_dir: Path) -> Settings:
    return Settings(
        environment=Environment.TEST,
        data_dir=test_data_dir,
        webhook_retry_seconds=0.05,
        webhook_poll_seconds=0.05,
        webhook_timeout_seconds=1.0,
        webhook_max_attempts=MAX_ATTEMPTS,
    )


class Receiver:
    """A small threaded HTTP server: answers each post with the next of ``answers`` (then
    200), waiting ``delay`` seconds first if given, and keeps what it was sent."""

    def __init__(self, answers: list[int] | None = None, delay: float = 0.0) -> None:
        self.answers = list(answers or [])
        self.delay = delay
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                if receiver.delay:
                    time.sleep(receiver.delay)
                code = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(code)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.close()


class Demo:
    """The demo trust (``casework seed demo``), with a pupil registered in each school."""

    def __init__(self, container: Container) -> None:
        from api.seed import seed_demo

        self.container = container
        self.app = container.app
        self.trust, self.schools, _, _ = seed_demo(container)
        self.pupils: dict[str, UUID] = {}
        for key, school in self.schools.items():
            with acting_as(self.app.principal_for(f"datalead@{key}.demo")):
                self.pupils[key] = make.pupil(self.app, school, f"Webhook Pupil {key}")

    def as_user(self, user: str) -> Any:
        return acting_as(self.app.principal_for(user))

    def register(self, user: str, url: str, kinds: list[str], school: str | None) -> Any:
        school_id = None if school is None else self.schools[school]
        with self.as_user(user):
            return self.app.register_webhook_endpoint(
                RegisterWebhookEndpoint(self.trust, url, kinds, school_id)
            )

    def incident(self, school: str, reporter: str | None = None) -> UUID:
        now = datetime.now(UTC)
        with self.as_user(reporter or f"teacher@{school}.demo"):
            incident_id, _ = self.app.report_incident(
                ReportIncident(
                    school_id=self.schools[school],
                    occurred_at=now - timedelta(hours=1),
                    reported_at=now,
                    category="cyberbullying",
                    description="A description no delivery may carry",
                    people=[(self.pupils[school], "pupil_harmed")],
                )
            )
        return incident_id

    def staff_id(self, user: str) -> UUID:
        (person,) = self.app.principal_for(user).subject_of
        return person

    def feed(self) -> None:
        """The webhooks view catches up, as its worker does (a new worker: a restart)."""
        (worker,) = self.container.workers(["webhooks"])
        worker.catch_up()

    def sender(self) -> WebhookSender:
        c = self.container
        return WebhookSender(c.pool, c.keyring, c.settings)

    def deliveries(self, endpoint: UUID) -> list[queries.DeliveryRow]:
        with self.container.pool.connection() as conn:
            return queries.deliveries(conn, endpoint, 100, None).items


@pytest.fixture
def demo(container: Container) -> Demo:
    return Demo(container)


def expected_signature(secret: str, headers: dict[str, str], body: bytes) -> str:
    """Computed here as the Standard Webhooks specification says, independently of the code."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def test_a_delivery_is_signed_so_that_the_receiver_verifies_it(demo, receiver):
    registered = demo.register("dsl@primary.demo", receiver.url, ["incident_reported"], "primary")
    demo.incident("primary")
    demo.feed()
    assert demo.sender().send_due() == 1
    ((headers, body),) = receiver.received
    assert headers["webhook-signature"] == expected_signature(registered.secret, headers, body)
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    assert headers["webhook-id"] == str(demo.deliveries(registered.endpoint_id)[0].delivery_id)


def test_a_delivery_carries_the_kind_record_school_and_position_only(demo, receiver):
    registered = demo.register("dsl@primary.demo", receiver.url, ["incident_reported"], "primary")
    incident = demo.incident("primary")
    demo.feed()
    demo.sender().send_due()
    (body,) = receiver.bodies()
    (delivery,) = demo.deliveries(registered.endpoint_id)
    assert set(body) == {"type", "recordId", "schoolId", "position", "timestamp"}
    assert body["type"] == "incident_reported"
    assert body["recordId"] == str(incident)
    assert body["schoolId"] == str(demo.schools["primary"])
    assert body["position"] == str(delivery.position)
    assert b"description" not in receiver.received[0][1]


def test_a_receiver_answering_500_then_200_gets_the_retry_and_each_attempt_is_kept(demo):
    failing = Receiver([500])
    try:
        registered = demo.register(
            "dsl@primary.demo", failing.url, ["incident_reported"], "primary"
        )
    except Exception:
        failing.close()
        raise
    try:
        demo.incident("primary")
        demo.feed()
        sender = demo.sender()
        sender.send_due()
        (pending,) = demo.deliveries(registered.endpoint_id)
        assert (pending.status, pending.last_status_code) == ("pending", 500)
        assert pending.next_attempt_at is not None
        time.sleep(0.2)  # past the back-off
        sender.send_due()
        (delivered,) = demo.deliveries(registered.endpoint_id)
        assert delivered.status == "delivered"
        assert [(a.outcome, a.status_code) for a in delivered.attempt_list] == [
            ("refused", 500),
            ("delivered", 200),
        ]
        assert len({h["webhook-id"] for h, _ in failing.received}) == 1
    finally:
        failing.close()


@contextmanager
def slow_delivery(demo: Demo, delay: float) -> Iterator[tuple[Receiver, UUID]]:
    """A receiver that waits ``delay`` seconds before answering, and an endpoint of the
    primary school's DSL posting to it, with one incident's delivery due: (receiver,
    endpoint id)."""
    slow = Receiver(delay=delay)
    try:
        registered = demo.register("dsl@primary.demo", slow.url, ["incident_reported"], "primary")
        demo.incident("primary")
        demo.feed()
        yield slow, registered.endpoint_id
    finally:
        slow.close()


def test_a_timeout_is_a_failed_attempt(demo):
    with slow_delivery(demo, 1.5) as (_, endpoint):
        demo.sender().send_due()
        (delivery,) = demo.deliveries(endpoint)
        assert delivery.status == "pending"
        assert [a.outcome for a in delivery.attempt_list] == ["timeout"]


def test_attempts_stop_at_the_bound_and_a_replay_sends_it_again(demo):
    down = Receiver([503] * MAX_ATTEMPTS)
    try:
        registered = demo.register("dsl@primary.demo", down.url, ["incident_reported"], "primary")
        demo.incident("primary")
        demo.feed()
        sender = demo.sender()
        for _ in range(MAX_ATTEMPTS + 2):
            sender.send_due()
            time.sleep(0.4)
        (failed,) = demo.deliveries(registered.endpoint_id)
        assert (failed.status, failed.attempts) == ("failed", MAX_ATTEMPTS)
        with demo.container.pool.connection() as conn:
            assert queries.replay(conn, failed.delivery_id)
        sender.send_due()
        (replayed,) = demo.deliveries(registered.endpoint_id)
        assert (replayed.status, replayed.attempts) == ("delivered", MAX_ATTEMPTS + 1)
        assert len(down.received) == MAX_ATTEMPTS + 1
    finally:
        down.close()


def test_another_schools_incident_is_never_sent(demo, receiver):
    registered = demo.register("dsl@primary.demo", receiver.url, ["incident_reported"], "primary")
    demo.incident("academy")
    demo.feed()
    demo.sender().send_due()
    assert demo.deliveries(registered.endpoint_id) == []
    assert receiver.received == []


def test_an_allegation_about_the_endpoints_owner_is_never_sent_to_it(demo, receiver):
    demo.register("head@primary.demo", receiver.url, ["allegation_received"], "primary")
    with demo.as_user("chair@demo.trust"):  # the case manager of cases about a headteacher
        make.allegation(demo.app, demo.staff_id("head@primary.demo"), "About the head")
    with demo.as_user("dsl@primary.demo"):
        about_teacher = make.allegation(
            demo.app, demo.staff_id("teacher@primary.demo"), "About a teacher"
        )
    demo.feed()
    demo.sender().send_due()
    assert [b["recordId"] for b in receiver.bodies()] == [str(about_teacher)]


def test_an_erasure_is_delivered_as_ids_only(demo, receiver):
    registered = demo.register("tsl@demo.trust", receiver.url, ["record_erased"], None)
    incident = demo.incident("primary")
    demo.feed()
    carry_out(
        demo.container,
        trust_id=demo.trust,
        subject_ids=[incident],
        record_ids=[incident],
        blind_indexes=[],
    )
    demo.feed()
    demo.sender().send_due()
    (body,) = receiver.bodies()
    (delivery,) = demo.deliveries(registered.endpoint_id)
    assert body == {
        "type": "record_erased",
        "recordId": str(incident),
        "schoolId": str(demo.schools["primary"]),
        "position": str(delivery.position),
        "timestamp": body["timestamp"],
    }


def test_events_recorded_while_no_worker_runs_are_delivered_once_one_starts(demo, receiver):
    registered = demo.register("dsl@primary.demo", receiver.url, ["incident_reported"], "primary")
    first, second = demo.incident("primary"), demo.incident("primary")
    demo.feed()  # a fresh worker: it resumes from the view's tracking row
    demo.feed()  # and a second restart applies nothing twice
    demo.sender().send_due()
    assert sorted(b["recordId"] for b in receiver.bodies()) == sorted([str(first), str(second)])
    assert len(demo.deliveries(registered.endpoint_id)) == 2


def test_a_delivery_claimed_by_a_sender_that_dies_is_sent_by_the_next(demo, receiver):
    registered = demo.register("dsl@primary.demo", receiver.url, ["incident_reported"], "primary")
    demo.incident("primary")
    demo.feed()
    dying = demo.container.pool.getconn()
    try:
        dying.execute("BEGIN")
        dying.execute(
            "SELECT delivery_id FROM wh_deliveries WHERE status = 'pending' FOR UPDATE SKIP LOCKED"
        ).fetchall()
        assert demo.sender().send_due() == 0  # claimed: never sent twice at once
    finally:
        dying.close()  # dies without committing
        demo.container.pool.putconn(dying)
    assert demo.sender().send_due() == 1
    (delivery,) = demo.deliveries(registered.endpoint_id)
    assert delivery.status == "delivered"
    assert len(receiver.received) == 1


def test_a_sender_that_dies_after_its_claim_leaves_the_delivery_due_when_its_lease_ends(
    demo, receiver
):
    registered = demo.register("dsl@primary.demo", receiver.url, ["incident_reported"], "primary")
    demo.incident("primary")
    demo.feed()
    (claimed,) = demo.sender().claim()  # and dies before posting
    assert demo.sender().send_due() == 0  # leased: never sent twice at once
    with demo.container.pool.connection() as conn:  # as if the lease had run out
        conn.execute(
            "UPDATE wh_deliveries SET next_attempt_at = now() WHERE delivery_id = %s",
            (claimed.delivery_id,),
        )
    assert demo.sender().send_due() == 1
    (delivery,) = demo.deliveries(registered.endpoint_id)
    assert delivery.status == "delivered"
    assert [a.attempt for a in delivery.attempt_list] == [1]
    assert len(receiver.received) == 1


def test_a_stopping_sender_posts_nothing_more_and_gives_back_what_it_claimed(demo, receiver):
    registered = demo.register("dsl@primary.demo", receiver.url, ["incident_reported"], "primary")
    demo.incident("primary")
    demo.feed()
    stopping = threading.Event()
    stopping.set()
    assert demo.sender().send_due(stopping) == 0
    assert receiver.received == []
    assert demo.sender().send_due() == 1  # due at once, not at the lease's end
    (delivery,) = demo.deliveries(registered.endpoint_id)
    assert delivery.status == "delivered"


def posting(demo: Demo, receiver: Receiver) -> threading.Thread:
    """A sender posting in a thread, returned once the receiver holds its request."""
    sending = threading.Thread(target=demo.sender().send_due)
    sending.start()
    eventually(lambda: receiver.received, bool, within=5.0)
    return sending


def test_no_transaction_is_held_open_while_a_receiver_answers(demo):
    with slow_delivery(demo, 0.5) as (slow, _):
        sending = posting(demo, slow)
        with demo.container.pool.connection() as conn:
            row = conn.execute(
                "SELECT count(*) AS open FROM pg_stat_activity WHERE datname = "
                "current_database() AND state LIKE 'idle in transaction%%' "
                "AND pid <> pg_backend_pid()"
            ).fetchone()
        sending.join()
        assert row is not None and row["open"] == 0


def test_an_endpoint_removed_while_its_delivery_is_posted_keeps_it_cancelled(demo):
    from domain.webhooks.commands import RemoveWebhookEndpoint

    with slow_delivery(demo, 0.5) as (slow, endpoint):
        sending = posting(demo, slow)
        with demo.as_user("dsl@primary.demo"):
            demo.app.remove_webhook_endpoint(RemoveWebhookEndpoint(endpoint))
        demo.feed()
        sending.join()
        (delivery,) = demo.deliveries(endpoint)
        assert delivery.status == "cancelled"
        assert delivery.attempt_list == ()


def test_a_removed_endpoint_is_sent_nothing_more(demo, receiver):
    from domain.webhooks.commands import RemoveWebhookEndpoint

    registered = demo.register("dsl@primary.demo", receiver.url, ["incident_reported"], "primary")
    demo.incident("primary")
    with demo.as_user("dsl@primary.demo"):
        demo.app.remove_webhook_endpoint(RemoveWebhookEndpoint(registered.endpoint_id))
    demo.feed()
    demo.sender().send_due()
    assert receiver.received == []


# --- through GraphQL, on the live service (its workers and sender running) -----------------

REGISTER = (
    "mutation($i: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $i) { "
    "__typename ... on WebhookEndpointRegistered { endpointId secret position } "
    "... on Error { code message } } }"
)
DELIVERIES = (
    "query($e: ID!, $p: Position) { webhookDeliveries(endpointId: $e, minPosition: $p) { "
    "edges { node { id kind recordId status attempts lastStatusCode nextAttemptAt "
    "attemptLog { attempt outcome statusCode } } } } }"
)
CHANGES = (
    "query($s: ID!, $since: Position, $first: Int!, $after: String, $p: Position) { "
    "changes(schoolId: $s, since: $since, first: $first, after: $after, minPosition: $p) { "
    "edges { cursor node { position kind recordId } } pageInfo { hasNextPage endCursor } } }"
)


def register_through_graphql(client: Any, demo: Demo, url: str, kinds: list[str]) -> dict:
    variables = {
        "i": {"trustId": str(demo.trust), "schoolId": str(demo.schools["primary"]), "url": url}
        | {"kinds": kinds}
    }
    return client.data(REGISTER, variables)["registerWebhookEndpoint"]


def eventually(read: Any, done: Any, within: float = 15.0) -> Any:
    deadline = time.monotonic() + within
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_registering_answers_the_secret_once_and_the_endpoint_is_listed(users, demo, receiver):
    head = users("dsl@primary.demo")
    registered = register_through_graphql(head, demo, receiver.url, ["INCIDENT_REPORTED"])
    assert registered["secret"].startswith("whsec_")
    listed = head.data(
        "query($t: ID!, $p: Position) { webhookEndpoints(trustId: $t, minPosition: $p) "
        "{ id url kinds schoolId } }",
        {"t": str(demo.trust), "p": registered["position"]},
    )["webhookEndpoints"]
    assert listed == [
        {
            "id": registered["endpointId"],
            "url": receiver.url,
            "kinds": ["INCIDENT_REPORTED"],
            "schoolId": str(demo.schools["primary"]),
        }
    ]


def test_webhook_deliveries_show_each_attempt_and_a_replay_sends_it_again(users, demo):
    flaky = Receiver([500])
    try:
        head = users("dsl@primary.demo")
        registered = register_through_graphql(head, demo, flaky.url, ["INCIDENT_REPORTED"])
        incident = demo.incident("primary")
        position = demo.container.head()

        def read() -> list[dict]:
            body = head.data(DELIVERIES, {"e": registered["endpointId"], "p": str(position)})
            return [e["node"] for e in body["webhookDeliveries"]["edges"]]

        (delivery,) = eventually(read, lambda d: d and d[0]["status"] == "DELIVERED")
        assert delivery["recordId"] == str(incident)
        assert delivery["attemptLog"] == [
            {"attempt": 1, "outcome": "REFUSED", "statusCode": 500},
            {"attempt": 2, "outcome": "DELIVERED", "statusCode": 200},
        ]
        replayed = head.mutate(
            "replayWebhookDelivery",
            "ReplayWebhookDeliveryInput",
            {"deliveryId": delivery["id"]},
            "... on WebhookDeliveryReplayed { deliveryId }",
        )
        assert replayed["deliveryId"] == delivery["id"]
        eventually(lambda: len(flaky.received), lambda n: n == 3)
        assert [h["webhook-id"] for h, _ in flaky.received] == [delivery["id"]] * 3
    finally:
        flaky.close()


def test_changes_pages_a_schools_changes_after_a_position(users, demo):
    since = demo.container.head()
    incidents = [demo.incident("primary") for _ in range(3)]
    demo.incident("academy")
    dsl = users("dsl@primary.demo")
    variables = {"s": str(demo.schools["primary"]), "since": str(since), "first": 2}
    variables["p"] = str(demo.container.head())
    first = dsl.data(CHANGES, variables)["changes"]
    second = dsl.data(CHANGES, variables | {"after": first["pageInfo"]["endCursor"]})["changes"]
    nodes = [e["node"] for e in first["edges"] + second["edges"]]
    assert [n["recordId"] for n in nodes] == [str(i) for i in incidents]
    assert {n["kind"] for n in nodes} == {"INCIDENT_REPORTED"}
    assert first["pageInfo"]["hasNextPage"] and not second["pageInfo"]["hasNextPage"]


def test_changes_never_show_the_reader_a_record_about_them(users, demo):
    since = demo.container.head()
    with demo.as_user("dsl@primary.demo"):  # the head's goes to the chair, the teacher's to them
        demo.app.raise_low_level_concern(
            RaiseLowLevelConcern(demo.staff_id("head@primary.demo"), "About the head")
        )
        about_teacher, _ = demo.app.raise_low_level_concern(
            RaiseLowLevelConcern(demo.staff_id("teacher@primary.demo"), "About a teacher")
        )
    variables = {"s": str(demo.schools["primary"]), "since": str(since), "first": 50}
    body = users("head@primary.demo").data(CHANGES, variables | {"p": str(demo.container.head())})
    assert [e["node"]["recordId"] for e in body["changes"]["edges"]] == [str(about_teacher)]


def test_an_endpoint_that_is_not_https_is_refused_and_nothing_is_recorded(users, demo):
    before = demo.container.head()
    refused = users("dsl@primary.demo").data(
        REGISTER,
        {
            "i": {
                "trustId": str(demo.trust),
                "schoolId": str(demo.schools["primary"]),
                "url": "http://mis.example/hooks",
                "kinds": ["INCIDENT_REPORTED"],
            }
        },
    )["registerWebhookEndpoint"]
    assert (refused["__typename"], refused["code"]) == ("ValidationError", "VALIDATION_ERROR")
    assert demo.container.head() == before

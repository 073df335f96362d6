"""`minPosition`: a request waits once, before it runs, with one deadline however many of its
fields wait; it holds no thread while it waits; a position not yet written is refused at once."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from uuid import uuid4

import pytest

from api.settings import Environment, Settings
from tests.api_client import Client, requests_waiting_for_views

DEADLINE = 8.0  # seconds: the bound on a read-your-writes wait (time for forty to arrive)
PUPILS = "pupils(minPosition: $p) { edges { node { id } } }"


@pytest.fixture
def settings(test_data_dir: Path) -> Settings:
    return Settings(
        environment=Environment.TEST,
        data_dir=test_data_dir,
        read_your_writes_timeout_seconds=DEADLINE,
    )


def codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body["errors"]]


def test_four_aliased_waits_share_one_deadline(frozen_views, settings, container):
    dsl = Client(frozen_views.url, settings, "dsl@primary.demo")
    pupil = "pupil(id: $id, minPosition: $p) { id }"  # nullable: each alias answers on its own
    query = "query($id: ID!, $p: Position) { " + " ".join(f"a{i}: {pupil}" for i in range(4)) + " }"

    started = time.monotonic()
    body = dsl.gql(query, {"id": str(uuid4()), "p": str(container.head())})
    took = time.monotonic() - started

    assert codes(body) == ["POSITION_NOT_REACHED"] * 4
    assert took < 2 * DEADLINE


def test_a_position_beyond_the_head_is_refused_at_once(frozen_views, settings, container):
    dsl = Client(frozen_views.url, settings, "dsl@primary.demo")

    started = time.monotonic()
    body = dsl.gql("query($p: Position) { " + PUPILS + " }", {"p": str(container.head() + 1)})
    took = time.monotonic() - started

    assert codes(body) == ["POSITION_BEYOND_HEAD"]
    assert took < DEADLINE


def test_another_users_request_is_answered_while_forty_requests_wait(
    frozen_views, settings, container
):
    url, waiters = frozen_views.url, 40
    position = str(container.head())
    finished: list[bool] = []

    def wait_for_the_views(_: int) -> dict:
        body = Client(url, settings, "dsl@primary.demo").gql(
            "query($p: Position) { " + PUPILS + " }", {"p": position}
        )
        finished.append(True)
        return body

    with ThreadPoolExecutor(waiters) as pool:
        waiting = pool.map(wait_for_the_views, range(waiters))
        assert requests_waiting_for_views(url, waiters, within=DEADLINE) == waiters

        me = Client(url, settings, "head@primary.demo").data("{ me { userId } }")

        assert me == {"me": {"userId": "head@primary.demo"}}
        assert not finished  # every one of the forty is still waiting
        bodies = list(waiting)
    assert all(codes(b) == ["POSITION_NOT_REACHED"] for b in bodies)

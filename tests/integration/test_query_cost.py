"""Query cost: every answer carries `extensions.cost` (what the document asked for, what was
resolved, and the caller's budget), and a user whose budget per minute is spent is answered 429
with Retry-After, as Shopify and GitHub answer, while other users carry on."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from api.settings import Environment, Settings
from tests.api_client import Client

BUDGET = 60  # a minute's budget: it refills at one a second
ME = "{ me { userId } }"  # costs 2: me, and its userId
PUPILS = "{ pupils(first: 10) { edges { node { id fullName { value } } } } }"


@pytest.fixture
def settings(test_data_dir: Path) -> Settings:
    return Settings(
        environment=Environment.TEST, data_dir=test_data_dir, query_cost_per_minute=BUDGET
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(live) -> Clock:
    """The budget's clock, stopped: time passes only when a test moves it on."""
    stopped = Clock()
    live.server.config.app.state.query_budget.clock = stopped
    return stopped


def cost(response) -> dict:
    return response.json()["extensions"]["cost"]


def spend(client: Client, budget: int = BUDGET) -> None:
    for _ in range(budget // 2):
        assert client.post(ME).status_code == 200


def test_a_page_costs_its_fields_times_its_page_size_and_is_charged_what_it_resolved(
    users, clock
) -> None:
    response = users("dsl@primary.demo").post(PUPILS)

    assert response.status_code == 200
    # pupils, then per pupil of the 10 asked for: edges, node, id, fullName, value
    # resolved: pupils and edges, then node, id, fullName and value for each of the 4 pupils
    assert cost(response) == {
        "requested": 1 + 10 * 5,
        "actual": 2 + 4 * 4,
        "throttle": {
            "maximumAvailable": BUDGET,
            "currentlyAvailable": BUDGET - 18,
            "restoreRate": 1.0,
        },
    }


def test_typename_costs_nothing(users, clock) -> None:
    response = users("dsl@primary.demo").post("{ __typename me { __typename userId } }")

    assert (cost(response)["requested"], cost(response)["actual"]) == (2, 2)


def test_a_spent_budget_is_answered_429_with_retry_after_and_a_graphql_error(users, clock) -> None:
    dsl = users("dsl@primary.demo")
    spend(dsl)

    refused = dsl.post(ME)

    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "2"  # two fields, refilled at one a second
    (error,) = refused.json()["errors"]
    assert error["extensions"] == {"code": "QUERY_BUDGET_SPENT", "retryAfter": 2}
    assert cost(refused)["throttle"]["currentlyAvailable"] == 0


def test_a_refused_request_runs_nothing(users, clock, container) -> None:
    dsl = users("dsl@primary.demo")
    spend(dsl)
    with container.pool.connection() as conn:
        logged = conn.execute("SELECT count(*) AS n FROM access_log").fetchone()["n"]

    assert dsl.post(PUPILS).status_code == 429

    with container.pool.connection() as conn:
        assert conn.execute("SELECT count(*) AS n FROM access_log").fetchone()["n"] == logged


def test_after_retry_after_seconds_the_request_is_answered(users, clock) -> None:
    dsl = users("dsl@primary.demo")
    spend(dsl)
    refused = dsl.post(ME)

    clock.now += int(refused.headers["retry-after"])

    assert dsl.post(ME).status_code == 200


def test_the_next_minute_the_whole_budget_is_back(users, clock) -> None:
    dsl = users("dsl@primary.demo")
    spend(dsl)
    assert dsl.post(ME).status_code == 429

    clock.now += 60

    spend(dsl)


def test_another_user_s_budget_is_untouched_by_one_spent(users, clock) -> None:
    spend(users("dsl@primary.demo"))

    answered = users("head@primary.demo").post(ME)

    assert answered.status_code == 200
    assert cost(answered)["throttle"]["currentlyAvailable"] == BUDGET - 2


def test_a_refusal_logs_neither_the_query_nor_who_sent_it(users, clock, caplog) -> None:
    dsl = users("dsl@primary.demo")
    spend(dsl)
    caplog.set_level(logging.DEBUG)

    assert dsl.post("{ distinctiveAlias: me { userId } }").status_code == 429

    assert "distinctiveAlias" not in caplog.text
    assert "dsl@primary.demo" not in caplog.text


def test_a_request_asking_for_more_than_the_whole_budget_runs_only_when_none_is_spent(
    users, clock
) -> None:
    dsl = users("dsl@primary.demo")
    bigger = PUPILS.replace("first: 10", "first: 20")  # 101, over the budget of 60

    first = dsl.post(bigger)
    assert (first.status_code, cost(first)["requested"]) == (200, 101)
    assert dsl.post(ME).status_code == 200  # 18 resolved, then 2: 20 spent

    refused = dsl.post(bigger)
    assert (refused.status_code, refused.headers["retry-after"]) == (429, "20")

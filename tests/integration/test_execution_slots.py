"""Execution slots (api/slots.py): at most so many requests run at once in the process; one
waiting for the views holds none."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from api.settings import Environment, Settings
from api.slots import ExecutionSlots
from tests.api_client import Client, requests_waiting_for_views

WAIT = 5.0  # seconds: far longer than any step below takes when it works


def _hold_until(slots: ExecutionSlots, entered: threading.Event, leave: threading.Event) -> None:
    with slots.held():
        entered.set()
        leave.wait(WAIT)


def test_a_request_waits_while_every_slot_is_held():
    slots = ExecutionSlots(2)
    leave = threading.Event()
    holders = [threading.Event(), threading.Event()]
    threads = [threading.Thread(target=_hold_until, args=(slots, e, leave)) for e in holders]
    for t in threads:
        t.start()
    assert all(e.wait(WAIT) for e in holders)
    third, third_leave = threading.Event(), threading.Event()
    waiting = threading.Thread(target=_hold_until, args=(slots, third, third_leave))
    waiting.start()

    assert not third.wait(0.2)  # both slots held: the third request is queued
    leave.set()
    assert third.wait(WAIT)  # and runs as soon as one is free
    third_leave.set()
    for t in [*threads, waiting]:
        t.join(WAIT)


def test_a_thread_holding_a_slot_may_enter_again_without_taking_a_second():
    slots = ExecutionSlots(1)
    with slots.held(), slots.held():  # would wait for ever if it took a second slot
        pass


def test_there_is_at_least_one_slot():
    with pytest.raises(ValueError):
        ExecutionSlots(0)


@pytest.fixture
def settings(test_data_dir: Path) -> Settings:
    return Settings(
        environment=Environment.TEST,
        data_dir=test_data_dir,
        concurrent_requests=1,
        read_your_writes_timeout_seconds=WAIT,
    )


def test_a_request_waiting_for_the_views_holds_up_no_other_request(
    frozen_views, settings, container
):
    """One slot: a query waiting for a position the views have not reached (and, with no
    projection workers, will not) still lets another request through, and then fails with
    POSITION_NOT_REACHED."""
    live = frozen_views
    dsl = Client(live.url, settings, "dsl@primary.demo")
    results = []
    position = str(container.head())
    waiter = threading.Thread(
        target=lambda: results.append(
            dsl.gql(
                "query($p: Position) { pupils(minPosition: $p) { edges { node { id } } } }",
                {"p": position},
            )
        )
    )
    waiter.start()
    assert requests_waiting_for_views(live.url, 1, within=WAIT) == 1

    other = Client(live.url, settings, "dsl@primary.demo")
    other.http.timeout = WAIT / 2  # long before the waiter gives up
    assert other.data("{ __typename }") == {"__typename": "Query"}
    assert waiter.is_alive()

    waiter.join(WAIT * 2)
    assert results[0]["errors"][0]["extensions"]["code"] == "POSITION_NOT_REACHED"

"""Execution slots (api/slots.py): at most so many requests run at once in the process; one
waiting for the views lends its slot."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from api.settings import Environment, Settings
from api.slots import ExecutionSlots
from tests.api_client import Client

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


def test_a_slot_lent_for_a_wait_lets_another_request_run():
    slots = ExecutionSlots(1)
    lending, done_waiting = threading.Event(), threading.Event()
    back = threading.Event()

    def waits_for_the_views() -> None:
        with slots.held(), slots.lent():
            lending.set()
            done_waiting.wait(WAIT)
        back.set()

    waiter = threading.Thread(target=waits_for_the_views)
    waiter.start()
    assert lending.wait(WAIT)
    other, other_leave = threading.Event(), threading.Event()
    other_thread = threading.Thread(target=_hold_until, args=(slots, other, other_leave))
    other_thread.start()
    assert other.wait(WAIT)  # runs while the first one waits

    done_waiting.set()
    assert not back.wait(0.2)  # the waiter takes a slot again before it goes on
    other_leave.set()
    assert back.wait(WAIT)
    for t in (waiter, other_thread):
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
    live, settings, demo, container, monkeypatch
):
    """One slot: a query waiting for a position the views have not reached (and will not)
    still lets another request through, and then fails with POSITION_NOT_REACHED."""
    waiting = threading.Event()
    wait_for = container.wait_for

    def noted_wait_for(*args, **kwargs):
        waiting.set()
        return wait_for(*args, **kwargs)

    monkeypatch.setattr(container, "wait_for", noted_wait_for)
    dsl = Client(live.url, settings, "dsl@primary.demo")
    results = []
    far_ahead = str(container.head() + 1_000_000)
    waiter = threading.Thread(
        target=lambda: results.append(
            dsl.gql(
                "query($p: Position) { pupils(minPosition: $p) { edges { node { id } } } }",
                {"p": far_ahead},
            )
        )
    )
    waiter.start()
    assert waiting.wait(WAIT)

    other = Client(live.url, settings, "dsl@primary.demo")
    other.http.timeout = WAIT / 2  # long before the waiter gives up
    assert other.data("{ __typename }") == {"__typename": "Query"}
    assert waiter.is_alive()

    waiter.join(WAIT * 2)
    assert results[0]["errors"][0]["extensions"]["code"] == "POSITION_NOT_REACHED"

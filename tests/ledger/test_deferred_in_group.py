"""The ledger fed in the views' group is deferred: left out of the batches that come sooner than
its ``defer_seconds`` after its last, it takes the events it missed with the next batch it is
part of, or on their own when nothing more comes; the log is the one an uninterrupted
integrator makes, and a ledger moved meanwhile by another integrator is refused, not forked."""

from __future__ import annotations

import threading
import time

import pytest

from projections.runner import PositionMoved, ViewGroup
from tests.ledger.world import record_some_history, stored_log, uninterrupted_log


def _group(container, defer_seconds: float, batch_size: int = 2000) -> ViewGroup:
    workers = container.workers(["ledger", "directory"], batch_size=batch_size)
    for worker in workers:
        if worker.name == "ledger":
            worker.defer_seconds = defer_seconds
    return ViewGroup(workers)


def _new_events(container, after: int, school: str, urn: str) -> list:
    record_some_history(container.app, school, urn)
    return container.app.recorder.select_notifications(
        start=after, limit=10_000, inclusive_of_start=False
    )


def _two_batches(container, group: ViewGroup) -> tuple[list, list]:
    """The group aligned over some history, then two batches of new events (not yet fed)."""
    record_some_history(container.app)
    start = group.align()
    first = _new_events(container, start, "School P", "720001")
    second = _new_events(container, first[-1].id, "School Q", "720002")
    return first, second


def test_the_ledger_is_left_out_of_a_batch_that_comes_within_its_deferral(container):
    group = _group(container, defer_seconds=60.0)
    first, second = _two_batches(container, group)
    group.process(first)  # its first batch: it takes part
    group.process(second)
    positions = container.view_positions()
    assert positions["directory"] == second[-1].id
    assert positions["ledger"] == first[-1].id


def test_the_ledger_takes_the_events_it_missed_with_the_next_batch_after_its_deferral(container):
    group = _group(container, defer_seconds=0.5)
    first, second = _two_batches(container, group)
    third = _new_events(container, second[-1].id, "School R", "720003")
    group.process(first)
    group.process(second)  # at once: left out
    time.sleep(0.6)
    group.process(third)
    assert set(container.view_positions().values()) == {third[-1].id}
    assert stored_log(container) == uninterrupted_log(container)


def test_the_ledger_is_not_left_out_of_a_batch_that_would_keep_more_than_a_batch(container):
    record_some_history(container.app)
    probe = _group(container, defer_seconds=60.0)
    start = probe.align()
    first = _new_events(container, start, "School S", "720004")
    second = _new_events(container, first[-1].id, "School T", "720005")
    third = _new_events(container, second[-1].id, "School U", "720006")
    group = _group(container, defer_seconds=60.0, batch_size=len(second))
    group.process(first)
    group.process(second)  # left out: a batch's worth kept
    group.process(third)  # the two would be more than a batch: it takes part
    assert set(container.view_positions().values()) == {third[-1].id}
    assert stored_log(container) == uninterrupted_log(container)


def test_with_nothing_more_coming_the_ledger_takes_what_it_missed_when_its_deferral_ends(
    container,
):
    # Long enough for the second history to come within it on a loaded machine.
    group = _group(container, defer_seconds=5.0)
    record_some_history(container.app)
    first = _new_events(container, group.align(), "School W", "720008")
    group.process(first)  # the ledger takes part: its deferral runs from now
    stopping = threading.Event()
    running = threading.Thread(target=group.run, args=(stopping,))
    running.start()
    try:
        container.wait_for(["directory", "ledger"], first[-1].id, timeout=30)
        record_some_history(container.app, "School V", "720007")
        last = container.app.recorder.max_notification_id()
        container.wait_for(["directory"], last, timeout=30)
        assert container.view_positions()["ledger"] < last  # left out, and nothing more comes
        container.wait_for(["ledger"], last, timeout=30)
    finally:
        stopping.set()
        group.interrupt()
        running.join(timeout=30)
    assert stored_log(container) == uninterrupted_log(container)


def test_a_ledger_another_integrator_moved_while_it_was_left_out_is_refused(container):
    group = _group(container, defer_seconds=60.0)
    first, second = _two_batches(container, group)
    group.process(first)
    group.process(second)  # left out
    (other,) = container.workers(["ledger"])
    other.catch_up()  # another integrator takes the ledger to the head
    with pytest.raises(PositionMoved):
        group.process([])  # nothing more came: the ledger would take the events it missed
    assert stored_log(container) == uninterrupted_log(container)

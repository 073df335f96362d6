"""Two integrators at once, and writes while they run: the log never forks, and every event
becomes a leaf exactly once, identical to what one uninterrupted integrator makes."""

from __future__ import annotations

import threading

from domain.ledger.merkle import leaf_hash, root_of
from projections.runner import PositionMoved
from tests.ledger.world import (
    record_some_history,
    stored_log,
    stored_root,
    uninterrupted_log,
)


def _integrate_until(worker, done: threading.Event, errors: list[BaseException]) -> None:
    try:
        while True:
            finished = done.is_set()
            try:
                worker.catch_up()
            except PositionMoved:
                worker.resync()  # the other integrator moved the log: carry on from there
                continue
            if finished:
                return
    except BaseException as error:  # reported by the test
        errors.append(error)


def test_two_integrators_racing_under_writes_make_one_log_with_every_event_once(container):
    done = threading.Event()
    errors: list[BaseException] = []
    integrators = [
        threading.Thread(target=_integrate_until, args=(w, done, errors))
        for w in (*container.workers(["ledger"], batch_size=7), *container.workers(["ledger"]))
    ]
    for thread in integrators:
        thread.start()
    writers = [
        threading.Thread(
            target=record_some_history, args=(container.app, f"School {i}", f"70000{i}")
        )
        for i in range(6)
    ]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    for thread in integrators:
        thread.join(timeout=60)
    assert errors == []
    expected = uninterrupted_log(container)
    assert stored_log(container) == expected
    assert stored_root(container) == root_of([leaf_hash(e) for e in expected])

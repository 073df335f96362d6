"""Two integrators at once, and writes while they run: the log never forks, and every event
becomes a leaf exactly once, identical to what one uninterrupted integrator makes."""

from __future__ import annotations

import threading

from domain.ledger.merkle import leaf_hash, root_of
from projections.runner import PositionMoved, ViewGroup
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


def test_an_integrator_that_another_overtook_goes_on_from_the_log_the_other_left(container):
    (first,), (second,) = container.workers(["ledger"]), container.workers(["ledger"])
    record_some_history(container.app, "School A", "710001")
    first.catch_up()  # it knows the edge it left, and uses it without reading the head
    record_some_history(container.app, "School B", "710002")
    second.resync()
    second.catch_up()
    record_some_history(container.app, "School C", "710003")
    try:
        first.catch_up()
    except PositionMoved:
        first.resync()
        first.catch_up()
    expected = uninterrupted_log(container)
    assert stored_log(container) == expected
    assert stored_root(container) == root_of([leaf_hash(e) for e in expected])


def test_an_edge_the_head_does_not_hold_is_refused_by_the_swap_and_adds_no_leaf(container):
    (worker,) = container.workers(["ledger"])
    record_some_history(container.app)
    worker.catch_up()
    before = stored_log(container)
    edge, position = worker._pending or worker._committed
    wrong = edge.copy()
    wrong.append(leaf_hash(b"not in the log"))
    wrong.changed = {}
    worker._committed, worker._pending = (wrong, position), None
    record_some_history(container.app, "School D", "710004")
    try:
        worker.catch_up()
    except PositionMoved:
        pass
    else:
        raise AssertionError("the swap took an edge the head does not hold")
    assert stored_log(container) == before
    worker.catch_up()  # it reads the head again
    assert stored_log(container) == uninterrupted_log(container)


def test_a_swap_refused_in_the_views_group_rolls_back_every_views_batch(container):
    workers = container.workers()
    group = ViewGroup(workers)
    record_some_history(container.app)
    start = group.align()
    (ledger,) = [w for w in workers if w.name == "ledger"]
    edge, position = ledger._pending or ledger._committed
    wrong = edge.copy()
    wrong.append(leaf_hash(b"not in the log"))
    wrong.changed = {}
    ledger._committed, ledger._pending = (wrong, position), None
    before = stored_log(container)
    record_some_history(container.app, "School E", "710005")
    batch = container.app.recorder.select_notifications(start=start + 1, limit=1_000)
    try:
        group.process(batch)  # pipelined: the refusal arrives with the batch's commit
    except PositionMoved:
        pass
    else:
        raise AssertionError("the group's batch took an edge the head does not hold")
    assert stored_log(container) == before
    assert set(container.view_positions().values()) == {start}
    for worker in workers:
        worker.resync()
    group.process(batch)  # the ledger reads the head again
    assert stored_log(container) == uninterrupted_log(container)

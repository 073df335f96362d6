"""Projections: restart-safe, never applied twice, never skipped; failures stop a view loudly."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from api.wiring import Container
from domain.access.commands import GrantRole
from domain.directory.commands import RegisterPupil
from domain.shared.actor import acting_as
from domain.shared.policy import Principal, Role
from projections.common import positions
from projections.directory.projection import DirectoryView
from projections.runner import (
    PositionMoved,
    ProjectionFailed,
    ViewRebuilding,
    holding_for_rebuild,
    reset,
)
from projections.supervisor import Supervisor
from tests import builders as make

OPERATOR = Principal.operator("tests")


def seed_school(container: Container) -> tuple[UUID, UUID]:
    with acting_as(OPERATOR):
        trust_id = make.trust(container.app, "Oak Trust")
        school_id = make.school_with(
            container.app, trust_id, "lead@oak", Role.DATA_LEAD, "Oak Primary", "100001"
        )
    return trust_id, school_id


def register_pupils(container: Container, school_id: UUID, count: int) -> int:
    position = 0
    with acting_as(container.app.principal_for("lead@oak")):
        for i in range(count):
            _, position = container.app.register_pupil(
                RegisterPupil(
                    school_id=school_id,
                    full_name=f"Pupil {i}",
                    date_of_birth=date(2015, 1, 1),
                    year_group=4,
                )
            )
    return position


def fail_directory_at(monkeypatch: pytest.MonkeyPatch, failing_at: int) -> None:
    """Given the directory view raises on the pupil registered at ``failing_at``."""
    original = DirectoryView.pupil_registered

    def explode(self: Any, curs: Any, e: Any, position: int) -> None:
        if position == failing_at:
            raise RuntimeError("bad event")
        original(self, curs, e, position)

    monkeypatch.setattr(DirectoryView, "pupil_registered", explode)


def count(container: Container, table: str) -> int:
    with container.pool.connection() as conn:
        return int(conn.execute(f"SELECT count(*) AS n FROM {table}").fetchone()["n"])


def test_catch_up_applies_every_event_once(container):
    _, school_id = seed_school(container)
    register_pupils(container, school_id, 25)
    (worker,) = container.workers(["directory"], batch_size=7)

    worker.catch_up()

    assert count(container, "dir_pupils") == 25
    assert worker.position == container.head()


def test_a_killed_worker_resumes_where_it_stopped_without_doubling(container):
    _, school_id = seed_school(container)
    register_pupils(container, school_id, 10)
    (first,) = container.workers(["directory"], batch_size=4)
    batch = container.app.recorder.select_notifications(start=0, limit=4)
    first.process(batch)  # then the process dies

    register_pupils(container, school_id, 5)
    (restarted,) = container.workers(["directory"], batch_size=4)
    restarted.catch_up()

    assert count(container, "dir_pupils") == 15


def test_a_second_worker_cannot_apply_the_same_events_twice(container):
    _, school_id = seed_school(container)
    register_pupils(container, school_id, 3)
    a, b = container.workers(["directory"]) + container.workers(["directory"])
    a.catch_up()

    with pytest.raises(PositionMoved):
        b.catch_up()
    assert count(container, "dir_pupils") == 3


def test_live_events_reach_the_view_through_the_subscription(container):
    _, school_id = seed_school(container)
    supervisor = Supervisor(container.workers())
    supervisor.start()
    try:
        position = register_pupils(container, school_id, 3)
        container.wait_for(["directory", "access"], position, timeout=10)
    finally:
        supervisor.stop()
    assert count(container, "dir_pupils") == 3


def test_concurrent_writers_lose_no_event_in_the_live_view(container):
    _, school_id = seed_school(container)
    supervisor = Supervisor(container.workers(["directory"]))
    supervisor.start()
    try:
        threads = [
            threading.Thread(target=register_pupils, args=(container, school_id, 15))
            for _ in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        container.wait_for(["directory"], container.head(), timeout=20)
    finally:
        supervisor.stop()
    assert count(container, "dir_pupils") == 60


def test_a_failing_event_stops_the_view_and_shows_in_status(container, monkeypatch):
    _, school_id = seed_school(container)
    register_pupils(container, school_id, 3)
    failing_at = register_pupils(container, school_id, 1)
    register_pupils(container, school_id, 2)

    fail_directory_at(monkeypatch, failing_at)
    (worker,) = container.workers(["directory"])
    with pytest.raises(ProjectionFailed):
        worker.catch_up()

    assert worker.position == failing_at - 1
    assert count(container, "dir_pupils") == 3
    with container.pool.connection() as conn:
        status = conn.execute("SELECT * FROM projection_status WHERE name = 'directory'").fetchone()
    assert (status["state"], status["failed_position"]) == ("failed", failing_at)


def test_a_failing_batch_is_logged_once_before_it_is_applied_one_by_one(
    container, monkeypatch, caplog
):
    _, school_id = seed_school(container)
    register_pupils(container, school_id, 2)
    failing_at = register_pupils(container, school_id, 1)

    fail_directory_at(monkeypatch, failing_at)
    (worker,) = container.workers(["directory"])
    with caplog.at_level("WARNING", logger="projections.runner"), pytest.raises(ProjectionFailed):
        worker.catch_up()

    batch = [r for r in caplog.records if "applying them one at a time" in r.getMessage()]
    assert len(batch) == 1
    assert f"to {failing_at}) failed (RuntimeError)" in batch[0].getMessage()


def test_rebuild_replays_from_zero_to_the_same_rows(container):
    _, school_id = seed_school(container)
    register_pupils(container, school_id, 12)
    (worker,) = container.workers(["directory"])
    worker.catch_up()
    reset(container.views["directory"])

    (rebuilt,) = container.workers(["directory"], batch_size=5)
    rebuilt.catch_up()

    assert count(container, "dir_pupils") == 12
    with container.pool.connection() as conn:
        assert positions(conn, ["directory"])["directory"] == container.head()


def test_a_worker_leaves_a_view_alone_while_a_rebuild_holds_it(container):
    _, school_id = seed_school(container)
    register_pupils(container, school_id, 3)
    (worker,) = container.workers(["directory"])

    with holding_for_rebuild(container.views["directory"]), pytest.raises(ViewRebuilding):
        worker.catch_up()
    assert count(container, "dir_pupils") == 0


@pytest.mark.parametrize("grouped", [True, False], ids=["grouped", "a-worker-per-view"])
def test_the_service_feeds_the_other_views_while_one_is_rebuilt_then_takes_it_back(
    container, grouped
):
    _, school_id = seed_school(container)
    others = [name for name in container.views if name != "directory"]
    supervisor = Supervisor(container.workers(), grouped=grouped)
    supervisor.start()
    try:
        # Bounds generous for a loaded machine: what is shown is which views move, not how fast.
        container.wait_for(list(container.views), container.head(), timeout=60)
        with holding_for_rebuild(container.views["directory"]):
            position = register_pupils(container, school_id, 2)
            container.wait_for(others, position, timeout=60)
            with container.pool.connection() as conn:
                assert positions(conn, ["directory"])["directory"] < position
        container.wait_for(["directory"], position, timeout=60)
    finally:
        supervisor.stop()
    assert count(container, "dir_pupils") == 2


def test_a_failing_view_leaves_the_group_and_the_others_carry_on(container, monkeypatch):
    _, school_id = seed_school(container)
    failing_at = register_pupils(container, school_id, 1)
    fail_directory_at(monkeypatch, failing_at)
    supervisor = Supervisor(container.workers(), max_backoff=0.2)
    supervisor.start()
    try:
        with acting_as(OPERATOR):
            _, last = container.app.grant_role(
                GrantRole(
                    user_id="dsl@oak",
                    role=Role.DSL,
                    trust_id=container.app.school_target(school_id).trust_id,
                    school_id=school_id,
                )
            )
        container.wait_for(["access", "incidents"], last, timeout=20)
    finally:
        supervisor.stop()
    with container.pool.connection() as conn:
        status = conn.execute(
            "SELECT state, failed_position FROM projection_status WHERE name = 'directory'"
        ).fetchone()
        reached = positions(conn, ["directory", "access"])
    assert (status["state"], status["failed_position"]) == ("failed", failing_at)
    assert reached["directory"] == failing_at - 1
    assert reached["access"] == last


def test_a_bulk_catch_up_refreshes_the_planners_statistics(container, monkeypatch):
    import projections.runner as runner

    _, school_id = seed_school(container)
    register_pupils(container, school_id, 5)
    monkeypatch.setattr(runner, "ANALYZE_AFTER", 5)
    (worker,) = container.workers(["directory"])
    worker.catch_up()
    with container.pool.connection() as conn:
        analysed = conn.execute(
            "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'dir_pupils'"
        ).fetchone()["last_analyze"]
    assert analysed is not None

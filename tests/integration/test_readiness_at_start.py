"""/readyz after `casework seed demo && casework serve`: not ready until the views have reached
the head the store had when the process started, then judged by the lag bound alone."""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture
def seeded_before_start(container):
    """`casework seed demo`, then the service started with no projection workers: its views are
    still where they were, behind the head the store had when the process started."""
    from api.seed import seed_demo
    from tests.conftest import LiveServer

    seed_demo(container)
    with LiveServer(container, projections="none") as server:
        yield server


def test_a_service_started_after_a_seed_is_not_ready_until_its_views_reach_the_seed(
    seeded_before_start, container
) -> None:
    # within the lag bound: it is the start bound that refuses it
    assert container.head() < container.settings.ready_max_lag_events
    response = httpx.get(seeded_before_start.url + "/readyz", timeout=5)
    body = response.json()
    assert response.status_code == 503
    assert set(body["problems"]) == set(body["views"])
    assert body["bound"]["startPosition"] == container.head()
    assert body["bound"]["reachedStartPosition"] is False


def test_the_service_is_ready_once_its_views_reach_the_head_it_started_with(
    seeded_before_start, container
) -> None:
    for worker in container.workers(list(container.views)):
        worker.catch_up()
    response = httpx.get(seeded_before_start.url + "/readyz", timeout=5)
    assert response.status_code == 200
    assert response.json()["bound"]["reachedStartPosition"] is True


def test_once_reached_the_start_bound_stays_met_while_a_view_is_rebuilt(
    seeded_before_start, container
) -> None:
    from projections.runner import reset

    for worker in container.workers(list(container.views)):
        worker.catch_up()
    assert httpx.get(seeded_before_start.url + "/readyz", timeout=5).status_code == 200

    reset(container.views["directory"])  # back to position 0, within the lag bound

    response = httpx.get(seeded_before_start.url + "/readyz", timeout=5)
    assert response.status_code == 200
    assert response.json()["views"]["directory"]["position"] == 0

"""/readyz on a reachable database: ready only while no view is failed or too far behind."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from api.settings import Environment, Settings


@pytest.fixture
def settings(test_data_dir: Path) -> Settings:
    return Settings(environment=Environment.TEST, data_dir=test_data_dir, ready_max_lag_events=0)


def test_readiness_answers_503_naming_the_views_behind_the_event_store(frozen_views) -> None:
    response = httpx.get(frozen_views.url + "/readyz", timeout=5)
    body = response.json()
    assert (response.status_code, body["ready"]) == (503, False)
    assert set(body["problems"]) == set(body["views"]) and body["head"] > 0


def test_readiness_explains_its_bounds_and_points_to_min_position(frozen_views) -> None:
    bound = httpx.get(frozen_views.url + "/readyz", timeout=5).json()["bound"]
    assert bound["maxLagEvents"] == 0
    assert "minPosition" in bound["explanation"]

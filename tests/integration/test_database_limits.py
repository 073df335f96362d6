"""Every connection the service makes carries the statement timeout from its settings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.database import Database
from api.settings import Settings
from api.wiring import Container, build


@pytest.fixture
def limited(server_database: Database, settings: Settings) -> Iterator[Container]:
    built = build(
        settings.model_copy(update={"statement_timeout_seconds": 7.0}),
        database=server_database,
        apply_migrations=False,
    )
    yield built
    built.close()


def test_the_api_pool_connections_time_out_statements(limited):
    with limited.pool.connection() as conn:
        assert conn.execute("SHOW statement_timeout").fetchone()["statement_timeout"] == "7s"


def test_the_event_store_connections_time_out_statements(limited):
    with limited.app.recorder.datastore.get_connection() as conn:  # type: ignore[attr-defined]
        assert conn.execute("SHOW statement_timeout").fetchone()["statement_timeout"] == "7s"


def test_the_view_connections_time_out_statements(limited):
    with limited.view_datastore.get_connection() as conn:
        assert conn.execute("SHOW statement_timeout").fetchone()["statement_timeout"] == "7s"


def test_the_api_pool_keeps_jit_off_alongside_the_timeout(limited):
    with limited.pool.connection() as conn:
        assert conn.execute("SHOW jit").fetchone()["jit"] == "off"

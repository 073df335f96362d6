"""Migration 0014 on an existing deployment: the staff-cases view, built with plain logins and
references, is emptied and rebuilt from the events in its new shape; other views are untouched."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import psycopg
import pytest

import api.migrate
from api.database import Database, ensure_database
from api.migrate import migrate
from api.wiring import build
from domain.shared.actor import acting_as
from domain.shared.policy import Principal, Role
from tests import builders as make
from tests.at_rest import find_plaintext

STAFF_CASES_AT_REST = "0014_staff_cases_at_rest"


@pytest.fixture
def deployed(server_database: Database, monkeypatch) -> Iterator[Database]:
    """A database migrated up to, not including, 0014: as a deployment stood before it."""
    name = f"casework_m14_{uuid4().hex[:8]}"
    ensure_database(server_database, name)
    database = server_database.with_dbname(name)
    every = api.migrate.available
    monkeypatch.setattr(
        api.migrate, "available", lambda: [m for m in every() if m.version < STAFF_CASES_AT_REST]
    )
    migrate(database.conninfo)
    monkeypatch.setattr(api.migrate, "available", every)
    yield database
    with psycopg.connect(server_database.conninfo, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_migration_0014_rebuilds_the_staff_cases_view_from_the_events(deployed, settings):
    container = build(settings, database=deployed, apply_migrations=False)
    try:
        app = container.app
        app.digests_at_write = False  # as the code of before: no ledger_fields before 0045
        with acting_as(Principal.operator("tests")):
            trust = make.trust(app, "Trust")
            school = make.school_with(
                app, trust, "head@old.example", Role.HEADTEACHER, "School", "400001"
            )
            make.grant(app, "dsl@old.example", Role.DSL, trust, school)
        with acting_as(app.principal_for("head@old.example")):
            staff = make.staff(app, school, "Teacher", "teacher", "sub@old.example")
        with acting_as(app.principal_for("dsl@old.example")):
            case = make.allegation(app, staff, "Narrative")
        head = app.recorder.max_notification_id()
        with psycopg.connect(deployed.conninfo) as conn:
            # The view as the old code built it: the case manager's login in its summary.
            conn.execute(
                "INSERT INTO sc_entries (entry_seq, case_id, at, actor, kind, summary) "
                "VALUES (%s, %s, now(), 'dsl@old.example', 'received', "
                "'Allegation received; case manager head@old.example')",
                (head, case),
            )
            conn.cursor().executemany(
                "INSERT INTO projection_tracking (application_name, notification_id) "
                "VALUES (%s, %s) ON CONFLICT (application_name) "
                "DO UPDATE SET notification_id = EXCLUDED.notification_id",
                [("staff_cases", head), ("directory", head)],
            )

        assert migrate(deployed.conninfo, stop_before="0015") == [STAFF_CASES_AT_REST]
        with psycopg.connect(deployed.conninfo) as conn:
            positions = dict(
                conn.execute("SELECT application_name, notification_id FROM projection_tracking")
            )
            assert positions == {"staff_cases": 0, "directory": head}
            assert conn.execute("SELECT count(*) FROM sc_entries").fetchone() == (0,)

        # Today's view code rebuilds it, so it needs the view's columns of the later migrations.
        migrate(deployed.conninfo)
        for worker in container.workers(["staff_cases"]):
            worker.catch_up()
        with psycopg.connect(deployed.conninfo) as conn:
            rebuilt = conn.execute(
                "SELECT a.allegation_id, a.subject_user_ix IS NOT NULL, count(m.*) "
                "FROM sc_allegations a JOIN sc_members m USING (allegation_id) GROUP BY 1, 2"
            ).fetchall()
        assert rebuilt == [(case, True, 2)]
        logins = ["head@old.example", "dsl@old.example", "sub@old.example"]
        assert [f for f in find_plaintext(deployed.conninfo, logins) if f.table[:3] == "sc_"] == []
    finally:
        container.close()

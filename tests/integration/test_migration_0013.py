"""Migration 0013 on an existing deployment: what was stored in plain before it is sealed by it,
and the views it empties rebuild from the events with their logins sealed."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import psycopg
import pytest

from api import access_log
from api.database import Database, ensure_database
from api.migrate import MigrationNeedsKeys, migrate
from api.wiring import build
from domain.shared.actor import acting_as
from domain.shared.policy import Principal, Role
from domain.shared.sealing import Sealed
from projections.common import Visibility
from tests import builders as make
from tests.at_rest import find_plaintext

READER = "reader-before-0013@school.example"


@pytest.fixture
def deployment(server_database: Database) -> Iterator[Database]:
    """A database as a deployment had it before migration 0013."""
    name = f"casework_m13_{uuid4().hex[:8]}"
    ensure_database(server_database, name)
    database = server_database.with_dbname(name)
    migrate(database.conninfo, stop_before="0013")
    yield database
    with psycopg.connect(server_database.conninfo, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _log_a_read_before_0013(database: Database) -> str:
    record = uuid4()
    with psycopg.connect(database.conninfo) as conn:
        conn.execute(
            "INSERT INTO access_log (user_id, action, record_type, record_id, trust_id) "
            "VALUES (%s, 'view', 'pupil', %s, %s)",
            (READER, record, uuid4()),
        )
    return str(record)


def test_the_logins_already_in_the_access_log_are_sealed_by_the_migration(deployment, settings):
    _log_a_read_before_0013(deployment)

    container = build(settings, database=deployment)  # migrates, with the keys
    try:
        assert find_plaintext(deployment.conninfo, [READER]) == []
        with container.pool.connection() as conn:
            trust_ids = [r["trust_id"] for r in conn.execute("SELECT trust_id FROM access_log")]
            page = access_log.entries(
                conn,
                Visibility(trust_ids=trust_ids),
                container.blind_index.login(READER),
                None,
                10,
                None,
            )
        [entry] = page.items
        assert entry.user_id is not None and container.keyring.open(entry.user_id) == READER
    finally:
        container.close()


def test_the_access_log_still_refuses_changes_after_the_migration(deployment, settings):
    _log_a_read_before_0013(deployment)
    build(settings, database=deployment).close()

    with psycopg.connect(deployment.conninfo) as conn, pytest.raises(psycopg.Error):
        conn.execute("DELETE FROM access_log")


def test_sealing_logged_logins_without_the_keys_is_refused_and_changes_nothing(deployment):
    _log_a_read_before_0013(deployment)

    with pytest.raises(MigrationNeedsKeys):
        migrate(deployment.conninfo)

    with psycopg.connect(deployment.conninfo) as conn:
        applied = [v for (v,) in conn.execute("SELECT version FROM schema_migrations")]
        (logged,) = conn.execute("SELECT user_id FROM access_log").fetchone()
    assert "0013_logins_at_rest" not in applied and logged == READER


def test_the_views_of_a_deployment_rebuild_from_the_events_with_their_logins_sealed(
    deployment, settings
):
    before = build(settings, database=deployment, apply_migrations=False)
    try:
        app = before.app
        app.digests_at_write = False  # as the code of before: no ledger_fields before 0045
        with acting_as(Principal.operator("ops")):
            trust = make.trust(app, "Trust")
            school = make.school_with(
                app, trust, "head@school.example", Role.HEADTEACHER, "School", "400013"
            )
        with acting_as(app.principal_for("head@school.example")):
            make.staff(app, school, "A Teacher", "teacher", "teacher@school.example")
        head = before.head()
    finally:
        before.close()
    with psycopg.connect(deployment.conninfo) as conn:  # the views as the old code left them
        conn.execute(
            "INSERT INTO dir_staff (staff_id, trust_id, school_id, full_name, staff_role, user_id, "
            "version, registered_at, seq) VALUES (%s, %s, %s, '\\x00', 'teacher', "
            "'teacher@school.example', 1, now(), 1)",
            (uuid4(), trust, school),
        )
        conn.execute(
            "INSERT INTO projection_tracking VALUES ('directory', %s), ('access', %s)",
            (head, head),
        )

    after = build(settings, database=deployment)
    try:
        for worker in after.workers():
            worker.catch_up()
        with after.pool.connection() as conn:
            staff = conn.execute("SELECT school_id, user_id, user_id_ix FROM dir_staff").fetchall()
            grants = conn.execute("SELECT user_id_ix FROM access_grants").fetchall()
        assert [(s["school_id"], bytes(s["user_id_ix"])) for s in staff] == [
            (school, after.blind_index.login("teacher@school.example"))
        ]
        sealed_login = Sealed.from_bytes(bytes(staff[0]["user_id"]))
        assert after.keyring.open(sealed_login) == "teacher@school.example"
        assert [bytes(g["user_id_ix"]) for g in grants] == [
            after.blind_index.login("head@school.example")
        ]
        logins = ["head@school.example", "teacher@school.example"]
        assert find_plaintext(deployment.conninfo, logins) == []
    finally:
        after.close()

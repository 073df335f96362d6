"""Rotating the master key (api/key_rotation.py, `casework keys rotate`, docs/rules.md §9.5):
everything the old master key wrapped is re-wrapped under the new one in one transaction, no
event is rewritten, and afterwards a service with only the new key reads and signs everything,
while one with the old key refuses to start.

Each test has a database of its own on the test server and a key file of its own, seeded with
a trust, a school, a pupil, a member of staff, an incident, an allegation, a login, the
trust's signing keys and the ledger's log key."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg.rows import dict_row

from api.database import Database, ensure_database
from api.key_check import KEY_CHECK_SUBJECT, PROOF, WrongKeys
from api.key_rotation import (
    CurrentKeysDoNotOpen,
    EventKeyDiffers,
    SameMasterKey,
    StoreInUse,
    UnopenableKeys,
)
from api.keys import read_key_file
from api.keys_cli import rotate_keys
from api.ledger import log_signer
from api.settings import Environment, Settings
from api.wiring import Container, build
from domain.incidents.commands import ReportIncident
from domain.ledger.note import Verifier, sign_note, verify_note
from domain.shared.actor import acting_as
from domain.shared.policy import Principal, Role
from domain.shared.sealing import ERASED, InMemoryKeyStore, Keyring, Sealed
from tests import builders as make
from tests.ledger.world import catch_up_ledger

CASEWORK = Path(sys.executable).parent / "casework"
PUPIL = "Ottoline Rotation-Pupil"
DESCRIPTION = "Rotation-Incident-Description"
ALLEGATION = "Rotation-Allegation-Description"
LOGIN = "rotation-reader@school.example"


def random_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@dataclasses.dataclass
class Store:
    """A seeded store and what was read from it with the old master key."""

    database: Database
    root: Path
    old_keys: Path
    trust_id: UUID
    pupil_id: UUID
    sealed_login: Sealed
    opened: list[str]  # every sealed value in every event, opened before the rotation
    log_vkey: str
    trust_ed25519: str
    trust_certificate: str

    def settings(self, key_file: Path | None = None) -> Settings:
        return Settings(
            environment=Environment.TEST,
            database_url=self.database.conninfo,
            data_dir=self.root / "data",
            key_file=key_file or self.old_keys,
            erasure_fence=self.root / "erasure-fence",
        )

    def container(self, key_file: Path | None = None) -> Container:
        return build(self.settings(key_file), database=self.database, apply_migrations=False)

    def rotate(self, new_keys: Path, generate: bool = False) -> Any:
        return rotate_keys(self.settings(), new_keys, generate)[0]

    def new_key_file(self, master_key: str | None = None) -> Path:
        """A key file with the store's event key and a new (or the given) master key."""
        event_key = json.loads(self.old_keys.read_text())["event_key"]
        path = self.root / f"new-{uuid4().hex[:6]}.json"
        path.write_text(
            json.dumps({"event_key": event_key, "master_key": master_key or random_key()})
        )
        return path

    def rows(self, sql: str) -> list[dict[str, Any]]:
        with psycopg.connect(self.database.conninfo, row_factory=dict_row) as conn:
            return conn.execute(sql).fetchall()


def sealed_values(value: Any) -> Iterator[Sealed]:
    """Every sealed value an event's attributes hold, however nested."""
    if isinstance(value, Sealed):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from sealed_values(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from sealed_values(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            yield from sealed_values(getattr(value, item.name))


def every_sealed_value(container: Container) -> list[Sealed]:
    found: list[Sealed] = []
    for notification in container.app.recorder.select_notifications(start=1, limit=100_000):
        event = container.app.mapper.to_domain_event(notification)
        found += sealed_values(vars(event))
    return found


def seed(container: Container) -> dict[str, Any]:
    app = container.app
    with acting_as(Principal.operator("tests")):
        trust = make.trust(app, "Rowan Trust")
        school = make.school_with(app, trust, "head@rowan", Role.HEADTEACHER, "Rowan", "400011")
    with acting_as(app.principal_for("head@rowan")):
        pupil = make.pupil(app, school, PUPIL)
        staff = make.staff(app, school, "Rhiannon Staff", "teacher")
        now = datetime.now(UTC)
        app.report_incident(
            ReportIncident(
                school_id=school,
                occurred_at=now - timedelta(hours=1),
                reported_at=now,
                category="cyberbullying",
                description=DESCRIPTION,
                people=[(pupil, "pupil_harmed")],
            )
        )
        make.allegation(app, staff, ALLEGATION)
    login = container.logins.seal(LOGIN)
    assert login is not None
    keys = container.trust_keys.get_or_create(trust, "Rowan Trust").public()
    return {
        "trust_id": trust,
        "pupil_id": pupil,
        "sealed_login": Sealed.from_bytes(login),
        "opened": container.keyring.open_many(every_sealed_value(container)),
        "log_vkey": log_signer(container.keyring, container.settings).vkey(),
        "trust_ed25519": keys.ed25519_base64,
        "trust_certificate": keys.certificate_fingerprint,
    }


@pytest.fixture
def store(server_database: Database, tmp_path: Path) -> Iterator[Store]:
    server = server_database.with_dbname("postgres")
    name = f"casework_rotation_{uuid4().hex[:8]}"
    ensure_database(server, name)
    database = server.with_dbname(name)
    old_keys = tmp_path / "keys.json"
    old_keys.write_text(json.dumps({"event_key": random_key(), "master_key": random_key()}))
    settings = Settings(
        environment=Environment.TEST,
        data_dir=tmp_path / "data",
        key_file=old_keys,
        erasure_fence=tmp_path / "erasure-fence",
    )
    first = build(settings, database=database)  # migrates the new database
    try:
        seeded = seed(first)
    finally:
        first.close()
    yield Store(database=database, root=tmp_path, old_keys=old_keys, **seeded)
    with psycopg.connect(server.conninfo, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# --- afterwards the new master key alone opens everything -----------------------------------


def test_after_rotation_every_sealed_field_of_every_event_opens_with_the_new_key_alone(store):
    new_keys = store.new_key_file()
    store.rotate(new_keys)
    container = store.container(new_keys)
    try:
        opened = container.keyring.open_many(every_sealed_value(container))
    finally:
        container.close()
    assert opened == store.opened
    assert ERASED not in opened
    assert {PUPIL, DESCRIPTION, ALLEGATION} <= set(opened)


def test_after_rotation_a_login_sealed_with_its_own_key_opens_with_the_new_key_alone(store):
    new_keys = store.new_key_file()
    store.rotate(new_keys)
    container = store.container(new_keys)
    try:
        assert container.keyring.open(store.sealed_login) == LOGIN
    finally:
        container.close()


def test_after_rotation_the_ledger_signs_with_the_log_key_it_published_before(store):
    new_keys = store.new_key_file()
    store.rotate(new_keys)
    container = store.container(new_keys)
    try:
        signer = log_signer(container.keyring, container.settings)
        note = sign_note("a checkpoint body\n", [signer])
    finally:
        container.close()
    verify_note(note, [Verifier.from_vkey(store.log_vkey)])


def test_after_rotation_a_trust_has_the_signing_keys_it_had(store):
    new_keys = store.new_key_file()
    store.rotate(new_keys)
    container = store.container(new_keys)
    try:
        keys = container.trust_keys.get(store.trust_id)
    finally:
        container.close()
    assert keys is not None
    public = keys.public()
    assert (public.ed25519_base64, public.certificate_fingerprint) == (
        store.trust_ed25519,
        store.trust_certificate,
    )


def test_after_rotation_a_service_with_the_old_master_key_refuses_to_start(store):
    store.rotate(store.new_key_file())
    with pytest.raises(WrongKeys, match=r"master_key in CASEWORK_KEY_FILE .* does not open"):
        store.container(store.old_keys)


# --- what a rotation changes, and what it does not --------------------------------------------


def test_a_rotation_rewrites_no_event(store):
    before = store.rows("SELECT notification_id, state FROM casework_events ORDER BY 1")
    store.rotate(store.new_key_file())
    assert store.rows("SELECT notification_id, state FROM casework_events ORDER BY 1") == before


def test_a_destroyed_data_key_stays_destroyed(store):
    container = store.container()
    try:
        container.keyring.destroy(store.pupil_id)
    finally:
        container.close()
    new_keys = store.new_key_file()
    store.rotate(new_keys)
    (row,) = store.rows(f"SELECT * FROM data_keys WHERE subject_id = '{store.pupil_id}'")
    assert row["wrapped_key"] is None and row["destroyed_at"] is not None


def test_the_key_check_gains_a_proof_of_the_new_master_key_as_its_next_generation(store):
    new_keys = store.new_key_file()
    store.rotate(new_keys)
    rows = store.rows("SELECT key_name, generation, proof FROM key_check ORDER BY 1, 2")
    assert [(r["key_name"], r["generation"]) for r in rows] == [
        ("event_key", 1),
        ("master_key", 1),
        ("master_key", 2),
    ]
    keyring = Keyring(read_key_file(new_keys, "new").master_key, InMemoryKeyStore())
    assert keyring.unwrap(KEY_CHECK_SUBJECT, bytes(rows[2]["proof"])) == PROOF


def test_a_second_rotation_leaves_only_the_newest_master_key_opening_the_store(store):
    second, third = store.new_key_file(), store.new_key_file()
    store.rotate(second)
    rotate_keys(store.settings(second), third, generate=False)
    with pytest.raises(WrongKeys):
        store.container(second)
    store.container(third).close()


# --- refusals: nothing changes ----------------------------------------------------------------


def test_a_rotation_to_the_current_master_key_is_refused(store):
    same = store.new_key_file(json.loads(store.old_keys.read_text())["master_key"])
    with pytest.raises(SameMasterKey, match="is the current master key"):
        store.rotate(same)


def test_a_new_key_file_with_another_event_key_is_refused(store):
    other = store.root / "other.json"
    other.write_text(json.dumps({"event_key": random_key(), "master_key": random_key()}))
    with pytest.raises(EventKeyDiffers, match="keeps event_key as it is"):
        store.rotate(other)


def test_a_rotation_from_keys_that_do_not_open_the_store_is_refused(store):
    event_key = json.loads(store.old_keys.read_text())["event_key"]
    wrong = store.root / "wrong.json"
    wrong.write_text(json.dumps({"event_key": event_key, "master_key": random_key()}))
    with pytest.raises(CurrentKeysDoNotOpen, match="does not open this store"):
        rotate_keys(store.settings(wrong), store.new_key_file(), generate=False)


def test_a_rotation_is_refused_while_another_process_has_the_store_open(store):
    running = store.container()
    try:
        with pytest.raises(StoreInUse, match=r"other session\(s\) are connected"):
            store.rotate(store.new_key_file())
    finally:
        running.close()
    store.container().close()  # the old key still opens it


def test_a_rotation_that_meets_a_key_it_cannot_open_changes_nothing(store):
    with psycopg.connect(store.database.conninfo) as conn:
        stranger = Keyring(os.urandom(32), InMemoryKeyStore())
        subject = uuid4()
        conn.execute(
            "INSERT INTO data_keys (subject_id, wrapped_key) VALUES (%s, %s)",
            (subject, stranger.wrap(subject, os.urandom(32))),
        )
    tables = ("data_keys", "trust_signing_keys", "key_check")
    before = {t: store.rows(f"SELECT * FROM {t} ORDER BY 1, 2") for t in tables}
    with pytest.raises(UnopenableKeys, match="1 data key"):
        store.rotate(store.new_key_file())
    assert {t: store.rows(f"SELECT * FROM {t} ORDER BY 1, 2") for t in tables} == before


# --- the command line -------------------------------------------------------------------------


def casework_env(store: Store) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
    settings = store.settings()
    return env | {
        "CASEWORK_DATABASE_URL": store.database.conninfo,
        "CASEWORK_DATA_DIR": str(settings.data_dir),
        "CASEWORK_KEY_FILE": str(store.old_keys),
        "CASEWORK_ERASURE_FENCE": str(settings.erasure_fence_path),
        "CASEWORK_ENVIRONMENT": "test",
    }


def casework(store: Store, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # bounded: a rotation of a small store takes seconds
        [str(CASEWORK), *args], env=casework_env(store), capture_output=True, text=True, timeout=60
    )


def test_keys_rotate_generate_writes_a_private_key_file_the_store_then_opens_with(store):
    new_keys = store.root / "rotated" / "keys.json"
    result = casework(store, "keys", "rotate", "--new-key-file", str(new_keys), "--generate")
    assert result.returncode == 0, result.stderr
    assert f"set CASEWORK_KEY_FILE to {new_keys}" in result.stdout
    assert new_keys.stat().st_mode & 0o077 == 0
    store.container(new_keys).close()


def test_keys_rotate_refuses_in_one_line_naming_the_problem_and_no_key(store):
    same = store.new_key_file(json.loads(store.old_keys.read_text())["master_key"])
    result = casework(store, "keys", "rotate", "--new-key-file", str(same))
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("casework: keys rotate refused: the master key in --new-key-file")
    assert json.loads(same.read_text())["master_key"] not in line


# --- a crash in the middle ----------------------------------------------------------------------


def test_a_rotation_killed_in_the_middle_leaves_the_old_state_whole(store):
    old = Keyring(read_key_file(store.old_keys, "old").master_key, InMemoryKeyStore())
    subjects = [uuid4() for _ in range(150_000)]  # enough re-wrapping to be caught at it
    with psycopg.connect(store.database.conninfo) as conn:
        conn.execute(
            "INSERT INTO data_keys (subject_id, wrapped_key) "
            "SELECT * FROM unnest(%s::uuid[], %s::bytea[])",
            (subjects, [old.wrap(s, os.urandom(32)) for s in subjects]),
        )
    before = store.rows("SELECT subject_id, wrapped_key FROM data_keys ORDER BY 1")
    new_keys = store.root / "new.json"
    rotating = subprocess.Popen(
        [str(CASEWORK), "keys", "rotate", "--new-key-file", str(new_keys), "--generate"],
        env=casework_env(store),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        # Watched from the server's own database: a session on the store's would be one more
        # the rotation waits to see gone.
        watch = psycopg.connect(store.database.with_dbname("postgres").conninfo, autocommit=True)
        while not watch.execute(
            "SELECT 1 FROM pg_stat_activity WHERE datname = %s "
            "AND query LIKE 'UPDATE data_keys SET wrapped_key%%' AND state <> 'idle'",
            (store.database.parameters()["dbname"],),
        ).fetchall():
            if rotating.poll() is not None:
                pytest.fail(f"the rotation ended first: {rotating.stderr.read()}")  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "never caught"
            time.sleep(0.005)
        rotating.kill()  # mid-transaction: some data keys re-wrapped, none committed
        watch.close()
    finally:
        rotating.wait(timeout=30)
    assert rotating.returncode == -9
    assert store.rows("SELECT subject_id, wrapped_key FROM data_keys ORDER BY 1") == before
    store.container(store.old_keys).close()  # still the store's key


def test_casework_verify_passes_with_the_new_key_alone_after_rotation(store):
    container = store.container()
    try:
        catch_up_ledger(container)
    finally:
        container.close()
    new_keys = store.new_key_file()
    store.rotate(new_keys)
    env = casework_env(store) | {"CASEWORK_KEY_FILE": str(new_keys)}
    audited = subprocess.run(
        [str(CASEWORK), "verify"], env=env, capture_output=True, text=True, timeout=300
    )
    assert audited.returncode == 0, audited.stdout + audited.stderr
    assert "result: intact" in audited.stdout

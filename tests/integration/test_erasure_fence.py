"""The erasure fence (api/erasure_fence.py, docs/rules.md §9.5): the subjects of destroyed data
keys, listed in a file outside the database, written before their keys are destroyed and
re-applied at every start, so that a restored backup taken before an erasure cannot bring the
subject back; and backup and restore with pg_dump and pg_restore, as the README says."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest

from api.database import Database, ensure_database
from api.erasure_fence import (
    ErasureFence,
    FenceUnreadable,
    FenceUnwritable,
    NotASubjectsKey,
    destroy_keys,
    fence_then_destroy,
)
from api.settings import Environment, Settings
from api.wiring import Container, build
from domain.directory.aggregates import Pupil
from domain.shared.actor import acting_as
from domain.shared.blind_index import BLIND_INDEX_SUBJECT
from domain.shared.policy import Principal, Role
from domain.shared.sealing import ERASED
from tests import builders as make
from tests.pg_tools import pg_tool

CASEWORK = Path(sys.executable).parent / "casework"
OPERATOR = Principal.operator("tests")


def key_of(container: Container, subject_id: UUID) -> dict[str, Any] | None:
    with container.pool.connection() as conn:
        row = conn.execute(
            "SELECT wrapped_key, destroyed_at FROM data_keys WHERE subject_id = %s", (subject_id,)
        ).fetchone()
    return None if row is None else dict(row)


def pupils(container: Container, *names: str) -> list[UUID]:
    app = container.app
    with acting_as(OPERATOR):
        trust = make.trust(app, "Hazel Trust")
        school = make.school_with(app, trust, "head@hazel", Role.HEADTEACHER, "Hazel", "400021")
    with acting_as(app.principal_for("head@hazel")):
        return [make.pupil(app, school, name) for name in names]


def name_of(container: Container, pupil_id: UUID) -> str | object:
    pupil = container.app.get(Pupil, pupil_id, "Pupil", read_only=True)
    return container.keyring.open(pupil.full_name)


# --- the fence file -------------------------------------------------------------------------


def test_a_subject_added_to_the_fence_is_listed_by_the_next_reader(tmp_path):
    subject = uuid4()
    ErasureFence(tmp_path / "fence").add([subject])
    assert ErasureFence(tmp_path / "fence").subject_ids() == {subject}


def test_without_a_fence_file_no_subject_is_fenced(tmp_path):
    assert ErasureFence(tmp_path / "nowhere" / "fence").subject_ids() == frozenset()


def test_the_fence_file_is_readable_by_its_owner_only(tmp_path):
    ErasureFence(tmp_path / "fence").add([uuid4()])
    assert (tmp_path / "fence").stat().st_mode & 0o777 == 0o600


def test_two_processes_appending_at_once_lose_no_subject(tmp_path):
    path = tmp_path / "fence"
    script = (
        "import sys, uuid\n"
        "from pathlib import Path\n"
        "from api.erasure_fence import ErasureFence\n"
        "fence = ErasureFence(Path(sys.argv[1]))\n"
        "ids = [uuid.uuid4() for _ in range(300)]\n"
        "for i in ids: fence.add([i])\n"
        "print('\\n'.join(map(str, ids)))\n"
    )
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    written = {UUID(line) for w in writers for line in w.communicate(timeout=60)[0].split()}
    assert len(written) == 900
    assert ErasureFence(path).subject_ids() == written


def test_a_line_torn_by_an_interrupted_append_is_ignored_and_cleared_by_the_next(tmp_path):
    path = tmp_path / "fence"
    first, second = uuid4(), uuid4()
    ErasureFence(path).add([first])
    with path.open("a") as handle:
        handle.write(str(uuid4())[:20])  # a crash in the middle of the next append
    assert ErasureFence(path).subject_ids() == {first}
    ErasureFence(path).add([second])
    assert ErasureFence(path).subject_ids() == {first, second}


def test_a_withdrawn_erasure_cancels_only_its_own_addition(tmp_path):
    fence, subject = ErasureFence(tmp_path / "fence"), uuid4()
    fence.add([subject])  # an erasure carried out
    fence.add([subject])  # another, whose transaction then rolled back
    fence.withdraw([subject])
    assert fence.subject_ids() == {subject}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"not a subject id\n", "line 1 is not a subject id"),
        (b"\xff\xfe\n", "is not a fence (it is not ASCII text)"),
        (f"{BLIND_INDEX_SUBJECT}\n".encode(), "names a key of the system's own"),
        (None, "cannot be read (Is a directory)"),
    ],
    ids=["garbage", "binary", "a system key", "a directory"],
)
def test_a_fence_that_cannot_be_read_or_parsed_is_refused_naming_the_file(
    tmp_path, content, problem
):
    path = tmp_path / "fence"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    with pytest.raises(FenceUnreadable) as refused:
        ErasureFence(path).subject_ids()
    assert str(refused.value).startswith(f"the erasure fence {path} (CASEWORK_ERASURE_FENCE) ")
    assert problem in str(refused.value)


# --- destroying keys: the fence first ---------------------------------------------------------


@pytest.fixture
def fence(tmp_path: Path) -> ErasureFence:
    return ErasureFence(tmp_path / "erasure-fence")


def test_destroy_keys_fences_the_subjects_and_destroys_their_keys(container, fence):
    (pupil,) = pupils(container, "Fenced Pupil")
    destroy_keys(container.pool, container.keyring, fence, [pupil])
    assert fence.subject_ids() == {pupil}
    assert key_of(container, pupil)["wrapped_key"] is None  # type: ignore[index]


def test_destroy_keys_erases_the_subjects_fields_in_this_process_at_once(container, fence):
    (pupil,) = pupils(container, "Erased Pupil")
    assert name_of(container, pupil) == "Erased Pupil"  # cached now
    destroy_keys(container.pool, container.keyring, fence, [pupil])
    assert name_of(container, pupil) is ERASED


def test_destroy_keys_counts_only_the_keys_that_were_live(container, fence):
    live, destroyed = pupils(container, "Live Pupil", "Destroyed Pupil")
    container.keyring.destroy(destroyed)
    assert destroy_keys(container.pool, container.keyring, fence, [live, destroyed, uuid4()]) == 1


def test_a_subject_with_no_key_yet_is_given_a_destroyed_one(container, fence):
    login_subject = uuid4()
    destroy_keys(container.pool, container.keyring, fence, [login_subject])
    assert container.keyring.key_or_create(login_subject) is None


def test_a_fence_that_cannot_be_written_destroys_nothing(container, tmp_path):
    (pupil,) = pupils(container, "Kept Pupil")
    (tmp_path / "a-file").write_text("")
    unwritable = ErasureFence(tmp_path / "a-file" / "erasure-fence")
    with pytest.raises(FenceUnwritable, match="nothing was destroyed"):
        destroy_keys(container.pool, container.keyring, unwritable, [pupil])
    assert key_of(container, pupil)["wrapped_key"] is not None  # type: ignore[index]


def test_a_system_key_is_refused_before_anything_is_written(container, fence):
    with pytest.raises(NotASubjectsKey):
        destroy_keys(container.pool, container.keyring, fence, [uuid4(), BLIND_INDEX_SUBJECT])
    assert not fence.path.exists()
    assert key_of(container, BLIND_INDEX_SUBJECT)["wrapped_key"] is not None  # type: ignore[index]


def test_fence_then_destroy_commits_with_the_callers_transaction_only(container, fence):
    (pupil,) = pupils(container, "Rolled Back Pupil")
    with container.pool.connection() as conn, pytest.raises(RuntimeError), conn.transaction():
        fence_then_destroy(conn, fence, [pupil])
        raise RuntimeError("the erasure's event was refused")
    assert key_of(container, pupil)["wrapped_key"] is not None  # type: ignore[index]
    assert fence.subject_ids() == {pupil}  # until the caller withdraws it


# --- every start applies the fence ------------------------------------------------------------


def fenced_settings(settings: Settings, fence: ErasureFence) -> Settings:
    return settings.model_copy(update={"erasure_fence": fence.path})


def test_a_start_destroys_again_a_key_the_fence_lists(container, settings, server_database, fence):
    (pupil,) = pupils(container, "Restored Pupil")
    fence.add([pupil])  # as if the database had been restored from before the erasure
    started = build(fenced_settings(settings, fence), database=server_database)
    try:
        assert name_of(started, pupil) is ERASED
    finally:
        started.close()


def test_a_start_that_destroys_keys_again_warns_once_with_the_count_and_no_id(
    container, settings, server_database, fence, caplog
):
    subjects = pupils(container, "First Pupil", "Second Pupil")
    fence.add(subjects)
    with caplog.at_level(logging.WARNING, logger="api.erasure_fence"):
        build(fenced_settings(settings, fence), database=server_database).close()
    (record,) = [r for r in caplog.records if r.name == "api.erasure_fence"]
    assert "lists 2 data key(s) the database still held" in record.getMessage()
    assert not any(str(s) in record.getMessage() for s in subjects)


def test_a_start_with_an_unparseable_fence_refuses_in_one_line_naming_it(server_database, tmp_path):
    (tmp_path / "erasure-fence").write_text("garbage\n")
    database = new_database(server_database, "casework_fence")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
    env |= {
        "CASEWORK_DATABASE_URL": database.conninfo,
        "CASEWORK_DATA_DIR": str(tmp_path / "data"),
        "CASEWORK_ERASURE_FENCE": str(tmp_path / "erasure-fence"),
        "CASEWORK_ENVIRONMENT": "test",
    }
    try:
        result = subprocess.run(  # bounded: a refusal comes within seconds
            [str(CASEWORK), "migrate"], env=env, capture_output=True, text=True, timeout=60
        )
    finally:
        drop(database)
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert line == (
        f"casework: refusing to start: the erasure fence {tmp_path / 'erasure-fence'} "
        "(CASEWORK_ERASURE_FENCE) line 1 is not a subject id: restore it from its own backup; "
        "never delete it"
    )


# --- backup and restore -----------------------------------------------------------------------


def new_database(server_database: Database, prefix: str) -> Database:
    server = server_database.with_dbname("postgres")
    name = f"{prefix}_{uuid4().hex[:8]}"
    ensure_database(server, name)
    return server.with_dbname(name)


def drop(database: Database) -> None:
    name = database.parameters()["dbname"]
    with psycopg.connect(database.with_dbname("postgres").conninfo, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def restored(server_database: Database, tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    """Two pupils; a pg_dump backup; one pupil erased; the backup restored into a fresh
    database and the service started on it with the same key file and fence."""
    pg_dump = pg_tool("pg_dump", server_database.conninfo)
    pg_restore = pg_tool("pg_restore", server_database.conninfo)
    if pg_dump is None or pg_restore is None:
        pytest.skip("no pg_dump and pg_restore of the test server's major version")
    root = tmp_path_factory.mktemp("backup")
    (root / "keys.json").write_text(
        json.dumps(
            {
                k: __import__("base64").b64encode(os.urandom(32)).decode()
                for k in ("event_key", "master_key")
            }
        )
    )
    settings = Settings(
        environment=Environment.TEST,
        data_dir=root / "data",
        key_file=root / "keys.json",
        erasure_fence=root / "erasure-fence",
    )
    original = new_database(server_database, "casework_backup")
    restored_db = new_database(server_database, "casework_restored")
    try:
        first = build(settings, database=original)
        try:
            erased, kept = pupils(first, "Erased Backup-Pupil", "Kept Backup-Pupil")
            for worker in first.workers():
                worker.catch_up()
            backup = root / "casework.dump"
            subprocess.run(  # the README's backup
                [pg_dump, "--format=custom", f"--file={backup}", f"--dbname={original.conninfo}"],
                check=True,
                timeout=120,
            )
            destroy_keys(
                first.pool, first.keyring, ErasureFence(settings.erasure_fence_path), [erased]
            )
        finally:
            first.close()
        subprocess.run(  # the README's restore, into a new database
            [
                pg_restore,
                "--no-owner",
                "--exit-on-error",
                f"--dbname={restored_db.conninfo}",
                str(backup),
            ],
            check=True,
            timeout=120,
        )
        started = build(settings, database=restored_db, apply_migrations=False)
        try:
            yield {"container": started, "erased": erased, "kept": kept}
        finally:
            started.close()
    finally:
        drop(original)
        drop(restored_db)


def test_after_restoring_a_backup_from_before_an_erasure_the_subject_stays_erased(restored):
    assert name_of(restored["container"], restored["erased"]) is ERASED


def test_after_restoring_a_backup_from_before_an_erasure_its_key_is_destroyed_again(restored):
    assert key_of(restored["container"], restored["erased"])["wrapped_key"] is None  # type: ignore[index]


def test_after_restoring_a_backup_every_other_subject_reads_as_before(restored):
    assert name_of(restored["container"], restored["kept"]) == "Kept Backup-Pupil"

"""The blind-index key and logins' data keys in the key store (PostgreSQL)."""

from __future__ import annotations

import threading

from api.wiring import build
from domain.shared.blind_index import BLIND_INDEX_SUBJECT
from domain.shared.logins import login_subject
from domain.shared.sealing import Sealed


def _wrapped_keys(container, subject_id):
    with container.pool.connection() as conn:
        return conn.execute(
            "SELECT wrapped_key FROM data_keys WHERE subject_id = %s", (subject_id,)
        ).fetchall()


def test_every_process_finds_the_one_blind_index_key_in_the_key_store(
    container, settings, server_database
):
    other = build(settings, database=server_database, apply_migrations=False)
    try:
        assert other.blind_index.login("dsl@x") == container.blind_index.login("dsl@x")
    finally:
        other.close()
    assert len(_wrapped_keys(container, BLIND_INDEX_SUBJECT)) == 1


def test_writers_sealing_a_new_login_at_once_create_one_key_and_all_can_open(
    container, settings, server_database
):
    others = [build(settings, database=server_database, apply_migrations=False) for _ in range(3)]
    sealed: list[bytes | None] = []
    try:
        start = threading.Barrier(len(others))

        def seal(c):
            start.wait()
            sealed.append(c.logins.seal("new@x"))

        threads = [threading.Thread(target=seal, args=(c,)) for c in others]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for c in others:
            c.close()
    assert len(_wrapped_keys(container, login_subject("new@x"))) == 1
    assert [container.keyring.open(Sealed.from_bytes(s)) for s in sealed if s] == ["new@x"] * 3

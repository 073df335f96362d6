"""The audit (`casework verify`): the whole store checked against the ledger, on real PostgreSQL.
Tampering happens inside a transaction that is rolled back, with the append-only triggers
disabled in it, as someone with database access would do it."""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from hashlib import sha256
from typing import Any

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from api.audit_cli import run_verification, trust_of
from api.cli import cli
from api.ledger import Checkpointer
from domain.ledger.audit_seal import audit_seal
from domain.ledger.entry import Entry
from domain.ledger.merkle import leaf_hash
from domain.ledger.note import Checkpoint, Signer, cosign, sign_note
from domain.ledger.tiles import Edge
from domain.shared.system_keys import LEDGER_AUDIT_SUBJECT
from ops.generate import generate
from projections.ledger.audit import FieldsSealed, Keys, Kind, Trust, audit, last_sealed
from projections.ledger.audit import rows as audit_rows
from projections.ledger.entries import EntryMaker
from tests.ledger.world import STORE, catch_up_ledger, record_some_history, rewrite_history

TRIGGERS = {
    "casework_events": "casework_events_append_only",
    "ledger_entries": "ledger_entries_append_only",
    "ledger_tiles": "ledger_tiles_grow_only",
    "ledger_checkpoints": "ledger_checkpoints_append_only",
}
ORIGIN = "casework.example/ledger"


def spread_positions(container: Any) -> None:
    """Double every notification id, so that a row can be inserted between any two."""
    with container.pool.connection() as conn, conn.transaction():
        conn.execute("ALTER TABLE casework_events DISABLE TRIGGER casework_events_append_only")
        conn.execute("UPDATE casework_events SET notification_id = -notification_id")
        conn.execute("UPDATE casework_events SET notification_id = -notification_id * 2")
        conn.execute("ALTER TABLE casework_events ENABLE TRIGGER casework_events_append_only")
        conn.execute(
            "SELECT setval('casework_events_notification_id_seq', "
            "(SELECT max(notification_id) FROM casework_events))"
        )


@pytest.fixture
def world(container):
    record_some_history(container.app)
    record_some_history(container.app, "Second Primary", "765432")
    spread_positions(container)
    catch_up_ledger(container)
    return container


@contextmanager
def tampering(container: Any) -> Iterator[psycopg.Connection[Any]]:
    """A connection in a transaction that is rolled back, the append-only triggers off."""
    with container.pool.connection() as conn, conn.transaction(force_rollback=True):
        for table, trigger in TRIGGERS.items():
            conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        yield conn


def keys_of(container: Any) -> Keys:
    return Keys(EntryMaker(container.keyring, container.app.mapper))


def positions(conn: Any) -> list[int]:
    rows = conn.execute("SELECT position FROM ledger_entries ORDER BY leaf_index").fetchall()
    return [r["position"] for r in rows]


def flip_state_byte(conn: Any, position: int, offset: int = 7) -> None:
    conn.execute(
        "UPDATE casework_events SET state = set_byte(state, %s %% length(state), "
        "get_byte(state, %s %% length(state)) # 1) WHERE notification_id = %s",
        (offset, offset, position),
    )


def insert_copy(conn: Any, position: int, of: int) -> None:
    """A new row at ``position``, copied from the row at ``of`` under a new aggregate."""
    conn.execute(
        "INSERT INTO casework_events (originator_id, originator_version, topic, state, "
        "notification_id) SELECT gen_random_uuid(), 1, topic, state, %s FROM casework_events "
        "WHERE notification_id = %s",
        (position, of),
    )


def rebuild_ledger(conn: Any, entries: list[bytes]) -> bytes:
    """Rewrite the ledger's entries, tiles and head to match ``entries``, as an insider who
    knows the format would; returns the new root."""
    edge = Edge()
    for index, entry in enumerate(entries):
        leaf = leaf_hash(entry)
        edge.append(leaf)
        conn.execute(
            "UPDATE ledger_entries SET entry = %s, leaf_hash = %s WHERE leaf_index = %s",
            (entry, leaf, index),
        )
    conn.execute("DELETE FROM ledger_tiles")
    for (level, index), data in edge.changed.items():
        conn.execute(
            "INSERT INTO ledger_tiles (level, tile_index, hashes) VALUES (%s, %s, %s)",
            (level, index, data),
        )
    conn.execute("UPDATE ledger_head SET size = %s, root = %s", (edge.size, edge.root()))
    return edge.root()


def stored_entries(conn: Any) -> list[bytes]:
    rows = conn.execute("SELECT entry FROM ledger_entries ORDER BY leaf_index").fetchall()
    return [bytes(r["entry"]) for r in rows]


def head(conn: Any) -> tuple[int, bytes]:
    row = conn.execute("SELECT size, root FROM ledger_head").fetchone()
    return row["size"], bytes(row["root"])


def store_checkpoint(conn: Any, log: Signer, size: int, root: bytes) -> str:
    note = sign_note(Checkpoint(ORIGIN, size, root).body(), [log])
    conn.execute(
        "INSERT INTO ledger_checkpoints (size, root, note) VALUES (%s, %s, %s)",
        (size, root, note),
    )
    return note


def signer(name: str) -> Signer:
    return Signer(name, Ed25519PrivateKey.generate())


def forge_a_digest(conn: Any, leaf: int) -> Entry:
    """Rebuild the ledger with one field digest of ``leaf``'s entry forged, as an insider who
    knows the format would; returns the entry as it was."""
    entries = stored_entries(conn)
    entry = Entry.from_bytes(entries[leaf])
    name = sorted(entry.fields)[0]
    forged = {**entry.fields, name: "A" * 43}
    entries[leaf] = dataclasses.replace(entry, fields=forged).canonical()
    rebuild_ledger(conn, entries)
    return entry


# -- an untouched store ----------------------------------------------------------------------


def test_an_untouched_store_verifies_without_recomputing_fields(world):
    with world.pool.connection() as conn:
        report = audit(conn)
    assert report.ok, report.failure
    assert report.events_checked == report.tree_size == len(positions(conn)) > 0


def test_an_untouched_store_verifies_with_every_field_digest_recomputed(world):
    with world.pool.connection() as conn:
        report = audit(conn, keys_of(world))
    assert report.ok, report.failure
    assert report.fields_checked and report.events_checked == report.tree_size


def test_an_aggregate_out_of_the_bounded_cache_is_still_checked_against_its_previous_entry(
    world,
):
    with world.pool.connection() as conn:
        assert audit(conn, aggregate_cache=1).ok


def test_an_empty_store_verifies(container):
    with container.pool.connection() as conn:
        report = audit(conn)
    assert report.ok and report.tree_size == 0


# -- the rows ---------------------------------------------------------------------------------


def test_a_flipped_byte_of_a_stored_state_is_reported_as_altered_at_its_position(world):
    with tampering(world) as conn:
        target = positions(conn)[3]
        flip_state_byte(conn, target)
        failure = audit(conn).failure
    assert failure is not None and (failure.kind, failure.position) == (Kind.ALTERED, target)
    assert "state bytes" in failure.what


def test_a_state_set_to_null_is_reported_as_altered_at_its_position(world):
    with tampering(world) as conn:
        target = positions(conn)[1]
        conn.execute(
            "UPDATE casework_events SET state = NULL WHERE notification_id = %s", (target,)
        )
        failure = audit(conn).failure
    assert failure is not None and (failure.kind, failure.position) == (Kind.ALTERED, target)


def test_a_changed_topic_is_reported_as_altered_at_its_position(world):
    with tampering(world) as conn:
        target = positions(conn)[5]
        conn.execute(
            "UPDATE casework_events SET topic = topic || 'x' WHERE notification_id = %s",
            (target,),
        )
        failure = audit(conn).failure
    assert failure is not None and (failure.kind, failure.position) == (Kind.ALTERED, target)


def test_a_changed_version_is_reported_as_altered_at_its_position(world):
    with tampering(world) as conn:
        target = positions(conn)[-2]
        conn.execute(
            "UPDATE casework_events SET originator_version = originator_version + 1000 "
            "WHERE notification_id = %s",
            (target,),
        )
        failure = audit(conn).failure
    assert failure is not None and (failure.kind, failure.position) == (Kind.ALTERED, target)


def test_a_deleted_row_is_reported_as_removed_at_its_position(world):
    with tampering(world) as conn:
        target = positions(conn)[4]
        conn.execute("DELETE FROM casework_events WHERE notification_id = %s", (target,))
        failure = audit(conn).failure
    assert failure is not None and (failure.kind, failure.position) == (Kind.REMOVED, target)


def test_deleting_the_last_row_the_log_names_is_reported_as_removed(world):
    with tampering(world) as conn:
        target = positions(conn)[-1]
        conn.execute("DELETE FROM casework_events WHERE notification_id = %s", (target,))
        failure = audit(conn).failure
    assert failure is not None and (failure.kind, failure.position) == (Kind.REMOVED, target)


def test_a_row_inserted_below_the_head_is_reported_as_inserted_at_its_position(world):
    with tampering(world) as conn:
        known = positions(conn)
        insert_copy(conn, known[6] + 1, of=known[6])
        failure = audit(conn).failure
    assert failure is not None
    assert (failure.kind, failure.position) == (Kind.INSERTED, known[6] + 1)


def test_a_row_beyond_the_head_is_left_for_the_integrator(world):
    with tampering(world) as conn:
        last = positions(conn)[-1]
        insert_copy(conn, last + 1, of=last)
        assert audit(conn).ok


# -- the ledger -------------------------------------------------------------------------------


def test_an_edited_ledger_entry_is_reported_as_ledger_altered_at_its_position(world):
    with tampering(world) as conn:
        target = positions(conn)[2]
        conn.execute(
            "UPDATE ledger_entries SET entry = entry || ' '::bytea WHERE position = %s",
            (target,),
        )
        failure = audit(conn).failure
    assert failure is not None
    assert (failure.kind, failure.position) == (Kind.LEDGER_ALTERED, target)


def test_an_entry_rewritten_with_its_leaf_hash_is_caught_by_the_tiles(world):
    with tampering(world) as conn:
        target = positions(conn)[2]
        row = conn.execute(
            "SELECT entry FROM ledger_entries WHERE position = %s", (target,)
        ).fetchone()
        entry = Entry.from_bytes(bytes(row["entry"]))
        forged = dataclasses.replace(entry, recorded_at="2020-01-01T00:00:00+00:00").canonical()
        conn.execute(
            "UPDATE ledger_entries SET entry = %s, leaf_hash = %s WHERE position = %s",
            (forged, leaf_hash(forged), target),
        )
        failure = audit(conn).failure
    assert failure is not None
    assert (failure.kind, failure.position) == (Kind.LEDGER_ALTERED, target)
    assert "tiles" in failure.what


def test_a_tampered_tile_is_reported_as_ledger_altered_at_the_leaf_it_holds(world):
    with tampering(world) as conn:
        target = positions(conn)[3]
        conn.execute(
            "UPDATE ledger_tiles SET hashes = set_byte(hashes, 3 * 32 + 5, "
            "get_byte(hashes, 3 * 32 + 5) # 1) WHERE level = 0 AND tile_index = 0"
        )
        failure = audit(conn).failure
    assert failure is not None
    assert (failure.kind, failure.position) == (Kind.LEDGER_ALTERED, target)


def test_a_tampered_tile_above_the_leaves_is_reported_at_the_first_leaf_under_the_hash(
    container,
):
    generate(container, STORE, show_progress=False)
    catch_up_ledger(container)
    with tampering(container) as conn:
        assert len(positions(conn)) > 3 * 256
        conn.execute(
            "UPDATE ledger_tiles SET hashes = set_byte(hashes, 64, get_byte(hashes, 64) # 1) "
            "WHERE level = 1 AND tile_index = 0"
        )
        failure = audit(conn).failure
        first_leaf = positions(conn)[2 * 256]
    assert failure is not None
    assert (failure.kind, failure.position) == (Kind.LEDGER_ALTERED, first_leaf)
    assert "tile 1/0" in failure.what


def test_a_changed_head_root_is_reported_as_ledger_altered(world):
    with tampering(world) as conn:
        conn.execute("UPDATE ledger_head SET root = sha256(root)")
        failure = audit(conn).failure
    assert failure is not None and failure.kind == Kind.LEDGER_ALTERED
    assert "head root" in failure.what


def test_an_entry_chain_naming_another_previous_entry_is_reported_as_ledger_altered(world):
    with tampering(world) as conn:
        entries = stored_entries(conn)
        index = next(i for i, e in enumerate(entries) if Entry.from_bytes(e).previous)
        entry = Entry.from_bytes(entries[index])
        entries[index] = dataclasses.replace(entry, previous="00" * 32).canonical()
        rebuild_ledger(conn, entries)
        failure = audit(conn).failure
    assert failure is not None
    assert (failure.kind, failure.position) == (Kind.LEDGER_ALTERED, entry.position)
    assert "previous" in failure.what


def test_a_forged_field_digest_in_a_rebuilt_ledger_is_caught_only_by_field_recomputation(world):
    with tampering(world) as conn:
        entry = forge_a_digest(conn, 3)
        without_fields = audit(conn)
        with_fields = audit(conn, keys_of(world))
    assert without_fields.ok
    failure = with_fields.failure
    assert failure is not None
    assert (failure.kind, failure.position) == (Kind.LEDGER_ALTERED, entry.position)
    assert repr(sorted(entry.fields)[0]) in failure.what


# -- the nightly run: fields recomputed past the last sealed run ------------------------------


def seal_key(container: Any) -> bytes:
    key = container.keyring.key_or_create(LEDGER_AUDIT_SUBJECT)
    assert key is not None
    return key


@pytest.fixture(params=["in one batch", "in batches of 4"])
def batching(request, monkeypatch):
    """The audit's reads in one batch (the test stores are small), or in batches of 4, so that
    a sealed size falls inside a batch, or at its end, after other batches."""
    if request.param == "in batches of 4":
        monkeypatch.setattr(audit_rows, "BATCH", 4)


def sealed(container: Any) -> FieldsSealed | None:
    with container.pool.connection() as conn:
        return last_sealed(conn, seal_key(container))


def test_a_run_that_recomputed_every_field_of_an_intact_store_seals_its_size_and_root(world):
    report = run_verification(world)
    (run,) = runs(world)
    assert report.ok and run["fields_from"] == 0 and report.root is not None
    assert bytes(run["seal"]) == audit_seal(seal_key(world), run["tree_size"], report.root)
    assert sealed(world) == FieldsSealed(run["run_id"], run["tree_size"], report.root)


def test_a_run_that_did_not_recompute_fields_is_not_sealed(world):
    run_verification(world, fields=False)
    (run,) = runs(world)
    assert run["ok"] and run["seal"] is None and run["fields_from"] is None


def test_a_run_that_found_the_store_altered_is_not_sealed(world):
    with world.pool.connection() as conn, conn.transaction():
        conn.execute("ALTER TABLE casework_events DISABLE TRIGGER casework_events_append_only")
        flip_state_byte(conn, positions(conn)[2])
        conn.execute("ALTER TABLE casework_events ENABLE TRIGGER casework_events_append_only")
    run_verification(world)
    (run,) = runs(world)
    assert not run["ok"] and run["seal"] is None and sealed(world) is None


def test_the_next_run_recomputes_fields_only_past_the_size_the_last_run_sealed(world, batching):
    first = run_verification(world)
    record_some_history(world.app, "Later Primary", "876543")
    catch_up_ledger(world)
    report = run_verification(world)
    assert report.ok, report.failure
    assert (report.fields_from, report.sealed_by) == (first.tree_size, runs(world)[0]["run_id"])
    assert report.tree_size > first.tree_size
    assert sealed(world) == FieldsSealed(runs(world)[1]["run_id"], report.tree_size, report.root)


def test_a_forged_digest_past_the_sealed_size_is_still_caught_by_field_recomputation(
    world, batching
):
    run_verification(world)
    since = sealed(world)
    record_some_history(world.app, "Later Primary", "876543")
    catch_up_ledger(world)
    assert since is not None
    with tampering(world) as conn:
        entry = forge_a_digest(conn, since.size + 1)
        failure = audit(conn, keys_of(world), since=since).failure
    assert failure is not None
    assert (failure.kind, failure.position) == (Kind.LEDGER_ALTERED, entry.position)


def test_a_ledger_rebuilt_below_the_sealed_size_is_reported_at_the_sealed_size(world, batching):
    # A forged digest below the sealed size: its field is not recomputed again, but the first
    # leaves no longer make the root the sealed run found.
    run_verification(world)
    since = sealed(world)
    assert since is not None
    with tampering(world) as conn:
        forge_a_digest(conn, 3)
        failure = audit(conn, keys_of(world), since=since).failure
        last_sealed_leaf = positions(conn)[since.size - 1]
    assert failure is not None
    assert (failure.kind, failure.position) == (Kind.LEDGER_ALTERED, last_sealed_leaf)
    assert f"audit run {since.run_id} sealed" in failure.what


def test_a_log_cut_below_the_sealed_size_is_reported(world):
    run_verification(world)
    since = sealed(world)
    assert since is not None
    rewrite_history(world)  # an insider removes the latest event and rebuilds the ledger
    catch_up_ledger(world)
    with world.pool.connection() as conn:
        failure = audit(conn, keys_of(world), since=since).failure
    assert failure is not None and failure.kind == Kind.LEDGER_ALTERED
    assert f"holds {since.size - 1} leaves" in failure.what


def test_a_recorded_run_whose_seal_does_not_hold_is_passed_over(world):
    run_verification(world)
    since = sealed(world)
    assert since is not None
    with world.pool.connection() as conn:  # an insider records a run of their own
        conn.execute(
            "INSERT INTO ledger_verifications (started_at, finished_at, ok, events_checked, "
            "tree_size, checkpoints_checked, fields_checked, root, fields_from, seal) "
            "VALUES (now(), now(), true, %s, %s, 0, true, %s, 0, %s)",
            (since.size, since.size, since.root, b"\x00" * 32),
        )
    assert sealed(world) == since


# -- checkpoints and witnesses ----------------------------------------------------------------


def test_a_checkpoint_signed_by_the_log_over_the_rebuilt_root_verifies(world):
    log = signer("casework.example/log")
    with tampering(world) as conn:
        size, root = head(conn)
        store_checkpoint(conn, log, size, root)
        report = audit(conn, trust=Trust(log=log.verifier()))
    assert report.ok, report.failure
    assert report.checkpoints_checked == 1


def test_a_checkpoint_whose_root_the_rebuilt_tree_lacks_is_reported_at_its_last_leaf(world):
    log = signer("casework.example/log")
    with tampering(world) as conn:
        size, root = head(conn)
        store_checkpoint(conn, log, size - 1, root)
        failure = audit(conn, trust=Trust(log=log.verifier())).failure
        last_leaf = positions(conn)[size - 2]
    assert failure is not None
    assert (failure.kind, failure.position) == (Kind.CHECKPOINT, last_leaf)


def test_a_checkpoint_not_signed_by_the_log_key_is_reported(world):
    log, impostor = signer("casework.example/log"), signer("casework.example/log")
    with tampering(world) as conn:
        size, root = head(conn)
        store_checkpoint(conn, impostor, size, root)
        failure = audit(conn, trust=Trust(log=log.verifier())).failure
    assert failure is not None and failure.kind == Kind.CHECKPOINT
    assert "does not verify" in failure.what


def test_a_rewritten_history_re_signed_by_the_log_is_inconsistent_with_the_witness(world):
    log, witness = signer("casework.example/log"), signer("witness.example")
    trust = Trust(log=log.verifier(), witnesses={witness.name: witness.verifier(0x04)})
    with tampering(world) as conn:
        size, root = head(conn)
        note = store_checkpoint(conn, log, size, root)
        body = note[: note.index("\n\n") + 1]
        conn.execute(
            "INSERT INTO ledger_cosignatures (size, witness, signature) VALUES (%s, %s, %s)",
            (size, witness.name, cosign(body, witness, int(time.time()))),
        )
        assert audit(conn, trust=trust).ok
        # History is rewritten: the last event's row and its entry both changed, the tree
        # rebuilt and the checkpoint re-signed with the log's own key.
        last = positions(conn)[-1]
        flip_state_byte(conn, last)
        state = conn.execute(
            "SELECT state FROM casework_events WHERE notification_id = %s", (last,)
        ).fetchone()["state"]
        entries = stored_entries(conn)
        entry = Entry.from_bytes(entries[-1])
        entries[-1] = dataclasses.replace(entry, state_sha256=sha256(state).hexdigest()).canonical()
        new_root = rebuild_ledger(conn, entries)
        conn.execute(
            "UPDATE ledger_checkpoints SET root = %s, note = %s WHERE size = %s",
            (new_root, sign_note(Checkpoint(ORIGIN, size, new_root).body(), [log]), size),
        )
        failure = audit(conn, trust=trust).failure
    assert failure is not None
    assert (failure.kind, failure.position) == (Kind.WITNESS_INCONSISTENT, last)


# -- the tamper test ------------------------------------------------------------------


def test_a_thousand_single_row_tamperings_are_each_reported_at_their_position_and_kind(
    container,
):
    generate(container, STORE, show_progress=False)
    spread_positions(container)
    catch_up_ledger(container)
    rng = random.Random(17)
    with container.pool.connection() as conn:
        known = positions(conn)
        assert audit(conn).ok
    wrong = []
    started = time.monotonic()
    for _ in range(1000):
        with tampering(container) as conn:
            expected = tamper_once(conn, rng, known)
            failure = audit(conn).failure
        found = None if failure is None else (failure.kind, failure.position)
        if found != expected:
            wrong.append((expected, found))
    assert not wrong, wrong[:10]
    assert time.monotonic() - started < 120


def tamper_once(conn: Any, rng: random.Random, known: list[int]) -> tuple[Kind, int]:
    """One tampering, in a transaction the caller rolls back: what the audit must report."""
    how = rng.choice(("state", "topic", "version", "delete", "insert"))
    index = rng.randrange(len(known))
    target = known[index]
    if how == "state":
        flip_state_byte(conn, target, rng.randrange(1 << 16))
    elif how == "topic":
        conn.execute(
            "UPDATE casework_events SET topic = topic || '.Forged' WHERE notification_id = %s",
            (target,),
        )
    elif how == "version":
        conn.execute(
            "UPDATE casework_events SET originator_version = originator_version + 100000 "
            "WHERE notification_id = %s",
            (target,),
        )
    elif how == "delete":
        conn.execute("DELETE FROM casework_events WHERE notification_id = %s", (target,))
        return Kind.REMOVED, target
    else:
        insert_copy(conn, target - 1, of=target)  # into the gap just before a leaf
        return Kind.INSERTED, target - 1
    return Kind.ALTERED, target


# -- the command ------------------------------------------------------------------------------


@pytest.fixture
def verify_command(server_database, settings, monkeypatch):
    monkeypatch.setenv("CASEWORK_DATABASE_URL", server_database.conninfo)
    monkeypatch.setenv("CASEWORK_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CASEWORK_ENVIRONMENT", "test")
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, ["verify", *args], catch_exceptions=False)


def runs(container: Any) -> list[dict[str, Any]]:
    with container.pool.connection() as conn:
        return conn.execute("SELECT * FROM ledger_verifications ORDER BY run_id").fetchall()


def test_casework_verify_exits_0_on_an_intact_store_and_records_the_run(world, verify_command):
    result = verify_command()
    assert result.exit_code == 0, result.output
    assert "result: intact" in result.output
    (run,) = runs(world)
    assert run["ok"] and run["fields_checked"] and run["events_checked"] == run["tree_size"] > 0


def test_casework_verify_recomputes_fields_past_the_last_sealed_run_unless_told_all(
    world, verify_command
):
    verify_command()
    again, everything = verify_command(), verify_command("--all-fields")
    first, second, third = runs(world)
    assert "recomputed for every leaf" in everything.output
    assert f"from leaf {first['tree_size']} on; audit run {first['run_id']}" in again.output
    assert (second["fields_from"], third["fields_from"]) == (first["tree_size"], 0)


def test_casework_verify_exits_1_naming_the_position_of_a_tampered_row_and_records_it(
    world, verify_command
):
    with world.pool.connection() as conn:
        target = positions(conn)[4]
        with conn.transaction():
            conn.execute("ALTER TABLE casework_events DISABLE TRIGGER casework_events_append_only")
            flip_state_byte(conn, target)
            conn.execute("ALTER TABLE casework_events ENABLE TRIGGER casework_events_append_only")
    result = verify_command("--no-fields")
    assert result.exit_code == 1
    assert f"FAILED at position {target}: altered" in result.output
    (run,) = runs(world)
    assert not run["ok"] and not run["fields_checked"]
    assert (run["first_failure_position"], run["failure_kind"]) == (target, "altered")


# -- with the checkpointer, the log key and a witness process ---------------------------------


def test_checkpoints_the_checkpointer_signed_verify_with_the_log_key(container, settings):
    record_some_history(container.app)
    catch_up_ledger(container)
    Checkpointer(container.pool, container.keyring, settings).sign()
    record_some_history(container.app, "Later Primary", "876543")
    catch_up_ledger(container)
    Checkpointer(container.pool, container.keyring, settings).sign()
    report = run_verification(container, fields=False, keep=False)
    assert report.ok, report.failure
    assert report.checkpoints_checked == 2


def test_a_rewritten_history_re_signed_by_the_log_is_reported_against_the_witness_size(
    container, settings, witness
):
    configured = settings.model_copy(update={"ledger_witnesses": f"{witness.url} {witness.vkey()}"})
    record_some_history(container.app)
    catch_up_ledger(container)
    Checkpointer(container.pool, container.keyring, configured).tick()
    with container.pool.connection() as conn:
        cosigned = conn.execute("SELECT size FROM ledger_cosignatures").fetchone()["size"]
    rewrite_history(container)  # an insider removes the latest event and rebuilds the ledger
    record_some_history(container.app, "Later Primary", "876543")  # the log grows past it
    catch_up_ledger(container)
    Checkpointer(container.pool, container.keyring, configured).tick()  # the witness refuses
    with container.pool.connection() as conn:
        report = audit(conn, trust=trust_of(container, configured))
        last_leaf = positions(conn)[cosigned - 1]
    failure = report.failure
    assert failure is not None
    assert (failure.kind, failure.position) == (Kind.WITNESS_INCONSISTENT, last_leaf)
    assert f"size {cosigned}" in failure.what

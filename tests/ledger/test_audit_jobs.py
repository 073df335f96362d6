"""The audit with its field recomputation in worker processes (`casework verify --jobs N`): it
reports what a run in one process reports, on real PostgreSQL and real spawned processes. The
reads go in batches of 4 leaves, so that several batches are out at a time."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from typing import Any

import pytest

from api import audit_jobs
from api.audit_jobs import field_keys
from api.settings import Environment, Settings
from projections.ledger.audit import Keys, Kind, Report, Trust, audit
from projections.ledger.audit import rows as audit_rows
from projections.ledger.audit.fields import FieldResult, field_result
from tests.ledger.test_audit import (
    flip_state_byte,
    forge_a_digest,
    head,
    keys_of,
    positions,
    runs,
    signer,
    store_checkpoint,
    tampering,
    verify_command,  # noqa: F401  (a fixture)
    world,  # noqa: F401  (a fixture)
)


@pytest.fixture
def in_batches_of_4(monkeypatch):
    monkeypatch.setattr(audit_rows, "BATCH", 4)
    monkeypatch.setattr(audit_jobs, "PARALLEL_FROM", 0)


@pytest.fixture
def two_processes(world, in_batches_of_4) -> Iterator[Keys]:  # noqa: F811
    with field_keys(world, 2) as keys:
        yield keys


def outcome(report: Report) -> tuple[Any, ...]:
    """What a run reports, but when it ran."""
    return (
        report.failure,
        report.events_checked,
        report.tree_size,
        report.checkpoints_checked,
        report.fields_erased,
        report.root,
    )


def reported_alike(conn: Any, world: Any, keys: Keys, trust: Trust | None = None) -> Report:  # noqa: F811
    """The audit on ``conn`` with ``keys`` (in other processes), having checked that a run in
    one process reports the same."""
    alone, shared = audit(conn, keys_of(world), trust), audit(conn, keys, trust)
    assert outcome(shared) == outcome(alone)
    return shared


def failed_at(report: Report) -> tuple[Kind, int | None]:
    assert report.failure is not None
    return report.failure.kind, report.failure.position


def test_an_intact_store_audited_in_two_processes_reports_what_one_process_reports(
    world,  # noqa: F811
    two_processes,
):
    with world.pool.connection() as conn:
        report = reported_alike(conn, world, two_processes)
    assert report.ok, report.failure


def test_a_forged_field_digest_is_reported_at_its_position_by_two_processes(
    world,  # noqa: F811
    two_processes,
):
    with tampering(world) as conn:
        entry = forge_a_digest(conn, 9)
        report = reported_alike(conn, world, two_processes)
    assert failed_at(report) == (Kind.LEDGER_ALTERED, entry.position)


def test_checkpoints_past_a_forged_digest_are_not_counted_as_checked(
    world,  # noqa: F811
    two_processes,
):
    log = signer("casework.example/log")
    with tampering(world) as conn:
        entry = forge_a_digest(conn, 5)
        size, root = head(conn)
        store_checkpoint(conn, log, size, root)  # grown past by the time the forgery is known
        report = reported_alike(conn, world, two_processes, Trust(log=log.verifier()))
    assert failed_at(report) == (Kind.LEDGER_ALTERED, entry.position)
    assert report.checkpoints_checked == 0


def test_a_checkpoint_failing_before_a_forged_digest_of_the_same_batch_is_the_failure_reported(
    world,  # noqa: F811
    two_processes,
):
    log = signer("casework.example/log")
    with tampering(world) as conn:
        forge_a_digest(conn, 7)  # in the batch of leaves 4 to 7, sent off whole
        store_checkpoint(conn, log, 6, bytes(32))  # a root the tree of 6 leaves lacks
        report = reported_alike(conn, world, two_processes, Trust(log=log.verifier()))
        last_leaf = positions(conn)[5]
    assert failed_at(report) == (Kind.CHECKPOINT, last_leaf)


def test_a_forged_digest_before_an_altered_row_is_the_failure_two_processes_report(
    world,  # noqa: F811
    two_processes,
):
    with tampering(world) as conn:
        entry = forge_a_digest(conn, 3)
        flip_state_byte(conn, positions(conn)[-3])
        report = reported_alike(conn, world, two_processes)
    assert failed_at(report) == (Kind.LEDGER_ALTERED, entry.position)


def test_an_altered_row_before_a_forged_digest_is_the_failure_two_processes_report(
    world,  # noqa: F811
    two_processes,
):
    with tampering(world) as conn:
        forge_a_digest(conn, len(positions(conn)) - 3)
        target = positions(conn)[3]
        flip_state_byte(conn, target)
        report = reported_alike(conn, world, two_processes)
    assert failed_at(report) == (Kind.ALTERED, target)


def test_a_run_with_fewer_leaves_to_recompute_than_its_threshold_sends_none_off(
    world,  # noqa: F811
    in_batches_of_4,
):
    sent: list[int] = []
    serial = keys_of(world)

    def submit(checked: Sequence[Any]) -> Future[FieldResult]:
        sent.append(len(checked))
        answer: Future[FieldResult] = Future()
        answer.set_result(field_result(serial, checked))
        return answer

    with world.pool.connection() as conn:
        size = len(positions(conn))
        above = audit(conn, Keys(serial.maker, submit, from_leaves=size + 1))
        assert not sent
        at = audit(conn, Keys(serial.maker, submit, from_leaves=size))
    assert above.ok and at.ok
    assert sum(sent) == size


def test_casework_verify_with_two_jobs_recomputes_every_field_and_seals_the_run(
    world,  # noqa: F811
    verify_command,  # noqa: F811
    in_batches_of_4,
):
    result = verify_command("--all-fields", "--jobs", "2")
    assert result.exit_code == 0, result.output
    assert "recomputed for every leaf" in result.output and "result: intact" in result.output
    (run,) = runs(world)
    assert run["ok"] and run["seal"] is not None and run["events_checked"] == run["tree_size"]


def test_casework_verify_refuses_no_jobs(verify_command):  # noqa: F811
    result = verify_command("--jobs", "0")
    assert result.exit_code == 2
    assert "--jobs" in result.output


def test_by_default_an_audit_leaves_a_cpu_to_itself_and_takes_at_most_eight(monkeypatch):
    for cpus, jobs in ((1, 1), (2, 1), (3, 2), (9, 8), (64, 8)):
        monkeypatch.setattr(audit_jobs.os, "sched_getaffinity", lambda _, n=cpus: set(range(n)))
        assert audit_jobs.default_jobs() == jobs, cpus


def test_an_audit_whose_field_processes_cannot_start_recomputes_the_fields_itself(
    world,  # noqa: F811
    in_batches_of_4,
    tmp_path,
    caplog,
):
    # Processes given another data directory: its keys do not open the store, so each
    # process refuses to start, and the pool is broken at the first answer.
    elsewhere = dataclasses.replace(
        world, settings=Settings(environment=Environment.TEST, data_dir=tmp_path)
    )
    with field_keys(elsewhere, 2) as keys, tampering(world) as conn:
        entry = forge_a_digest(conn, 9)
        report = reported_alike(conn, world, keys)
    assert failed_at(report) == (Kind.LEDGER_ALTERED, entry.position)
    assert "the audit's field processes stopped" in caplog.text

"""The writer's field digests (docs/rules.md §12.6): computed as events are recorded, stored
beside them in the same transaction, taken by the integrator instead of decoding the event,
and making the very entries decoding makes."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from domain.ledger.entry import Entry
from ops.generate import generate
from projections.ledger.audit import Keys, audit
from projections.ledger.entries import EntryMaker
from projections.runner import ViewGroup
from tests.ledger.world import (
    STORE,
    catch_up_ledger,
    record_some_history,
    stored_log,
    uninterrupted_log,
)


def _written(container: Any) -> list[dict[str, Any]]:
    with container.pool.connection() as conn:
        return conn.execute("SELECT * FROM ledger_fields ORDER BY position").fetchall()


def _events(container: Any) -> list[dict[str, Any]]:
    with container.pool.connection() as conn:
        return conn.execute(
            "SELECT notification_id, originator_id, originator_version "
            "FROM casework_events ORDER BY notification_id"
        ).fetchall()


def test_the_writer_stores_the_field_digests_of_every_event_it_records(container):
    record_some_history(container.app)
    written, events = _written(container), _events(container)
    assert [(w["position"], w["originator_id"], w["originator_version"]) for w in written] == [
        (e["notification_id"], e["originator_id"], e["originator_version"]) for e in events
    ]


def test_the_entries_made_from_the_writer_s_digests_are_the_ones_decoding_makes(container):
    record_some_history(container.app)
    catch_up_ledger(container)
    assert stored_log(container) == uninterrupted_log(container)


def test_a_generated_store_of_every_kind_of_event_gets_the_entries_decoding_makes(container):
    generate(container, STORE, show_progress=False)
    assert len(_written(container)) == len(_events(container))  # grouped appends carry them
    catch_up_ledger(container)
    assert stored_log(container) == uninterrupted_log(container)


def test_a_store_integrated_from_the_writer_s_digests_passes_the_full_field_audit(container):
    generate(container, STORE, show_progress=False)
    catch_up_ledger(container)
    with container.pool.connection() as conn:
        report = audit(conn, Keys(EntryMaker(container.keyring, container.app.mapper)))
    assert report.ok, report.failure


def test_integrating_an_event_deletes_the_digests_its_writer_stored(container):
    record_some_history(container.app)
    catch_up_ledger(container)
    assert _written(container) == []


def test_a_stored_row_naming_another_event_is_not_taken_for_the_event_at_its_position(
    container,
):
    record_some_history(container.app)
    first, second = _written(container)[:2]
    with container.pool.connection() as conn:
        conn.execute(
            "UPDATE ledger_fields SET originator_id = %s, originator_version = %s, "
            "fields = %s WHERE position = %s",
            (
                second["originator_id"],
                second["originator_version"],
                second["fields"],
                first["position"],
            ),
        )
    catch_up_ledger(container)
    logged = Entry.from_bytes(stored_log(container)[0])
    assert logged.position == first["position"]
    assert stored_log(container) == uninterrupted_log(container)


def test_a_writer_told_to_leave_the_digests_to_the_integrator_stores_none(container):
    container.app.digests_at_write = False
    try:
        record_some_history(container.app)
    finally:
        container.app.digests_at_write = True
    assert _written(container) == []
    catch_up_ledger(container)
    assert stored_log(container) == uninterrupted_log(container)


def test_events_with_and_without_the_writer_s_digests_make_one_log_with_decoding(container):
    record_some_history(container.app)
    container.app.digests_at_write = False
    try:
        record_some_history(container.app, "Second Primary", "765432")
    finally:
        container.app.digests_at_write = True
    record_some_history(container.app, "Third Primary", "765433")
    catch_up_ledger(container)
    assert stored_log(container) == uninterrupted_log(container)


def test_an_append_that_fails_stores_no_digests(container):
    record_some_history(container.app)
    catch_up_ledger(container)
    (event,) = [e for e in _events(container)][:1]
    taken = StoredEvent(event["originator_id"], event["originator_version"], "a-topic", b"{}")
    fresh = StoredEvent(uuid4(), 1, "a-topic", b"{}")
    ledger = {
        (e.originator_id, e.originator_version): ("2026-12-02T00:00:00+00:00", "{}")
        for e in (fresh, taken)
    }
    with pytest.raises(IntegrityError):
        container.app.recorder.insert_events([fresh, taken], ledger=ledger)
    assert _written(container) == []


def test_the_ledger_fed_live_with_the_other_views_takes_the_writer_s_digests_too(container):
    """Live, the subscription's events come without their digests, and the group's batch is
    sent in pipeline mode: the integrator reads the digests itself and writes no COPY."""
    record_some_history(container.app)
    group = ViewGroup(container.workers(["ledger", "directory"]))
    group.process(container.app.recorder.select_notifications(start=1, limit=10_000))
    assert _written(container) == []
    assert stored_log(container) == uninterrupted_log(container)

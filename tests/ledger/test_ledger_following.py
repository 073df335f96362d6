"""The writer leaves the field digests to the ledger while it follows the store live
(docs/rules.md §12.6): the rule, the service's look at the ledger, and the entries, which are
the same bytes whoever computed the digests."""

from __future__ import annotations

import time
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from api.ledger_following import LedgerFollowing
from domain.ledger.following import follows
from projections.runner import ViewGroup
from tests.conftest import LiveServer
from tests.ledger.world import catch_up_ledger, record_some_history, stored_log, uninterrupted_log


def _written(container: Any) -> list[dict[str, Any]]:
    with container.pool.connection() as conn:
        return conn.execute("SELECT * FROM ledger_fields ORDER BY position").fetchall()


# -- the rule ---------------------------------------------------------------------------------


def test_a_ledger_at_the_head_of_the_look_before_follows_the_store():
    assert follows(120, 120) and follows(121, 120)


def test_a_ledger_behind_the_head_of_the_look_before_does_not_follow_it():
    assert not follows(119, 120)


def test_a_ledger_with_nothing_known_does_not_follow_the_store():
    assert not follows(None, 120) and not follows(120, None)


# -- the writer -------------------------------------------------------------------------------


def test_a_writer_while_the_ledger_follows_stores_no_digests(container):
    container.app.ledger_follows = lambda: True
    try:
        record_some_history(container.app)
    finally:
        del container.app.ledger_follows
    assert _written(container) == []


def test_the_entries_of_events_written_while_the_ledger_follows_are_the_ones_digests_make(
    container,
):
    record_some_history(container.app)  # with the writer's digests
    container.app.ledger_follows = lambda: True
    try:
        record_some_history(container.app, "Second Primary", "765432")
    finally:
        del container.app.ledger_follows
    group = ViewGroup(container.workers(["ledger", "directory"]))
    group.process(container.app.recorder.select_notifications(start=1, limit=10_000))
    assert stored_log(container) == uninterrupted_log(container)


# -- the service's look -----------------------------------------------------------------------


def test_a_ledger_seen_at_the_head_of_the_look_before_is_following(container):
    record_some_history(container.app)
    catch_up_ledger(container)
    following = LedgerFollowing(container.pool)
    assert not following.look()  # nothing known before
    assert following.look() and following()


def _seen_following(container: Any) -> LedgerFollowing:
    """A look that has seen the ledger follow the store."""
    record_some_history(container.app)
    catch_up_ledger(container)
    following = LedgerFollowing(container.pool)
    following.look()
    assert following.look()
    return following


def test_a_ledger_left_behind_by_new_events_stops_following_at_the_next_look(container):
    following = _seen_following(container)
    record_some_history(container.app, "Second Primary", "765432")  # the ledger not fed
    assert following.look()  # it has reached the head as it was at the look before
    assert not following.look() and not following()


def test_a_look_that_cannot_reach_the_database_counts_as_not_following(container):
    following = _seen_following(container)
    with ConnectionPool(
        "host=127.0.0.1 port=1 dbname=none connect_timeout=1",
        connection_class=Connection[Any],
        kwargs={"row_factory": dict_row},
        min_size=1,
        timeout=0.5,
    ) as away:
        following.pool = away
        assert not following.look() and not following()
    following.pool = container.pool
    assert not following.look()  # nothing known from before the failure
    assert following.look()


def test_the_service_tells_its_writer_while_the_ledger_follows_and_stops_telling_at_exit(
    container,
):
    record_some_history(container.app)
    with LiveServer(container):
        deadline = time.monotonic() + 20
        while not container.app.ledger_follows() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert container.app.ledger_follows()
    assert not container.app.ledger_follows()

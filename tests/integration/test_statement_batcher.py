"""A view handler's read after a run of writes sees the read's row (psycopg pipeline mode)."""

from __future__ import annotations

import time

from api.wiring import Container
from projections.view import StatementBatcher


def test_a_read_after_a_batched_run_of_writes_returns_the_reads_row(container: Container):
    with container.pool.connection() as conn:
        conn.execute("CREATE TEMP TABLE batched (n int, payload bytea)")
        for round_ in range(20):
            with conn.transaction(), conn.cursor() as curs, conn.pipeline():
                batcher = StatementBatcher(curs)
                for n in range(500):
                    batcher.execute("INSERT INTO batched VALUES (%s, %s)", (n, b"x" * 500))
                batcher.flush()  # the run goes as one executemany
                time.sleep(0.001)  # a handler's work: lets the run's results arrive meanwhile
                batcher.execute("SELECT %s::int AS round", (round_,))
                assert batcher.fetchone() == {"round": round_}


def test_a_views_new_position_is_recorded_after_a_batched_run_of_writes(container: Container):
    view = container.views["directory"]
    with container.pool.connection() as conn:
        conn.execute("CREATE TEMP TABLE batched (n int, payload bytea)")
        for round_ in range(20):
            with conn.transaction(force_rollback=True), conn.cursor() as curs, conn.pipeline():
                batcher = StatementBatcher(curs)
                for n in range(500):
                    batcher.execute("INSERT INTO batched VALUES (%s, %s)", (n, b"x" * 500))
                batcher.flush()
                time.sleep(0.001)
                view.insert_tracking_in(
                    curs, 1_000_000 + round_
                )  # raises if handed the wrong result

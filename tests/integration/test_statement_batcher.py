"""A view handler's read after a run of writes sees the read's row (psycopg pipeline mode)."""

from __future__ import annotations

import time

from api.wiring import Container
from projections.common import positions
from projections.runner import lock_positions, write_positions
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


def test_a_views_new_position_written_after_a_batched_run_of_writes_is_the_one_read_back(
    container: Container,
):
    (worker,) = container.workers(["directory"])
    with container.pool.connection() as conn:
        conn.execute("CREATE TEMP TABLE batched (n int, payload bytea)")
        for round_ in range(20):
            with conn.transaction(force_rollback=True), conn.cursor() as curs:
                with conn.pipeline():
                    lock_positions(curs, [worker])
                    batcher = StatementBatcher(curs)
                    for n in range(500):
                        batcher.execute("INSERT INTO batched VALUES (%s, %s)", (n, b"x" * 500))
                    batcher.flush()
                    time.sleep(0.001)
                    write_positions(curs, [worker], 1_000_000 + round_)
                assert positions(conn, ["directory"]) == {"directory": 1_000_000 + round_}

"""Prometheus metrics: every HTTP response by status, GraphQL request counts and latency, events
written, and each view's position and lag read from the database at scrape time.

A scrape sends ``Authorization: Bearer <CASEWORK_METRICS_TOKEN>``. Production refuses to start
without that token; in development, with none set, the endpoint is open."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from psycopg import Connection

from projections.ledger.status import VerificationRow, health

if TYPE_CHECKING:
    from api.positions import PositionWatch
    from api.wiring import Container


def scrape_allowed(expected_token: str | None, authorization: str | None) -> bool:
    """Whether a scrape with this Authorization header may read the metrics (the token is
    compared in constant time)."""
    if expected_token is None:
        return True
    scheme, _, token = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        token.encode(), expected_token.encode()
    )


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.responses = Counter(
            "casework_http_responses_total",
            "HTTP responses of every route by status, 5xx included (api.request_ids)",
            ["status"],
            registry=self.registry,
        )
        self.requests = Counter(
            "casework_graphql_requests_total",
            "GraphQL requests by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "casework_graphql_request_seconds",
            "GraphQL request latency",
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )

    def watch_projections(self, container: Container) -> None:
        self.registry.register(ProjectionCollector(container))
        self.registry.register(LedgerCollector(container))

    def watch_waits(self, watch: PositionWatch) -> None:
        Gauge(
            "casework_graphql_requests_waiting_for_views",
            "Requests waiting for the views to reach their minPosition",
            registry=self.registry,
        ).set_function(lambda: watch.waiting)


class ProjectionCollector(Collector):
    def __init__(self, container: Container) -> None:
        self.container = container

    def collect(self) -> Iterator[GaugeMetricFamily]:
        head = self.container.head()
        position = GaugeMetricFamily(
            "casework_view_position", "Last event applied", labels=["view"]
        )
        lag = GaugeMetricFamily(
            "casework_view_lag_events", "Events not yet applied", labels=["view"]
        )
        failed = GaugeMetricFamily(
            "casework_view_failed", "1 when the view has stopped", labels=["view"]
        )
        for status in view_statuses(self.container, head):
            position.add_metric([status.name], status.position)
            lag.add_metric([status.name], status.lag)
            failed.add_metric([status.name], 1.0 if status.state == "failed" else 0.0)
        head_metric = GaugeMetricFamily("casework_event_store_head", "Last event position")
        head_metric.add_metric([], head)
        yield from (head_metric, position, lag, failed)


class LedgerCollector(Collector):
    """The ledger's size, its latest checkpoint, each witness's state, and the last audit: a
    witness that stops co-signing shows here (``casework_ledger_witness_cosigning`` 0) as well
    as in logs, and so does an audit that failed (``casework_ledger_audit_last_ok`` 0) or has
    not run for too long (``casework_ledger_audit_last_finished_timestamp_seconds``); both are
    absent before the first audit."""

    def __init__(self, container: Container) -> None:
        self.container = container

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self.container.pool.connection() as conn:
            ledger = health(conn)
        size = GaugeMetricFamily("casework_ledger_size", "Leaves in the ledger")
        size.add_metric([], ledger.size)
        signed = GaugeMetricFamily(
            "casework_ledger_checkpoint_size", "Tree size of the latest signed checkpoint"
        )
        signed.add_metric([], ledger.checkpoint.size if ledger.checkpoint else 0)
        cosigning = GaugeMetricFamily(
            "casework_ledger_witness_cosigning",
            "1 while the witness co-signs the ledger's checkpoints, 0 once it refuses or is "
            "unreachable",
            labels=["witness"],
        )
        cosigned = GaugeMetricFamily(
            "casework_ledger_witness_cosigned_size",
            "The last tree size the witness co-signed",
            labels=["witness"],
        )
        for w in ledger.witnesses:
            cosigning.add_metric([w.witness], 1.0 if w.state == "cosigning" else 0.0)
            cosigned.add_metric([w.witness], w.cosigned_size or 0)
        yield from (size, signed, cosigning, cosigned)
        last = ledger.last_verification
        if last is not None:
            yield from audit_metrics(last)


def audit_metrics(last: VerificationRow) -> Iterator[GaugeMetricFamily]:
    ok = GaugeMetricFamily(
        "casework_ledger_audit_last_ok",
        "1 when the last `casework verify` found the store intact, 0 when it found a failure",
    )
    ok.add_metric([], 1.0 if last.ok else 0.0)
    finished = GaugeMetricFamily(
        "casework_ledger_audit_last_finished_timestamp_seconds",
        "When the last `casework verify` finished (Unix time)",
    )
    finished.add_metric([], last.finished_at.timestamp())
    checked = GaugeMetricFamily(
        "casework_ledger_audit_last_tree_size", "Leaves the last `casework verify` checked"
    )
    checked.add_metric([], last.tree_size)
    yield from (ok, finished, checked)


class ViewStatus:
    def __init__(
        self,
        name: str,
        position: int,
        head: int,
        state: str,
        error: str | None,
        failed_position: int | None,
    ) -> None:
        self.name = name
        self.position = position
        self.lag = max(0, head - position)
        self.state = state
        self.error = error
        self.failed_position = failed_position


def view_statuses(container: Container, head: int) -> list[ViewStatus]:
    with container.pool.connection() as conn:
        return read_view_statuses(conn, list(container.views), head)


def read_view_statuses(conn: Connection[Any], names: list[str], head: int) -> list[ViewStatus]:
    """The named views' statuses, read on ``conn``, their lag counted from ``head``."""
    rows = conn.execute(
        "SELECT v.name, COALESCE(t.notification_id, 0) AS position, "
        "COALESCE(s.state, 'not started') AS state, s.error, s.failed_position "
        "FROM unnest(%s::text[]) AS v(name) "
        "LEFT JOIN projection_tracking t ON t.application_name = v.name "
        "LEFT JOIN projection_status s ON s.name = v.name ORDER BY v.name",
        (names,),
    ).fetchall()
    return [
        ViewStatus(
            r["name"], int(r["position"]), head, r["state"], r["error"], r["failed_position"]
        )
        for r in rows
    ]

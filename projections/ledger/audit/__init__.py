"""The audit behind ``casework verify``: the whole event store checked against the ledger.

Every leaf is recomputed from the row it names and the tree is rebuilt from those leaves, so
the audit trusts nothing the ledger stores about itself: a row changed, removed or inserted
after the log committed to it is reported at its position, and so is a ledger entry, tile or
head that no longer matches the rows. Stored checkpoints are checked as the rebuild passes
their sizes, so a rewritten history is caught even when the ledger was rebuilt to match it.

The audit streams three ordered reads in step (events by position, entries by leaf index,
leaf tiles by index) through server-side cursors, a batch of 2,048 at a time (the next one
read in a thread while this one is checked), so memory stays flat whatever the size of the
store (``run``). A batch is first checked as a whole with a few C-level operations per leaf
(``rows.implied``); only a batch that is not cleared so is taken apart leaf by leaf
(``leaves``), which names the first failure, its kind and its position. Per leaf, the audit
then costs two SHA-256 (entry and state), its share of the tree's node hashes, and some
byte comparisons: about as much as reading the rows. Recomputing field digests (``fields``)
decrypts every event and costs many times that, so it is done once per leaf: a run that found
the store intact with every field recomputed is sealed (``record``, domain/ledger/audit_seal),
and the next recomputes fields from the sealed size on (``last_sealed``), checking as its tree
passes that size that it has the root the seal names (docs/rules.md §12.5).

What rests on the database, and what does not. Someone who can alter rows can also alter
functions, views and rules in the same database, so whatever decides that a record is intact
is computed here, in Python, from the bytes the server returns as the rows, never by the
server: each leaf hash, SHA-256(0x00 ‖ entry), from the entry's bytes; the tree, every tile
above the leaves and the root from those leaves; each checkpoint's signatures with the keys
given here; and each row against its entry: the SHA-256 of the row's state bytes (the bytes
themselves are read, so a server function that lied about their hash would hide nothing),
its position, aggregate, version and topic, and the aggregate's chain of previous entries.
The server only selects, orders and renders ids as text, as it does for every reader of the
store; if it hid or invented rows for the audit alone, that is what the checkpoints' witnesses
are for (a rewritten history no longer has the root they cosigned). SQL could have found
mismatches between rows and entries in a join, but a mismatch it failed to report would have
let an altered row pass with its entry intact, so no check is left to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from psycopg import Connection
from psycopg.pq import TransactionStatus
from psycopg.rows import tuple_row

from domain.ledger.audit_seal import audit_seal
from projections.ledger.audit.checkpoints import Trust
from projections.ledger.audit.fields import FieldsSealed, Keys, last_sealed
from projections.ledger.audit.findings import Failure, Found, Kind
from projections.ledger.audit.rows import Header, canonical_header
from projections.ledger.audit.run import Run
from projections.ledger.audit.tree import expected_tile_count

__all__ = [
    "AGGREGATE_CACHE",
    "Failure",
    "FieldsSealed",
    "Header",
    "Keys",
    "Kind",
    "Report",
    "Trust",
    "audit",
    "canonical_header",
    "expected_tile_count",
    "last_sealed",
    "record",
]

AGGREGATE_CACHE = 1_000_000  # aggregates whose last entry hash is kept; older ones are re-read


@dataclass
class Report:
    started_at: datetime
    fields_checked: bool
    finished_at: datetime | None = None
    events_checked: int = 0
    tree_size: int = 0
    checkpoints_checked: int = 0
    # Field digests not recomputed because an erasure destroyed their keys (and salts): what
    # was forgotten on purpose, reported as such and never as tampering.
    fields_erased: int = 0
    # With fields checked: the first leaf whose fields this run recomputed, and the sealed run
    # that had recomputed those before it (None: every leaf's were recomputed now).
    fields_from: int | None = None
    sealed_by: int | None = None
    root: bytes | None = None  # the rebuilt tree's root, when the store was found intact
    failure: Failure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def seconds(self) -> float:
        end = self.finished_at or datetime.now(UTC)
        return (end - self.started_at).total_seconds()


def audit(
    conn: Connection[Any],
    keys: Keys | None = None,
    trust: Trust | None = None,
    aggregate_cache: int = AGGREGATE_CACHE,
    since: FieldsSealed | None = None,
) -> Report:
    """Audit the store on ``conn`` and return what was found (the first failure, if any).

    Outside a transaction, the audit runs in one read-only snapshot (REPEATABLE READ), so a
    running integrator cannot make it see half a batch; inside one (a test that tampers and
    rolls back), it reads what that transaction sees. ``keys`` adds field recomputation, from
    the size of ``since`` on, if given (an earlier sealed run: see :func:`last_sealed`)."""
    report = Report(started_at=datetime.now(UTC), fields_checked=keys is not None)
    own = conn.info.transaction_status == TransactionStatus.IDLE
    run = Run(conn, keys, trust or Trust(), aggregate_cache, since)
    with conn.transaction(force_rollback=True):
        if own:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        try:
            run.run()
        except Found as found:
            report.failure = found.failure
        finally:
            run.close()
            report.events_checked = run.events_checked
            report.tree_size = run.tree_size
            report.checkpoints_checked = run.checkpoints_checked
            report.fields_erased = run.fields_erased
            if keys is not None:
                report.fields_from = run.fields_from
                report.sealed_by = None if run.since is None else run.since.run_id
            if report.ok:
                report.root = run.edge.root()
    report.finished_at = datetime.now(UTC)
    return report


def record(conn: Connection[Any], report: Report, seal_key: bytes | None = None) -> int:
    """Append the run to ``ledger_verifications`` (for ``ledgerStatus``) and commit it on
    ``conn``, which should not be the one audited: a run is recorded even when the audited
    transaction is rolled back. A run that found the store intact with its fields checked is
    sealed with ``seal_key``, if given, so that the next may start from it. Returns its id."""
    failure = report.failure
    seal = (
        audit_seal(seal_key, report.tree_size, report.root)
        if seal_key is not None and report.fields_checked and report.root is not None
        else None
    )
    with conn.transaction(), conn.cursor(row_factory=tuple_row) as curs:
        curs.execute(
            "INSERT INTO ledger_verifications (started_at, finished_at, ok, events_checked, "
            "tree_size, checkpoints_checked, fields_checked, first_failure_position, "
            "failure_kind, failure, root, fields_from, seal) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING run_id",
            (
                report.started_at,
                report.finished_at or datetime.now(UTC),
                report.ok,
                report.events_checked,
                report.tree_size,
                report.checkpoints_checked,
                report.fields_checked,
                None if failure is None else failure.position,
                None if failure is None else failure.kind.value,
                None if failure is None else failure.what,
                report.root,
                report.fields_from,
                seal,
            ),
        )
        row = curs.fetchone()
    if row is None:  # INSERT ... RETURNING always returns the row
        raise RuntimeError("the verification run was not recorded")
    return int(row[0])

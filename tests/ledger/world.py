"""A small world for ledger specifications: a trust, a school, a pupil with a sealed name, an
allegation; and the ledger caught up over it."""

from __future__ import annotations

from typing import Any

from domain.shared.actor import acting_as
from domain.shared.policy import Principal, Role
from ops.generate import Options
from tests import builders as make

# A small generated store of every kind of event, for specifications that need one.
STORE = Options(
    schools=2,
    schools_per_trust=2,
    pupils_per_school=30,
    staff_per_school=8,
    min_events=1500,
    workers=1,
)


def record_some_history(
    app: Any, school_name: str = "Ledger Primary", urn: str = "654321"
) -> dict[str, Any]:
    with acting_as(Principal.operator("tests")):
        trust = make.trust(app, f"{school_name} Trust")
        school = make.school_with(
            app, trust, f"head@{school_name}", Role.HEADTEACHER, school_name, urn
        )
    with acting_as(app.principal_for(f"head@{school_name}")):
        pupil = make.pupil(app, school, "Philippa Ledger")
        staff = make.staff(app, school, "Tom Ledger", "teacher")
        case = make.allegation(app, staff, "Shouted at a pupil")
    return {"trust": trust, "school": school, "pupil": pupil, "staff": staff, "case": case}


def ledger_worker(container: Any) -> Any:
    (worker,) = container.workers(["ledger"])
    return worker


def catch_up_ledger(container: Any) -> Any:
    worker = ledger_worker(container)
    worker.catch_up()
    return worker


def uninterrupted_log(container: Any) -> list[bytes]:
    """The entries an uninterrupted build makes of the whole store now, in memory."""
    from projections.ledger.entries import EntryMaker

    maker = EntryMaker(container.keyring, container.app.mapper)
    notifications = container.app.recorder.select_notifications(start=1, limit=1_000_000)
    stored = [maker.read(n) for n in notifications]
    return [m.canonical for m in maker.make(stored, 0, {})]


def stored_log(container: Any) -> list[bytes]:
    with container.pool.connection() as conn:
        rows = conn.execute("SELECT entry FROM ledger_entries ORDER BY leaf_index").fetchall()
    return [bytes(r["entry"]) for r in rows]


def stored_root(container: Any) -> bytes:
    with container.pool.connection() as conn:
        row = conn.execute("SELECT root FROM ledger_head").fetchone()
    return bytes(row["root"])


def rewrite_history(container) -> None:
    """Remove the latest stored event (an insider's quiet deletion: no later version refers to
    it), then rebuild the whole ledger over what is left."""
    with container.pool.connection() as conn:
        conn.execute("ALTER TABLE casework_events DISABLE TRIGGER casework_events_append_only")
        conn.execute(
            "DELETE FROM casework_events "
            "WHERE notification_id = (SELECT max(notification_id) FROM casework_events)"
        )
        conn.execute("ALTER TABLE casework_events ENABLE TRIGGER casework_events_append_only")
        conn.execute("TRUNCATE ledger_entries, ledger_tiles, ledger_head")
        conn.execute(
            "UPDATE projection_tracking SET notification_id = 0 WHERE application_name = 'ledger'"
        )
        conn.commit()

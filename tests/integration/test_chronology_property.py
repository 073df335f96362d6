"""For any valid sequence of incident commands, the projected chronology equals what replaying
the aggregates' events gives: nothing skipped, doubled or reordered, whatever the batching."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.incidents.commands import (
    AttachEvidence,
    CloseIncident,
    LinkIncidents,
    RecordIncidentAction,
    ReopenIncident,
    ReportIncident,
    TriageIncident,
)
from domain.shared.actor import acting_as
from domain.shared.policy import Principal, Role
from projections.incidents.chronology import entry_for
from projections.incidents.queries import chronology
from tests import builders as make
from tests.conftest import truncate_all

OPERATOR = Principal.operator("tests")
URNS = itertools.count(500001)  # the application's aggregate cache outlives each example
NOW = datetime.now(UTC).replace(microsecond=0)

COMMANDS = st.lists(
    st.sampled_from(
        ["triage", "action", "planned", "close", "reopen", "link", "evidence", "report"]
    ),
    min_size=1,
    max_size=12,
)


def report(app, school_id, category: str, description: str, person: tuple):
    """Report an incident that happened an hour ago, about one person; its id."""
    return app.report_incident(
        ReportIncident(
            school_id=school_id,
            occurred_at=NOW - timedelta(hours=1),
            reported_at=NOW,
            category=category,
            description=description,
            people=[person],
        )
    )[0]


def run_commands(app, dsl: str, school_id, pupil, commands: list[str]) -> list:
    """Apply the commands that are valid at each step; skip those the domain would refuse."""
    with acting_as(app.principal_for(dsl)):
        incidents = [report(app, school_id, "cyberbullying", "first", (pupil, "pupil_harmed"))]
        for name in commands:
            current = app.repository.get(incidents[-1])
            closed, triaged = current.status.value == "closed", current.status.value != "reported"
            if name == "report":
                incidents.append(
                    report(app, school_id, "other_breach", "another", (pupil, "pupil_witness"))
                )
            elif name == "triage" and not closed:
                app.triage_incident(
                    TriageIncident(
                        incident_id=current.id,
                        risk="low",
                        meets_cp_threshold=False,
                        rationale="rationale",
                    )
                )
            elif name in ("action", "planned") and not closed:
                app.record_incident_action(
                    RecordIncidentAction(
                        incident_id=current.id,
                        kind="pastoral_support",
                        taken_at=NOW,
                        decision="decision",
                        rationale="why",
                        planned=name == "planned",
                        due_on=date.today() if name == "planned" else None,
                    )
                )
            elif name == "close" and triaged and not closed:
                app.close_incident(
                    CloseIncident(
                        incident_id=current.id, outcome="outcome", lessons_learnt="lessons"
                    )
                )
            elif name == "reopen" and closed:
                app.reopen_incident(ReopenIncident(incident_id=current.id, reason="again"))
            elif name == "link" and len(incidents) > 1 and not closed:
                other = incidents[0]
                if (
                    other not in current.links
                    and other != current.id
                    and app.repository.get(other).is_open
                ):
                    app.link_incidents(
                        LinkIncidents(incident_id=current.id, other_incident_id=other)
                    )
            elif name == "evidence" and not closed:
                app.attach_evidence(
                    AttachEvidence(
                        incident_id=current.id,
                        filename="note.txt",
                        content_type="text/plain",
                        content=b"evidence",
                    )
                )
    return incidents


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(commands=COMMANDS, batch_size=st.integers(min_value=1, max_value=7))
def test_projected_chronology_equals_replayed_events(
    container, server_database, commands, batch_size
):
    truncate_all(server_database)
    app = container.app
    with acting_as(OPERATOR):
        trust = make.trust(app, "T")
        urn = str(next(URNS))
        school = make.school(app, trust, "S", urn)
        # A login of its own per example: the keyring's cache outlives the truncated key store,
        # and a key cached for a login the last example used no longer matches the one stored.
        dsl = f"dsl-{urn}@x"
        make.grant(app, dsl, Role.DSL, trust, school)
    with acting_as(app.principal_for(dsl)):
        pupil = make.pupil(app, school, "P", date(2014, 1, 1), year_group=6)
    incidents = run_commands(app, dsl, school, pupil, commands)
    for worker in container.workers(batch_size=batch_size):
        worker.catch_up()

    with container.pool.connection() as conn:
        for incident_id in incidents:
            projected = [
                (r.kind, r.summary, container.keyring.open(r.actor), r.at)
                for r in chronology(conn, incident_id)
            ]
            replayed = [
                (entry.kind, entry.summary, event.actor, event.timestamp)
                for event in app.events.get(incident_id)
                if (entry := entry_for(event)) is not None
            ]
            assert projected == replayed

"""Nothing identifying in plaintext in the staff-cases view (issue 14 §2): references,
responsibilities and platforms are sealed, also those that events of before carry in plain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg import sql

from domain.shared.actor import acting_as
from domain.staff_cases.aggregates import SocialMediaDeclaration
from tests.api_client import Client
from tests.integration.test_staff_cases_api import receive, staff_ids, step

NOW = datetime.now(UTC).replace(microsecond=0)
OLD_REFERENCE = "LADO-Legacy-Plain-0042"
OLD_PLATFORM = "Legacy-Plain-Platform"


@pytest.fixture
def users(live, settings, demo):
    return lambda user: Client(live.url, settings, user)


def staff_cases_rows_as_text(container) -> str:
    """Every row of every table of the staff-cases view, as a dump would show it."""
    with psycopg.connect(container.database.conninfo) as conn:
        return "\n".join(
            text
            for table in container.views["staff_cases"].tables
            for (text,) in conn.execute(
                sql.SQL("SELECT t::text FROM {} t").format(sql.Identifier(table))
            ).fetchall()
        )


def chronology(client: Client, allegation_id: str) -> list[str]:
    seen = client.data(
        "query($id: ID!) { allegation(id: $id) { chronology { summary } } }", {"id": allegation_id}
    )["allegation"]
    return [e["summary"] for e in seen["chronology"]]


def test_the_chronology_quotes_the_lado_and_dbs_references_to_its_readers(users, demo):
    dsl, head = users("dsl@primary.demo"), users("head@primary.demo")
    case = receive(dsl, staff_ids(head)["Sam Jones (primary)"])["allegationId"]
    later = (NOW + timedelta(minutes=1)).isoformat()
    on_case = {"allegationId": case, "consultedAt": later}
    step(head, "recordLadoConsultation", "RecordLadoConsultationInput", on_case | {"ladoName": "Pat LADO", "advice": "a", "agreedAction": "b", "reference": "LADO-42"})  # fmt: skip
    done = step(head, "recordAllegationAction", "RecordAllegationActionInput", {"allegationId": case, "kind": "DBS_REFERRAL_MADE", "takenAt": later, "decision": "c", "rationale": "d", "reference": "DBS-7"})  # fmt: skip
    head.data("query($p: Position) { allegations(minPosition: $p) { edges { cursor } } }", {"p": done["position"]})  # fmt: skip
    summaries = chronology(head, case)
    assert "LADO consulted, reference LADO-42" in summaries
    assert "Dbs referral made (reference DBS-7)" in summaries


def test_a_reference_an_older_event_carries_in_plain_is_sealed_in_the_view(users, demo, container):
    dsl, head = users("dsl@primary.demo"), users("head@primary.demo")
    case = UUID(receive(dsl, staff_ids(head)["Sam Jones (primary)"])["allegationId"])
    app = container.app
    with acting_as(app.principal_for("head@primary.demo")):
        allegation = app.repository.get(case)
        seal = app.keyring.session()
        # As recorded before the command sealed it: the reference in plain.
        allegation._lado(
            consulted_at=NOW, lado_name=seal.seal(case, "Pat"), reference=OLD_REFERENCE,
            advice=seal.seal(case, "a"), agreed_action=seal.seal(case, "b"),
        )  # fmt: skip
        position = app.record(allegation)
    container.wait_for(["staff_cases"], position, timeout=20)
    assert OLD_REFERENCE not in staff_cases_rows_as_text(container)
    assert f"LADO consulted, reference {OLD_REFERENCE}" in chronology(head, str(case))


def test_a_platform_an_older_event_carries_in_plain_is_sealed_in_the_view(users, demo, container):
    head = users("head@primary.demo")
    staff = UUID(staff_ids(head)["Sam Jones (primary)"])
    app = container.app
    with acting_as(app.principal_for("head@primary.demo")):
        member = app.repository.get(staff)
        declaration = SocialMediaDeclaration(
            id=uuid4(), trust_id=member.trust_id, school_id=member.school_id, staff_id=staff,
            declared_at=NOW, platform=OLD_PLATFORM,
            relationship=app.keyring.session().seal(staff, "Cousin"), pupil_ids=[],
            self_declared=False,
        )  # fmt: skip
        position = app.record(declaration)
    container.wait_for(["staff_cases"], position, timeout=20)
    assert OLD_PLATFORM not in staff_cases_rows_as_text(container)
    seen = head.data(
        "query($id: ID!) { staffMember(id: $id) { concernHistory { socialMedia { platform } } } }",
        {"id": str(staff)},
    )["staffMember"]["concernHistory"]["socialMedia"]
    assert seen == [{"platform": OLD_PLATFORM}]

"""Erasure end to end (issue 19; docs/rules.md §9.9): over GraphQL and the command line, from
`casework seed demo`. A malicious allegation without consent to retention is due at once; the
DPO's dry run lists it and records nothing; the request is carried out only by a second
approver; a held record is refused with a typed error; the erasure entry lists who asked, who
approved, the rule and the exports already sent."""

from __future__ import annotations

import os
import subprocess
from typing import Any
from uuid import UUID

import psycopg
import pytest

from api.erasure_fence import ErasureFence
from tests.api_client import Client, staff_ids
from tests.integration.test_lado_export import CASEWORK, RECIPIENT, export
from tests.integration.test_staff_cases_api import decide, receive

PLAN = (
    "... on ErasurePlanType { dryRun erasureId erasable keysToDestroy position "
    "records { recordType recordId rule source blockers { kind reason } } "
    "exportsSent { exportId allegationId recipient } }"
)
DONE = "... on ErasureCarriedOutType { erasureId keysDestroyed accessLogEntriesPurged position }"
ERASURES = (
    "query($p: Position) { erasures(minPosition: $p) { edges { node { id status reason "
    "requestedBy settledBy keysDestroyed records { recordType recordId rule } "
    "exportsSent { exportId recipient } } } } }"
)


@pytest.fixture
def malicious(users, demo) -> dict[str, Any]:
    """An allegation about a teacher at the primary school, found malicious, with no consent to
    retention: due for erasure at once."""
    dsl, head = users("dsl@primary.demo"), users("head@primary.demo")
    received = receive(dsl, staff_ids(head)["Sam Jones (primary)"])
    assert received["__typename"] == "AllegationReceived", received
    decided = decide(head, received["allegationId"], "MALICIOUS")
    return {"id": received["allegationId"], "head": head, "position": decided["position"]}


def erase(client: Client, trust: str, records: list[str], **more: Any) -> dict[str, Any]:
    return client.mutate(
        "eraseRecords",
        "EraseRecordsInput",
        {"trustId": trust, "recordIds": records, **more},
        PLAN,
    )


def request(client: Client, trust: str, records: list[str]) -> dict[str, Any]:
    requested = erase(client, trust, records, dryRun=False, reason="Malicious, no consent")
    assert requested["__typename"] == "ErasurePlanType", requested
    return requested


def approve(client: Client, erasure_id: str) -> dict[str, Any]:
    return client.mutate("approveErasure", "ApproveErasureInput", {"erasureId": erasure_id}, DONE)


def description(client: Client, allegation_id: str, position: str) -> Any:
    return client.data(
        "query($id: ID!, $p: Position) { allegation(id: $id, minPosition: $p) "
        "{ description { value erased } } }",
        {"id": allegation_id, "p": position},
    )["allegation"]["description"]


def test_a_dry_run_lists_the_record_its_rule_and_keys_and_records_nothing(
    users, demo, malicious, container
):
    before = container.head()
    plan = erase(users("dpo@demo.trust"), demo["trust"], [malicious["id"]])
    assert (plan["dryRun"], plan["erasureId"], plan["erasable"], plan["keysToDestroy"]) == (
        True,
        None,
        True,
        1,
    )
    assert plan["records"] == [
        {
            "recordType": "allegation",
            "recordId": malicious["id"],
            "rule": "allegation_removed",
            "source": plan["records"][0]["source"],
            "blockers": [],
        }
    ]
    assert container.head() == before


def test_the_requester_cannot_carry_out_their_own_erasure(users, demo, malicious):
    dpo = users("dpo@demo.trust")
    requested = request(dpo, demo["trust"], [malicious["id"]])
    refused = approve(dpo, requested["erasureId"])
    assert refused["code"] == "SECOND_APPROVER_REQUIRED", refused
    assert description(malicious["head"], malicious["id"], requested["position"])["erased"] is False


def test_a_second_approver_erases_the_allegation_everywhere_it_is_read(users, demo, malicious):
    requested = request(users("dpo@demo.trust"), demo["trust"], [malicious["id"]])
    tsl = users("tsl@demo.trust")
    done = approve(tsl, requested["erasureId"])
    assert (done["__typename"], done["keysDestroyed"]) == ("ErasureCarriedOutType", 1), done
    assert description(tsl, malicious["id"], done["position"]) == {
        "value": None,
        "erased": True,
    }


def test_the_erasure_entry_names_who_asked_who_approved_and_the_rule(users, demo, malicious):
    requested = request(users("dpo@demo.trust"), demo["trust"], [malicious["id"]])
    done = approve(users("tsl@demo.trust"), requested["erasureId"])
    (entry,) = [
        e["node"]
        for e in users("dpo@demo.trust").data(ERASURES, {"p": done["position"]})["erasures"][
            "edges"
        ]
    ]
    assert entry == {
        "id": requested["erasureId"],
        "status": "CARRIED_OUT",
        "reason": "Malicious, no consent",
        "requestedBy": "dpo@demo.trust",
        "settledBy": "tsl@demo.trust",
        "keysDestroyed": 1,
        "records": [
            {"recordType": "allegation", "recordId": malicious["id"], "rule": "allegation_removed"}
        ],
        "exportsSent": [],
    }


def test_an_export_sent_before_the_erasure_is_listed_with_its_recipient(users, demo, malicious):
    exported = export(malicious["head"], malicious["id"])
    assert exported["__typename"] == "LadoReferralExported", exported
    dpo = users("dpo@demo.trust")
    plan = erase(dpo, demo["trust"], [malicious["id"]])
    assert plan["exportsSent"] == [
        {"exportId": exported["exportId"], "allegationId": malicious["id"], "recipient": RECIPIENT}
    ]
    requested = request(dpo, demo["trust"], [malicious["id"]])
    done = approve(users("tsl@demo.trust"), requested["erasureId"])
    (entry,) = dpo.data(ERASURES, {"p": done["position"]})["erasures"]["edges"]
    assert entry["node"]["exportsSent"] == [
        {"exportId": exported["exportId"], "recipient": RECIPIENT}
    ]


def test_a_held_record_is_refused_with_a_typed_error_and_nothing_is_recorded(
    users, demo, malicious, container
):
    dpo = users("dpo@demo.trust")
    held = dpo.mutate(
        "placeLegalHold",
        "PlaceLegalHoldInput",
        {
            "scope": "RECORD",
            "targetId": malicious["id"],
            "authority": "LITIGATION",
            "reason": "Claim against the trust",
        },
        "... on RetentionChanged { position }",
    )
    before = container.head()
    refused = erase(dpo, demo["trust"], [malicious["id"]], dryRun=False, reason="Due")
    assert refused["code"] == "LEGAL_HOLD", refused
    assert container.head() == before
    plan = erase(dpo, demo["trust"], [malicious["id"]])
    assert [b["kind"] for b in plan["records"][0]["blockers"]] == ["legal_hold"]
    assert held["position"]


def test_a_hold_placed_after_the_request_stops_the_approval(users, demo, malicious):
    dpo = users("dpo@demo.trust")
    requested = request(dpo, demo["trust"], [malicious["id"]])
    dpo.mutate(
        "placeLegalHold",
        "PlaceLegalHoldInput",
        {
            "scope": "PERSON",
            "targetId": staff_ids(malicious["head"])["Sam Jones (primary)"],
            "authority": "POLICE",
            "reason": "Police request",
        },
        "... on RetentionChanged { position }",
    )
    refused = approve(users("tsl@demo.trust"), requested["erasureId"])
    assert refused["code"] == "LEGAL_HOLD", refused
    assert description(malicious["head"], malicious["id"], None)["erased"] is False


def test_an_open_allegation_is_not_erasable(users, demo):
    head = users("head@primary.demo")
    received = receive(users("dsl@primary.demo"), staff_ids(head)["Sam Jones (primary)"])
    refused = erase(
        users("dpo@demo.trust"),
        demo["trust"],
        [received["allegationId"]],
        dryRun=False,
        reason="x",
    )
    assert refused["code"] == "NOT_ERASABLE", refused


def test_anyone_but_a_dpo_is_refused_as_for_an_unknown_record(users, demo, malicious):
    head = users("head@primary.demo")
    refused = erase(head, demo["trust"], [malicious["id"]])
    unknown = erase(head, demo["trust"], [str(UUID(int=7))])
    assert refused["__typename"] == unknown["__typename"] == "NotAuthorisedError"
    assert refused["message"] == unknown["message"]


def test_an_unknown_record_is_not_found(users, demo):
    refused = erase(users("dpo@demo.trust"), demo["trust"], [str(UUID(int=7))])
    assert (refused["__typename"], refused["code"]) == ("NotFoundError", "NOT_FOUND")


def test_the_access_log_rule_purges_only_entries_past_its_period(users, demo, container):
    dpo = users("dpo@demo.trust")
    sealed, ix = container.logins.seal_login("dpo@demo.trust")
    with container.pool.connection() as conn:
        for years in (8, 1):
            conn.execute(
                "INSERT INTO access_log (at, user_id, user_id_ix, action, record_type, "
                "record_id, trust_id, outcome, subject_ids) VALUES (now() - make_interval("
                "years => %s), %s, %s, 'view', 'Pupil', %s, %s, 'read', '{}')",
                (years, sealed, ix, UUID(int=9), demo["trust"]),
            )
        kept = conn.execute(
            "SELECT count(*) AS n FROM access_log WHERE trust_id = %s", (demo["trust"],)
        ).fetchone()["n"]
    schedule = dpo.data(
        "query($t: ID!) { retentionSchedule(trustId: $t) { recordType recordId } }",
        {"t": demo["trust"]},
    )["retentionSchedule"]
    (log,) = [r["recordId"] for r in schedule if r["recordType"] == "ACCESS_LOG"]
    requested = request(dpo, demo["trust"], [log])
    done = approve(users("tsl@demo.trust"), requested["erasureId"])
    assert (done["keysDestroyed"], done["accessLogEntriesPurged"]) == (0, 1), done
    with container.pool.connection() as conn:
        left = conn.execute(
            "SELECT count(*) AS n, min(at) > now() - interval '6 years' AS recent "
            "FROM access_log WHERE trust_id = %s",
            (demo["trust"],),
        ).fetchone()
    assert left["recent"] is True
    assert left["n"] >= kept - 1  # reads logged meanwhile are kept too


def test_the_access_log_refuses_any_other_delete(users, demo, container):
    users("dpo@demo.trust").data(
        "query($t: ID!) { retentionSchedule(trustId: $t) { recordId } }", {"t": demo["trust"]}
    )  # a restricted read: the log has an entry
    with container.pool.connection() as conn, pytest.raises(psycopg.Error):
        conn.execute("DELETE FROM access_log")


def test_the_command_line_dry_runs_requests_and_approves(
    users, demo, malicious, settings, server_database
):
    env = os.environ | {
        "CASEWORK_DATABASE_URL": server_database.conninfo,
        "CASEWORK_DATA_DIR": str(settings.data_dir),
        "CASEWORK_ENVIRONMENT": "test",
    }

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(CASEWORK), "erase", *args], env=env, capture_output=True, text=True, timeout=180
        )

    base = ["--trust", demo["trust"], malicious["id"], "--as", "dpo@demo.trust"]
    dry = run(*base)
    assert dry.returncode == 0, dry.stderr
    assert "allegation_removed" in dry.stdout and "dry run" in dry.stdout
    asked = run(*base, "--execute", "--reason", "Malicious, no consent")
    assert asked.returncode == 0, asked.stderr
    erasure_id = asked.stdout.split("erasure ")[1].split()[0]
    own = run("--approve", erasure_id, "--as", "dpo@demo.trust")
    assert (own.returncode, "SECOND_APPROVER_REQUIRED" in own.stderr) == (1, True)
    done = run("--approve", erasure_id, "--as", "tsl@demo.trust")
    assert done.returncode == 0, done.stderr
    assert "1 data keys destroyed" in done.stdout


def test_the_keys_an_erasure_destroys_are_written_to_the_fence_outside_the_database(
    users, demo, malicious, settings
):
    requested = request(users("dpo@demo.trust"), demo["trust"], [malicious["id"]])
    approve(users("tsl@demo.trust"), requested["erasureId"])
    assert UUID(malicious["id"]) in ErasureFence(settings.erasure_fence_path).subject_ids()


def test_a_refused_erasure_is_written_to_the_access_log(users, demo, malicious):
    erase(users("head@primary.demo"), demo["trust"], [malicious["id"]])
    log = users("dpo@demo.trust").data(
        "query($r: ID) { accessLog(recordId: $r) { edges { node { userId action outcome } } } }",
        {"r": demo["trust"]},
    )["accessLog"]["edges"]
    assert {"userId": "head@primary.demo", "action": "eraseRecords", "outcome": "REFUSED"} in [
        e["node"] for e in log
    ]

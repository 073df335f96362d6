"""Retention over HTTP, from `casework seed demo` (docs/rules.md §9): the DPO configures a rule,
places and lifts a legal hold and reads what is due and what blocks it; anyone else gets the
unknown-record answer, written to the access log."""

from __future__ import annotations

CHANGED = "... on RetentionChanged { id position }"
SCHEDULE = (
    "query($t: ID!, $s: ID, $p: Position) { retentionSchedule(trustId: $t, schoolId: $s, "
    "minPosition: $p) { recordType recordId schoolId rule source dueOn why review "
    "holds { holdId authority reason { value } } blockers { kind until holdId } } }"
)
DUE = (
    "query($t: ID!, $d: Date!, $p: Position) { retentionDue(trustId: $t, asOf: $d, "
    "minPosition: $p) { recordType recordId rule dueOn blockers { kind holdId } } }"
)


def configure(dpo, trust: str, rule: str, value: int) -> dict:
    return dpo.mutate(
        "configureRetention",
        "ConfigureRetentionInput",
        {"trustId": trust, "rule": rule, "value": value, "reason": "Trust policy 2026"},
        CHANGED,
    )


def test_the_dpo_reads_each_pupil_of_a_school_as_a_consent_record_not_yet_due(users, demo):
    rows = users("dpo@demo.trust").data(SCHEDULE, {"t": demo["trust"], "s": demo["primary"]})
    pupils = [r for r in rows["retentionSchedule"] if r["recordType"] == "PUPIL"]
    assert len(pupils) == 4
    assert {(r["rule"], r["dueOn"], r["why"], r["review"]) for r in pupils} == {
        ("CONSENT_RECORD", None, "when the pupil leaves", True)
    }
    assert {b["kind"] for r in pupils for b in r["blockers"]} == {"NOT_DUE"}


def test_a_school_hold_shows_on_each_record_due_with_its_reason(users, demo):
    dpo = users("dpo@demo.trust")
    placed = dpo.mutate(
        "placeLegalHold",
        "PlaceLegalHoldInput",
        {
            "scope": "SCHOOL",
            "targetId": demo["academy"],
            "authority": "INQUIRY",
            "reason": "Inquiry direction",
        },
        CHANGED,
    )
    assert placed["__typename"] == "RetentionChanged", placed
    rows = dpo.data(SCHEDULE, {"t": demo["trust"], "s": demo["academy"], "p": placed["position"]})
    holds = {h["holdId"]: h for r in rows["retentionSchedule"] for h in r["holds"]}
    assert list(holds) == [placed["id"]]
    assert holds[placed["id"]]["reason"] == {"value": "Inquiry direction"}


def test_the_access_log_is_due_once_its_oldest_entry_is_older_than_the_configured_years(
    users, demo
):
    dpo = users("dpo@demo.trust")
    dpo.data(SCHEDULE, {"t": demo["trust"]})  # a read of the schedule is itself logged
    changed = configure(dpo, demo["trust"], "ACCESS_LOG", 1)
    assert changed["__typename"] == "RetentionChanged", changed
    due = dpo.data(DUE, {"t": demo["trust"], "d": "2100-01-01", "p": changed["position"]})
    (log,) = [r for r in due["retentionDue"] if r["recordType"] == "ACCESS_LOG"]
    assert (log["rule"], log["blockers"]) == ("ACCESS_LOG", [])


def test_a_value_the_law_does_not_allow_is_a_validation_error_naming_the_field(users, demo):
    refused = configure(users("dpo@demo.trust"), demo["trust"], "PUPIL_FILE", 18)
    assert (refused["__typename"], refused["field"]) == ("ValidationError", "value")
    assert "at least 25" in refused["message"]


def test_the_configuration_lists_every_configurable_rule_with_its_bounds(users, demo):
    dpo = users("dpo@demo.trust")
    position = configure(dpo, demo["trust"], "LOW_LEVEL_CONCERN", 1)["position"]
    rows = dpo.data(
        "query($t: ID!, $p: Position) { retentionConfiguration(trustId: $t, minPosition: $p) "
        "{ rule value default minimum maximum reason { value } } }",
        {"t": demo["trust"], "p": position},
    )["retentionConfiguration"]
    by_rule = {r["rule"]: r for r in rows}
    assert set(by_rule) == {
        "PUPIL_FILE",
        "CONSENT_RECORD",
        "ALLEGATION",
        "LOW_LEVEL_CONCERN",
        "ACCESS_LOG",
    }
    assert by_rule["ALLEGATION"] | {"reason": None} == {
        "rule": "ALLEGATION",
        "value": 10,
        "default": 10,
        "minimum": 10,
        "maximum": 100,
        "reason": None,
    }
    assert (by_rule["LOW_LEVEL_CONCERN"]["value"], by_rule["LOW_LEVEL_CONCERN"]["reason"]) == (
        1,
        {"value": "Trust policy 2026"},
    )


def test_a_headteacher_gets_the_unknown_record_answer_and_the_attempt_is_logged(users, demo):
    body = users("head@primary.demo").gql(SCHEDULE, {"t": demo["trust"]})
    assert body["data"] is None or body["data"]["retentionSchedule"] is None
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    log = users("dpo@demo.trust").data(
        "query($r: ID) { accessLog(recordId: $r) { edges { node { userId action outcome } } } }",
        {"r": demo["trust"]},
    )["accessLog"]["edges"]
    assert {"userId": "head@primary.demo", "action": "retentionSchedule", "outcome": "REFUSED"} in [
        e["node"] for e in log
    ]


def test_the_trust_safeguarding_lead_places_and_lifts_a_hold_but_reads_no_schedule(users, demo):
    tsl = users("tsl@demo.trust")
    placed = tsl.mutate(
        "placeLegalHold",
        "PlaceLegalHoldInput",
        {"scope": "SCHOOL", "targetId": demo["primary"], "authority": "POLICE", "reason": "Op X"},
        CHANGED,
    )
    lifted = tsl.mutate(
        "liftLegalHold", "LiftLegalHoldInput", {"holdId": placed["id"], "reason": "Done"}, CHANGED
    )
    holds = tsl.data(
        "query($t: ID!, $p: Position) { legalHolds(trustId: $t, minPosition: $p) "
        "{ id active placedBy liftedBy liftReason { value } } }",
        {"t": demo["trust"], "p": lifted["position"]},
    )["legalHolds"]
    assert holds == [
        {
            "id": placed["id"],
            "active": False,
            "placedBy": "tsl@demo.trust",
            "liftedBy": "tsl@demo.trust",
            "liftReason": {"value": "Done"},
        }
    ]
    assert tsl.gql(SCHEDULE, {"t": demo["trust"]})["errors"][0]["extensions"]["code"] == (
        "NOT_FOUND"
    )

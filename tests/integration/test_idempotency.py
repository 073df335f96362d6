"""Idempotency keys over HTTP: a mutation retried with its `Idempotency-Key` is recorded once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import psycopg

from tests.api_client import Client
from tests.integration.test_api import register_pupil_input

REGISTER = (
    "mutation($i: RegisterPupilInput!) { registerPupil(input: $i) { __typename "
    "... on RegisterPupilSuccess { pupilId position } } }"
)


def keyed(client: Client, key: str, query: str, variables: dict):
    return client.http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers=client.headers | {"Idempotency-Key": key},
    )


def registrations(container) -> int:
    with psycopg.connect(container.database.conninfo) as conn:
        row = conn.execute(
            "SELECT count(*) FROM casework_events WHERE topic LIKE '%Pupil.Registered'"
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_a_mutation_repeated_with_its_key_answers_as_the_first_time_and_records_once(
    live, settings, demo, container
):
    lead = Client(live.url, settings, "datalead@primary.demo")
    before = registrations(container)
    variables = {"i": register_pupil_input(demo["primary"])}

    first = keyed(lead, "register-zara-1", REGISTER, variables)
    repeat = keyed(lead, "register-zara-1", REGISTER, variables)

    assert first.status_code == repeat.status_code == 200
    assert first.json()["data"]["registerPupil"]["__typename"] == "RegisterPupilSuccess"
    # the same answer; only the caller's budget (extensions.cost.throttle) has moved on since
    assert without_extensions(repeat.json()) == without_extensions(first.json())
    assert registrations(container) == before + 1


def test_a_key_sent_again_with_another_input_is_refused_and_records_nothing(
    live, settings, demo, container
):
    lead = Client(live.url, settings, "datalead@primary.demo")
    keyed(lead, "register-2", REGISTER, {"i": register_pupil_input(demo["primary"])})
    before = registrations(container)

    other = keyed(
        lead, "register-2", REGISTER, {"i": register_pupil_input(demo["primary"], yearGroup=4)}
    )

    assert other.status_code == 422
    assert other.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert registrations(container) == before


def test_duplicates_sent_at_once_with_one_key_record_once_and_all_get_its_answer(
    live, settings, demo, container
):
    leads = [Client(live.url, settings, "datalead@primary.demo") for _ in range(12)]
    before = registrations(container)
    variables = {"i": register_pupil_input(demo["primary"])}

    with ThreadPoolExecutor(len(leads)) as pool:
        answers = list(pool.map(lambda c: keyed(c, "same-time", REGISTER, variables), leads))

    assert {a.status_code for a in answers} == {200}
    bodies = [without_extensions(a.json()) for a in answers]
    assert bodies[0]["data"]["registerPupil"]["__typename"] == "RegisterPupilSuccess"
    assert all(b == bodies[0] for b in bodies)
    assert registrations(container) == before + 1


def test_the_same_key_from_another_user_is_another_key(live, settings, demo, container):
    lead = Client(live.url, settings, "datalead@primary.demo")
    head = Client(live.url, settings, "head@primary.demo")
    variables = {"i": register_pupil_input(demo["primary"])}
    keyed(lead, "shared-key", REGISTER, variables)
    before = registrations(container)

    theirs = keyed(head, "shared-key", REGISTER, variables)

    assert theirs.status_code == 200
    assert registrations(container) == before + 1


def test_a_key_on_an_operation_with_two_mutations_is_refused(live, settings, demo, container):
    lead = Client(live.url, settings, "datalead@primary.demo")
    before = registrations(container)
    two = (
        "mutation($i: RegisterPupilInput!) { a: registerPupil(input: $i) { __typename } "
        "b: registerPupil(input: $i) { __typename } }"
    )

    answer = keyed(lead, "two-at-once", two, {"i": register_pupil_input(demo["primary"])})

    assert answer.status_code == 400
    assert answer.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_NOT_ALLOWED"
    assert registrations(container) == before


def test_a_refused_mutation_binds_no_key(live, settings, demo, container):
    lead = Client(live.url, settings, "datalead@primary.demo")
    refused = keyed(
        lead,
        "fix-and-retry",
        REGISTER,
        {"i": register_pupil_input(demo["primary"], dateOfBirth="2099-01-01")},
    )
    before = registrations(container)

    corrected = keyed(lead, "fix-and-retry", REGISTER, {"i": register_pupil_input(demo["primary"])})

    assert refused.json()["data"]["registerPupil"]["__typename"] == "ValidationError"
    assert corrected.json()["data"]["registerPupil"]["__typename"] == "RegisterPupilSuccess"
    assert registrations(container) == before + 1


def test_a_key_recorded_over_a_day_ago_has_expired_and_may_be_used_again(
    live, settings, demo, container
):
    lead = Client(live.url, settings, "datalead@primary.demo")
    keyed(lead, "yesterday", REGISTER, {"i": register_pupil_input(demo["primary"])})
    with psycopg.connect(container.database.conninfo) as conn:
        conn.execute("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'")
    before = registrations(container)

    again = keyed(
        lead, "yesterday", REGISTER, {"i": register_pupil_input(demo["primary"], yearGroup=5)}
    )

    assert again.json()["data"]["registerPupil"]["__typename"] == "RegisterPupilSuccess"
    assert registrations(container) == before + 1


def without_extensions(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "extensions"}

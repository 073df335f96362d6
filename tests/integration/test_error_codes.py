"""Every error has a code: a walk over every query and mutation of the schema with malformed
arguments finds no "Unexpected error.", no 5xx and no error without a code, so a new field
cannot bypass the one place that turns refusals into coded errors."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
)

from tests.api_client import Client

UNKNOWN = "00000000-0000-4000-8000-000000000000"

# Each variant is a way an argument can be wrong: its value for each kind of input.
VARIANTS: dict[str, dict[str, Any]] = {
    "malformed": {
        "ID": "not-an-id",
        "Int": -1,
        "String": "",
        "Boolean": True,
        "Date": "0001-01-01",
        "DateTime": "0001-01-01T00:00:00Z",
        "Position": "-1",
        "cursor": "garbage!!",
    },
    "earliest": {
        "ID": "school",
        "Int": 0,
        "String": "x",
        "Boolean": False,
        "Date": "0001-01-01",
        "DateTime": "0001-01-01T00:00:00+14:00",
        "Position": "0",
        "cursor": "c2VxOi0x",
    },
    "latest": {
        "ID": "school",
        "Int": 10**9,
        "String": "x" * 10_000,
        "Boolean": True,
        "Date": "9999-12-31",
        "DateTime": "9999-12-31T23:59:59-14:00",
        "Position": str(10**30),
        "cursor": "c2VxOjk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5",
    },
    "out of type": {
        "ID": 12,
        "Int": 2**40,
        "String": ["x"],
        "Boolean": "yes",
        "Date": "soon",
        "DateTime": "2026-13-45T99:00:00Z",
        "Position": "ten",
        "cursor": 7,
        "enum": "NOT_A_VALUE",
    },
}


@pytest.fixture
def settings(test_data_dir):
    """A short read-your-writes wait: positions far ahead are among the arguments walked."""
    from api.settings import Environment, Settings

    return Settings(
        environment=Environment.TEST, data_dir=test_data_dir, read_your_writes_timeout_seconds=0.05
    )


USERS = ("dsl@primary.demo", "head@primary.demo", "tsl@demo.trust", "dpo@demo.trust")


def graphql_schema() -> GraphQLSchema:
    from api.graphql.schema import build_schema
    from api.settings import Settings

    return build_schema(Settings(environment="test"))._schema


def bad_value(name: str, type_: GraphQLInputType, variant: dict[str, Any], ids: dict) -> Any:
    if isinstance(type_, GraphQLNonNull):
        return bad_value(name, type_.of_type, variant, ids)
    if isinstance(type_, GraphQLList):
        return [bad_value(name, type_.of_type, variant, ids)]
    if isinstance(type_, GraphQLInputObjectType):
        return {f: bad_value(f, field.type, variant, ids) for f, field in type_.fields.items()}
    if isinstance(type_, GraphQLEnumType):
        return variant.get("enum", next(iter(type_.values)))
    assert isinstance(type_, GraphQLScalarType)
    if name in ("after", "before"):
        return variant["cursor"]
    value = variant.get(type_.name, variant["String"])
    if value == "school":  # a real record where the name says which, else an unknown one
        return (
            ids["trust"]
            if name == "trustId"
            else ids["school"]
            if "school" in name.lower()
            else UNKNOWN
        )
    return value


def operations(ids: dict) -> list[tuple[str, str, dict[str, Any]]]:
    schema = graphql_schema()
    found = []
    for kind, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        for field_name, field in root.fields.items():
            for variant_name, variant in VARIANTS.items():
                if not field.args:
                    if variant_name == "malformed":
                        found.append(
                            (field_name, f"{kind} {{ {field_name} {{ __typename }} }}", {})
                        )
                    continue
                declared = ", ".join(f"${a}: {arg.type}" for a, arg in field.args.items())
                passed = ", ".join(f"{a}: ${a}" for a in field.args)
                variables = {
                    a: bad_value(a, arg.type, variant, ids) for a, arg in field.args.items()
                }
                selection = "" if isinstance(field.type, GraphQLScalarType) else " { __typename }"
                query = f"{kind}({declared}) {{ {field_name}({passed}){selection} }}"
                found.append((f"{field_name} ({variant_name})", query, variables))
    return found


def test_no_field_answers_an_unexpected_error_to_malformed_arguments(live, settings, demo):
    ids = {"trust": demo["trust"], "school": demo["primary"]}
    unexpected = []
    for user in USERS:
        client = Client(live.url, settings, user)
        for name, query, variables in operations(ids):
            response = client.post(query, variables)
            text = response.text
            uncoded = [
                e
                for e in response.json().get("errors", [])
                if "code" not in e.get("extensions", {})
            ]
            if response.status_code >= 500 or "Unexpected error" in text or uncoded:
                unexpected.append(f"{user} {name}: {response.status_code} {text[:300]}")
    assert unexpected == [], "\n".join(unexpected)


def codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body["errors"]]


def test_a_page_size_of_zero_in_the_access_log_is_a_validation_error(live, settings, demo):
    body = Client(live.url, settings, "dpo@demo.trust").gql(
        "{ accessLog(first: 0) { edges { cursor } } }"
    )
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]] == [
        ("VALIDATION_ERROR", "first")
    ]


def test_the_categories_of_a_school_out_of_reach_are_not_found(live, settings, demo):
    body = Client(live.url, settings, "dsl@primary.demo").gql(
        "query($s: ID!) { incidentCategories(schoolId: $s) { code } }", {"s": demo["academy"]}
    )
    assert codes(body) == ["NOT_FOUND"]


def test_an_instant_before_the_supported_range_is_refused_naming_the_field(
    live, settings, demo, container
):
    before = container.head()
    response = Client(live.url, settings, "dsl@primary.demo").post(
        "mutation($i: ReportIncidentInput!) { reportIncident(input: $i) { __typename } }",
        {
            "i": {
                "schoolId": demo["primary"],
                "occurredAt": "0001-01-01T00:00:00Z",
                "reportedAt": "2026-11-21T08:40:00Z",
                "category": "cyberbullying",
                "description": "Messages",
                "people": [],
            }
        },
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert ".occurredAt" in error["message"] and "1900 to 2199" in error["message"]
    assert container.head() == before


def test_a_date_after_the_supported_range_is_refused(live, settings, demo):
    response = Client(live.url, settings, "datalead@primary.demo").post(
        "mutation($i: RecordPupilLeftInput!) { recordPupilLeft(input: $i) { __typename } }",
        {"i": {"pupilId": UNKNOWN, "leftOn": "9999-12-31", "expectedVersion": 1}},
    )
    assert response.status_code == 400
    assert codes(response.json()) == ["BAD_REQUEST"]


def post_raw(live, settings, content: bytes):
    client = Client(live.url, settings, "dsl@primary.demo")
    return client.http.post(
        "/graphql", content=content, headers=client.headers | {"content-type": "application/json"}
    )


def test_a_body_of_deeply_nested_brackets_is_a_bad_request(live, settings, demo):
    response = post_raw(live, settings, b"[" * 100_000 + b"]" * 100_000)
    assert response.status_code == 400
    assert codes(response.json()) == ["BAD_REQUEST"]


@pytest.mark.parametrize(
    "payload",
    [
        {"query": "query A { me { userId } }", "operationName": "B"},
        {"query": "subscription($s: ID!) { incidentReported(schoolId: $s) { incidentId } }"},
        {"query": ""},
    ],
    ids=["unknown operation name", "subscription", "empty query"],
)
def test_a_request_the_schema_cannot_run_is_a_bad_request(live, settings, demo, payload):
    response = post_raw(live, settings, json.dumps(payload).encode())
    assert response.status_code == 400
    assert codes(response.json()) == ["BAD_REQUEST"]


def test_every_server_error_is_counted_and_names_its_request(live, settings, demo, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("internal detail")

    monkeypatch.setattr(live.container.verifier, "verify_async", broken)
    response = Client(live.url, settings, "dsl@primary.demo").post("{ me { userId } }")
    assert response.status_code == 500
    assert response.json()["errors"][0]["extensions"] == {
        "code": "INTERNAL",
        "requestId": response.headers["x-request-id"],
    }
    metrics = httpx.get(f"{live.url}/metrics").text
    assert 'casework_http_responses_total{status="500"} 1.0' in metrics

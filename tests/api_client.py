"""A small GraphQL-over-HTTP client for the end-to-end tests."""

from __future__ import annotations

import time
from typing import Any
from uuid import uuid4

import httpx

from api.auth import issue_dev_token
from api.settings import Settings


class Client:
    def __init__(self, base_url: str, settings: Settings, user_id: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.user_id = user_id
        self.headers = {"authorization": f"Bearer {issue_dev_token(settings, user_id)}"}

    def post(self, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
        return self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=self.headers
        )

    def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.post(query, variables)
        assert response.status_code == 200, response.text
        return response.json()

    def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = self.gql(query, variables)
        assert "errors" not in body, body
        return body["data"]

    def mutate(
        self, field: str, input_type: str, input: dict[str, Any], select: str = ""
    ) -> dict[str, Any]:
        query = (
            f"mutation($i: {input_type}!) {{ {field}(input: $i) {{ __typename "
            f"... on Error {{ message code }} ... on ValidationError {{ field }} {select} }} }}"
        )
        return self.data(query, {"i": input})[field]


def new_pupil(
    lead: Client, school: str, parental_responsibility: bool = True
) -> tuple[str, str, str]:
    """Through GraphQL, a data lead registers a pupil and links a mother, Robin Parent: the
    pupil's id, the parent's id and the position the link was recorded at."""
    pupil = lead.mutate(
        "registerPupil",
        "RegisterPupilInput",
        {
            "schoolId": school,
            "fullName": f"Pupil {uuid4().hex[:6]}",
            "dateOfBirth": "2013-05-01",
            "yearGroup": 8,
        },
        "... on RegisterPupilSuccess { pupilId }",
    )["pupilId"]
    linked = lead.mutate(
        "linkParent",
        "LinkParentInput",
        {
            "pupilId": pupil,
            "relationship": "mother",
            "parentalResponsibility": parental_responsibility,
            "fullName": "Robin Parent",
        },
        "... on LinkParentSuccess { parentId position }",
    )
    return pupil, linked["parentId"], linked["position"]


def requests_waiting_for_views(base_url: str, expected: int, within: float) -> float:
    """How many requests the service says (its /metrics) are waiting for the views, once that
    is ``expected`` or ``within`` seconds have passed."""
    give_up = time.monotonic() + within
    while True:
        waiting = 0.0
        for line in httpx.get(base_url + "/metrics", timeout=10).text.splitlines():
            if line.startswith("casework_graphql_requests_waiting_for_views "):
                waiting = float(line.split()[1])
        if waiting >= expected or time.monotonic() > give_up:
            return waiting
        time.sleep(0.02)


def staff_ids(client: Client) -> dict[str, str]:
    """The school's staff records visible to ``client``, by full name."""
    edges = client.data("{ staffMembers(first: 50) { edges { node { id fullName { value } } } } }")[
        "staffMembers"
    ]["edges"]
    return {e["node"]["fullName"]["value"]: e["node"]["id"] for e in edges}

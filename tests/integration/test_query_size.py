"""The node limit: an operation that may return more records than the limit (each connection's
`first` times its parents', GitHub-style) is refused with 400 before anything is read."""

from __future__ import annotations

from tests.api_client import Client

PAGE = "pupils(first: {first}) {{ edges {{ node {{ id fullName {{ value }} }} }} }}"


def aliased_pages(count: int, first: str) -> str:
    return "{ " + " ".join(f"a{i}: " + PAGE.format(first=first) for i in range(count)) + " }"


def access_log_rows(container) -> int:
    with container.pool.connection() as conn:
        return conn.execute("SELECT count(*) AS n FROM access_log").fetchone()["n"]


def test_twenty_pages_of_a_hundred_pupils_are_refused_before_any_read_is_logged(
    live, settings, demo, container
):
    dsl = Client(live.url, settings, "dsl@primary.demo")
    logged = access_log_rows(container)

    response = dsl.post(aliased_pages(20, "100"))

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_LARGE"
    assert error["extensions"]["nodes"] == 2_000
    assert access_log_rows(container) == logged


def test_the_node_limit_counts_page_sizes_given_in_variables(live, settings, demo):
    dsl = Client(live.url, settings, "dsl@primary.demo")
    query = "query($n: Int!) " + aliased_pages(11, "$n")

    assert dsl.post(query, {"n": 100}).status_code == 400
    answered = dsl.post(query, {"n": 10})
    assert answered.status_code == 200
    assert "errors" not in answered.json()


def test_pages_selected_through_a_fragment_count_towards_the_limit(live, settings, demo):
    dsl = Client(live.url, settings, "dsl@primary.demo")
    query = "{ ...Pages } fragment Pages on Query " + aliased_pages(11, "100")

    response = dsl.post(query)

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_LARGE"

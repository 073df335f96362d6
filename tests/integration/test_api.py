"""End to end over HTTP, from `casework seed demo`: the service as integrators use it."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.api_client import Client

PUPILS = (
    "query($s: ID, $p: Position) { pupils(schoolId: $s, minPosition: $p) { edges { node { id "
    "fullName { value erased } yearGroup } } } }"
)


def client(live, settings, user: str) -> Client:
    return Client(live.url, settings, user)


def register_pupil_input(school: str, **overrides) -> dict:
    return {
        "schoolId": school,
        "fullName": "Zara Ahmed",
        "dateOfBirth": "2016-02-03",
        "yearGroup": 3,
    } | overrides


def test_a_dsl_lists_the_pupils_of_their_school_by_name(live, settings, demo):
    dsl = client(live, settings, "dsl@primary.demo")
    edges = dsl.data(PUPILS)["pupils"]["edges"]
    names = {e["node"]["fullName"]["value"] for e in edges}
    assert names == {"Amira Khan", "Oliver Smith", "Grace Okafor", "Leo Nowak"}


def test_a_registered_pupil_is_readable_at_the_returned_position(live, settings, demo):
    lead = client(live, settings, "datalead@primary.demo")
    result = lead.mutate(
        "registerPupil",
        "RegisterPupilInput",
        register_pupil_input(demo["primary"]),
        "... on RegisterPupilSuccess { pupilId position }",
    )
    assert result["__typename"] == "RegisterPupilSuccess"
    pupil = lead.data(
        "query($id: ID!, $p: Position) { pupil(id: $id, minPosition: $p) { fullName { value } "
        "dateOfBirth { value } } }",
        {"id": result["pupilId"], "p": result["position"]},
    )["pupil"]
    assert pupil == {"fullName": {"value": "Zara Ahmed"}, "dateOfBirth": {"value": "2016-02-03"}}


def test_reading_a_pupil_is_written_to_the_access_log_for_the_dpo(live, settings, demo):
    dsl = client(live, settings, "dsl@primary.demo")
    pupil_id = dsl.data(PUPILS)["pupils"]["edges"][0]["node"]["id"]
    dsl.data("query($id: ID!) { pupil(id: $id) { id } }", {"id": pupil_id})

    dpo = client(live, settings, "dpo@demo.trust")
    entries = dpo.data(
        "query($r: ID) { accessLog(recordId: $r) { edges { node { userId action recordType } } } }",
        {"r": pupil_id},
    )["accessLog"]["edges"]
    assert {"userId": "dsl@primary.demo", "action": "view", "recordType": "pupil"} in [
        e["node"] for e in entries
    ]


def test_the_access_log_is_for_the_dpo_only(live, settings, demo):
    head = client(live, settings, "head@primary.demo")
    edges = head.data("{ accessLog { edges { node { id } } } }")["accessLog"]["edges"]
    assert edges == []


def test_a_staff_reporter_sees_no_pupils(live, settings, demo):
    teacher = client(live, settings, "teacher@primary.demo")
    assert teacher.data("{ pupils { edges { node { id } } } }")["pupils"]["edges"] == []


def test_a_headteacher_does_not_see_their_own_staff_record(live, settings, demo):
    head = client(live, settings, "head@primary.demo")
    edges = head.data("{ staffMembers { edges { node { userId } } } }")["staffMembers"]["edges"]
    assert edges and "head@primary.demo" not in {e["node"]["userId"] for e in edges}


def test_me_lists_the_roles_held(live, settings, demo):
    tsl = client(live, settings, "tsl@demo.trust")
    me = tsl.data("{ me { userId roles { role trustId schoolId } } }")["me"]
    assert me == {
        "userId": "tsl@demo.trust",
        "roles": [{"role": "TRUST_SAFEGUARDING_LEAD", "trustId": demo["trust"], "schoolId": None}],
    }


def test_an_invalid_date_of_birth_is_a_validation_error_naming_the_field(
    live, settings, demo, container
):
    lead = client(live, settings, "datalead@primary.demo")
    before = container.head()
    result = lead.mutate(
        "registerPupil",
        "RegisterPupilInput",
        register_pupil_input(demo["primary"], dateOfBirth="2099-01-01"),
    )
    assert (result["__typename"], result["field"]) == ("ValidationError", "dateOfBirth")
    assert container.head() == before


def test_an_unknown_school_is_not_found(live, settings, demo):
    lead = client(live, settings, "datalead@primary.demo")
    result = lead.mutate(
        "registerPupil",
        "RegisterPupilInput",
        register_pupil_input("00000000-0000-4000-8000-000000000000"),
    )
    assert result["__typename"] == "NotFoundError"


def test_a_malformed_id_is_a_validation_error(live, settings, demo):
    lead = client(live, settings, "datalead@primary.demo")
    result = lead.mutate("registerPupil", "RegisterPupilInput", register_pupil_input("not-an-id"))
    assert (result["__typename"], result["field"]) == ("ValidationError", "schoolId")


def test_a_stale_expected_version_is_a_version_conflict(live, settings, demo):
    lead = client(live, settings, "datalead@primary.demo")
    pupil_id = lead.data(PUPILS)["pupils"]["edges"][0]["node"]["id"]
    result = lead.mutate(
        "recordPupilLeft",
        "RecordPupilLeftInput",
        {"pupilId": pupil_id, "leftOn": "2025-07-18", "expectedVersion": 5},
        "... on VersionConflictError { expectedVersion actualVersion }",
    )
    assert (result["__typename"], result["expectedVersion"], result["actualVersion"]) == (
        "VersionConflictError",
        5,
        1,
    )


def test_a_pupil_who_left_drops_out_of_the_current_list(live, settings, demo):
    lead = client(live, settings, "datalead@primary.demo")
    pupil_id = lead.data(PUPILS)["pupils"]["edges"][0]["node"]["id"]
    result = lead.mutate(
        "recordPupilLeft",
        "RecordPupilLeftInput",
        {"pupilId": pupil_id, "leftOn": "2025-07-18"},
        "... on RecordPupilLeftSuccess { position }",
    )
    ids = [e["node"]["id"] for e in lead.data(PUPILS, {"p": result["position"]})["pupils"]["edges"]]
    assert pupil_id not in ids


def test_a_headteacher_grants_a_role_and_the_grant_is_on_the_record(live, settings, demo):
    head = client(live, settings, "head@primary.demo")
    result = head.mutate(
        "grantRole",
        "RoleGrantInput",
        {
            "userId": "deputy@primary.demo",
            "role": "DEPUTY_DSL",
            "trustId": demo["trust"],
            "schoolId": demo["primary"],
        },
        "... on GrantRoleSuccess { position }",
    )
    grants = head.data(
        "query($p: Position) { roleGrants(minPosition: $p, first: 100) { edges { node { userId "
        "role grantedBy } } } }",
        {"p": result["position"]},
    )["roleGrants"]["edges"]
    assert {
        "userId": "deputy@primary.demo",
        "role": "DEPUTY_DSL",
        "grantedBy": "head@primary.demo",
    } in [g["node"] for g in grants]


def test_keyset_pagination_walks_every_pupil_once(live, settings, demo):
    dsl = client(live, settings, "dsl@primary.demo")
    seen, after = [], None
    while True:
        page = dsl.data(
            "query($a: String) { pupils(first: 3, after: $a) { edges { node { id } } pageInfo { "
            "hasNextPage endCursor } } }",
            {"a": after},
        )["pupils"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 4


def test_a_page_size_over_the_limit_is_refused(live, settings, demo):
    dsl = client(live, settings, "dsl@primary.demo")
    body = dsl.gql("{ pupils(first: 1000) { edges { node { id } } } }")
    assert body["errors"][0]["extensions"]["field"] == "first"


def test_a_destroyed_data_key_reads_as_erased(live, settings, demo, container):
    dsl = client(live, settings, "dsl@primary.demo")
    pupil_id = dsl.data(PUPILS)["pupils"]["edges"][0]["node"]["id"]
    from uuid import UUID

    container.keyring.destroy(UUID(pupil_id))
    pupil = dsl.data(
        "query($id: ID!) { pupil(id: $id) { fullName { value erased } } }", {"id": pupil_id}
    )["pupil"]
    assert pupil["fullName"] == {"value": None, "erased": True}


# --- bad requests are the client's errors, never 5xx -----------------------------------------


def raw(live, settings, content: bytes) -> httpx.Response:
    c = client(live, settings, "dsl@primary.demo")
    return c.http.post(
        "/graphql", content=content, headers=c.headers | {"content-type": "application/json"}
    )


def test_malformed_json_is_400(live, settings, demo):
    assert raw(live, settings, b"{not json").status_code == 400


def test_a_body_without_a_query_is_400(live, settings, demo):
    assert raw(live, settings, b'{"variables": {}}').status_code == 400


def test_an_oversized_request_is_413(live, settings, demo):
    padding = "x" * (settings.max_request_bytes + 10)
    assert (
        raw(
            live, settings, json.dumps({"query": "{ me { userId } }", "pad": padding}).encode()
        ).status_code
        == 413
    )


def test_an_over_deep_query_is_400(live, settings, demo):
    deep = "{ me " + "{ roles " * 12 + "{ role }" + " }" * 12 + " }"
    assert client(live, settings, "dsl@primary.demo").post(deep).status_code == 400


def test_too_many_aliases_is_400(live, settings, demo):
    query = (
        "{ "
        + " ".join(f"a{i}: me {{ userId }}" for i in range(settings.max_query_aliases + 5))
        + " }"
    )
    assert client(live, settings, "dsl@primary.demo").post(query).status_code == 400


def test_a_request_without_a_token_is_401(live, settings, demo):
    response = httpx.post(f"{live.url}/graphql", json={"query": "{ me { userId } }"})
    assert response.status_code == 401


def test_a_token_signed_by_another_key_is_401(live, settings, demo, tmp_path):
    from api.auth import issue_dev_token
    from api.settings import Settings

    forged = issue_dev_token(Settings(environment="test", data_dir=tmp_path), "tsl@demo.trust")
    response = httpx.post(
        f"{live.url}/graphql",
        json={"query": "{ me { userId } }"},
        headers={"authorization": f"Bearer {forged}"},
    )
    assert response.status_code == 401


def test_an_unexpected_error_is_masked_and_logged(live, settings, demo, monkeypatch, caplog):
    from projections.directory import queries

    def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(queries, "pupils", broken)
    body = client(live, settings, "dsl@primary.demo").gql("{ pupils { edges { node { id } } } }")
    assert body["errors"][0]["message"] == "Unexpected error."
    assert "secret internal detail" not in json.dumps(body)
    assert "secret internal detail" in caplog.text


def test_health_readiness_and_metrics(live, settings, demo):
    assert httpx.get(f"{live.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{live.url}/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    metrics = httpx.get(f"{live.url}/metrics").text
    assert 'casework_view_lag_events{view="directory"}' in metrics


def test_a_running_service_sets_what_start_up_made_aside_from_the_garbage_collector(container):
    import gc

    from tests.conftest import LiveServer

    frozen_before = gc.get_freeze_count()
    with LiveServer(container):
        assert gc.get_freeze_count() > frozen_before
    assert gc.get_freeze_count() == 0  # given back when it stops


# --- the body is read only for a known user, and no further than its limit --------------------

BOUNDARY = "casework-test-boundary"


def _multipart_start() -> bytes:
    return (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="operations"\r\n\r\n'
        '{"query": "mutation { __typename }"}\r\n'
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="map"\r\n\r\n{}\r\n'
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="0"; filename="big.bin"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()


def send_chunked_upload(live, headers: dict[str, str], total: int) -> tuple[bytes, int]:
    """Send a chunked multipart upload of ``total`` file bytes with no Content-Length, watching
    for the answer after every chunk: the answer's first line and how many bytes had been sent
    when it came (or when the server stopped taking them)."""
    import select
    import socket

    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    chunk = b"x" * 65_536
    with socket.create_connection(("127.0.0.1", live.port), timeout=30) as sock:
        sock.sendall(
            (
                f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}"
                f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
                "Transfer-Encoding: chunked\r\n\r\n"
            ).encode()
        )
        sent = 0
        pieces = [_multipart_start()] + [chunk] * (total // len(chunk))
        try:
            for piece in pieces:
                if select.select([sock], [], [], 0)[0]:
                    break
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
                sent += len(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass
        ready, _, _ = select.select([sock], [], [], 20)
        answer = sock.recv(4096) if ready else b""
    return answer.split(b"\r\n", 1)[0], sent


def test_an_upload_without_a_token_is_answered_401_before_its_body_is_read(live, settings):
    status, sent = send_chunked_upload(live, {}, total=60 * 1024 * 1024)
    assert status == b"HTTP/1.1 401 Unauthorized"
    assert sent < settings.max_upload_bytes


def test_a_chunked_upload_past_the_limit_is_answered_413_once_the_limit_is_reached(
    live, settings, demo
):
    c = client(live, settings, "dsl@primary.demo")
    status, sent = send_chunked_upload(live, c.headers, total=60 * 1024 * 1024)
    assert status == b"HTTP/1.1 413 Request Entity Too Large"
    assert sent < 2 * settings.max_upload_bytes


def post_me(c, content_type: str):
    """Send the ``me`` query as JSON text, declared as ``content_type``."""
    return c.http.post(
        "/graphql",
        content=json.dumps({"query": "{ me { userId } }"}),
        headers=c.headers | {"content-type": content_type},
    )


def test_a_body_that_is_neither_json_nor_multipart_is_refused_with_415(live, settings, demo):
    response = post_me(client(live, settings, "dsl@primary.demo"), "text/plain")
    assert response.status_code == 415
    assert response.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_a_json_body_may_name_its_charset(live, settings, demo):
    response = post_me(
        client(live, settings, "dsl@primary.demo"), "application/json; charset=utf-8"
    )
    assert response.status_code == 200


# --- tokens ----------------------------------------------------------------------------------


def signed(settings, **claims) -> dict[str, str]:
    """An Authorization header for a token with exactly ``claims`` (None drops a claim),
    signed with the key the service trusts."""
    import time

    import jwt

    from api.auth import DEV_KEY_ID, dev_signing_key

    now = int(time.time())
    base = {
        "sub": "dsl@primary.demo",
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + 3600,
    }
    payload = {k: v for k, v in (base | claims).items() if v is not None}
    token = jwt.encode(
        payload, dev_signing_key(settings), algorithm="EdDSA", headers={"kid": DEV_KEY_ID}
    )
    return {"authorization": f"Bearer {token}"}


def me_with(live, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{live.url}/graphql", json={"query": "{ me { userId } }"}, headers=headers)


def test_a_token_expiring_a_century_from_now_is_refused(live, settings, demo):
    import time

    century = int(time.time()) + 100 * 365 * 24 * 3600
    response = me_with(live, signed(settings, exp=century))
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_token_within_the_maximum_lifetime_is_accepted(live, settings, demo):
    import time

    response = me_with(
        live, signed(settings, exp=int(time.time()) + settings.jwt_max_lifetime_seconds - 60)
    )
    assert response.status_code == 200


def test_a_token_without_an_expiry_is_refused(live, settings, demo):
    assert me_with(live, signed(settings, exp=None)).status_code == 401


@pytest.mark.parametrize("subject", ["", "   "])
def test_a_token_with_an_empty_subject_is_refused(live, settings, demo, subject):
    assert me_with(live, signed(settings, sub=subject)).status_code == 401


def test_a_refused_token_is_answered_with_a_fixed_message_not_the_librarys(live, settings, demo):
    import time

    expired = signed(settings, exp=int(time.time()) - 3600)
    message = me_with(live, expired).json()["errors"][0]["message"]
    assert message == "the token is invalid or has expired"


# --- metrics ---------------------------------------------------------------------------------

METRICS_TOKEN = "metrics-" + "s" * 32


@pytest.fixture
def metered(server_database, test_data_dir):
    """The service configured with a metrics token."""
    from api.settings import Environment, Settings
    from api.wiring import build
    from tests.conftest import LiveServer

    settings = Settings(
        environment=Environment.TEST, data_dir=test_data_dir, metrics_token=METRICS_TOKEN
    )
    container = build(settings, database=server_database, apply_migrations=False)
    try:
        with LiveServer(container) as server:
            yield server
    finally:
        container.close()


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {METRICS_TOKEN}"])
def test_metrics_are_refused_without_the_metrics_token(metered, authorization):
    headers = {"authorization": authorization} if authorization else {}
    response = httpx.get(f"{metered.url}/metrics", headers=headers)
    assert response.status_code == 401
    assert "casework_" not in response.text


def test_metrics_are_read_with_the_metrics_token(metered):
    response = httpx.get(
        f"{metered.url}/metrics", headers={"authorization": f"Bearer {METRICS_TOKEN}"}
    )
    assert response.status_code == 200
    assert "casework_event_store_head" in response.text

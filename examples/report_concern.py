"""An integrator's first screens, against `casework seed demo` and `casework serve`:

1. the DSL registers a webhook endpoint for their school (this script receives on it);
2. a teacher reports an online-safety concern, picking the pupil by name;
3. the webhook arrives, signed: the script checks the Standard Webhooks signature;
4. the DSL reads the incident's chronology, waiting for the position the report returned.

Only Python's standard library. Tokens come from `casework seed demo` (or `casework token issue`):

    python examples/report_concern.py --url http://127.0.0.1:8000 \\
        --teacher-token "$TEACHER_TOKEN" --dsl-token "$DSL_TOKEN" --pupil amira

It exits 0 once every step worked, printing each; 1 naming the step that failed.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.server
import json
import queue
import sys
import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

ERRORS = "... on Error { message code }"


class Failed(Exception):
    pass


def graphql(url: str, token: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    if not url.startswith(("http://", "https://")):
        raise Failed(f"--url must be http(s): {url!r}")
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        url + "/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            body = json.load(response)
    except urllib.error.HTTPError as refused:  # a malformed query, a bad token: the body says
        body = json.load(refused)
    if body.get("errors"):
        raise Failed(body["errors"][0]["message"])
    return body["data"]


def verify_signature(secret: str, headers: Any, body: bytes) -> bool:
    """Standard Webhooks: HMAC-SHA256 of "id.timestamp.body" with the base64 secret after
    `whsec_`, sent as `v1,<base64>` (several may be sent, space-separated)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    given = [s.split(",", 1)[1] for s in headers["webhook-signature"].split() if "," in s]
    return any(hmac.compare_digest(expected, g) for g in given)


def receiver() -> tuple[http.server.HTTPServer, queue.Queue[tuple[Any, bytes]]]:
    """A webhook receiver on a free local port: each delivery is queued, answered 204."""
    received: queue.Queue[tuple[Any, bytes]] = queue.Queue()

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            received.put((self.headers, body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received


def run(url: str, teacher: str, dsl: str, search: str) -> None:
    me = graphql(url, teacher, "{ me { userId roles { role trustId schoolId } } }", {})["me"]
    school = next(r for r in me["roles"] if r["schoolId"])
    print(f"signed in as {me['userId']} at school {school['schoolId']}")

    server, received = receiver()
    hook = f"http://127.0.0.1:{server.server_address[1]}/hook"
    registered = graphql(
        url,
        dsl,
        "mutation($i: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $i) { "
        f"__typename ... on WebhookEndpointRegistered {{ endpointId secret }} {ERRORS} }} }}",
        {
            "i": {
                "trustId": school["trustId"],
                "schoolId": school["schoolId"],
                "url": hook,
                "kinds": ["INCIDENT_REPORTED"],
            }
        },
    )["registerWebhookEndpoint"]
    if "secret" not in registered:
        raise Failed(f"registering the webhook: {registered}")
    print(f"1. the DSL registered webhook endpoint {registered['endpointId']}")

    picked = graphql(
        url,
        teacher,
        "query($s: ID!, $q: String!) { pupilPicker(schoolId: $s, search: $q) "
        "{ id displayName yearGroup } }",
        {"s": school["schoolId"], "q": search},
    )["pupilPicker"]
    if not picked:
        raise Failed(f"no pupil on roll matches {search!r}")
    pupil = picked[0]
    print(f"2. picked {pupil['displayName']} (year {pupil['yearGroup']})")

    category = graphql(
        url,
        teacher,
        "query($s: ID!) { incidentCategories(schoolId: $s) { code } }",
        {"s": school["schoolId"]},
    )["incidentCategories"][0]["code"]
    now = datetime.now(UTC).replace(microsecond=0)
    reported = graphql(
        url,
        teacher,
        "mutation($i: ReportIncidentInput!) { reportIncident(input: $i) { __typename "
        f"... on IncidentChanged {{ incidentId }} {ERRORS} }} }}",
        {
            "i": {
                "schoolId": school["schoolId"],
                "occurredAt": (now - timedelta(hours=12)).isoformat(),
                "reportedAt": now.isoformat(),
                "category": category,
                "description": "Unkind messages in a class group chat",
                "source": "PUPIL_DISCLOSURE",
                "people": [{"personId": pupil["id"], "part": "PUPIL_HARMED"}],
            }
        },
    )["reportIncident"]
    if "incidentId" not in reported:
        raise Failed(f"reporting the concern: {reported}")
    print(f"   reported incident {reported['incidentId']}")

    try:
        headers, body = received.get(timeout=60)
    except queue.Empty:
        raise Failed("no webhook arrived within a minute") from None
    finally:
        server.shutdown()
    if not verify_signature(registered["secret"], headers, body):
        raise Failed("the webhook's signature does not verify")
    delivered = json.loads(body)
    if delivered["recordId"] != reported["incidentId"]:
        raise Failed(f"the webhook names another record: {delivered}")
    print(f"3. webhook {delivered['type']} for {delivered['recordId']}, signature verified")

    chronology = graphql(
        url,
        dsl,
        "query($id: ID!, $p: Position) { incident(id: $id, minPosition: $p) "
        "{ chronology { at kind summary actorRoles } } }",
        {"id": reported["incidentId"], "p": delivered["position"]},
    )["incident"]["chronology"]
    print("4. the DSL's chronology:")
    for entry in chronology:
        print(f"   {entry['at']} {entry['kind']}: {entry['summary']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--teacher-token", required=True)
    parser.add_argument("--dsl-token", required=True)
    parser.add_argument("--pupil", default="amira", help="the start of the pupil's name")
    args = parser.parse_args(argv)
    try:
        run(args.url.rstrip("/"), args.teacher_token, args.dsl_token, args.pupil)
    except Failed as failed:
        print(f"failed: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Tokens from a trust's identity provider: OIDC issuers trusted by URL, each discovered from a
local issuer the test starts (discovery document and key set over HTTP on 127.0.0.1), whose
keys the test rotates, and which it takes down."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.utils import base64url_encode

from api.auth import InvalidToken, TokenVerifier, issue_dev_token
from api.oidc import JWKS_MAX_CACHE_SECONDS, JWKS_MIN_CACHE_SECONDS, cache_seconds
from api.settings import Environment, InsecureConfiguration, Settings

AUDIENCE = "casework-client-id"
OAK, BIRCH = uuid.uuid4(), uuid.uuid4()


class Provider:
    """A small OpenID provider: discovery and a key set, with keys it can add and drop, and a
    count of the requests it answered."""

    def __init__(self, algorithm: str = "RS256", cache_control: str | None = None) -> None:
        self.algorithm = algorithm
        self.cache_control = cache_control
        self.keys: dict[str, Any] = {}
        self.hits: Counter[str] = Counter()
        self.announced_issuer: str | None = None
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                provider.hits[self.path] += 1
                if self.path == "/.well-known/openid-configuration":
                    body: dict[str, Any] = {
                        "issuer": provider.announced_issuer or provider.issuer,
                        "jwks_uri": provider.issuer + "/keys",
                    }
                elif self.path == "/keys":
                    body = {"keys": [provider.public_jwk(kid) for kid in provider.keys]}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                if provider.cache_control and self.path == "/keys":
                    self.send_header("Cache-Control", provider.cache_control)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        self.rotate()

    def rotate(self) -> str:
        """A new signing key (and its id), published alongside the old ones."""
        kid = uuid.uuid4().hex[:12]
        if self.algorithm == "RS256":
            self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            self.keys[kid] = ec.generate_private_key(ec.SECP256R1())
        self.current = kid
        return kid

    def public_jwk(self, kid: str) -> dict[str, Any]:
        algorithm = jwt.get_algorithm_by_name(self.algorithm)
        jwk = json.loads(algorithm.to_jwk(self.keys[kid].public_key()))
        return jwk | {"kid": kid, "use": "sig", "alg": self.algorithm}

    @property
    def key_fetches(self) -> int:
        return self.hits["/keys"]

    def token(self, claims: dict[str, Any] | None = None, kid: str | None = None, **headers) -> str:
        now = int(time.time())
        payload = {"iss": self.issuer, "aud": AUDIENCE, "iat": now, "exp": now + 600}
        payload |= {"sub": "opaque-subject", "email": "dsl@primary.demo"}
        payload = {k: v for k, v in (payload | (claims or {})).items() if v is not None}
        kid = kid or self.current
        return jwt.encode(
            payload,
            self.keys.get(kid, self.keys[self.current]),
            algorithm=self.algorithm,
            headers={"kid": kid} | headers,
        )

    def config(self, user_claim: str = "email", **extra: Any) -> dict[str, Any]:
        return {"issuer": self.issuer, "audience": AUDIENCE, "user_claim": user_claim} | extra

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def entra():
    provider = Provider("RS256")
    yield provider
    provider.stop()


@pytest.fixture
def google():
    provider = Provider("ES256")
    yield provider
    provider.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def verifier_for(tmp_path, clock: Clock, *configs: dict[str, Any], **settings: Any):
    """A verifier trusting these issuers; refreshes run at once, in the caller's thread, so a
    test can count them."""
    return TokenVerifier(
        Settings(
            environment=Environment.TEST,
            data_dir=tmp_path,
            oidc_issuers=json.dumps(list(configs)),
            **settings,
        ),
        clock=clock,
        in_background=lambda work: work(),
    )


def bearer(token: str) -> str:
    return f"Bearer {token}"


def refusal(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(InvalidToken) as refused:
        verifier.verify(bearer(token))
    return str(refused.value)


# --- accepted ----------------------------------------------------------------------------------


def test_tokens_of_two_issuers_are_accepted_at_once_each_mapped_by_its_own_claim(
    tmp_path, clock, entra, google
):
    verifier = verifier_for(
        tmp_path,
        clock,
        entra.config("upn", trust=str(OAK)),
        google.config("email", trust=str(BIRCH)),
    )
    from_entra = verifier.verify(bearer(entra.token({"upn": "dsl@oak.example"})))
    from_google = verifier.verify(bearer(google.token({"email": "tsl@birch.example"})))
    assert (from_entra.user_id, from_entra.issuer, from_entra.trust) == (
        "dsl@oak.example",
        entra.issuer,
        OAK,
    )
    assert (from_google.user_id, from_google.issuer, from_google.trust) == (
        "tsl@birch.example",
        google.issuer,
        BIRCH,
    )


def test_the_development_issuer_keeps_working_beside_oidc_issuers(tmp_path, clock, entra):
    verifier = verifier_for(tmp_path, clock, entra.config())
    dev = issue_dev_token(Settings(environment=Environment.TEST, data_dir=tmp_path), "tsl@birch")
    assert verifier.verify(bearer(dev)).user_id == "tsl@birch"


def test_a_key_rotated_in_mid_test_is_accepted_after_one_refresh(tmp_path, clock, entra):
    verifier = verifier_for(tmp_path, clock, entra.config())
    verifier.verify(bearer(entra.token()))
    clock.now += 60  # the provider rotates a minute after we fetched its keys
    entra.rotate()
    assert verifier.verify(bearer(entra.token({"email": "new@key.example"}))).user_id == (
        "new@key.example"
    )
    assert entra.key_fetches == 2


def test_the_key_set_is_kept_for_its_max_age_and_refreshed_after_it(tmp_path, clock):
    provider = Provider("RS256", cache_control="public, max-age=600")
    try:
        verifier = verifier_for(tmp_path, clock, provider.config())
        verifier.verify(bearer(provider.token()))
        clock.now += 599
        verifier.verify(bearer(provider.token()))
        assert provider.key_fetches == 1
        clock.now += 2
        verifier.verify(bearer(provider.token()))
        assert provider.key_fetches == 2
    finally:
        provider.stop()


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("max-age=5", JWKS_MIN_CACHE_SECONDS),
        ("public, max-age=900", 900.0),
        ("max-age=999999999", JWKS_MAX_CACHE_SECONDS),
        ("no-store", JWKS_MIN_CACHE_SECONDS),
    ],
)
def test_a_key_sets_cache_lifetime_follows_its_max_age_within_bounds(header, seconds):
    assert cache_seconds(header) == seconds


def test_a_token_expired_within_the_leeway_is_accepted(tmp_path, clock, entra):
    verifier = verifier_for(tmp_path, clock, entra.config(), oidc_leeway_seconds=30)
    token = entra.token({"exp": int(time.time()) - 10})
    assert verifier.verify(bearer(token)).user_id == "dsl@primary.demo"


# --- bounded refreshes -------------------------------------------------------------------------


def test_a_flood_of_unknown_key_ids_causes_one_refresh_per_interval(tmp_path, clock, entra):
    verifier = verifier_for(tmp_path, clock, entra.config(), oidc_refresh_interval_seconds=30)
    verifier.verify(bearer(entra.token()))
    for _ in range(50):
        refusal(verifier, entra.token(kid=uuid.uuid4().hex))
    assert entra.key_fetches == 1  # within the interval of the first fetch: none
    for expected in (2, 3):
        clock.now += 30
        for _ in range(50):
            refusal(verifier, entra.token(kid=uuid.uuid4().hex))
        assert entra.key_fetches == expected


def test_a_token_naming_an_unknown_key_is_refused_with_a_fixed_sentence(tmp_path, clock, entra):
    verifier = verifier_for(tmp_path, clock, entra.config())
    assert refusal(verifier, entra.token(kid="made-up")) == "the token's signing key is not trusted"


# --- refused -----------------------------------------------------------------------------------


def test_a_token_from_an_issuer_not_configured_is_refused(tmp_path, clock, entra, google):
    verifier = verifier_for(tmp_path, clock, entra.config())
    assert refusal(verifier, google.token()) == "the token's issuer is not trusted"


def test_a_token_claiming_a_trusted_issuer_but_signed_by_another_is_refused(tmp_path, clock, entra):
    verifier = verifier_for(tmp_path, clock, entra.config())
    impostor = Provider("RS256")
    try:
        impostor.issuer, real = entra.issuer, impostor.issuer
        forged = impostor.token(kid=entra.current)
        impostor.issuer = real
    finally:
        impostor.stop()
    assert refusal(verifier, forged) == "the token is invalid or has expired"


def test_an_issuer_whose_discovery_names_another_issuer_is_not_trusted(tmp_path, clock, entra):
    entra.announced_issuer = "https://login.example/other-tenant/v2.0"
    verifier = verifier_for(tmp_path, clock, entra.config())
    assert refusal(verifier, entra.token()) == "the token's signing key is not trusted"
    assert entra.key_fetches == 0


def test_a_token_for_another_audience_is_refused(tmp_path, clock, entra):
    verifier = verifier_for(tmp_path, clock, entra.config())
    token = entra.token({"aud": "someone-elses-app"})
    assert refusal(verifier, token) == "the token is invalid or has expired"


def test_an_expired_token_is_refused(tmp_path, clock, entra):
    verifier = verifier_for(tmp_path, clock, entra.config(), oidc_leeway_seconds=30)
    token = entra.token({"exp": int(time.time()) - 120})
    assert refusal(verifier, token) == "the token is invalid or has expired"


def test_a_token_not_yet_valid_is_refused(tmp_path, clock, entra):
    verifier = verifier_for(tmp_path, clock, entra.config(), oidc_leeway_seconds=30)
    token = entra.token({"nbf": int(time.time()) + 600})
    assert refusal(verifier, token) == "the token is invalid or has expired"


def test_an_unsigned_token_alg_none_is_refused(tmp_path, clock, entra):
    verifier = verifier_for(tmp_path, clock, entra.config())
    claims = {"iss": entra.issuer, "aud": AUDIENCE, "exp": int(time.time()) + 600}
    unsigned = jwt.encode(claims | {"email": "x@y"}, None, algorithm="none")
    assert refusal(verifier, unsigned).startswith("the token's signing algorithm is not accepted")


def test_a_token_signed_hs256_with_the_public_key_as_secret_is_refused(tmp_path, clock, entra):
    verifier = verifier_for(tmp_path, clock, entra.config())
    verifier.verify(bearer(entra.token()))  # the public key is cached
    secret = (
        entra.keys[entra.current]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    claims = {"iss": entra.issuer, "aud": AUDIENCE, "exp": int(time.time()) + 600, "email": "x@y"}
    header = {"alg": "HS256", "typ": "JWT", "kid": entra.current}
    signing_input = b".".join(
        base64url_encode(json.dumps(part).encode()) for part in (header, claims)
    )
    mac = hmac.new(secret, signing_input, hashlib.sha256).digest()
    forged = (signing_input + b"." + base64url_encode(mac)).decode()
    assert refusal(verifier, forged).startswith("the token's signing algorithm is not accepted")


def test_a_token_without_the_mapped_claim_is_refused_naming_the_claim(tmp_path, clock, entra):
    verifier = verifier_for(tmp_path, clock, entra.config("upn"))
    token = entra.token({"upn": None})
    message = refusal(verifier, token)
    assert message == (
        f"the token has no `upn` claim, which this service takes as the user id for tokens "
        f"from {entra.issuer}"
    )


def test_an_email_its_issuer_has_not_verified_is_refused(tmp_path, clock, google):
    verifier = verifier_for(tmp_path, clock, google.config("email"))
    token = google.token({"email_verified": False})
    assert refusal(verifier, token) == "the token's email address is not verified by its issuer"


# --- the provider down -------------------------------------------------------------------------


def test_with_the_provider_down_a_token_signed_with_a_cached_key_is_still_accepted(
    tmp_path, clock, entra
):
    verifier = verifier_for(tmp_path, clock, entra.config())
    verifier.verify(bearer(entra.token()))
    token = entra.token()
    entra.stop()
    clock.now += 2 * JWKS_MAX_CACHE_SECONDS  # long past the key set's lifetime
    assert verifier.verify(bearer(token)).user_id == "dsl@primary.demo"


def test_with_the_provider_down_an_unknown_key_is_refused_and_the_outage_logged_once(
    tmp_path, clock, entra, caplog
):
    verifier = verifier_for(tmp_path, clock, entra.config())
    verifier.verify(bearer(entra.token()))
    unknown = entra.token(kid="not-published")
    entra.stop()
    with caplog.at_level(logging.WARNING, logger="casework.auth"):
        for _ in range(3):
            clock.now += 60
            refusal(verifier, unknown)
    assert len(caplog.records) == 1
    assert "cannot be reached" in caplog.records[0].getMessage()


def test_an_issuer_down_at_start_does_not_stop_the_verifier_being_made(tmp_path, clock, entra):
    entra.stop()
    verifier = verifier_for(tmp_path, clock, entra.config())
    verifier.warm()
    assert refusal(verifier, entra.token()) == "the token's signing key is not trusted"


# --- configuration -----------------------------------------------------------------------------


def test_production_refuses_an_issuer_that_is_not_https(tmp_path, entra):
    settings = Settings(
        environment=Environment.PRODUCTION,
        data_dir=tmp_path,
        event_key="a" * 44,
        master_key="b" * 44,
        metrics_token="m" * 32,
        oidc_issuers=json.dumps([entra.config()]),
    )
    with pytest.raises(InsecureConfiguration, match="is not https"):
        TokenVerifier(settings)


def test_issuers_may_be_read_from_a_file(tmp_path, clock, entra):
    listing = tmp_path / "issuers.json"
    listing.write_text(json.dumps([entra.config()]))
    verifier = TokenVerifier(
        Settings(environment=Environment.TEST, data_dir=tmp_path, oidc_issuers=str(listing)),
        clock=clock,
        in_background=lambda work: work(),
    )
    assert verifier.verify(bearer(entra.token())).user_id == "dsl@primary.demo"


# --- over HTTP ---------------------------------------------------------------------------------


@pytest.fixture
def provider():
    started = Provider("RS256")
    yield started
    started.stop()


@pytest.fixture
def confined():
    """A provider configured to serve a trust other than the demo's."""
    started = Provider("ES256")
    yield started
    started.stop()


@pytest.fixture
def silent():
    """An issuer whose server accepts connections and never answers."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    yield f"http://127.0.0.1:{listening.getsockname()[1]}"
    listening.close()


@pytest.fixture
def settings(test_data_dir, provider, confined, silent) -> Settings:
    """The service trusting the test's providers (overrides the suite's `settings`)."""
    return Settings(
        environment=Environment.TEST,
        data_dir=test_data_dir,
        oidc_issuers=json.dumps(
            [
                provider.config("email"),
                confined.config("email", trust=str(uuid.uuid4())),
                {"issuer": silent, "audience": AUDIENCE, "user_claim": "email"},
            ]
        ),
        oidc_fetch_timeout_seconds=1.5,
        oidc_refresh_interval_seconds=1,
    )


def me(live, token: str) -> httpx.Response:
    return httpx.post(
        f"{live.url}/graphql",
        json={"query": "{ me { userId roles { role } } }"},
        headers={"authorization": bearer(token)},
    )


def test_a_provider_token_signs_a_demo_user_in_by_their_email(live, demo, provider):
    response = me(live, provider.token({"email": "dsl@primary.demo"}))
    assert response.json()["data"]["me"]["userId"] == "dsl@primary.demo"


def test_a_provider_token_missing_the_claim_is_answered_401_without_echoing_it(
    live, demo, provider
):
    token = provider.token({"email": None})
    response = me(live, token)
    assert response.status_code == 401
    assert "`email` claim" in response.json()["errors"][0]["message"]
    assert token not in response.text


def test_a_token_arriving_while_the_start_up_fetch_is_in_flight_waits_for_it(tmp_path, entra):
    verifier = TokenVerifier(
        Settings(
            environment=Environment.TEST,
            data_dir=tmp_path,
            oidc_issuers=json.dumps([entra.config()]),
        )
    )
    verifier.warm()  # in a thread of its own, as the service does at start-up
    assert verifier.verify(bearer(entra.token())).user_id == "dsl@primary.demo"
    assert entra.key_fetches == 1


def test_a_provider_that_never_answers_costs_a_request_at_most_the_fetch_timeout(tmp_path, clock):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts connections, never answers
    issuer = f"http://127.0.0.1:{silent.getsockname()[1]}"
    try:
        verifier = verifier_for(
            tmp_path,
            clock,
            {"issuer": issuer, "audience": AUDIENCE, "user_claim": "email"},
            oidc_fetch_timeout_seconds=0.5,
        )
        token = jwt.encode(
            {"iss": issuer, "aud": AUDIENCE, "exp": int(time.time()) + 600, "email": "x@y"},
            ec.generate_private_key(ec.SECP256R1()),
            algorithm="ES256",
            headers={"kid": "k1"},
        )
        started = time.monotonic()
        assert refusal(verifier, token) == "the token's signing key is not trusted"
        assert time.monotonic() - started < 2
    finally:
        silent.close()


def test_a_provider_serving_another_trust_vouches_for_no_role_in_the_demo_trust(
    live, demo, provider, confined
):
    signed_in = me(live, provider.token({"email": "dsl@primary.demo"})).json()["data"]["me"]
    elsewhere = me(live, confined.token({"email": "dsl@primary.demo"})).json()["data"]["me"]
    assert signed_in["roles"] != []
    assert elsewhere == {"userId": "dsl@primary.demo", "roles": []}


def test_a_trust_that_is_not_an_id_is_refused_at_start_up(tmp_path, entra):
    with pytest.raises(InsecureConfiguration, match="must be a trust's id"):
        TokenVerifier(
            Settings(
                environment=Environment.TEST,
                data_dir=tmp_path,
                oidc_issuers=json.dumps([entra.config(trust="oak-trust")]),
            )
        )


def test_a_provider_that_never_answers_holds_up_no_other_request(live, demo, provider, silent):
    stalled = jwt.encode(
        {"iss": silent, "aud": AUDIENCE, "exp": int(time.time()) + 600, "email": "x@y"},
        ec.generate_private_key(ec.SECP256R1()),
        algorithm="ES256",
        headers={"kid": "never-fetched"},
    )
    finished: dict[str, float] = {}

    def wait_on_the_silent_issuer() -> None:
        assert me(live, stalled).status_code == 401
        finished["stalled"] = time.monotonic()

    time.sleep(1.1)  # past the refresh interval of the start-up fetch
    waiting = threading.Thread(target=wait_on_the_silent_issuer)
    waiting.start()
    time.sleep(0.3)
    assert me(live, provider.token()).status_code == 200
    finished["other"] = time.monotonic()
    waiting.join()
    assert finished["other"] < finished["stalled"]

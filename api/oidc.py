"""OpenID Connect issuers configured by URL: discovery, a cached key set, bounded refreshes.

Each configured issuer (``CASEWORK_OIDC_ISSUERS``) is discovered from
``<issuer>/.well-known/openid-configuration`` (whose ``issuer`` must equal the configured one),
and its JSON Web Key Set is fetched from the ``jwks_uri`` it names and kept for as long as the
response's ``Cache-Control: max-age`` says, within bounds. A token naming a key the cached set
lacks causes one refresh, and refreshes of one issuer are at least
``CASEWORK_OIDC_REFRESH_INTERVAL_SECONDS`` apart, so a flood of tokens with made-up key ids
cannot hammer the provider. Every fetch has a timeout. An issuer that cannot be reached keeps
its cached keys: tokens signed with them are still accepted, and the outage is logged once.

Keys are parsed with PyJWT (``PyJWKSet``), which already verifies our tokens; PyJWT's own
``PyJWKClient`` is not used because it neither rate-limits its refresh on an unknown key id nor
honours Cache-Control, and its fetches cannot be made to refuse redirects.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import jwt

from api.settings import InsecureConfiguration

log = logging.getLogger("casework.auth")

# The key set is kept for the provider's max-age, but never less than a minute nor more than a day;
# an hour when the provider says nothing.
JWKS_MIN_CACHE_SECONDS = 60.0
JWKS_MAX_CACHE_SECONDS = 24 * 3600.0
JWKS_DEFAULT_CACHE_SECONDS = 3600.0
MAX_DOCUMENT_BYTES = 512 * 1024
USER_CLAIMS = frozenset({"sub", "email", "preferred_username", "upn", "oid", "unique_name"})


@dataclass(frozen=True)
class OidcIssuerConfig:
    """One trusted identity provider: its issuer URL, the audience our tokens carry (the client
    id the trust registered), the claim that is our user id, and the trust it serves."""

    issuer: str
    audience: str
    user_claim: str = "sub"
    trust: UUID | None = None


class OidcUnavailable(Exception):
    """A discovery document or key set could not be fetched or was not acceptable."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, allow_loopback_http: bool) -> None:
    """An issuer or key-set URL must be https (plain http only to this machine, outside
    production, for local test issuers)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and allow_loopback_http and _is_loopback(parts.hostname or ""):
        return
    raise OidcUnavailable(f"{url} is not an https URL")


def parse_issuers(raw: str, *, allow_loopback_http: bool) -> list[OidcIssuerConfig]:
    """``CASEWORK_OIDC_ISSUERS``: a JSON list of objects (``issuer``, ``audience``, optional
    ``user_claim`` and ``trust``), or the path of a file holding that list."""
    text = raw.strip()
    if not text:
        return []
    if not text.startswith("["):
        try:
            text = Path(text).read_text()
        except OSError:
            raise InsecureConfiguration(
                "CASEWORK_OIDC_ISSUERS is neither a JSON list nor a readable file"
            ) from None
    try:
        entries = json.loads(text)
    except ValueError:
        raise InsecureConfiguration("CASEWORK_OIDC_ISSUERS is not valid JSON") from None
    if not isinstance(entries, list):
        raise InsecureConfiguration("CASEWORK_OIDC_ISSUERS must be a JSON list of issuers")
    configs: list[OidcIssuerConfig] = []
    for number, entry in enumerate(entries, start=1):
        where = f"CASEWORK_OIDC_ISSUERS entry {number}"
        if not isinstance(entry, dict):
            raise InsecureConfiguration(f"{where} is not an object")
        unknown = set(entry) - {"issuer", "audience", "user_claim", "trust"}
        if unknown:
            raise InsecureConfiguration(f"{where} has unknown fields: {', '.join(sorted(unknown))}")
        issuer, audience = entry.get("issuer"), entry.get("audience")
        claim, trust = entry.get("user_claim", "sub"), entry.get("trust")
        if not isinstance(issuer, str) or not issuer:
            raise InsecureConfiguration(f"{where} needs an `issuer` URL")
        try:
            check_url(issuer, allow_loopback_http=allow_loopback_http)
        except OidcUnavailable:
            raise InsecureConfiguration(f"{where}: the issuer {issuer} is not https") from None
        if not isinstance(audience, str) or not audience:
            raise InsecureConfiguration(f"{where} needs an `audience` (the client id)")
        if claim not in USER_CLAIMS:
            raise InsecureConfiguration(
                f"{where}: `user_claim` must be one of {', '.join(sorted(USER_CLAIMS))}"
            )
        trust_id: UUID | None = None
        if trust is not None:
            try:
                trust_id = UUID(str(trust))
            except ValueError:
                raise InsecureConfiguration(f"{where}: `trust` must be a trust's id") from None
        if any(c.issuer == issuer for c in configs):
            raise InsecureConfiguration(f"{where}: the issuer {issuer} is configured twice")
        configs.append(OidcIssuerConfig(issuer, audience, claim, trust_id))
    return configs


def cache_seconds(cache_control: str | None) -> float:
    """How long to keep a key set, from its response's Cache-Control, within bounds."""
    if cache_control is None:
        return JWKS_DEFAULT_CACHE_SECONDS
    directives = cache_control.lower()
    if "no-store" in directives or "no-cache" in directives:
        return JWKS_MIN_CACHE_SECONDS
    match = re.search(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", directives)
    if match is None:
        return JWKS_DEFAULT_CACHE_SECONDS
    return min(max(float(match.group(1)), JWKS_MIN_CACHE_SECONDS), JWKS_MAX_CACHE_SECONDS)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx is answered as an error: a key set is fetched from where it is named


_OPENER = urllib.request.build_opener(_NoRedirects)


@dataclass(frozen=True)
class Fetched:
    document: Any
    cache_control: str | None


def fetch_json(url: str, timeout: float) -> Fetched:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            body = response.read(MAX_DOCUMENT_BYTES + 1)
            cache_control = response.headers.get("Cache-Control")
    except (OSError, urllib.error.URLError, ValueError) as error:
        raise OidcUnavailable(f"{url} could not be fetched ({type(error).__name__})") from None
    if len(body) > MAX_DOCUMENT_BYTES:
        raise OidcUnavailable(f"{url} answered more than {MAX_DOCUMENT_BYTES} bytes")
    try:
        return Fetched(json.loads(body), cache_control)
    except ValueError:
        raise OidcUnavailable(f"{url} did not answer JSON") from None


def _start_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="oidc-refresh", daemon=True).start()


class OidcIssuer:
    """One issuer's keys: fetched on first need (or at start-up), kept per Cache-Control, and
    refreshed at most once per refresh interval, whether for expiry or for an unknown key id."""

    def __init__(
        self,
        config: OidcIssuerConfig,
        *,
        timeout: float,
        refresh_interval: float,
        allow_loopback_http: bool,
        clock: Callable[[], float] = time.monotonic,
        in_background: Callable[[Callable[[], None]], None] = _start_thread,
    ) -> None:
        self.config = config
        self._timeout = timeout
        self._interval = refresh_interval
        self._allow_loopback_http = allow_loopback_http
        self._clock = clock
        self._in_background = in_background
        self._lock = threading.Lock()
        self._keys: dict[str, jwt.PyJWK] | None = None
        self._expires_at = 0.0
        self._last_attempt: float | None = None
        self._jwks_uri: str | None = None
        self._failing = False
        self._idle = threading.Event()  # clear while a refresh is in flight
        self._idle.set()

    @property
    def discovery_url(self) -> str:
        return self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"

    def _claim_refresh(self) -> bool:
        """Whether this caller may refresh now; if so, the attempt is counted from now."""
        with self._lock:
            now = self._clock()
            if self._last_attempt is not None and now - self._last_attempt < self._interval:
                return False
            self._last_attempt = now
            self._idle.clear()
            return True

    def warm(self) -> None:
        """Fetch the keys in the background (at start-up): a provider that is down does not stop
        the service starting."""
        if self._claim_refresh():
            self._in_background(self._refresh)

    def holds(self, kid: object) -> bool:
        """Whether a key with this id is cached (fresh or not: an expired set is refreshed in
        the background while it serves)."""
        with self._lock:
            return self._keys is not None and isinstance(kid, str) and kid in self._keys

    def key_for(self, kid: str) -> jwt.PyJWK | None:
        """The issuer's key with this id, refreshing the set once (rate-limited) if it is not
        there; None when the issuer does not publish it (or cannot be reached)."""
        with self._lock:
            keys, expired = self._keys, self._clock() >= self._expires_at
        if keys is not None and kid in keys:
            if expired and self._claim_refresh():
                self._in_background(self._refresh)  # the cached key serves meanwhile
            return keys[kid]
        if not self._claim_refresh():
            if keys is None:
                # No keys yet, and the start-up fetch (or another request's) may be under way:
                # wait for it, no longer than a fetch may take, rather than refuse a good token.
                # With keys cached, an unknown key id waits for nothing: a flood of them must
                # not hold a thread each for the length of a fetch.
                self._idle.wait(2 * self._timeout)
                with self._lock:
                    keys = self._keys
            return keys.get(kid) if keys is not None else None
        self._refresh()
        with self._lock:
            keys = self._keys
        if keys is not None and kid in keys:
            return keys[kid]
        if not self._failing:
            log.warning(
                "a token named a signing key the issuer %s does not publish; refused "
                "(the key set is refreshed at most every %ss)",
                self.config.issuer,
                self._interval,
            )
        return None

    def _refresh(self) -> None:
        try:
            self._refresh_keys()
        finally:
            self._idle.set()

    def _refresh_keys(self) -> None:
        try:
            keys, max_age = self._fetch_keys()
        except OidcUnavailable as problem:
            with self._lock:
                self._jwks_uri = None  # discover afresh next time
                first = not self._failing
                self._failing = True
            if first:
                log.warning(
                    "the identity provider %s cannot be reached or answered badly: %s; cached "
                    "keys stay in use, tokens naming other keys are refused",
                    self.config.issuer,
                    problem,
                )
            return
        with self._lock:
            recovered = self._failing
            self._keys, self._expires_at, self._failing = keys, self._clock() + max_age, False
        if recovered:
            log.info("the identity provider %s answers again", self.config.issuer)

    def _fetch_keys(self) -> tuple[dict[str, jwt.PyJWK], float]:
        jwks_uri = self._jwks_uri or self._discover()
        fetched = fetch_json(jwks_uri, self._timeout)
        document = fetched.document
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise OidcUnavailable(f"{jwks_uri} is not a JSON Web Key Set")
        keys: dict[str, jwt.PyJWK] = {}
        for entry in document["keys"]:
            if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
                continue
            if entry.get("use", "sig") != "sig" or entry.get("kty") not in ("RSA", "EC"):
                continue
            try:
                keys[entry["kid"]] = jwt.PyJWK(entry)
            except jwt.PyJWTError:
                continue  # a key of a kind we do not accept
        if not keys:
            raise OidcUnavailable(f"{jwks_uri} holds no RSA or EC signing keys")
        with self._lock:
            self._jwks_uri = jwks_uri
        return keys, cache_seconds(fetched.cache_control)

    def _discover(self) -> str:
        document = fetch_json(self.discovery_url, self._timeout).document
        if not isinstance(document, dict):
            raise OidcUnavailable(f"{self.discovery_url} is not a discovery document")
        if document.get("issuer") != self.config.issuer:
            raise OidcUnavailable(
                f"{self.discovery_url} names another issuer than the configured one"
            )
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise OidcUnavailable(f"{self.discovery_url} names no jwks_uri")
        check_url(jwks_uri, allow_loopback_http=self._allow_loopback_http)
        return jwks_uri

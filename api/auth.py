"""Authentication: bearer JWTs verified against the issuer's public keys (PyJWT).

Production configures the issuer's JSON Web Key Set (``CASEWORK_JWT_JWKS_FILE``). Development
generates a local Ed25519 key in the data directory; ``casework token issue`` signs with it and
the service trusts it only while ``CASEWORK_ENVIRONMENT`` is not production.

Alongside that issuer, any number of OpenID Connect issuers (a trust's Microsoft Entra ID or
Google Workspace tenant) are trusted by URL (``CASEWORK_OIDC_ISSUERS``, api/oidc.py): a token is
routed by its ``iss`` to that issuer's keys, verified with RS256 or ES256 only, and its configured
claim (``email``, ``upn``, ...) becomes the user id.

A token says who the user is (``sub``, or the issuer's configured claim). What they may do
comes from role grants on the record.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import jwt
from anyio import to_thread
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.oidc import OidcIssuer, parse_issuers
from api.settings import InsecureConfiguration, Settings

ALGORITHMS = ["EdDSA", "RS256", "ES256"]
OIDC_ALGORITHMS = ("RS256", "ES256")  # never `none`, never HS*: a provider signs asymmetrically
DEV_KEY_ID = "casework-dev"


class InvalidToken(Exception):
    """The bearer token is missing, malformed, expired, or not from a trusted issuer."""


def _dev_key_path(settings: Settings) -> Path:
    return settings.data_dir / "dev-jwt-key.pem"


def dev_signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The local development signing key, created on first use (mode 0600)."""
    path = _dev_key_path(settings)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise InsecureConfiguration(f"{path} does not hold an Ed25519 private key")
    return key


def issue_dev_token(
    settings: Settings, user_id: str, name: str | None = None, hours: float = 12
) -> str:
    if not settings.is_development:
        raise InvalidToken("development tokens are not available in production")
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": user_id,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + int(hours * 3600),
    }
    if name:
        claims["name"] = name
    return jwt.encode(
        claims, dev_signing_key(settings), algorithm="EdDSA", headers={"kid": DEV_KEY_ID}
    )


@dataclass(frozen=True)
class Identity:
    user_id: str
    name: str | None
    expires_at: float | None = None  # the token's `exp`, seconds since the epoch
    issuer: str | None = None  # the OIDC issuer that vouched for the user (None: the static one)
    trust: UUID | None = None  # the trust that issuer serves, if configured: grants elsewhere void


@dataclass(frozen=True)
class _Read:
    """A bearer token as read before it is verified (:meth:`TokenVerifier._read`)."""

    token: str
    header: dict[str, Any]
    claimed: Any  # the issuer it claims, unverified
    oidc: OidcIssuer | None  # the configured OIDC issuer it claims, if any


class TokenVerifier:
    """Checks a bearer token and says who it names. Every refusal is one of a few fixed
    sentences: PyJWT's own messages (which quote claims and keys) never reach a client."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.monotonic,
        in_background: Callable[[Callable[[], None]], None] | None = None,
    ) -> None:
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._max_lifetime = settings.jwt_max_lifetime_seconds
        self._keys: dict[str | None, Any] = {}
        if settings.jwt_jwks_file is not None:
            jwks = jwt.PyJWKSet.from_dict(json.loads(settings.jwt_jwks_file.read_text()))
            self._keys = {k.key_id: k.key for k in jwks.keys}
        elif settings.is_development:
            self._keys = {DEV_KEY_ID: dev_signing_key(settings).public_key()}
        self._leeway = settings.oidc_leeway_seconds
        loopback = settings.is_development
        extra = {"in_background": in_background} if in_background is not None else {}
        self._oidc: dict[str, OidcIssuer] = {}
        for config in parse_issuers(settings.oidc_issuers, allow_loopback_http=loopback):
            if config.issuer == self._issuer:
                raise InsecureConfiguration(
                    f"the OIDC issuer {config.issuer} is also CASEWORK_JWT_ISSUER"
                )
            self._oidc[config.issuer] = OidcIssuer(
                config,
                timeout=settings.oidc_fetch_timeout_seconds,
                refresh_interval=settings.oidc_refresh_interval_seconds,
                allow_loopback_http=loopback,
                clock=clock,
                **extra,
            )

    def warm(self) -> None:
        """Start fetching every OIDC issuer's keys in the background."""
        for issuer in self._oidc.values():
            issuer.warm()

    async def verify_async(self, authorization: str | None) -> Identity:
        """``verify``, in a worker thread when it may wait on an identity provider (the token
        claims an OIDC issuer and names a key not cached from it), so a slow provider never
        holds the event loop (and every other request) for its timeout."""
        token = self._read(authorization)
        if token.oidc is not None and not token.oidc.holds(token.header.get("kid")):
            return await to_thread.run_sync(self._verify_read, token)
        return self._verify_read(token)

    def verify(self, authorization: str | None) -> Identity:
        return self._verify_read(self._read(authorization))

    def _read(self, authorization: str | None) -> _Read:
        """The bearer token of ``authorization``, its header and the issuer it claims, read
        once and unverified: what says how to verify it."""
        if not authorization:
            raise InvalidToken("a bearer token is required")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise InvalidToken("the Authorization header must be 'Bearer <token>'")
        try:
            header = jwt.get_unverified_header(token)
            claimed = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError:
            raise InvalidToken("the token is invalid or has expired") from None
        oidc = self._oidc.get(claimed) if isinstance(claimed, str) else None
        return _Read(token, header, claimed, oidc)

    def _verify_read(self, token: _Read) -> Identity:
        if token.oidc is not None:
            return self._verify_oidc(token.oidc, token.token, token.header)
        if not self._keys or token.claimed != self._issuer:
            raise InvalidToken("the token's issuer is not trusted")
        return self._verify_static(token.token, token.header)

    def _verify_oidc(self, oidc: OidcIssuer, token: str, header: dict[str, Any]) -> Identity:
        config = oidc.config
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in OIDC_ALGORITHMS:
            raise InvalidToken("the token's signing algorithm is not accepted (RS256 or ES256)")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("the token does not name its signing key (`kid`)")
        key = oidc.key_for(kid)
        if key is None or key.algorithm_name != algorithm:
            raise InvalidToken("the token's signing key is not trusted")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=config.audience,
                issuer=config.issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError:
            raise InvalidToken("the token is invalid or has expired") from None
        if float(claims["exp"]) > time.time() + self._max_lifetime:
            raise InvalidToken("the token's expiry is further ahead than this service allows")
        user = claims.get(config.user_claim)
        if not isinstance(user, str) or not user.strip():
            raise InvalidToken(
                f"the token has no `{config.user_claim}` claim, which this service takes as the "
                f"user id for tokens from {config.issuer}"
            )
        if config.user_claim == "email" and claims.get("email_verified") is False:
            raise InvalidToken("the token's email address is not verified by its issuer")
        name = claims.get("name")
        return Identity(
            user_id=user.strip(),
            name=name if isinstance(name, str) else None,
            expires_at=float(claims["exp"]),
            issuer=config.issuer,
            trust=config.trust,
        )

    def _verify_static(self, token: str, header: dict[str, Any]) -> Identity:
        try:
            kid = header.get("kid")
            key = self._keys.get(kid) or (
                next(iter(self._keys.values())) if len(self._keys) == 1 else None
            )
            if key is None:
                raise InvalidToken("the token's signing key is not trusted")
            claims = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError:
            raise InvalidToken("the token is invalid or has expired") from None
        if float(claims["exp"]) > time.time() + self._max_lifetime:
            raise InvalidToken("the token's expiry is further ahead than this service allows")
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject.strip():
            raise InvalidToken("the token does not name a user")
        return Identity(user_id=subject, name=claims.get("name"), expires_at=float(claims["exp"]))

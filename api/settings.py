"""Settings from the environment (prefix ``CASEWORK_``), validated once at start-up."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class InsecureConfiguration(RuntimeError):
    """Raised when a non-development deployment lacks a secret it must be given."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASEWORK_", env_file=None, extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    database_url: str | None = Field(
        default=None, description="PostgreSQL URL; unset: a private embedded server in data_dir"
    )
    data_dir: Path = Field(default=Path(".casework"), description="embedded database and dev keys")

    key_file: Path | None = Field(
        default=None, description="JSON file holding event_key and master_key (base64, 32 bytes)"
    )
    event_key: str | None = Field(default=None, description="base64 AES key for all event state")
    master_key: str | None = Field(default=None, description="base64 AES key wrapping data keys")
    erasure_fence: Path | None = Field(
        default=None,
        description="the file listing every destroyed data key's subject, kept outside the "
        "database and re-applied at every start (api/erasure_fence.py); unset: "
        "<data dir>/erasure-fence. Back it up apart from the database, never restore it with one",
    )

    jwt_issuer: str = "casework-dev"
    jwt_audience: str = "casework"
    jwt_jwks_file: Path | None = Field(
        default=None, description="JSON Web Key Set of the issuer's public keys"
    )
    jwt_max_lifetime_seconds: int = Field(
        default=24 * 3600,
        ge=60,
        description="tokens whose expiry is further ahead than this are refused",
    )
    oidc_issuers: str = Field(
        default="",
        description="OpenID Connect issuers trusted by URL: a JSON list of objects with `issuer`, "
        "`audience`, optional `user_claim` (default `sub`) and `trust`, or the path of a file "
        "holding that list (api/oidc.py)",
    )
    oidc_refresh_interval_seconds: float = Field(
        default=30.0,
        ge=1,
        description="the shortest time between two fetches of one issuer's key set (a token "
        "naming an unknown key causes at most one fetch per interval)",
    )
    oidc_fetch_timeout_seconds: float = Field(
        default=3.0,
        gt=0,
        le=30,
        description="how long one discovery or key-set fetch may take",
    )
    oidc_leeway_seconds: int = Field(
        default=30,
        ge=0,
        le=300,
        description="clock skew allowed on an OIDC token's exp, nbf and iat",
    )

    metrics_token: str | None = Field(
        default=None,
        min_length=32,
        description="bearer token a scraper sends to /metrics; required in production",
    )

    database_connect_timeout_seconds: int = Field(
        default=5,
        ge=2,
        description="how long a connection attempt waits for PostgreSQL to answer (libpq's "
        "connect_timeout)",
    )
    statement_timeout_seconds: float = Field(
        default=30.0,
        ge=0,
        description="PostgreSQL's statement_timeout on the service's connections; 0: none",
    )
    migration_statement_timeout_seconds: float = Field(
        default=600.0,
        ge=0,
        description="statement_timeout while migrating (a migration may rewrite a table, or "
        "wait for another process's migration); 0: none",
    )
    lock_timeout_seconds: int = 5
    pool_size: int = 8
    database_wait_seconds: int = Field(
        default=5,
        ge=1,
        description="how long a request waits for a database connection before it is answered "
        "503 SERVICE_UNAVAILABLE",
    )
    concurrent_requests: int = Field(
        default=4,
        ge=1,
        description="requests that run at once in this process; the rest queue (api/slots.py)",
    )
    read_your_writes_timeout_seconds: float = 5.0
    key_cache_seconds: float = Field(
        default=5.0,
        gt=0,
        description="how long a process keeps an unwrapped data key; a destroyed key is "
        "forgotten at once in every process that hears of it (api/changes.py), and within this "
        "while in one that cannot",
    )
    ready_max_lag_events: int = 10_000

    max_query_depth: int = 10
    max_query_tokens: int = 2_000
    max_query_aliases: int = 20
    max_query_nodes: int = Field(
        default=1_000,
        ge=1,
        description="records one operation may return: each connection's `first` times its "
        "parents' (api/graphql/survey.py)",
    )
    query_cost_per_minute: int = Field(
        default=100_000,
        ge=0,
        description="each user's query budget in this process: the fields (`extensions.cost`) "
        "their requests may resolve in a minute, a leaky bucket; spent, a request is answered "
        "429 with Retry-After (api/query_cost.py); 0: no budget",
    )
    max_request_bytes: int = 256_000
    max_upload_bytes: int = 10 * 1024 * 1024 + 256 * 1024

    ledger_origin: str | None = Field(
        default=None,
        description="the ledger's origin line, naming this deployment (never a school); unset: "
        "safeguarding-casework/<the first 16 hex digits of the log key's SHA-256>",
    )
    ledger_checkpoint_seconds: float = Field(
        default=60.0,
        gt=0,
        description="how often the ledger signs a new checkpoint while events arrive",
    )
    ledger_witnesses: str = Field(
        default="",
        description="witnesses the ledger's checkpoints are pushed to: comma-separated "
        "'<URL> <verifier key>' pairs (the key as `casework witness key` prints it)",
    )

    webhook_max_attempts: int = Field(
        default=8, ge=1, le=20, description="attempts at a webhook delivery before it fails"
    )
    webhook_retry_seconds: float = Field(
        default=30.0,
        gt=0,
        description="the pause before a webhook delivery's second attempt; each later one "
        "doubles it (with jitter), up to a day",
    )
    webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, description="how long a receiver has to answer a delivery"
    )
    webhook_poll_seconds: float = Field(
        default=1.0, gt=0, description="how often the sender looks for deliveries due"
    )

    @property
    def erasure_fence_path(self) -> Path:
        return self.erasure_fence or self.data_dir / "erasure-fence"

    @property
    def is_development(self) -> bool:
        return self.environment is not Environment.PRODUCTION

    @model_validator(mode="after")
    def _production_needs_real_secrets(self) -> Settings:
        if self.environment is Environment.PRODUCTION:
            if self.key_file is None and not (self.event_key and self.master_key):
                raise InsecureConfiguration(
                    "outside development the service needs CASEWORK_KEY_FILE or both "
                    "CASEWORK_EVENT_KEY and CASEWORK_MASTER_KEY"
                )
            if self.jwt_jwks_file is None and not self.oidc_issuers.strip():
                raise InsecureConfiguration(
                    "outside development the service needs CASEWORK_JWT_JWKS_FILE or "
                    "CASEWORK_OIDC_ISSUERS"
                )
            if self.metrics_token is None:
                raise InsecureConfiguration(
                    "outside development the service needs CASEWORK_METRICS_TOKEN"
                )
        return self

"""The composition root: builds every part from settings, once, with no import-time effects."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import jwt
from eventsourcing.postgres import PostgresDatastore
from psycopg import Connection
from psycopg.conninfo import make_conninfo
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool

from api import consent_cache, principals
from api.auth import Identity, TokenVerifier
from api.changes import ERASURE_CHANNEL, ChangeListener, Erasures, Keeper
from api.consent_cache import PostingCheckCache
from api.database import CheckedPool, Database, resolve_database
from api.erasure_fence import ErasureFence, apply_fence
from api.event_store import SESSION_PARAMETERS, PostgresKeyStore, limit_connections
from api.key_check import record_key_check, refuse_wrong_keys, settle_generated, wrong_keys
from api.keys import Keys, load_keys
from api.migrate import migrate
from api.positions import PositionNotReached, ViewPositions, includes
from api.principals import PrincipalCache
from api.settings import InsecureConfiguration, Settings
from api.slots import ExecutionSlots
from api.trust_keys import TrustKeys
from domain.application import CaseworkApplication
from domain.shared.blind_index import BLIND_INDEX_SUBJECT, BlindIndex
from domain.shared.logins import LoginSealer
from domain.shared.policy import Principal, confined_to_trust
from domain.shared.sealing import Keyring
from projections.access.projection import AccessView
from projections.common import positions
from projections.consent.projection import ConsentView
from projections.directory.projection import DirectoryView
from projections.erasure.projection import ErasureView
from projections.incidents.projection import IncidentsView
from projections.ledger.integrator import LedgerView, LedgerWorker
from projections.retention.projection import RetentionView
from projections.runner import ProjectionWorker, View
from projections.staff_cases.projection import StaffCasesView
from projections.webhooks.projection import WebhooksView

VIEW_CLASSES: tuple[type[View], ...] = (
    DirectoryView,
    AccessView,
    IncidentsView,
    StaffCasesView,
    ConsentView,
    ErasureView,
    RetentionView,
    WebhooksView,
    LedgerView,
)
# Views fed by a worker of their own kind (the rest by the plain ProjectionWorker).
WORKER_CLASSES: dict[type[View], type[ProjectionWorker]] = {LedgerView: LedgerWorker}


@dataclass
class Container:
    settings: Settings
    database: Database
    keys: Keys
    app: CaseworkApplication
    keyring: Keyring
    blind_index: BlindIndex
    logins: LoginSealer
    pool: ConnectionPool[Connection[DictRow]]
    view_datastore: PostgresDatastore
    verifier: TokenVerifier
    principals: PrincipalCache
    slots: ExecutionSlots
    posting_cache: PostingCheckCache
    views: dict[str, View] = field(default_factory=dict)

    @cached_property
    def trust_keys(self) -> TrustKeys:
        """The trusts' signing keys (``api.trust_keys``), loaded once per process."""
        return TrustKeys(self.pool, self.keyring)

    def principal(self, user_id: str) -> Principal:
        """Who ``user_id`` is now: kept between requests while access changes are heard."""
        return self.principals.get(user_id)

    def principal_for(self, identity: Identity) -> Principal:
        """Who a verified token names, confined to the trust its issuer serves if it serves one
        (``CASEWORK_OIDC_ISSUERS``' ``trust``)."""
        principal = self.principal(identity.user_id)
        return principal if identity.trust is None else confined_to_trust(principal, identity.trust)

    def change_listener(self) -> ChangeListener:
        """The thread that lets this process keep principals and the posting check's reads
        between requests, and drop an erased subject's key the moment it is destroyed
        anywhere (the HTTP app runs one)."""
        keepers: dict[str, Keeper] = {
            principals.CHANNEL: self.principals,
            consent_cache.CHANNEL: self.posting_cache,
            ERASURE_CHANNEL: self.erasures(),
        }
        return ChangeListener(self.database.conninfo, keepers)

    def erasures(self) -> Erasures:
        """What this process forgets when a data key is destroyed: that key, and everything
        it keeps that may hold what the key's subject was (principals name logins; the posting
        check's reads, pupils; the aggregates cached, sealed values and logins; the parsed
        documents, the literals an integrator typed into a query)."""
        from api.graphql.survey import parsed

        forget = [self.principals.forget_everything, self.posting_cache.forget_everything]
        clear_aggregates = getattr(self.app.repository.cache, "clear", None)  # an LRUCache's
        if callable(clear_aggregates):
            forget.append(clear_aggregates)
        forget.append(parsed.cache_clear)
        return Erasures(self.keyring, forget)

    def workers(
        self, names: list[str] | None = None, batch_size: int = 2000
    ) -> list[ProjectionWorker]:
        chosen = [v for n, v in self.views.items() if names is None or n in names]
        return [
            WORKER_CLASSES.get(type(v), ProjectionWorker)(
                v,
                self.app.recorder,  # type: ignore[arg-type]
                self.app.mapper,
                batch_size,
            )
            for v in chosen
        ]

    def head(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def view_positions(self) -> dict[str, int]:
        """Every view's position now."""
        with self.pool.connection() as conn:
            return positions(conn, list(self.views))

    def positions_now(self) -> ViewPositions:
        """The event store's head and every view's position, now."""
        return ViewPositions(self.head(), self.view_positions())

    def wait_for(self, view_names: list[str], position: int, timeout: float | None = None) -> None:
        """Block until every named view has applied ``position`` (for tools and tests; a
        request waits on the event loop: ``api.positions``)."""
        deadline = time.monotonic() + (timeout or self.settings.read_your_writes_timeout_seconds)
        delay = 0.002
        while True:
            with self.pool.connection() as conn:
                reached = positions(conn, view_names)
            if includes(reached, view_names, position):
                return
            if time.monotonic() >= deadline:
                raise PositionNotReached(
                    f"views {', '.join(view_names)} have not reached position {position} yet"
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.05)

    def wrong_keys(self, conn: Connection[DictRow]) -> list[str]:
        """The settings of this process's keys that do not open the store now, read on
        ``conn`` (``/readyz`` reads on its own connection)."""
        return wrong_keys(conn, self.keys, self.keyring)

    def close(self) -> None:
        self.app.close()
        self.pool.close()
        self.view_datastore.close()


def eventsourcing_env(settings: Settings, database: Database, event_key: str) -> dict[str, str]:
    return database.eventsourcing_env() | {
        "PERSISTENCE_MODULE": "api.event_store:CaseworkInfrastructure",
        SESSION_PARAMETERS: make_conninfo("", **database.session_parameters()),
        "CREATE_TABLE": "no",
        # With database functions on, subscribers skip events when writers commit concurrently.
        "POSTGRES_ENABLE_DB_FUNCTIONS": "no",
        "POSTGRES_LOCK_TIMEOUT": str(settings.lock_timeout_seconds),
        "POSTGRES_POOL_SIZE": str(settings.pool_size),
        # Connections are checked as they are handed out (as ``build``'s pool does).
        "POSTGRES_PRE_PING": "y",
        "POSTGRES_CONNECT_TIMEOUT": str(int(settings.database_wait_seconds)),
        "POSTGRES_MAX_OVERFLOW": str(settings.pool_size),
        "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
        "CIPHER_KEY": event_key,
        "APPLICATION_RECORDER_TOPIC": "api.event_store:CaseworkRecorder",
        "AGGREGATE_CACHE_MAXSIZE": "20000",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
    }


def trusted_issuer(settings: Settings) -> TokenVerifier:
    """The token verifier, with the issuer's key set read and checked."""
    try:
        return TokenVerifier(settings)
    except (OSError, ValueError, jwt.PyJWTError):
        if settings.jwt_jwks_file is None:
            raise
        raise InsecureConfiguration(
            f"CASEWORK_JWT_JWKS_FILE {settings.jwt_jwks_file} is not a readable JSON Web Key Set"
        ) from None


def load_blind_index(keyring: Keyring) -> BlindIndex:
    """The blind-index key, from the key store (wrapped by the master key): created by the first
    process that starts, read by every other."""
    key = keyring.key_or_create(BLIND_INDEX_SUBJECT)
    if key is None:
        raise RuntimeError("the blind-index key has been destroyed; restore it from a backup")
    return BlindIndex(key)


def _sealers(keyring: Keyring) -> Callable[[], LoginSealer]:
    """What a keyed migration step seals with: made only if it has something to seal."""
    return lambda: LoginSealer(keyring, load_blind_index(keyring))


def proved_keys(
    pool: ConnectionPool[Connection[DictRow]],
    keys: Keys,
    fence: ErasureFence | None = None,
    cache_seconds: float = 5.0,
) -> tuple[Keys, Keyring]:
    """The keys, proved to open the store before anything reads or writes it: development keys
    generated for a missing key file are kept only if the store holds nothing encrypted, and
    keys that do not open what it holds are refused (``api.key_check``)."""
    with pool.connection() as conn:
        keys = settle_generated(conn, keys)
    keyring = Keyring(keys.master_key, PostgresKeyStore(pool, fence), cache_seconds)
    with pool.connection() as conn:
        refuse_wrong_keys(conn, keys, keyring)
    return keys, keyring


def record_keys(pool: ConnectionPool[Connection[DictRow]], keys: Keys, keyring: Keyring) -> None:
    """Once migrated: the store's proof of its keys, written by its first process."""
    with pool.connection() as conn:
        record_key_check(conn, keys, keyring)


def open_store(
    pool: ConnectionPool[Connection[DictRow]],
    settings: Settings,
    database: Database,
    keys: Keys,
    *,
    apply_migrations: bool = True,
) -> tuple[Keys, Keyring, list[str]]:
    """What every start that opens the store does first, before any worker or request can read
    a key: prove the keys, migrate (unless told not to), record the key check, and destroy
    again every key the erasure fence lists that the database still holds (a restored backup;
    ``api.erasure_fence``). The keys, the keyring and the migrations applied now."""
    fence = ErasureFence(settings.erasure_fence_path)
    keys, keyring = proved_keys(pool, keys, fence, settings.key_cache_seconds)
    applied: list[str] = []
    if apply_migrations:
        applied = migrate(
            database.with_limits(settings, migrating=True).conninfo,
            logins=_sealers(keyring),
        )
    record_keys(pool, keys, keyring)
    if apply_fence(pool, fence):
        keyring.forget(fence.subject_ids())
    return keys, keyring, applied


def migrate_with_keys(settings: Settings) -> list[str]:
    """``casework migrate``: apply pending migrations, with the keys their keyed steps need."""
    keys = load_keys(settings)
    database = resolve_database(settings)
    with tool_pool(database) as pool:
        return open_store(pool, settings, database, keys)[2]


def tool_pool(
    database: Database, application_name: str = "casework-tool"
) -> ConnectionPool[Connection[DictRow]]:
    """A small pool for a command that opens the store and leaves (migrate, keys rotate), its
    connections named ``application_name``."""
    return ConnectionPool(
        database.conninfo,
        connection_class=Connection[DictRow],
        min_size=1,
        max_size=2,
        kwargs={
            "row_factory": dict_row,
            "autocommit": True,
            "application_name": application_name,
        },
    )


def build(
    settings: Settings, *, apply_migrations: bool = True, database: Database | None = None
) -> Container:
    # Secrets first: a bad key or key set never starts (or migrates) a database.
    keys = load_keys(settings)
    verifier = trusted_issuer(settings)
    database = (database or resolve_database(settings)).with_limits(settings)
    pool: ConnectionPool[Connection[DictRow]] = CheckedPool(
        database.conninfo,
        connection_class=Connection[DictRow],
        min_size=1,
        max_size=settings.pool_size * 2,
        # Short indexed reads: JIT compilation only ever costs them (and, on stale statistics,
        # costs hundreds of milliseconds).
        kwargs={"row_factory": dict_row, "autocommit": True}
        | {"options": f"{database.session_parameters().get('options', '')} -c jit=off"},
        timeout=settings.database_wait_seconds,
        open=True,
    )
    try:
        keys, keyring, _ = open_store(
            pool, settings, database, keys, apply_migrations=apply_migrations
        )
    except BaseException:
        pool.close()
        raise
    blind_index = load_blind_index(keyring)
    logins = LoginSealer(keyring, blind_index)
    app = CaseworkApplication(keyring, env=eventsourcing_env(settings, database, keys.event_key))
    principals = PrincipalCache(app.principal_for)
    app.on_access_changed(principals.forget)
    params = database.parameters()
    view_datastore = PostgresDatastore(
        dbname=params["dbname"],
        host=params["host"],
        port=params["port"],
        user=params["user"],
        password=params["password"],
        pool_size=2,
        max_overflow=len(VIEW_CLASSES) * 2,
        lock_timeout=settings.lock_timeout_seconds,
        pre_ping=True,
        connect_timeout=settings.database_wait_seconds,
    )
    limit_connections(view_datastore, database)
    container = Container(
        settings=settings,
        database=database,
        keys=keys,
        app=app,
        keyring=keyring,
        blind_index=blind_index,
        logins=logins,
        pool=pool,
        view_datastore=view_datastore,
        verifier=verifier,
        principals=principals,
        slots=ExecutionSlots(settings.concurrent_requests),
        posting_cache=PostingCheckCache(),
    )
    container.views = {cls.name: cls(view_datastore, logins) for cls in VIEW_CLASSES}
    # Deliveries follow the access policy: the webhooks view asks the write side who an
    # endpoint's owner is, and what a record is about (docs/rules.md §14).
    webhooks = container.views[WebhooksView.name]
    if not isinstance(webhooks, WebhooksView):
        raise TypeError(f"view {WebhooksView.name} is not the webhooks view")
    webhooks.bind(app)
    app.webhook_loopback_http = settings.is_development
    return container

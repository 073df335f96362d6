"""Principals kept between requests (api/principals.py): a change to someone's grants reaches
their next request, whichever process saved it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from uuid import UUID

import psycopg
import pytest

from api.changes import APPLICATION_NAME, ChangeListener
from api.principals import CHANNEL, PrincipalCache
from api.wiring import Container, build
from domain.access.aggregates import access_id_for
from domain.access.commands import RevokeRole
from domain.shared.actor import acting_as
from domain.shared.policy import Principal
from tests import builders as make
from tests.api_client import Client

ME = "{ me { roles { role schoolId } } }"
DEPUTY = "deputy@primary.demo"


def eventually(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture
def elsewhere(server_database, settings) -> Iterator[Container]:
    """Another process's view of the same database: its saves reach this one only through
    PostgreSQL's notices."""
    other = build(settings, database=server_database, apply_migrations=False)
    yield other
    other.close()


@pytest.fixture
def seeded(container: Container) -> dict[str, str]:
    """`casework seed demo`, without a server: the trust id and the schools' ids by key."""
    from api.seed import seed_demo

    trust_id, schools, _, _ = seed_demo(container)
    return {"trust": str(trust_id), **{k: str(v) for k, v in schools.items()}}


def grant_deputy(saver: Container, ids: dict[str, str]) -> None:
    app = saver.app
    with acting_as(app.principal_for("head@primary.demo")):
        make.grant(app, DEPUTY, "deputy_dsl", UUID(ids["trust"]), UUID(ids["primary"]))


def roles(client: Client) -> list[str]:
    return [r["role"] for r in client.data(ME)["me"]["roles"]]


def test_a_grant_saved_by_another_process_reaches_the_next_request(live, settings, demo, elsewhere):
    deputy = Client(live.url, settings, DEPUTY)
    assert roles(deputy) == []
    assert live.container.principals.holds(DEPUTY)  # kept between requests

    grant_deputy(elsewhere, demo)

    assert eventually(lambda: roles(deputy) == ["DEPUTY_DSL"])
    assert live.container.principals.enabled


def test_a_revocation_in_this_process_reaches_the_next_read_at_once(container, seeded):
    cache = container.principals
    cache.enable()  # as if the listener were up; the save itself must drop the principal
    before = cache.get("dsl@primary.demo")
    assert before.grants and cache.holds("dsl@primary.demo")
    app = container.app
    (grant,) = before.grants
    with acting_as(app.principal_for("head@primary.demo")):
        app.revoke_role(
            RevokeRole(
                user_id="dsl@primary.demo",
                role=grant.role.value,
                trust_id=grant.trust_id,
                school_id=grant.school_id,
            )
        )

    assert not cache.holds("dsl@primary.demo")
    assert cache.get("dsl@primary.demo").grants == frozenset()


def test_while_changes_cannot_be_heard_nothing_is_kept(container, seeded, elsewhere):
    listener = ChangeListener(container.database.conninfo, {CHANNEL: container.principals}, 0.5)
    listener.start()
    try:
        assert eventually(listener.listening.is_set)
        container.principal(DEPUTY)
        assert container.principals.holds(DEPUTY)
        with psycopg.connect(container.database.conninfo, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s AND datname = current_database()",
                (APPLICATION_NAME,),
            )
        assert eventually(lambda: not container.principals.enabled)
        assert not container.principals.holds(DEPUTY)

        grant_deputy(elsewhere, seeded)
        assert [g.role.value for g in container.principal(DEPUTY).grants] == ["deputy_dsl"]

        assert eventually(listener.listening.is_set)  # reconnected: keeping again
        container.principal(DEPUTY)
        assert container.principals.holds(DEPUTY)
    finally:
        listener.stop()


def test_a_load_that_overlaps_a_change_is_not_kept():
    loads: list[str] = []
    cache: PrincipalCache

    def load(user_id: str) -> Principal:
        loads.append(user_id)
        if len(loads) == 1:  # the user's grants change while their record is being read
            cache.forget([access_id_for(user_id)])
        return Principal(user_id=user_id)

    cache = PrincipalCache(load)
    cache.enable()
    cache.get("someone")
    assert not cache.holds("someone")
    cache.get("someone")
    assert cache.holds("someone")
    cache.get("someone")
    assert loads == ["someone", "someone"]


def test_the_least_recently_used_principal_goes_first_when_full():
    cache = PrincipalCache(lambda user_id: Principal(user_id=user_id), maxsize=2)
    cache.enable()
    for user in ("a", "b", "a", "c"):
        cache.get(user)
    assert [cache.holds(u) for u in ("a", "b", "c")] == [True, False, True]


def test_a_change_to_anyone_up_a_chain_of_grants_drops_the_principal_kept():
    chain = {"third": frozenset({"second", "head"})}  # third's grants came from second, from head
    cache = PrincipalCache(
        lambda user_id: Principal(user_id, granters=chain.get(user_id, frozenset()))
    )
    cache.enable()
    cache.get("third")
    cache.forget([access_id_for("head")])
    assert not cache.holds("third")

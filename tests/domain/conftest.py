"""Domain specifications run on the library's in-memory persistence: no database."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from uuid import UUID

import pytest

from domain.application import CaseworkApplication
from domain.directory.commands import CreateTrust, RegisterSchool
from domain.shared.actor import acting_as
from domain.shared.policy import Principal, Role
from domain.shared.sealing import InMemoryKeyStore, Keyring
from tests import builders as make

OPERATOR = Principal.operator("tests")


@pytest.fixture
def app() -> Iterator[CaseworkApplication]:
    keyring = Keyring(os.urandom(32), InMemoryKeyStore())
    application = CaseworkApplication(keyring, env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield application
    application.close()


@pytest.fixture
def trust_id(app: CaseworkApplication) -> UUID:
    with acting_as(OPERATOR):
        trust, _ = app.create_trust(CreateTrust(name="Oak Learning Trust"))
    return trust


@pytest.fixture
def school_id(app: CaseworkApplication, trust_id: UUID) -> UUID:
    with acting_as(OPERATOR):
        school, _ = app.register_school(
            RegisterSchool(trust_id=trust_id, name="Oak Primary", urn="123456")
        )
    return school


def as_user(app: CaseworkApplication, user_id: str):
    """Act as ``user_id`` with the grants the record gives them now."""
    return acting_as(app.principal_for(user_id))


def oak_staff(
    app: CaseworkApplication, trust_id: UUID, school_id: UUID, roles: Iterable[tuple[str, str]]
) -> dict[str, UUID]:
    """Given Oak's headteacher Hal Price and two staff reporters with logins, Dana Cole (teacher)
    and Lee Hart (support), with ``roles`` granted at the school too: their staff records' ids."""
    with acting_as(OPERATOR):
        make.grant(app, "head@oak", Role.HEADTEACHER, trust_id, school_id)
        make.grant_all(app, trust_id, school_id, roles)
        make.grant(app, "dana@oak", Role.STAFF_REPORTER, trust_id, school_id)
        make.grant(app, "lee@oak", Role.STAFF_REPORTER, trust_id, school_id)
        head = make.staff(app, school_id, "Hal Price", "headteacher", "head@oak")
    with as_user(app, "head@oak"):
        dana = make.staff(app, school_id, "Dana Cole", "teacher", "dana@oak")
        lee = make.staff(app, school_id, "Lee Hart", "support", "lee@oak")
    return {"head": head, "dana": dana, "lee": lee}


@contextmanager
def appends_nothing(app: CaseworkApplication) -> Iterator[None]:
    """Then nothing is recorded."""
    before = app.recorder.max_notification_id()
    yield
    assert app.recorder.max_notification_id() == before


@contextmanager
def refused_as(
    app: CaseworkApplication, user_id: str, error: type[Exception]
) -> Iterator[pytest.ExceptionInfo]:
    """When ``user_id`` gives the command, then ``error`` is raised and nothing is recorded."""
    with appends_nothing(app), as_user(app, user_id), pytest.raises(error) as caught:
        yield caught


def events(app: CaseworkApplication, record_id: UUID) -> list:
    return list(app.events.get(record_id))


def last_event(app: CaseworkApplication, record_id: UUID):
    return events(app, record_id)[-1]

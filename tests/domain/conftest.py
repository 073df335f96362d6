"""Domain specifications run on the library's in-memory persistence: no database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from uuid import UUID

import pytest

from domain.application import CaseworkApplication
from domain.directory.commands import CreateTrust, RegisterSchool
from domain.shared.actor import acting_as
from domain.shared.policy import Principal
from domain.shared.sealing import InMemoryKeyStore, Keyring

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

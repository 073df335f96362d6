"""A user vouched for by one trust's identity provider acts only in that trust."""

from __future__ import annotations

from uuid import uuid4

from domain.shared.policy import Grant, Principal, Role, confined_to_trust

TRUST, OTHER_TRUST, SCHOOL, OTHER_SCHOOL = uuid4(), uuid4(), uuid4(), uuid4()


def test_confined_to_a_trust_a_principal_keeps_its_grants_there():
    grants = frozenset({Grant(Role.DSL, TRUST, SCHOOL), Grant(Role.DPO, TRUST)})
    assert confined_to_trust(Principal("dsl", grants), TRUST).grants == grants


def test_confined_to_a_trust_a_principal_loses_its_grants_in_another():
    here, there = Grant(Role.DSL, TRUST, SCHOOL), Grant(Role.DSL, OTHER_TRUST, OTHER_SCHOOL)
    assert confined_to_trust(Principal("dsl", frozenset({here, there})), TRUST).grants == {here}


def test_confined_to_a_trust_a_principal_is_still_the_subject_of_its_own_records():
    me = uuid4()
    confined = confined_to_trust(Principal("head", subject_of=frozenset({me})), TRUST)
    assert confined.subject_of == {me}

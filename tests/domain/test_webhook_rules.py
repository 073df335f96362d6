"""The webhook rules (docs/rules.md §14): signatures as Standard Webhooks computes them, the URLs
and kinds an endpoint may have, and who is told of what."""

from __future__ import annotations

import base64
from uuid import uuid4

import pytest

from domain.shared.errors import ValidationFailed
from domain.shared.policy import Action, Grant, Principal, Role, Target
from domain.webhooks.rules import (
    Readers,
    endpoint_url,
    event_kinds,
    may_be_told,
    new_secret,
    signature,
)


def test_the_signature_matches_the_standard_webhooks_published_test_vector() -> None:
    signed = signature(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        b'{"test": 2432232314}',
    )
    assert signed == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_secret_is_whsec_and_base64_of_32_random_bytes() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert new_secret() != secret


def test_an_endpoint_url_must_be_https() -> None:
    with pytest.raises(ValidationFailed) as refused:
        endpoint_url("http://hooks.example/x", loopback_http=True)
    assert refused.value.field == "url"


def test_http_is_allowed_to_localhost_only_outside_production() -> None:
    assert endpoint_url("http://127.0.0.1:8080/h", loopback_http=True) == "http://127.0.0.1:8080/h"
    with pytest.raises(ValidationFailed):
        endpoint_url("http://127.0.0.1:8080/h", loopback_http=False)


def test_an_endpoint_url_carries_no_credentials() -> None:
    with pytest.raises(ValidationFailed):
        endpoint_url("https://user:pw@hooks.example/x", loopback_http=False)


def test_kinds_must_be_known_and_at_least_one() -> None:
    assert event_kinds(["incident_closed", "incident_reported", "incident_closed"]) == [
        "incident_closed",
        "incident_reported",
    ]
    with pytest.raises(ValidationFailed):
        event_kinds([])
    with pytest.raises(ValidationFailed):
        event_kinds(["pupil_registered"])


TRUST, SCHOOL, OTHER = uuid4(), uuid4(), uuid4()
DSL = Principal("dsl", frozenset({Grant(Role.DSL, TRUST, SCHOOL)}))
INCIDENTS = Readers(Action.VIEW_INCIDENT)


def test_the_owner_is_told_of_a_record_they_may_read_in_the_endpoints_school() -> None:
    target = Target(TRUST, SCHOOL, frozenset({uuid4()}))
    assert may_be_told(DSL, INCIDENTS, target, TRUST, SCHOOL)


def test_the_owner_is_never_told_of_another_schools_record() -> None:
    assert not may_be_told(DSL, INCIDENTS, Target(TRUST, OTHER), TRUST, None)


def test_the_owner_is_never_told_of_a_record_about_them() -> None:
    me = uuid4()
    dsl = Principal("dsl", DSL.grants, subject_of=frozenset({me}))
    assert not may_be_told(dsl, INCIDENTS, Target(TRUST, SCHOOL, frozenset({me})), TRUST, SCHOOL)


def test_a_case_member_is_told_of_their_case_but_never_its_subject() -> None:
    case = Readers(Action.OVERSEE_ALLEGATIONS, frozenset({"dsl"}))
    assert may_be_told(DSL, case, Target(TRUST, SCHOOL), TRUST, SCHOOL)
    about_them = Readers(Action.OVERSEE_ALLEGATIONS, frozenset({"dsl"}), subject_login="dsl")
    assert not may_be_told(DSL, about_them, Target(TRUST, SCHOOL), TRUST, SCHOOL)


def test_the_owner_is_never_told_of_a_record_their_role_does_not_read() -> None:
    # An allegation's readers are its case members and the trust safeguarding lead.
    case = Readers(Action.OVERSEE_ALLEGATIONS, frozenset({"head"}))
    assert not may_be_told(DSL, case, Target(TRUST, SCHOOL), TRUST, SCHOOL)

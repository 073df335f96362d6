"""Recording an export of an allegation's referral evidence (docs/rules.md §13): given a case,
when its export is recorded, then the event commits to the recipient, the bundle's fingerprint
and the heads of what it exported, or a named error and nothing recorded."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from domain.lado.contents import Head
from domain.lado.export import MAX_RECIPIENT
from domain.shared.errors import NotFound, ValidationFailed, VersionConflict
from domain.staff_cases.allegations import Allegation
from domain.staff_cases.commands import CloseAllegation, RecordReferralExport
from projections.staff_cases.chronology import entry_for
from tests.domain import test_staff_cases
from tests.domain.conftest import appends_nothing, as_user, events, last_event
from tests.domain.test_staff_cases import allege, decide

people = test_staff_cases.people  # a fixture: Oak's staff, a DSL and a pupil

FINGERPRINT = "ab" * 32
RECIPIENT = "LADO, Northshire County Council"


def export(app, allegation_id: UUID, user: str = "dsl@oak", **overrides):
    command = RecordReferralExport(
        allegation_id=allegation_id,
        export_id=overrides.pop("export_id", uuid4()),
        recipient=overrides.pop("recipient", RECIPIENT),
        fingerprint=overrides.pop("fingerprint", FINGERPRINT),
        heads=overrides.pop(
            "heads", [Head(allegation_id, len(events(app, allegation_id)), "cd" * 32)]
        ),
        expected_version=overrides.pop("expected_version", len(events(app, allegation_id))),
    )
    with as_user(app, user):
        return app.record_referral_export(command)


def refused(app, allegation_id, error, user="dsl@oak", **overrides):
    with appends_nothing(app), pytest.raises(error) as caught:
        export(app, allegation_id, user, **overrides)
    return caught.value


def test_an_export_by_the_case_team_commits_to_recipient_fingerprint_and_heads(app, people):
    allegation_id = allege(app, people["dana"])
    export_id = uuid4()
    export(app, allegation_id, export_id=export_id)
    exported = last_event(app, allegation_id)
    assert isinstance(exported, Allegation.ReferralExported)
    assert (exported.export_id, exported.fingerprint) == (export_id, FINGERPRINT)
    assert exported.heads == [
        {"aggregate": str(allegation_id), "version": 1, "entry_hash": "cd" * 32}
    ]
    assert app.keyring.open(exported.recipient) == RECIPIENT


def test_the_trust_safeguarding_lead_may_export(app, people):
    allegation_id = allege(app, people["dana"])
    export(app, allegation_id, user="tsl@oak")
    assert isinstance(last_event(app, allegation_id), Allegation.ReferralExported)


def test_someone_outside_the_case_is_answered_as_for_an_unknown_allegation(app, people):
    allegation_id, unknown_id = allege(app, people["dana"]), uuid4()
    outsider = refused(app, allegation_id, NotFound, user="lee@oak")
    unknown = refused(app, unknown_id, NotFound, user="lee@oak")
    assert str(outsider).replace(str(allegation_id), "X") == str(unknown).replace(
        str(unknown_id), "X"
    )


def test_the_allegations_subject_is_answered_as_for_an_unknown_allegation(app, people):
    allegation_id = allege(app, people["dana"])
    refused(app, allegation_id, NotFound, user="dana@oak")


def test_an_empty_recipient_is_refused(app, people):
    allegation_id = allege(app, people["dana"])
    assert refused(app, allegation_id, ValidationFailed, recipient="  ").field == "recipient"


def test_an_absurdly_long_recipient_is_refused(app, people):
    allegation_id = allege(app, people["dana"])
    error = refused(app, allegation_id, ValidationFailed, recipient="x" * (MAX_RECIPIENT + 1))
    assert error.field == "recipient"


def test_a_recipient_of_more_than_one_line_is_refused(app, people):
    allegation_id = allege(app, people["dana"])
    refused(app, allegation_id, ValidationFailed, recipient="LADO\nSomewhere else")


def test_a_fingerprint_that_is_not_a_sha256_is_refused(app, people):
    allegation_id = allege(app, people["dana"])
    error = refused(app, allegation_id, ValidationFailed, fingerprint="not a digest")
    assert error.field == "fingerprint"


def test_an_export_of_no_record_is_refused(app, people):
    allegation_id = allege(app, people["dana"])
    assert refused(app, allegation_id, ValidationFailed, heads=[]).field == "heads"


def test_a_case_changed_since_its_facts_were_gathered_is_refused(app, people):
    allegation_id = allege(app, people["dana"])
    refused(app, allegation_id, VersionConflict, expected_version=0)


def test_a_closed_case_may_still_be_exported(app, people):
    allegation_id = allege(app, people["dana"])
    decide(app, allegation_id, "unfounded")
    with as_user(app, "head@oak"):
        app.close_allegation(CloseAllegation(allegation_id=allegation_id))
    export(app, allegation_id)
    assert isinstance(last_event(app, allegation_id), Allegation.ReferralExported)


def test_the_export_is_in_the_case_chronology_with_its_recipient_sealed(app, people):
    allegation_id = allege(app, people["dana"])
    export(app, allegation_id)
    entry = entry_for(last_event(app, allegation_id))
    assert entry is not None and entry.kind == "referral_exported"
    assert FINGERPRINT in entry.summary and RECIPIENT not in entry.summary

"""Builders for the world a specification starts from: trusts, schools, grants, staff, pupils,
parents and channels. Each issues one command with the defaults no test cares about and returns
the new record's id, so a test names only what matters to it. The caller chooses who acts
(``acting_as(...)``); a builder never does."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from domain.access.commands import GrantRole
from domain.consent.commands import (
    AuthorisePoster,
    Choice,
    GiveConsent,
    OpenChannel,
    RecordPublication,
    WithdrawConsent,
)
from domain.directory.commands import (
    CreateTrust,
    LinkParent,
    RegisterPupil,
    RegisterSchool,
    RegisterStaffMember,
)
from domain.staff_cases.commands import AllegationDetails, ReceiveAllegation
from domain.staff_cases.model import HarmTests

BORN = date(2013, 4, 1)


def trust(app: Any, name: str = "Oak Learning Trust") -> UUID:
    return app.create_trust(CreateTrust(name))[0]


def school(app: Any, trust_id: UUID, name: str = "Oak Primary", urn: str = "123456") -> UUID:
    return app.register_school(RegisterSchool(trust_id, name, urn))[0]


def grant(
    app: Any, user_id: str, role: str, trust_id: UUID, school_id: UUID | None = None
) -> tuple[UUID, int]:
    """Grant one role; returns what the handler does: the grant record's id and position."""
    return app.grant_role(
        GrantRole(user_id=user_id, role=role, trust_id=trust_id, school_id=school_id)
    )


def grant_all(
    app: Any, trust_id: UUID, school_id: UUID | None, roles: Iterable[tuple[str, str]]
) -> None:
    """Grant each ``(user_id, role)`` pair at the same trust and school."""
    for user_id, role in roles:
        grant(app, user_id, role, trust_id, school_id)


def staff(
    app: Any,
    school_id: UUID,
    full_name: str,
    staff_role: str = "teacher",
    user_id: str | None = None,
    started_on: date | None = None,
) -> UUID:
    command = RegisterStaffMember(school_id, full_name, staff_role, user_id, started_on)
    return app.register_staff_member(command)[0]


def pupil(
    app: Any, school_id: UUID, full_name: str, born: date = BORN, year_group: int = 8
) -> UUID:
    return app.register_pupil(RegisterPupil(school_id, full_name, born, year_group))[0]


def parent(
    app: Any,
    pupil_id: UUID,
    full_name: str | None = None,
    relationship: str = "mother",
    parental_responsibility: bool = True,
    parent_id: UUID | None = None,
) -> UUID:
    command = LinkParent(pupil_id, relationship, parental_responsibility, parent_id, full_name)
    return app.link_parent(command)[0]


def channel(
    app: Any,
    school_id: UUID,
    administrator_id: UUID,
    opened_on: date,
    kind: str = "school_social_media",
    **overrides: Any,
) -> UUID:
    """Open an official channel with its risk assessment approved a week before it opens."""
    fields: dict[str, Any] = {
        "platform": "Instagram",
        "account_name": "@oakprimary",
        "purpose": "Celebrating pupils' achievements",
        "risk_assessment_approved_by": "Hal Price",
        "risk_assessment_approver": "headteacher",
        "risk_assessment_approved_on": opened_on - timedelta(days=7),
        "mfa_enabled": True,
    } | overrides
    channel_id, _ = app.open_channel(
        OpenChannel(
            school_id=school_id,
            kind=kind,
            master_administrator_id=administrator_id,
            opened_on=opened_on,
            **fields,
        )
    )
    return channel_id


def school_with(
    app: Any,
    trust_id: UUID,
    user_id: str,
    role: str,
    name: str = "Elm Primary",
    urn: str = "654321",
) -> UUID:
    """Another school in the trust, with ``user_id`` granted ``role`` there."""
    school_id = school(app, trust_id, name, urn)
    grant(app, user_id, role, trust_id, school_id)
    return school_id


def parental_consent(
    app: Any, pupil_id: UUID, parent_id: UUID, medium: str, channel: str, at: datetime, **form: Any
) -> None:
    """A parent's form consenting to ``medium`` on ``channel``, received ``at``."""
    fields: dict[str, Any] = {
        "method": "paper_form",
        "reference": "FORM-1",
        "statement_version": "v1",
    } | form
    app.give_consent(
        GiveConsent(
            pupil_id=pupil_id,
            consenter_kind="parent_carer",
            choices=[Choice([medium], [channel], True)],
            received_at=at,
            parent_carer_id=parent_id,
            **fields,
        )
    )


def parental_withdrawal(
    app: Any, pupil_id: UUID, parent_id: UUID, medium: str, channel: str, at: datetime, **form: Any
) -> None:
    """A parent's letter withdrawing consent to ``medium`` on ``channel``, received ``at``."""
    fields: dict[str, Any] = {"method": "letter", "reference": "LETTER-3"} | form
    app.withdraw_consent(
        WithdrawConsent(
            pupil_id=pupil_id,
            consenter_kind="parent_carer",
            media=[medium],
            channels=[channel],
            received_at=at,
            parent_carer_id=parent_id,
            **fields,
        )
    )


def poster(app: Any, channel_id: UUID, staff_id: UUID, at: datetime) -> None:
    app.authorise_poster(
        AuthorisePoster(channel_id=channel_id, staff_member_id=staff_id, effective_at=at)
    )


def photo_post(
    app: Any, channel_id: UUID, pupil_id: UUID, poster_id: UUID, at: datetime, description: str
) -> UUID:
    """An identifiable photo of one pupil, posted ``at`` by ``poster_id``."""
    publication_id, _ = app.record_publication(
        RecordPublication(
            channel_id=channel_id,
            posted_at=at,
            media=["photo"],
            pupil_ids=[pupil_id],
            identifiable=True,
            caption_names_anyone=False,
            posted_by_id=poster_id,
            description=description,
        )
    )
    return publication_id


def allegation(
    app: Any,
    staff_id: UUID,
    description: str,
    at: datetime | None = None,
    source: str = "pupil",
    received_via: str = "in_person",
    details: AllegationDetails | None = None,
) -> UUID:
    """An allegation about ``staff_id`` that meets the first harm test, received ``at`` (now),
    with its referral ``details`` if given."""
    command = ReceiveAllegation(
        staff_member_id=staff_id,
        received_at=at or datetime.now(UTC),
        source=source,
        received_via=received_via,
        description=description,
        harm_tests=HarmTests(True, False, False, False),
        details=details or AllegationDetails(),
    )
    return app.receive_allegation(command).record_id


def post_then_withdrawal(
    app: Any,
    channel_id: UUID,
    kind: str,
    pupil_id: UUID,
    parent_id: UUID,
    poster_id: UUID,
    start: datetime,
    description: str,
    **withdrawal: Any,
) -> UUID:
    """Given a poster authorised at ``start``, a photo of the pupil posted an hour later and the
    parent's withdrawal of photos on that channel an hour after that: the post's id."""
    poster(app, channel_id, poster_id, start)
    hour = timedelta(hours=1)
    publication_id = photo_post(app, channel_id, pupil_id, poster_id, start + hour, description)
    parental_withdrawal(app, pupil_id, parent_id, "photo", kind, start + 2 * hour, **withdrawal)
    return publication_id

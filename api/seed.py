"""`casework seed demo`: a demo trust with two schools, staff, pupils, parents, role grants, and
each school's Facebook page with consent forms for three of its pupils."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

from api.wiring import Container
from domain.access.commands import GrantRole
from domain.application import CaseworkApplication
from domain.consent.commands import (
    AuthorisePoster,
    Choice,
    GiveConsent,
    OpenChannel,
)
from domain.directory.aggregates import School, school_id_for_urn
from domain.directory.commands import (
    CreateTrust,
    LinkParent,
    RegisterPupil,
    RegisterSchool,
    RegisterStaffMember,
)
from domain.shared.actor import acting_as
from domain.shared.errors import ValidationFailed
from domain.shared.policy import Principal, Role
from domain.staff_cases.commands import (
    ConfigureStaffCases,
)

OPERATOR = Principal.operator("seed")
SCHOOLS = (("900001", "Demo Primary School", "primary"), ("900002", "Demo Academy", "academy"))
PUPILS = (
    ("Amira Khan", date(2015, 3, 14), 5),
    ("Oliver Smith", date(2016, 7, 2), 4),
    ("Grace Okafor", date(2014, 11, 23), 6),
    ("Leo Nowak", date(2017, 1, 9), 3),
)


@dataclass(frozen=True)
class DemoUser:
    user_id: str
    role: Role
    school: str | None  # school key, or None for a trust-wide role
    name: str


def demo_users() -> list[DemoUser]:
    users = [
        DemoUser("tsl@demo.trust", Role.TRUST_SAFEGUARDING_LEAD, None, "Morgan Reid"),
        DemoUser("dpo@demo.trust", Role.DPO, None, "Priya Shah"),
        DemoUser("chair@demo.trust", Role.CHAIR_OF_GOVERNORS, None, "Jordan Blake"),
    ]
    for _, _, key in SCHOOLS:
        users += [
            DemoUser(f"head@{key}.demo", Role.HEADTEACHER, key, f"Head of {key}"),
            DemoUser(f"dsl@{key}.demo", Role.DSL, key, f"DSL of {key}"),
            DemoUser(f"datalead@{key}.demo", Role.DATA_LEAD, key, f"Data lead of {key}"),
            DemoUser(f"teacher@{key}.demo", Role.STAFF_REPORTER, key, f"Teacher at {key}"),
        ]
    return users


def seed_demo(container: Container) -> tuple[UUID, dict[str, UUID], int, bool]:
    """Create the demo once; return (trust id, school ids by key, last position, created?)."""
    app = container.app
    first_school = school_id_for_urn(SCHOOLS[0][0])
    if first_school in app.repository:
        school = app.get(School, first_school, "School")
        found = {key: school_id_for_urn(urn) for urn, _, key in SCHOOLS}
        return school.trust_id, found, container.head(), False
    position = 0
    with acting_as(OPERATOR):
        trust_id, _ = app.create_trust(CreateTrust(name="Demo Learning Trust"))
        ids: dict[str, UUID] = {}
        for urn, name, key in SCHOOLS:
            ids[key], _ = app.register_school(RegisterSchool(trust_id=trust_id, name=name, urn=urn))
        for user in demo_users():
            school_id = ids[user.school] if user.school else None
            _, position = app.grant_role(
                GrantRole(
                    user_id=user.user_id, role=user.role, trust_id=trust_id, school_id=school_id
                )
            )
    with acting_as(app.principal_for("tsl@demo.trust")):
        # Allegations and low-level concerns about a headteacher go to the chair of governors.
        app.configure_staff_cases(
            ConfigureStaffCases(
                trust_id=trust_id,
                headteacher_case_manager="chair@demo.trust",
                headteacher_case_manager_title="chair of governors",
            )
        )
    with acting_as(OPERATOR):
        for key, school_id in ids.items():
            staff: dict[str, UUID] = {}
            for user in demo_users():
                if user.school == key and user.role is not Role.STAFF_REPORTER:
                    role = "headteacher" if user.role is Role.HEADTEACHER else "teacher"
                    staff[user.user_id], _ = app.register_staff_member(
                        RegisterStaffMember(
                            school_id=school_id,
                            full_name=user.name,
                            staff_role=role,
                            user_id=user.user_id,
                        )
                    )
            staff["teacher"], _ = app.register_staff_member(
                RegisterStaffMember(
                    school_id=school_id,
                    full_name=f"Sam Jones ({key})",
                    staff_role="teacher",
                    user_id=f"teacher@{key}.demo",
                )
            )
            app.register_staff_member(
                RegisterStaffMember(
                    school_id=school_id, full_name="Chris Volunteer", staff_role="volunteer"
                )
            )
            pupils = []
            for full_name, dob, year in PUPILS:
                pupil_id, _ = app.register_pupil(
                    RegisterPupil(
                        school_id=school_id, full_name=full_name, date_of_birth=dob, year_group=year
                    )
                )
                surname = full_name.split()[-1]
                parent_id, position = app.link_parent(
                    LinkParent(
                        pupil_id=pupil_id,
                        relationship="parent",
                        parental_responsibility=True,
                        full_name=f"Alex {surname}",
                    )
                )
                pupils.append((pupil_id, parent_id))
            position = _consent(app, school_id, staff[f"dsl@{key}.demo"], staff["teacher"], pupils)
    return trust_id, ids, position, True


def _consent(
    app: CaseworkApplication,
    school_id: UUID,
    administrator: UUID,
    poster: UUID,
    pupils: list[tuple[UUID, UUID]],
) -> int:
    """The school's Facebook page with its teacher authorised to post, and consent forms for
    the first three pupils (the third refusing videos); the fourth has no record."""
    received = datetime(2025, 9, 3, 8, 30, tzinfo=UTC)
    channel, _ = app.open_channel(
        OpenChannel(
            school_id=school_id,
            kind="school_social_media",
            platform="Facebook",
            account_name="Demo school news",
            master_administrator_id=administrator,
            purpose="Celebrating pupils' successes and school events",
            opened_on=date(2025, 9, 1),
            risk_assessment_approved_by="Head of school",
            risk_assessment_approver="headteacher",
            risk_assessment_approved_on=date(2025, 8, 20),
            mfa_enabled=True,
        )
    )
    position = app.authorise_poster(
        AuthorisePoster(channel_id=channel, staff_member_id=poster, effective_at=received)
    )[1]
    for number, (pupil_id, parent_id) in enumerate(pupils[:3]):
        choices = [Choice(["photo", "video"], ["school_social_media", "school_website"], True)]
        if number == 2:
            choices = [
                Choice(["photo"], ["school_social_media", "school_website"], True),
                Choice(["video"], ["school_social_media", "school_website"], False),
            ]
        _, position = app.give_consent(
            GiveConsent(
                pupil_id=pupil_id,
                consenter_kind="parent_carer",
                choices=choices,
                method="paper_form",
                reference=f"Joiner form {number + 1}",
                statement_version="2025-09 v1",
                received_at=received,
                parent_carer_id=parent_id,
            )
        )
    return position


def grant_if_missing(
    container: Container, user_id: str, role: str, trust_id: UUID, school_id: UUID | None
) -> None:
    with acting_as(Principal.operator("cli")):
        try:
            container.app.grant_role(
                GrantRole(user_id=user_id, role=role, trust_id=trust_id, school_id=school_id)
            )
        except ValidationFailed as error:
            if "already holds" not in error.message:
                raise

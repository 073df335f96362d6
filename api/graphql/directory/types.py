"""The directory's object types, each built from its view row."""

from __future__ import annotations

import datetime

import strawberry
from strawberry.types import Info

from api.graphql.common import Opened, SealedText, open_rows, parse_id, to_id
from api.graphql.context import Context
from api.graphql.enums import StaffRole
from api.graphql.incidents import ChronologyEntry, pupil_chronology
from api.graphql.staff_cases import (
    ConcernHistory,
    ReferenceView,
    StaffPatternFlag,
    concern_history,
    reference_view,
    staff_pattern_flags,
)
from domain.directory.rules import person_target, school_target
from domain.shared.policy import Target
from projections.directory import queries
from projections.directory.queries import ParentLinkRow, PupilRow, SchoolRow, StaffRow


@strawberry.type(
    description="A trust (a maintained school or single-academy trust is a trust of one)."
)
class Trust:
    id: strawberry.ID
    name: str


@strawberry.type(description="A school (academy) in a trust.")
class School:
    id: strawberry.ID
    trust_id: strawberry.ID
    name: str
    urn: str = strawberry.field(description="The school's Unique Reference Number.")
    registered_at: datetime.datetime

    @classmethod
    def from_row(cls, row: SchoolRow) -> School:
        return cls(
            id=to_id(row.school_id),
            trust_id=to_id(row.trust_id),
            name=row.name,
            urn=row.urn,
            registered_at=row.registered_at,
        )


@strawberry.type(description="A parent or carer linked to a pupil.")
class ParentLink:
    parent_id: strawberry.ID
    full_name: SealedText
    relationship: str
    parental_responsibility: bool

    @classmethod
    def from_row(cls, row: ParentLinkRow, opened: Opened) -> ParentLink:
        return cls(
            parent_id=to_id(row.parent_id),
            full_name=opened.erasable(row.full_name),
            relationship=row.relationship,
            parental_responsibility=row.parental_responsibility,
        )


@strawberry.type(description="A pupil. Reading one is written to the access log.")
class Pupil:
    id: strawberry.ID
    school_id: strawberry.ID
    full_name: SealedText
    date_of_birth: SealedText = strawberry.field(description="ISO date, sealed.")
    year_group: int = strawberry.field(description="-2 (N1), -1 (N2), 0 (Reception) to 13.")
    left_on: datetime.date | None
    destination: SealedText | None
    version: int = strawberry.field(description="Pass as `expectedVersion` to guard an update.")
    target: strawberry.Private[Target]

    @classmethod
    def from_row(cls, row: PupilRow, opened: Opened) -> Pupil:
        return cls(
            id=to_id(row.pupil_id),
            school_id=to_id(row.school_id),
            full_name=opened.erasable(row.full_name),
            date_of_birth=opened.erasable(row.date_of_birth),
            year_group=row.year_group,
            left_on=row.left_on,
            destination=opened.sealed(row.destination),
            version=row.version,
            target=school_target(row.trust_id, row.school_id),
        )

    @strawberry.field(description="Parents and carers linked to this pupil. Each read is logged.")
    def parents(self, info: Info[Context, None]) -> list[ParentLink]:
        ctx = info.context
        links = queries.parents_of(ctx.conn, parse_id("id", self.id))
        opened = open_rows(ctx, links)
        for link in links:
            ctx.log_read("view", "parent_carer", link.parent_id, self.target)
        return [ParentLink.from_row(link, opened) for link in links]

    @strawberry.field(
        description="Every chronology entry of every incident this pupil appears in, oldest first "
        "(the school's DSL and deputies). The read is logged."
    )
    def chronology(self, info: Info[Context, None]) -> list[ChronologyEntry]:
        pupil_id = parse_id("id", self.id)
        target = person_target(self.target.trust_id, self.target.school_id, pupil_id)
        return pupil_chronology(info.context, pupil_id, target)


@strawberry.type(description="An adult working in or for a school. Reading one is logged.")
class StaffMember:
    id: strawberry.ID
    school_id: strawberry.ID
    full_name: SealedText
    role: StaffRole
    user_id: str | None = strawberry.field(
        description="The login this person signs in with. Null if none, or erased."
    )
    started_on: datetime.date | None
    left_on: datetime.date | None
    leaving_reason: SealedText | None
    version: int
    target: strawberry.Private[Target]

    @classmethod
    def from_row(cls, row: StaffRow, opened: Opened) -> StaffMember:
        return cls(
            id=to_id(row.staff_id),
            school_id=to_id(row.school_id),
            full_name=opened.erasable(row.full_name),
            role=StaffRole(row.staff_role),
            user_id=opened.text(row.user_id),
            started_on=row.started_on,
            left_on=row.left_on,
            leaving_reason=opened.sealed(row.leaving_reason),
            version=row.version,
            target=person_target(row.trust_id, row.school_id, row.staff_id),
        )

    @strawberry.field(
        description="Allegations, low-level concerns and social-media records about this person: "
        "each part only as far as you may read it, with counts. Reads are logged."
    )
    def concern_history(self, info: Info[Context, None]) -> ConcernHistory:
        return concern_history(info.context, parse_id("id", self.id), self.target)

    @strawberry.field(
        description="Low-level concerns in a rolling 12 months at or over the threshold (the "
        "trust's setting unless given) and repeated contact attempts, each with its records."
    )
    def pattern_flags(
        self, info: Info[Context, None], threshold: int | None = None
    ) -> list[StaffPatternFlag]:
        return staff_pattern_flags(info.context, parse_id("id", self.id), self.target, threshold)

    @strawberry.field(
        description="The personnel record's allegations and what may appear in a reference "
        "(headteacher, trust safeguarding lead)."
    )
    def reference_view(self, info: Info[Context, None]) -> ReferenceView:
        return reference_view(info.context, parse_id("id", self.id), self.target)


@strawberry.type(
    description="A pupil on roll as a reporting form offers them: no date of birth, parents or "
    "records."
)
class PupilPick:
    id: strawberry.ID
    display_name: str
    year_group: int = strawberry.field(description="-2 (N1), -1 (N2), 0 (Reception) to 13.")


@strawberry.type(description="A member of staff in post as a reporting form offers them.")
class StaffPick:
    id: strawberry.ID
    display_name: str
    role: StaffRole


def pupils_of(ctx: Context, rows: list[PupilRow], action: str) -> list[Pupil]:
    """The pupils of ``rows``, each read written to the access log as ``action``."""
    opened = open_rows(ctx, rows)
    for row in rows:
        ctx.log_read(action, "pupil", row.pupil_id, school_target(row.trust_id, row.school_id))
    return [Pupil.from_row(row, opened) for row in rows]


def staff_of(ctx: Context, rows: list[StaffRow], action: str) -> list[StaffMember]:
    """The staff of ``rows``, each read written to the access log as ``action``."""
    opened = open_rows(ctx, rows)
    for row in rows:
        target = school_target(row.trust_id, row.school_id)
        ctx.log_read(action, "staff_member", row.staff_id, target)
    return [StaffMember.from_row(row, opened) for row in rows]

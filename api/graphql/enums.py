"""The domain's enumerations exposed as GraphQL enums, registered once, before any type uses them."""

import strawberry

from domain.access.policy import Role
from domain.directory.aggregates import StaffRole
from domain.incidents.model import ActionKind, Device, Part, Risk, Source, Status

for enum_type, description in (
    (Role, "A role held in a school, or across a trust."),
    (StaffRole, "The kind of adult working in or for the school (KCSIE Part four scope)."),
    (Risk, "The DSL's risk assessment."),
    (Status, "reported → triaged → closed (→ reopened)."),
    (Part, "A person's part in an incident."),
    (Source, "How the concern reached the reporter."),
    (Device, "Whose device was used."),
    (ActionKind, "What was done, or decided, about an incident."),
):
    strawberry.enum(enum_type, description=description)

__all__ = ["ActionKind", "Device", "Part", "Risk", "Role", "Source", "StaffRole", "Status"]

"""The access policy's former home. The policy moved to :mod:`domain.shared.policy`: every
feature's commands authorise with it, and the shared base they stand on needs it, so it is part
of the ground floor, not of the access feature. Its names stay importable from here until every
import names the new module."""

from domain.shared.policy import (
    PERMISSIONS,
    ROLE_SCOPES,
    Action,
    Grant,
    LoginRef,
    Principal,
    Reach,
    Role,
    Scope,
    Target,
    authorise,
    authorise_case,
    case_reach,
    permits,
    reach,
    schools_in_trust,
)

__all__ = [
    "PERMISSIONS",
    "ROLE_SCOPES",
    "Action",
    "Grant",
    "LoginRef",
    "Principal",
    "Reach",
    "Role",
    "Scope",
    "Target",
    "authorise",
    "authorise_case",
    "case_reach",
    "permits",
    "reach",
    "schools_in_trust",
]

"""GraphQL for KCSIE Part four: allegations against staff, low-level concerns, and staff
social-media records (issue 4): object types (``types.py``), the queries, the staff-member
fields (``staff.py``), and the mutations with their inputs."""

from api.graphql.staff_cases.mutations import StaffCaseMutation
from api.graphql.staff_cases.queries import StaffCaseQuery
from api.graphql.staff_cases.reading import STAFF_CASES
from api.graphql.staff_cases.staff import concern_history, reference_view, staff_pattern_flags
from api.graphql.staff_cases.types import ConcernHistory, ReferenceView, StaffPatternFlag

__all__ = [
    "STAFF_CASES",
    "ConcernHistory",
    "ReferenceView",
    "StaffCaseMutation",
    "StaffCaseQuery",
    "StaffPatternFlag",
    "concern_history",
    "reference_view",
    "staff_pattern_flags",
]

"""GraphQL for identity and access: `me`, role grants, and the DPO's access log."""

from api.graphql.access.mutations import AccessMutation
from api.graphql.access.queries import AccessQuery

__all__ = ["AccessMutation", "AccessQuery"]

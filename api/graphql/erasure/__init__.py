"""GraphQL for erasure: a dry run or a request (``eraseRecords``), its approval by a second
person, its cancellation, and the erasures of a trust as recorded."""

from api.graphql.erasure.mutations import ErasureMutation
from api.graphql.erasure.queries import ErasureQuery

__all__ = ["ErasureMutation", "ErasureQuery"]

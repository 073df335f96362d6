"""GraphQL for retention (docs/rules.md §9): the schedule, review decisions, legal holds and
a trust's configuration."""

from api.graphql.retention.mutations import RetentionMutation
from api.graphql.retention.queries import RETENTION, RetentionQuery

__all__ = ["RETENTION", "RetentionMutation", "RetentionQuery"]

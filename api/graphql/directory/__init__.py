"""GraphQL for the directory: schools and the people in them."""

from api.graphql.directory.mutations import DirectoryMutation
from api.graphql.directory.queries import DirectoryQuery

__all__ = ["DirectoryMutation", "DirectoryQuery"]

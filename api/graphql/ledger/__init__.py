"""GraphQL for the tamper-evident ledger: a record's proof, and the ledger's health."""

from api.graphql.ledger.queries import LedgerQuery

__all__ = ["LedgerQuery"]

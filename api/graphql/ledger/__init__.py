"""GraphQL for the tamper-evident ledger: a record's proof, the ledger's health, and a trust's
public signing keys."""

from api.graphql.ledger.queries import LedgerQuery

__all__ = ["LedgerQuery"]

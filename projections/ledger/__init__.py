"""The ledger's integrator and reads: entries, tiles and the head, in PostgreSQL."""

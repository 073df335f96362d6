-- A nightly audit need not recompute the field digests an earlier audit already recomputed
-- (projections/ledger/audit, docs/rules.md §12.5): a run that found the store intact with every
-- field recomputed records the root it rebuilt, and seals (size, root) with an HMAC under a
-- key the master key wraps, which someone with only database access cannot forge. The next
-- run recomputes fields from that size on, and fails if the first `size` leaves no longer make
-- that root.
ALTER TABLE ledger_verifications
    ADD COLUMN root bytea,
    ADD COLUMN fields_from bigint,
    ADD COLUMN seal bytea;

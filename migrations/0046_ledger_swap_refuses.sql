-- The integrator's compare-and-swap of the log's head (projections/ledger/integrator.py) as a
-- statement that refuses, as an error, a head it does not find: the batch that extends the log
-- then need not read the swap's result back before it commits (a round trip for every live
-- batch); a refusal aborts the batch's transaction at its commit, and the worker reads the head
-- again. The error's SQLSTATE is projections.runner.POSITION_MOVED_SQLSTATE.
CREATE FUNCTION ledger_swap_head(old_size bigint, old_root bytea, new_size bigint, new_root bytea)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ledger_head SET size = new_size, root = new_root, updated_at = now()
        WHERE log = 1 AND size = old_size AND root = old_root;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the ledger''s head is not the one of size % that this batch extends',
            old_size USING ERRCODE = 'CW409';
    END IF;
END $$;

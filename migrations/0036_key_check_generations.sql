-- The master key can be rotated (casework keys rotate, api/key_rotation.py): each rotation adds
-- a new proof of the new master key as the next generation, in the same transaction as it
-- re-wraps every data key and trust signing key; a process proves its keys against the latest
-- generation of each key. Old proofs stay (the table is still append-only): the rows of the
-- first generation are those migration 0021 wrote.
ALTER TABLE key_check ADD COLUMN generation integer NOT NULL DEFAULT 1 CHECK (generation >= 1);
ALTER TABLE key_check DROP CONSTRAINT key_check_pkey;
ALTER TABLE key_check ADD PRIMARY KEY (key_name, generation);

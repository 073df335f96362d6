-- The tamper-evident ledger (domain/ledger, projections/ledger): an RFC 6962 Merkle log with one
-- leaf per event of casework_events, in the store's global order, under a dense leaf index.
-- Nothing here is personal data: entries hold ids, the topic, times, the hash of the stored
-- (encrypted) state and salted digests of the event's fields, whose salts live with the data keys.

-- One row per leaf. ``entry`` is the canonical JSON (RFC 8785) the leaf hash commits to.
CREATE TABLE ledger_entries (
    leaf_index bigint PRIMARY KEY,
    position bigint NOT NULL UNIQUE,
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    entry bytea NOT NULL,
    leaf_hash bytea NOT NULL CHECK (length(leaf_hash) = 32),
    UNIQUE (originator_id, originator_version)
);
CREATE TRIGGER ledger_entries_append_only
    BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION casework_refuse_change();

-- The tree, as C2SP tlog-tiles: tile (level L, index N) holds up to 256 consecutive hashes of
-- tree level 8L, from node N*256. A partial tile (the right edge) grows in place; a full tile
-- (8,192 bytes) never changes again.
CREATE TABLE ledger_tiles (
    level smallint NOT NULL CHECK (level >= 0),
    tile_index bigint NOT NULL CHECK (tile_index >= 0),
    hashes bytea NOT NULL CHECK (length(hashes) BETWEEN 32 AND 8192 AND length(hashes) % 32 = 0),
    PRIMARY KEY (level, tile_index)
);
CREATE FUNCTION ledger_tiles_only_grow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR length(OLD.hashes) = 8192 OR length(NEW.hashes) < length(OLD.hashes)
        OR substring(NEW.hashes FROM 1 FOR length(OLD.hashes)) <> OLD.hashes THEN
        RAISE EXCEPTION 'ledger tiles only grow' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER ledger_tiles_grow_only
    BEFORE UPDATE OR DELETE ON ledger_tiles
    FOR EACH ROW EXECUTE FUNCTION ledger_tiles_only_grow();

-- The log's head: its size and root. The integrator compares and swaps it in the transaction
-- that adds leaves, so a second integrator can never fork the log. No row: the empty log.
CREATE TABLE ledger_head (
    log smallint PRIMARY KEY CHECK (log = 1),
    size bigint NOT NULL CHECK (size >= 0),
    root bytea NOT NULL CHECK (length(root) = 32),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Every checkpoint the log signed (a C2SP signed note), and the witnesses' co-signatures.
CREATE TABLE ledger_checkpoints (
    size bigint PRIMARY KEY CHECK (size > 0),
    root bytea NOT NULL CHECK (length(root) = 32),
    note text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER ledger_checkpoints_append_only
    BEFORE UPDATE OR DELETE ON ledger_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION casework_refuse_change();
CREATE TABLE ledger_cosignatures (
    size bigint NOT NULL REFERENCES ledger_checkpoints (size),
    witness text NOT NULL,
    signature text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (size, witness)
);
CREATE TRIGGER ledger_cosignatures_append_only
    BEFORE UPDATE OR DELETE ON ledger_cosignatures
    FOR EACH STATEMENT EXECUTE FUNCTION casework_refuse_change();

-- How each configured witness last answered (one row per witness key name).
CREATE TABLE ledger_witness_status (
    witness text PRIMARY KEY,
    url text NOT NULL,
    state text NOT NULL CHECK (state IN ('cosigning', 'refusing', 'unreachable')),
    cosigned_size bigint,
    http_status integer,
    error text,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Each run of `casework verify`: what it checked and what it found.
CREATE TABLE ledger_verifications (
    run_id bigserial PRIMARY KEY,
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    ok boolean NOT NULL,
    events_checked bigint NOT NULL,
    tree_size bigint NOT NULL,
    checkpoints_checked integer NOT NULL,
    fields_checked boolean NOT NULL,
    first_failure_position bigint,
    failure_kind text,
    failure text
);
CREATE TRIGGER ledger_verifications_append_only
    BEFORE UPDATE OR DELETE ON ledger_verifications
    FOR EACH STATEMENT EXECUTE FUNCTION casework_refuse_change();

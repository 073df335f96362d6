-- Each trust's two signing keys (api/trust_keys.py), created on first use: Ed25519 for the
-- signatures of its evidence bundles, and ECDSA P-256 with a self-signed X.509 certificate
-- naming the trust, for PAdES signatures on PDFs. Private keys are stored only wrapped by the
-- master key (as data keys are). They are kept out of data_keys on purpose: a trust is nobody's
-- personal data, and no erasure may ever reach these keys, so a row is never deleted and its
-- keys never set to NULL; only re-wrapping (a master-key rotation) may change the wrapped bytes.
CREATE TABLE trust_signing_keys (
    trust_id uuid PRIMARY KEY,
    ed25519_wrapped bytea NOT NULL,   -- the 32-byte Ed25519 seed, wrapped
    ecdsa_wrapped bytea NOT NULL,     -- the P-256 private key (PKCS #8 DER), wrapped
    certificate bytea NOT NULL,       -- the self-signed certificate (DER): public
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION trust_signing_keys_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'a trust''s signing keys are never destroyed'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.trust_id <> OLD.trust_id OR NEW.certificate <> OLD.certificate
        OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'a trust''s signing keys are only ever re-wrapped'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER trust_signing_keys_kept
    BEFORE UPDATE OR DELETE ON trust_signing_keys
    FOR EACH ROW EXECUTE FUNCTION trust_signing_keys_kept();

-- Where each read model has got to (the library's single-row tracking table shape), and its health.
CREATE TABLE projection_tracking (
    application_name text PRIMARY KEY,
    notification_id bigint
);
CREATE TABLE projection_status (
    name text PRIMARY KEY,
    state text NOT NULL,            -- running | failed
    failed_position bigint,
    error text,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- cutover store, schema version 1 (PostgreSQL). Times are Unix milliseconds, as in SQLite.

CREATE TABLE flags (
    key          TEXT PRIMARY KEY,
    version      BIGINT NOT NULL CHECK (version >= 1),
    description  TEXT NOT NULL DEFAULT '',
    owner        TEXT NOT NULL DEFAULT '',
    enabled      BOOLEAN NOT NULL,
    stage        TEXT NOT NULL,
    rollout_bps  BIGINT NOT NULL CHECK (rollout_bps BETWEEN 0 AND 10000),
    killed       BOOLEAN NOT NULL,
    stickiness   TEXT NOT NULL,
    salt         TEXT,
    scope        TEXT NOT NULL DEFAULT '[]',
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    updated_by   TEXT NOT NULL
);

CREATE TABLE overrides (
    flag_key    TEXT NOT NULL REFERENCES flags (key) ON DELETE CASCADE,
    attribute   TEXT NOT NULL,
    value       TEXT NOT NULL,
    variant     TEXT NOT NULL CHECK (variant IN ('legacy', 'new')),
    expires_at  BIGINT,
    position    BIGINT NOT NULL,
    PRIMARY KEY (flag_key, attribute, value)
);

CREATE TABLE presets (
    name        TEXT PRIMARY KEY,
    definition  TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL
);

-- Append-only. `before` and `after` are the exact JSON text that was hashed: TEXT, never JSONB,
-- which would re-serialise it and break the chain.
CREATE TABLE audit_log (
    id         BIGINT PRIMARY KEY,
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    entity     TEXT NOT NULL,
    before     TEXT,
    after      TEXT,
    reason     TEXT,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);

CREATE INDEX audit_log_by_actor ON audit_log (actor, id);
CREATE INDEX audit_log_by_entity ON audit_log (entity, id);
CREATE INDEX audit_log_by_action ON audit_log (action, id);
CREATE INDEX audit_log_by_time ON audit_log (at, id);

CREATE TABLE audit_head (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    last_id    BIGINT NOT NULL,
    last_hash  TEXT NOT NULL
);

INSERT INTO audit_head (singleton, last_id, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- cutover store, schema version 1 (SQLite). Times are Unix milliseconds.

CREATE TABLE flags (
    key          TEXT PRIMARY KEY NOT NULL,
    version      INTEGER NOT NULL CHECK (version >= 1),
    description  TEXT NOT NULL DEFAULT '',
    owner        TEXT NOT NULL DEFAULT '',
    enabled      INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    stage        TEXT NOT NULL,
    rollout_bps  INTEGER NOT NULL CHECK (rollout_bps BETWEEN 0 AND 10000),
    killed       INTEGER NOT NULL CHECK (killed IN (0, 1)),
    stickiness   TEXT NOT NULL,
    salt         TEXT,
    scope        TEXT NOT NULL DEFAULT '[]',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    updated_by   TEXT NOT NULL
) STRICT;

CREATE TABLE overrides (
    flag_key    TEXT NOT NULL REFERENCES flags (key) ON DELETE CASCADE,
    attribute   TEXT NOT NULL,
    value       TEXT NOT NULL,
    variant     TEXT NOT NULL CHECK (variant IN ('legacy', 'new')),
    expires_at  INTEGER,
    position    INTEGER NOT NULL,
    PRIMARY KEY (flag_key, attribute, value)
) STRICT;

CREATE TABLE presets (
    name        TEXT PRIMARY KEY NOT NULL,
    definition  TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    updated_by  TEXT NOT NULL
) STRICT;

-- Append-only. `before` and `after` are the exact JSON text that was hashed.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY NOT NULL,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    entity     TEXT NOT NULL,
    before     TEXT,
    after      TEXT,
    reason     TEXT,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
) STRICT;

CREATE INDEX audit_log_by_actor ON audit_log (actor, id);
CREATE INDEX audit_log_by_entity ON audit_log (entity, id);
CREATE INDEX audit_log_by_action ON audit_log (action, id);
CREATE INDEX audit_log_by_time ON audit_log (at, id);

-- The last committed entry, moved in the same transaction as every append, so deleting the
-- newest entries is detected.
CREATE TABLE audit_head (
    singleton  INTEGER PRIMARY KEY NOT NULL CHECK (singleton = 1),
    last_id    INTEGER NOT NULL,
    last_hash  TEXT NOT NULL
) STRICT;

INSERT INTO audit_head (singleton, last_id, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- cutover store, schema version 3 (SQLite): what each arm of each flag did, per minute, as SDKs
-- report it. Counts add up; `latency` is the JSON of a mergeable latency sketch.

CREATE TABLE arm_metrics (
    flag          TEXT NOT NULL,
    arm           TEXT NOT NULL CHECK (arm IN ('legacy', 'new')),
    window_start  INTEGER NOT NULL,
    calls         INTEGER NOT NULL CHECK (calls >= 0),
    errors        INTEGER NOT NULL CHECK (errors >= 0),
    fallbacks     INTEGER NOT NULL CHECK (fallbacks >= 0),
    retries       INTEGER NOT NULL CHECK (retries >= 0),
    latency       TEXT NOT NULL,
    PRIMARY KEY (flag, arm, window_start)
) STRICT;

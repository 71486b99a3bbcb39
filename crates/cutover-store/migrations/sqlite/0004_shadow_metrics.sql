-- cutover store, schema version 4 (SQLite): what shadow runs of each flag found, per minute.
-- `counts` is the JSON of the core's ShadowCounts, merged on every upload.

CREATE TABLE shadow_metrics (
    flag          TEXT NOT NULL,
    window_start  INTEGER NOT NULL,
    counts        TEXT NOT NULL,
    PRIMARY KEY (flag, window_start)
) STRICT;

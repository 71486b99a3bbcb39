-- cutover store, schema version 5 (SQLite): guarded rollouts.
-- A flag's plan, its rollout in progress and its latest golden run are JSON of the core's
-- RolloutPlan, RolloutRun and GoldenResult; every look of the guard that decided something or
-- changed a verdict is kept in guard_history with its numbers (JSON of the core's Assessment).

ALTER TABLE flags ADD COLUMN rollout_plan TEXT;
ALTER TABLE flags ADD COLUMN rollout_run TEXT;
ALTER TABLE flags ADD COLUMN golden TEXT;

CREATE TABLE guard_history (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    flag        TEXT NOT NULL,
    at          INTEGER NOT NULL,
    step        INTEGER NOT NULL,
    rollout_bps INTEGER NOT NULL,
    action      TEXT NOT NULL,
    verdict     TEXT NOT NULL,
    assessment  TEXT NOT NULL
) STRICT;

CREATE INDEX guard_history_by_flag ON guard_history (flag, id);

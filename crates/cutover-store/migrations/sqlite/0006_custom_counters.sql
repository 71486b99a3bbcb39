-- cutover store, schema version 6: counters a service names itself (calls that were
-- `invalid_json`, ...), per arm and window, as a JSON object of name -> count.

ALTER TABLE arm_metrics ADD COLUMN custom TEXT NOT NULL DEFAULT '{}';

-- cutover store, schema version 8 (sqlite; 7 is the audit txn column): the keyed seal of the audit
-- head. A writer holding the audit key stores an HMAC-SHA256 over the new head after every
-- append (seal_id, seal_mac), and the stretch of entries it found written without the key
-- (seal_gap_from..seal_gap_to) until someone accepts it. NULL everywhere: never sealed.

ALTER TABLE audit_head ADD COLUMN seal_id INTEGER;
ALTER TABLE audit_head ADD COLUMN seal_gap_from INTEGER;
ALTER TABLE audit_head ADD COLUMN seal_gap_to INTEGER;
ALTER TABLE audit_head ADD COLUMN seal_mac TEXT;

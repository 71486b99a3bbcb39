-- cutover store, schema version 7: the transaction an audit entry was written in (the id of its
-- first entry), so followers apply entries committed together as one change. Not hashed; NULL
-- for entries written before, each of which stands alone.

ALTER TABLE audit_log ADD COLUMN txn INTEGER;

-- migrate:no-transaction
CREATE INDEX CONCURRENTLY slow_identity_idx ON slow (slow_identity(id));

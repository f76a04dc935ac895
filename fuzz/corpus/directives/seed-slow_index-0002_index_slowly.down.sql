-- migrate:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS slow_identity_idx;

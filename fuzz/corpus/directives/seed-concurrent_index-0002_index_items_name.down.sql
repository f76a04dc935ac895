-- migrate:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS items_name;

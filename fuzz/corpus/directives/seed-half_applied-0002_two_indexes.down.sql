-- migrate:no-transaction
DROP INDEX IF EXISTS items_missing;
DROP INDEX IF EXISTS items_name;

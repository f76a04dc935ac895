-- migrate:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS accounts_email;

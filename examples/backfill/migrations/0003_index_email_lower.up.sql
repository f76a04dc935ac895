-- migrate:allow index-without-concurrently missing-lock-timeout
-- The example runs on SQLite as well, which has no CONCURRENTLY, and its
-- table is small; on a busy PostgreSQL table build the index with
-- CREATE UNIQUE INDEX CONCURRENTLY in a -- migrate:no-transaction migration.
CREATE UNIQUE INDEX accounts_email_lower ON accounts (email_lower);

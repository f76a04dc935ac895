-- migrate:no-transaction
-- What `migrate new add-index --unique` wrote: the build fails on the
-- duplicate and leaves an invalid index, which IF NOT EXISTS then skips.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS accounts_email ON accounts (email);

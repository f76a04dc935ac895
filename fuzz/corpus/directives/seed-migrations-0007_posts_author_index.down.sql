-- migrate:no-transaction

DROP INDEX CONCURRENTLY IF EXISTS idx_posts_author_created;

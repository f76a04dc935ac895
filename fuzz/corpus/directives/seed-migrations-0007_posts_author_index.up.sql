-- migrate:no-transaction
-- Builds the index without locking posts against writes; runs outside a transaction.

CREATE INDEX CONCURRENTLY idx_posts_author_created ON posts(author_id, created_at DESC);

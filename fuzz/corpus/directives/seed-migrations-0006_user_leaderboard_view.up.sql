-- Leaderboard of users with a positive loyalty score; the top 10% may create topics.
-- The unique index on user_id allows REFRESH MATERIALIZED VIEW CONCURRENTLY.

CREATE MATERIALIZED VIEW user_leaderboard AS
SELECT
    u.id AS user_id,
    u.username,
    u.loyalty_score,
    ROW_NUMBER() OVER (ORDER BY u.loyalty_score DESC, u.created_at ASC) AS rank,
    CASE
        WHEN ROW_NUMBER() OVER (ORDER BY u.loyalty_score DESC, u.created_at ASC) <=
             (SELECT COUNT(*) * 0.1 FROM users WHERE loyalty_score > 0)
        THEN true
        ELSE false
    END AS can_create_topics,
    u.created_at,
    u.updated_at
FROM users u
WHERE u.loyalty_score > 0
ORDER BY u.loyalty_score DESC, u.created_at ASC;

CREATE UNIQUE INDEX idx_leaderboard_user_id ON user_leaderboard(user_id);
CREATE INDEX idx_leaderboard_rank ON user_leaderboard(rank);

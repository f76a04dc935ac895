-- Undo 0006 (the view's indexes go with it).

DROP MATERIALIZED VIEW IF EXISTS user_leaderboard;

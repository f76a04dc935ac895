-- Undo 0003.

DROP INDEX IF EXISTS idx_user_preferences_key;
DROP TABLE IF EXISTS user_preferences;

-- Undo 0004: drop in reverse dependency order (indexes go with their tables).

DROP TABLE IF EXISTS translations;
DROP TABLE IF EXISTS moderation_events;
DROP TABLE IF EXISTS user_badges;
DROP TABLE IF EXISTS badges;
DROP TABLE IF EXISTS topic_tags;
DROP TABLE IF EXISTS tags;
DROP TABLE IF EXISTS sanctions;
DROP TABLE IF EXISTS flags;
DROP TABLE IF EXISTS appeals;

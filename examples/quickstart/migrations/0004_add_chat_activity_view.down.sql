-- Undo 0004.

DROP VIEW IF EXISTS chat_activity;

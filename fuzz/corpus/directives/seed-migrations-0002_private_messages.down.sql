-- Undo 0002.

DROP TABLE IF EXISTS private_messages;

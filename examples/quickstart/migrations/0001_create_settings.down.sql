-- Undo 0001.

DROP TABLE IF EXISTS settings;

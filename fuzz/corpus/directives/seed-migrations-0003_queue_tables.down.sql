-- Undo 0003.

DROP TABLE IF EXISTS private_message_queue;
DROP TABLE IF EXISTS post_moderation_queue;
DROP TABLE IF EXISTS topic_creation_queue;

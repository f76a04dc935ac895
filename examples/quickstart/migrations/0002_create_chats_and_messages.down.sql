-- Undo 0002: messages first, they reference chats.

DROP INDEX IF EXISTS idx_chat_messages_user_id;
DROP INDEX IF EXISTS idx_chat_messages_chat_created;
DROP TABLE IF EXISTS chat_messages;
DROP TABLE IF EXISTS chats;

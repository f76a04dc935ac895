-- Per-chat activity summary: number of messages and time of the latest one.

CREATE VIEW chat_activity AS
SELECT
    c.id AS chat_id,
    c.title,
    COUNT(m.id) AS message_count,
    MAX(m.created_at) AS last_message_at
FROM chats c
LEFT JOIN chat_messages m ON m.chat_id = c.id
GROUP BY c.id, c.title;

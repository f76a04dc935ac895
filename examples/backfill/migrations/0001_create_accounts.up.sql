-- Accounts with mixed-case emails; a later migration wants them matched
-- case-insensitively through a lower-cased copy.
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    email_lower TEXT
);

WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
INSERT INTO accounts (id, email) SELECT i, 'User' || i || '@Example.COM' FROM n;

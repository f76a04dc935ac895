-- migrate:lock-timeout 100ms
-- Needs an ACCESS EXCLUSIVE lock on a table the application reads.
ALTER TABLE hot ADD COLUMN extra int;

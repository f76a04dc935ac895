-- migrate:no-transaction
-- Each statement commits on its own.
CREATE INDEX items_name ON items (name);
UPDATE items SET name = upper(name);

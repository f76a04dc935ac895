-- migrate:no-transaction
CREATE INDEX items_name ON items (name);
CREATE INDEX items_missing ON items (missing_column);

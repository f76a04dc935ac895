-- migrate:no-transaction
UPDATE items SET name = lower(name);
DROP INDEX items_name;

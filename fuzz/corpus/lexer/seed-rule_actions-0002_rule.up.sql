-- migrate:no-transaction
-- One statement: the rule's two actions are in its parentheses.
CREATE RULE ruled_log AS ON INSERT TO ruled DO ALSO (
    INSERT INTO ruled_a VALUES (NEW.id);
    INSERT INTO ruled_b VALUES (NEW.id)
);

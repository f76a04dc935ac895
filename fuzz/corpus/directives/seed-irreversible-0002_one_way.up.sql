-- migrate:irreversible
-- Data is thrown away: there is no way back.
CREATE TABLE one_way (id INTEGER PRIMARY KEY);

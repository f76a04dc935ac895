CREATE SCHEMA elsewhere;
-- The rest of this session now resolves names in `elsewhere` first.
SET search_path TO elsewhere;
CREATE TABLE moved (id int);

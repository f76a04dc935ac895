-- An index on this function takes about 10 ms a row to build.
CREATE FUNCTION slow_identity(i int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_sleep(0.01);
    RETURN i;
END
$$;
CREATE TABLE slow (id int PRIMARY KEY);
INSERT INTO slow SELECT g FROM generate_series(1, 100) AS g;

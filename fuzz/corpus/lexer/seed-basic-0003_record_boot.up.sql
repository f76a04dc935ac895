-- Applied exactly once: a second application would add a second row.
CREATE TABLE boots (id INTEGER PRIMARY KEY, note TEXT NOT NULL);
INSERT INTO boots (id, note) VALUES (1, 'applied');

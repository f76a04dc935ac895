CREATE TABLE replaced_b (id int);

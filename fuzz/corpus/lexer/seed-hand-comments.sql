/* a /* b */ ; */ SELECT $1; -- x
SELECT arr[1] FROM t;
//! The SQLite snapshot on in-memory databases.

use super::super::Snapshot;
use crate::rusqlite::Connection;

fn db(sql: &str) -> Connection {
    let conn = Connection::open_in_memory().expect("open");
    conn.execute_batch(sql).expect(sql);
    conn
}

fn snapshot(conn: &Connection) -> Snapshot {
    super::sqlite(conn, "migrate_history").expect("snapshot")
}

#[test]
fn tables_columns_keys_indexes_views_and_triggers_are_read() {
    let conn = db("CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, \
                    email TEXT NOT NULL UNIQUE, n INT DEFAULT 3); \
                  CREATE TABLE posts (id INTEGER PRIMARY KEY, \
                    user_id INTEGER REFERENCES users (id) ON DELETE CASCADE); \
                  CREATE INDEX posts_user ON posts (user_id DESC); \
                  CREATE UNIQUE INDEX users_lower ON users (lower(email)) WHERE n > 0; \
                  CREATE VIEW v AS SELECT id FROM users; \
                  CREATE TRIGGER t AFTER INSERT ON users BEGIN SELECT 1; END;");
    let s = snapshot(&conn);
    assert_eq!(s.get("table users"), Some("table autoincrement"));
    assert_eq!(s.get("column users.id"), Some("INTEGER primary key"));
    assert_eq!(s.get("column users.email"), Some("TEXT not null"));
    assert_eq!(s.get("column users.n"), Some("INT default 3"));
    assert_eq!(s.get("unique users(email)"), Some(""));
    assert_eq!(
        s.get("foreign key posts(user_id)"),
        Some("references users(id) on update NO ACTION on delete CASCADE match NONE")
    );
    assert_eq!(
        s.get("index posts_user"),
        Some("index on posts (user_id desc)")
    );
    let partial = s.get("index users_lower").unwrap();
    assert!(
        partial.starts_with("unique index on users (<expression>): CREATE UNIQUE INDEX"),
        "{partial}"
    );
    assert_eq!(
        s.get("view v"),
        Some("CREATE VIEW v AS SELECT id FROM users")
    );
    assert!(s
        .get("trigger t")
        .unwrap()
        .starts_with("CREATE TRIGGER t AFTER INSERT"));
    assert!(
        !s.keys().iter().any(|k| k.contains("sqlite_")),
        "{:?}",
        s.keys()
    );
}

#[test]
fn a_table_rebuilt_with_other_spelling_compares_equal() {
    let before = snapshot(&db("CREATE TABLE t (a TEXT NOT NULL, b INT)"));
    // The way a down rebuilds a table: new text, same structure.
    let conn = db(
        "CREATE TABLE t_new (\n  a   TEXT  NOT NULL,\n  b INT\n); ALTER TABLE t_new RENAME TO t;",
    );
    let diff = before.diff(&snapshot(&conn));
    assert!(diff.is_empty(), "{diff}");
}

#[test]
fn a_column_left_behind_or_changed_shows_in_the_diff() {
    let conn = db("CREATE TABLE t (a TEXT, b INT); CREATE INDEX t_a ON t (a)");
    let before = snapshot(&conn);
    conn.execute_batch("ALTER TABLE t ADD COLUMN c TEXT DEFAULT 'x'; DROP INDEX t_a")
        .unwrap();
    assert_eq!(
        before.diff(&snapshot(&conn)).lines(),
        vec![
            "+ column t.c: TEXT default 'x' (left behind)",
            "- index t_a: index on t (a) (missing)",
        ]
    );
    conn.execute_batch("ALTER TABLE t DROP COLUMN c; ALTER TABLE t RENAME COLUMN b TO bb; CREATE INDEX t_a ON t (a)")
        .unwrap();
    assert_eq!(
        before.diff(&snapshot(&conn)).lines(),
        vec![
            "- column t.b: INT (missing)",
            "+ column t.bb: INT (left behind)",
        ]
    );
}

#[test]
fn tracking_tables_and_their_indexes_are_left_out() {
    let conn = db(
        "CREATE TABLE migrate_history (version INTEGER PRIMARY KEY, name TEXT UNIQUE); \
                  CREATE TABLE migrate_history_events (id INTEGER); \
                  CREATE INDEX migrate_history_events_id ON migrate_history_events (id); \
                  CREATE TABLE migrate_historyx (id INTEGER)",
    );
    let s = snapshot(&conn);
    assert_eq!(
        s.keys(),
        vec!["column migrate_historyx.id", "table migrate_historyx"]
    );
    let all = super::sqlite(&conn, "").unwrap();
    assert!(all.keys().contains(&"table migrate_history"));
}

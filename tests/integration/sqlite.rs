//! What only SQLite promises (the contract both engines keep is in
//! `contract`): an in-memory database needs no lock file, a no-transaction
//! migration really runs outside a transaction (`VACUUM`), and a table
//! rebuild keeps the rows that reference the table while a migration that
//! breaks a foreign key fails.

use crate::fixtures::*;
use crate::support::*;

#[test]
fn in_memory_database_needs_no_lock_file() {
    let mut conn = migrate::rusqlite::Connection::open_in_memory().unwrap();
    let report = BASIC.run(&mut conn).unwrap();
    assert_eq!(report.applied().len(), 3);
    assert_eq!(conn.versions(), [1, 2, 3]);
    // The same through a URL.
    let mut any = AnyConnection::open("sqlite::memory:").unwrap();
    assert_eq!(applied(&BASIC.run(&mut any).unwrap()), [1, 2, 3]);
    assert!(BASIC.run(&mut any).unwrap().is_up_to_date());
}

#[test]
fn a_file_database_is_locked_beside_itself() {
    let lite = LiteDb::new();
    BASIC.run(&mut lite.connect()).unwrap();
    let mut lock = lite.path().into_os_string();
    lock.push(".migrate-lock");
    assert!(std::path::Path::new(&lock).exists());
}

#[test]
fn no_transaction_migration_applies_outside_a_transaction() {
    let lite = LiteDb::new();
    let mut conn = lite.connect();
    let report = SQLITE_NO_TRANSACTION
        .run(&mut conn)
        .expect("VACUUM runs outside a transaction");
    let transactional: Vec<bool> = report.applied().iter().map(|a| a.transactional()).collect();
    assert_eq!(transactional, [true, false]);
    assert_eq!(conn.statuses(), ["applied", "applied"]);
}

fn foreign_keys_on(conn: &migrate::rusqlite::Connection) -> bool {
    conn.query_row("PRAGMA foreign_keys", [], |r| r.get::<_, i64>(0))
        .unwrap()
        == 1
}

#[test]
fn a_table_rebuild_keeps_the_rows_that_reference_the_table() {
    // Found in issue 10: foreign keys are enforced on the runner's
    // connection, `PRAGMA foreign_keys = OFF` does nothing inside a
    // transaction, so `DROP TABLE parent` cascaded and emptied `child`.
    let lite = LiteDb::new();
    let mut conn = lite.connect();
    assert!(
        foreign_keys_on(&conn),
        "rusqlite's SQLite enforces foreign keys"
    );
    SQLITE_REBUILD.run(&mut conn).unwrap();
    assert_eq!(
        conn.count("SELECT count(*) FROM child"),
        2,
        "no child row lost"
    );
    assert_eq!(conn.count("SELECT count(*) FROM parent"), 2);
    assert!(
        foreign_keys_on(&conn),
        "the connection's setting is restored"
    );
    // And back down, the same way.
    SQLITE_REBUILD
        .runner()
        .rollback(&mut conn, migrate::Rollback::Last(1))
        .unwrap();
    assert_eq!(conn.count("SELECT count(*) FROM child"), 2);
    assert!(foreign_keys_on(&conn));
}

#[test]
fn a_migration_that_breaks_a_foreign_key_fails_and_rolls_back() {
    let lite = LiteDb::new();
    let mut conn = lite.connect();
    let err = SQLITE_FK_VIOLATION.run(&mut conn).unwrap_err();
    let f = err.migration_failure().expect("a migration failure");
    assert_eq!(f.version(), 2, "{err}");
    assert!(f.message().contains("child"), "names the table: {err}");
    assert_eq!(conn.versions(), [1]);
    assert_eq!(conn.count("SELECT count(*) FROM parent"), 2, "rolled back");
    assert!(
        foreign_keys_on(&conn),
        "the connection's setting is restored"
    );
}

//! What only SQLite promises (the contract both engines keep is in
//! `contract`): an in-memory database needs no lock file, and a
//! no-transaction migration really runs outside a transaction (`VACUUM`).

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

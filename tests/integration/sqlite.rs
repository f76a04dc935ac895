//! The runtime contract on SQLite (temporary database files).

use migrate::Error;

use crate::fixtures::*;
use crate::support::*;

#[test]
fn fresh_apply_creates_every_table_and_second_run_is_a_no_op() {
    let db = LiteDb::new();
    let mut conn = db.connect();
    let report = QUICKSTART.run(&mut conn).expect("apply the quickstart set");
    assert_eq!(report.applied().len(), QUICKSTART.len());
    for table in created_tables(&QUICKSTART) {
        assert!(lite_table_exists(&conn, &table), "table {table} exists");
    }
    let again = QUICKSTART.run(&mut conn).expect("second run");
    assert!(again.is_up_to_date(), "{again}");
    assert_eq!(again.version(), report.version());
    let applies: i64 = conn
        .query_row(
            "SELECT count(*) FROM migrate_history_events WHERE event = 'apply'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(applies, i64::try_from(QUICKSTART.len()).unwrap());
}

#[test]
fn drift_is_refused() {
    let db = LiteDb::new();
    let mut conn = db.connect();
    BASIC.run(&mut conn).unwrap();
    let err = BASIC_EDITED.run(&mut conn).unwrap_err();
    assert!(
        matches!(&err, Error::ChecksumMismatch { version: 2, expected, found, .. }
            if expected == BASIC.get(2).unwrap().checksum() && found == BASIC_EDITED.get(2).unwrap().checksum()),
        "{err}"
    );
}

#[test]
fn unknown_applied_version_is_refused() {
    let db = LiteDb::new();
    let mut conn = db.connect();
    BASIC.run(&mut conn).unwrap();
    let err = BASIC_SHORT.run(&mut conn).unwrap_err();
    assert!(
        matches!(err, Error::UnknownApplied { version: 3, .. }),
        "{err}"
    );
}

#[test]
fn out_of_order_pending_version_is_refused() {
    let db = LiteDb::new();
    let mut conn = db.connect();
    OOO_OLD.run(&mut conn).unwrap();
    let err = OOO_NEW.run(&mut conn).unwrap_err();
    assert!(
        matches!(
            err,
            Error::OutOfOrder {
                version: 20_240_201_000_000,
                ..
            }
        ),
        "{err}"
    );
    assert!(!lite_table_exists(&conn, "second"));
}

#[test]
fn failing_third_migration_keeps_the_first_two_and_nothing_of_the_third() {
    let db = LiteDb::new();
    let mut conn = db.connect();
    let err = FAILING.run(&mut conn).unwrap_err();
    let Some(f) = err.migration_failure() else {
        panic!("expected a migration failure, got {err}");
    };
    assert_eq!(f.version(), 3);
    assert_eq!(f.file(), "tests/fixtures/failing/0003_fail_halfway.up.sql");
    assert_eq!(f.line(), Some(5));
    assert!(f.message().contains("no_such_table"), "{err}");
    assert_eq!(lite_versions(&conn), vec![1, 2]);
    assert!(!lite_table_exists(&conn, "c"));
    let failures: i64 = conn
        .query_row(
            "SELECT count(*) FROM migrate_history_events WHERE event = 'failure' AND version = 3",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(failures, 1);
    // The lock file was released: another connection runs (and fails) at once.
    let mut other = db.connect();
    let again = FAILING
        .runner()
        .lock_wait(std::time::Duration::from_secs(2))
        .run(&mut other)
        .unwrap_err();
    assert!(
        again.migration_failure().map(|f| f.version()) == Some(3),
        "{again}"
    );
}

#[test]
fn nothing_after_a_failing_migration_runs() {
    let db = LiteDb::new();
    let mut conn = db.connect();
    let err = FAILING_MIDDLE.run(&mut conn).unwrap_err();
    assert_eq!(
        err.migration_failure().map(|f| (f.version(), f.line())),
        Some((3, Some(5))),
        "{err}"
    );
    assert_eq!(lite_versions(&conn), vec![1, 2]);
    assert!(!lite_table_exists(&conn, "d"), "migration 4 never ran");
}

#[test]
fn no_transaction_migration_applies_outside_a_transaction() {
    let db = LiteDb::new();
    let mut conn = db.connect();
    let report = SQLITE_NO_TRANSACTION
        .run(&mut conn)
        .expect("VACUUM runs outside a transaction");
    let transactional: Vec<bool> = report.applied().iter().map(|a| a.transactional()).collect();
    assert_eq!(transactional, vec![true, false]);
    let status: String = conn
        .query_row(
            "SELECT status FROM migrate_history WHERE version = 2",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(status, "applied");
}

#[test]
fn in_memory_database_needs_no_lock_file() {
    let mut conn = migrate::rusqlite::Connection::open_in_memory().unwrap();
    let report = BASIC.run(&mut conn).unwrap();
    assert_eq!(report.applied().len(), 3);
    assert_eq!(lite_versions(&conn), vec![1, 2, 3]);
}

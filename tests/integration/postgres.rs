//! The runtime contract on PostgreSQL.

use std::time::Duration;

use migrate::Error;

use crate::fixtures::*;
use crate::support::*;

macro_rules! pg_db {
    ($name:expr) => {
        match PgDb::create($name) {
            Some(db) => db,
            None => return,
        }
    };
}

#[test]
fn fresh_apply_creates_every_table_and_second_run_is_a_no_op() {
    let db = pg_db!("fresh");
    let mut client = db.connect();
    let report = EXAMPLE.run(&mut client).expect("apply the example schema");
    let applied: Vec<u64> = report.applied().iter().map(|a| a.version()).collect();
    let expected: Vec<u64> = EXAMPLE.iter().map(|m| m.version()).collect();
    assert_eq!(applied, expected);
    assert_eq!(report.version(), expected.last().copied());
    assert!(
        report
            .applied()
            .iter()
            .all(|a| a.duration() > std::time::Duration::ZERO),
        "every migration has its own duration: {report}"
    );
    for table in created_tables(&EXAMPLE) {
        assert!(pg_table_exists(&mut client, &table), "table {table} exists");
    }
    let matview: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_matviews WHERE matviewname = 'user_leaderboard'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(matview, 1, "the leaderboard materialized view exists");
    let invalid_indexes: i64 = client
        .query_one("SELECT count(*) FROM pg_index WHERE NOT indisvalid", &[])
        .unwrap()
        .get(0);
    assert_eq!(invalid_indexes, 0);

    assert_session_left_clean(&mut client);

    let events_before = pg_event_counts(&mut client, "apply");
    let again = EXAMPLE.run(&mut client).expect("second run");
    assert!(again.is_up_to_date(), "{again}");
    assert_eq!(again.version(), report.version());
    assert_eq!(pg_event_counts(&mut client, "apply"), events_before);
    let checksums: Vec<String> = client
        .query("SELECT checksum FROM migrate_history ORDER BY version", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let embedded: Vec<&str> = EXAMPLE.iter().map(|m| m.checksum()).collect();
    assert_eq!(checksums, embedded);
}

#[test]
fn rows_returned_by_a_migration_are_not_taken_for_bookkeeping() {
    // Found by the CLI tests: a `SELECT` in a batched migration returned a
    // row read as a duration, and the runner lost count of what it applied.
    let Some(pg) = PgDb::create("selecting") else {
        return;
    };
    let mut client = pg.connect();
    let report = SELECTING.run(&mut client).unwrap();
    let versions: Vec<u64> = report.applied().iter().map(|a| a.version()).collect();
    assert_eq!(versions, [1, 2, 3]);
    assert!(report
        .applied()
        .iter()
        .all(|a| a.duration() < Duration::from_secs(1)));
    assert_eq!(pg_versions(&mut client), [1, 2, 3]);
    assert!(SELECTING.run(&mut client).unwrap().applied().is_empty());
}

#[test]
fn every_down_file_undoes_its_up_file() {
    let db = pg_db!("downs");
    let mut client = db.connect();
    EXAMPLE.run(&mut client).expect("apply");
    // Until rollback exists in the API, run the stored down SQL by hand, in
    // reverse: the schema must be empty of the set's tables afterwards.
    for m in EXAMPLE.iter().rev() {
        client
            .batch_execute(m.down_sql().expect("a down file"))
            .unwrap_or_else(|e| panic!("down of {m}: {e}"));
    }
    for table in created_tables(&EXAMPLE) {
        assert!(
            !pg_table_exists(&mut client, &table),
            "table {table} dropped"
        );
    }
}

#[test]
fn drift_is_refused_with_version_file_and_both_checksums() {
    let db = pg_db!("drift");
    let mut client = db.connect();
    BASIC.run(&mut client).unwrap();
    let err = BASIC_EDITED.run(&mut client).unwrap_err();
    let Error::ChecksumMismatch {
        version,
        file,
        expected,
        found,
        ..
    } = &err
    else {
        panic!("expected a checksum mismatch, got {err}");
    };
    assert_eq!(*version, 2);
    assert_eq!(file, "tests/fixtures/basic_edited/0002_create_b.up.sql");
    assert_eq!(expected, BASIC.get(2).unwrap().checksum());
    assert_eq!(found, BASIC_EDITED.get(2).unwrap().checksum());
    assert_ne!(expected, found);
    let message = err.to_string();
    assert!(
        message.contains(expected.as_str()) && message.contains(found.as_str()),
        "{message}"
    );
}

#[test]
fn unknown_applied_version_is_refused() {
    let db = pg_db!("unknown");
    let mut client = db.connect();
    BASIC.run(&mut client).unwrap();
    let err = BASIC_SHORT.run(&mut client).unwrap_err();
    assert!(
        matches!(&err, Error::UnknownApplied { version: 3, name, .. } if name == "record_boot"),
        "{err}"
    );
}

#[test]
fn out_of_order_pending_version_is_refused_and_nothing_is_applied() {
    let db = pg_db!("ooo");
    let mut client = db.connect();
    OOO_OLD.run(&mut client).unwrap();
    let err = OOO_NEW.run(&mut client).unwrap_err();
    assert!(
        matches!(
            &err,
            Error::OutOfOrder {
                version: 20_240_201_000_000,
                latest_applied: 20_240_301_000_000,
                ..
            }
        ),
        "{err}"
    );
    assert!(!pg_table_exists(&mut client, "second"));
    assert_eq!(
        pg_versions(&mut client),
        vec![20_240_101_000_000, 20_240_301_000_000]
    );
}

#[test]
fn failing_third_migration_keeps_the_first_two_and_nothing_of_the_third() {
    let db = pg_db!("failing");
    let mut client = db.connect();
    let err = FAILING.run(&mut client).unwrap_err();
    let Some(f) = err.migration_failure() else {
        panic!("expected a migration failure, got {err}");
    };
    assert_eq!(f.version(), 3);
    assert_eq!(f.file(), "tests/fixtures/failing/0003_fail_halfway.up.sql");
    assert_eq!(
        (f.line(), f.column()),
        (Some(5), Some(13)),
        "points at no_such_table"
    );
    assert!(f.message().contains("no_such_table"), "{err}");
    assert_eq!(
        f.code(),
        Some(&migrate::ErrorCode::SqlState(migrate::SqlState::UNDEFINED_TABLE))
    );
    assert!(!f.is_partial());
    let applied: Vec<u64> = f.report().applied().iter().map(|a| a.version()).collect();
    assert_eq!(applied, [1, 2], "the failure tells what the run applied before it");
    assert!(
        std::error::Error::source(&err).is_some_and(|s| s.downcast_ref::<migrate::postgres::Error>().is_some()),
        "the driver's error is the source"
    );
    assert_eq!(pg_versions(&mut client), vec![1, 2]);
    assert!(pg_table_exists(&mut client, "b"));
    assert!(
        !pg_table_exists(&mut client, "c"),
        "the third migration's table was rolled back"
    );
    assert_eq!(pg_event_counts(&mut client, "failure"), vec![(3, 1)]);
    assert_session_left_clean(&mut client);

    // The lock was released: a second run right away fails the same way
    // instead of waiting, and no advisory lock is left behind.
    let again = FAILING
        .runner()
        .lock_wait(Duration::from_secs(2))
        .run(&mut client)
        .unwrap_err();
    assert!(
        again.migration_failure().map(|f| f.version()) == Some(3),
        "{again}"
    );
    let mut other = db.connect();
    let locks: i64 = other
        .query_one(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
             WHERE l.locktype = 'advisory' AND d.datname = current_database()",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(locks, 0);
}

#[test]
fn nothing_after_a_failing_migration_runs() {
    let db = pg_db!("failing_middle");
    let mut client = db.connect();
    let err = FAILING_MIDDLE.run(&mut client).unwrap_err();
    assert_eq!(
        err.migration_failure().map(|f| (f.version(), f.line())),
        Some((3, Some(5))),
        "{err}"
    );
    assert_eq!(pg_versions(&mut client), vec![1, 2]);
    assert!(!pg_table_exists(&mut client, "c"));
    assert!(!pg_table_exists(&mut client, "d"), "migration 4 never ran");
    assert_eq!(pg_event_counts(&mut client, "apply"), vec![(1, 1), (2, 1)]);
}

#[test]
fn failure_without_server_position_points_at_the_failing_statement() {
    let db = pg_db!("no_position");
    let mut client = db.connect();
    let err = FAILING_RUNTIME.run(&mut client).unwrap_err();
    let Some(f) = err.migration_failure() else {
        panic!("expected a migration failure, got {err}");
    };
    let (version, line, column) = (&f.version(), &f.line(), &f.column());
    let code = f.code().map(|c| c.to_string().replace("SQLSTATE ", ""));
    assert_eq!(*version, 2);
    assert_eq!(
        (*line, *column),
        (Some(3), Some(3)),
        "the SELECT 1 / 0 statement"
    );
    assert_eq!(code.as_deref(), Some("22012"));
    assert!(
        !pg_table_exists(&mut client, "x"),
        "the replay left nothing behind"
    );
    assert_eq!(pg_versions(&mut client), vec![1]);
}

#[test]
fn no_transaction_create_index_concurrently_applies() {
    let db = pg_db!("cic");
    let mut client = db.connect();
    let report = CONCURRENT_INDEX.run(&mut client).expect("apply");
    let transactional: Vec<bool> = report.applied().iter().map(|a| a.transactional()).collect();
    assert_eq!(transactional, vec![true, false, true]);
    let valid: bool = client
        .query_one(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_name'::regclass",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(valid);
    let statuses: Vec<String> = client
        .query("SELECT status FROM migrate_history ORDER BY version", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(statuses, vec!["applied"; 3]);
}

#[test]
fn half_applied_no_transaction_migration_is_marked_and_blocks_later_runs() {
    let db = pg_db!("half");
    let mut client = db.connect();
    let err = HALF_APPLIED.run(&mut client).unwrap_err();
    let Some(f) = err.migration_failure() else {
        panic!("expected a migration failure, got {err}");
    };
    assert_eq!((f.version(), f.line(), f.is_partial()), (2, Some(3), true));
    let status: String = client
        .query_one("SELECT status FROM migrate_history WHERE version = 2", &[])
        .unwrap()
        .get(0);
    assert_eq!(status, "failed");
    // The first index stays: the mark says the migration is half done.
    assert!(pg_table_exists(&mut client, "items_name"));

    let again = HALF_APPLIED.run(&mut client).unwrap_err();
    assert!(
        matches!(&again, Error::HalfApplied { version: 2, state: migrate::MigrationState::Failed, .. }),
        "{again}"
    );
}

#[test]
fn lock_timeout_gives_a_clear_error() {
    let db = pg_db!("lock_timeout");
    let url = db.url();
    let holder = std::thread::spawn(move || {
        let mut client =
            migrate::postgres::Client::connect(&url, migrate::postgres::NoTls).unwrap();
        SLOW_INDEX.run(&mut client)
    });
    let mut watcher = db.connect();
    wait_for_query(&mut watcher, "CREATE INDEX CONCURRENTLY");
    let mut client = db.connect();
    let err = SLOW_INDEX
        .runner()
        .lock_wait(Duration::from_millis(300))
        .run(&mut client)
        .unwrap_err();
    assert!(matches!(err, Error::LockTimeout { .. }), "{err}");
    assert!(err.to_string().contains("migration lock"), "{err}");
    holder.join().unwrap().expect("the lock holder finishes");
}

#[test]
fn custom_schema_and_table_names_are_quoted() {
    let db = pg_db!("custom_table");
    let mut client = db.connect();
    let runner = BASIC
        .runner()
        .schema("Ops Schema")
        .table("Schema \"History\"");
    runner.run(&mut client).expect("apply");
    let rows: i64 = client
        .query_one(
            "SELECT count(*) FROM \"Ops Schema\".\"Schema \"\"History\"\"\"",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(rows, 3);
    assert!(!pg_table_exists(&mut client, "migrate_history"));
    assert!(runner.run(&mut client).unwrap().is_up_to_date());
    let err = BASIC.runner().table("").run(&mut client).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidOption {
                option: "table",
                ..
            }
        ),
        "{err}"
    );
}

/// Waits until another session runs a statement starting with `prefix`.
pub fn wait_for_query(client: &mut migrate::postgres::Client, prefix: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        let n: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1 || '%' AND pid <> pg_backend_pid()",
                &[&prefix],
            )
            .unwrap()
            .get(0);
        if n > 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("no session started {prefix} within 30 s");
}

fn state_digest(client: &mut migrate::postgres::Client) -> Option<String> {
    client
        .query_one("SELECT digest FROM migrate_history_state", &[])
        .unwrap()
        .get(0)
}

#[test]
fn no_op_boot_reads_one_cached_digest_that_any_change_voids() {
    let db = pg_db!("digest");
    let mut client = db.connect();
    BASIC.run(&mut client).unwrap();
    let cached = state_digest(&mut client).expect("a digest after a run");

    // A hand edit voids the cache; the next boot reads the table, finds
    // nothing to do and has the server compute the digest again, which
    // must equal the one the runner computed.
    client
        .batch_execute("UPDATE migrate_history SET applied_by = 'someone else'")
        .unwrap();
    assert_eq!(state_digest(&mut client), None);
    assert!(BASIC.run(&mut client).unwrap().is_up_to_date());
    assert_eq!(state_digest(&mut client), Some(cached.clone()));

    // Removing the last row by hand (and its table) makes the next boot
    // apply it again, although the cached digest had matched before.
    client
        .batch_execute("DELETE FROM migrate_history WHERE version = 3; DROP TABLE boots")
        .unwrap();
    let report = BASIC.run(&mut client).unwrap();
    let versions: Vec<u64> = report.applied().iter().map(|a| a.version()).collect();
    assert_eq!(versions, vec![3]);
    assert_eq!(state_digest(&mut client), Some(cached));

    // A different set (an older binary) never takes the shortcut.
    let err = BASIC_SHORT.run(&mut client).unwrap_err();
    assert!(
        matches!(err, Error::UnknownApplied { version: 3, .. }),
        "{err}"
    );
}

/// A run leaves the caller's session as it found it: no lock, no setting,
/// no prepared statement of its own.
fn assert_session_left_clean(client: &mut migrate::postgres::Client) {
    let row = client
        .query_one(
            "SELECT current_setting('migrate.writing', true) IS DISTINCT FROM 'on', \
                    (SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'migrate%'), \
                    (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid())",
            &[],
        )
        .unwrap();
    assert!(row.get::<_, bool>(0), "migrate.writing was reset");
    assert_eq!(row.get::<_, i64>(1), 0, "prepared statement deallocated");
    assert_eq!(row.get::<_, i64>(2), 0, "advisory lock released");
}

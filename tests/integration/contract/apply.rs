//! Applying: a fresh database, the no-op boot, a target version, down files,
//! rows a migration returns, the tracking table's name.

use std::time::Duration;

use migrate::Error;

use crate::fixtures::*;
use crate::support::*;

contract! {
    fresh_apply_creates_every_table_and_a_second_run_is_a_no_op,
    rows_returned_by_a_migration_are_not_taken_for_bookkeeping,
    apply_up_to_a_target_then_the_rest,
    every_down_file_undoes_its_up_file,
    a_custom_tracking_table_name_is_quoted,
}

fn fresh_apply_creates_every_table_and_a_second_run_is_a_no_op(db: &Db) {
    let set = example(db.engine());
    let mut conn = db.open();
    let report = set.run(&mut conn).expect("apply the example schema");
    let expected: Vec<u64> = set.iter().map(|m| m.version()).collect();
    assert_eq!(applied(&report), expected);
    assert_eq!(report.version(), expected.last().copied());
    assert!(
        report
            .applied()
            .iter()
            .all(|a| a.duration() > Duration::ZERO),
        "every migration has its own duration: {report}"
    );
    for table in created_tables(set) {
        assert!(conn.exists(&table), "table {table} exists");
    }
    let once: Vec<(i64, i64)> = expected
        .iter()
        .map(|&v| (i64::try_from(v).unwrap(), 1))
        .collect();
    assert_eq!(conn.event_counts("apply"), once);

    let again = set.run(&mut conn).expect("second run");
    assert!(again.is_up_to_date(), "{again}");
    assert_eq!(again.version(), report.version());
    assert_eq!(conn.event_counts("apply"), once, "nothing applied twice");
    let checksums = conn.column("SELECT checksum FROM migrate_history ORDER BY version");
    let embedded: Vec<&str> = set.iter().map(|m| m.checksum()).collect();
    assert_eq!(checksums, embedded);
}

/// Found by the CLI tests: a `SELECT` in a batched migration returned a
/// row read as a duration, and the runner lost count of what it applied.
fn rows_returned_by_a_migration_are_not_taken_for_bookkeeping(db: &Db) {
    let mut conn = db.open();
    let report = SELECTING.run(&mut conn).unwrap();
    assert_eq!(applied(&report), [1, 2, 3]);
    // Each duration is the one recorded for its migration, not a value (in
    // ms) the migrations' own `SELECT`s return.
    let recorded: Vec<f64> = conn
        .column("SELECT execution_ms FROM migrate_history ORDER BY version")
        .iter()
        .map(|ms| ms.parse().unwrap())
        .collect();
    let reported: Vec<f64> = report
        .applied()
        .iter()
        .map(|a| a.duration().as_secs_f64() * 1000.0)
        .collect();
    assert_eq!(recorded.len(), 3);
    for (r, d) in recorded.iter().zip(&reported) {
        assert!(
            (r - d).abs() < 0.001,
            "recorded {recorded:?}, reported {reported:?}"
        );
    }
    assert_eq!(conn.versions(), [1, 2, 3]);
    assert!(SELECTING.run(&mut conn).unwrap().applied().is_empty());
}

fn apply_up_to_a_target_then_the_rest(db: &Db) {
    let mut conn = db.open();
    let report = BASIC.runner().to(2).run(&mut conn).unwrap();
    assert_eq!(report.applied().len(), 2);
    assert_eq!(report.version(), Some(2));
    assert_eq!(conn.versions(), [1, 2]);
    // Nothing above the target: a second run to 2 does nothing.
    assert!(BASIC.runner().to(2).run(&mut conn).unwrap().is_up_to_date());
    let rest = BASIC.run(&mut conn).unwrap();
    assert_eq!(applied(&rest), [3]);
    // A lower target never rolls back.
    assert!(BASIC.runner().to(1).run(&mut conn).unwrap().is_up_to_date());
    assert_eq!(conn.versions(), [1, 2, 3]);
    let err = BASIC.runner().to(9).run(&mut conn).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidOption {
                option: "target",
                ..
            }
        ),
        "{err}"
    );
}

/// Each down file, run by hand in reverse after a fresh apply, leaves none
/// of the set's tables.
fn every_down_file_undoes_its_up_file(db: &Db) {
    let set = example(db.engine());
    let mut conn = db.open();
    set.run(&mut conn).expect("apply");
    for m in set.iter().rev() {
        conn.execute_sql(m.down_sql().expect("a down file"));
    }
    for table in created_tables(set) {
        assert!(!conn.exists(&table), "table {table} dropped");
    }
}

fn a_custom_tracking_table_name_is_quoted(db: &Db) {
    let mut conn = db.open();
    let runner = BASIC.runner().table("Schema \"History\"");
    assert_eq!(applied(&runner.run(&mut conn).expect("apply")), [1, 2, 3]);
    assert_eq!(
        conn.count("SELECT count(*) FROM \"Schema \"\"History\"\"\""),
        3
    );
    assert!(conn.exists("Schema \"History\"_events"));
    assert!(!conn.exists("migrate_history"));
    assert!(runner.run(&mut conn).unwrap().is_up_to_date());
    assert_eq!(runner.status(&mut conn).unwrap().current_version(), Some(3));
    let err = BASIC.runner().table("").run(&mut conn).unwrap_err();
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

//! A failing migration: what it reports, what stays, what never runs, the
//! lock released, the failure in the progress callback.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use migrate::{Engine, ErrorCode, Progress, SqlState};

use crate::fixtures::*;
use crate::support::*;

contract! {
    failing_third_migration_keeps_the_first_two_and_nothing_of_the_third,
    nothing_after_a_failing_migration_runs,
    a_failure_is_reported_to_the_callback,
}

fn failing_third_migration_keeps_the_first_two_and_nothing_of_the_third(db: &Db) {
    let mut conn = db.open();
    let err = FAILING.run(&mut conn).unwrap_err();
    let Some(f) = err.migration_failure() else {
        panic!("expected a migration failure, got {err}");
    };
    assert_eq!(f.version(), 3);
    assert_eq!(f.file(), "tests/fixtures/failing/0003_fail_halfway.up.sql");
    assert_eq!(f.line(), Some(5), "points at the INSERT INTO no_such_table");
    assert!(f.message().contains("no_such_table"), "{err}");
    assert!(!f.is_partial());
    assert_eq!(
        applied(f.report()),
        [1, 2],
        "the failure tells what the run applied before it"
    );
    // The engine's error code, and the driver's error as the source.
    let source = std::error::Error::source(&err).expect("the driver's error is the source");
    match db.engine() {
        Engine::Postgres => {
            assert_eq!(
                (f.line(), f.column()),
                (Some(5), Some(13)),
                "the server's position of no_such_table"
            );
            assert_eq!(
                f.code(),
                Some(&ErrorCode::SqlState(SqlState::UNDEFINED_TABLE))
            );
            assert!(source.downcast_ref::<migrate::postgres::Error>().is_some());
        }
        _ => {
            assert_eq!(f.code(), Some(&ErrorCode::Sqlite(1)), "SQLITE_ERROR");
            assert!(source.downcast_ref::<migrate::rusqlite::Error>().is_some());
        }
    }
    assert_eq!(conn.versions(), [1, 2]);
    assert!(conn.exists("b"));
    assert!(
        !conn.exists("c"),
        "the third migration's table was rolled back"
    );
    assert_eq!(conn.event_counts("failure"), [(3, 1)]);

    // The lock was released: another connection runs (and fails the same
    // way) at once instead of waiting.
    let mut other = db.open();
    let again = FAILING
        .runner()
        .lock_wait(Duration::from_secs(2))
        .run(&mut other)
        .unwrap_err();
    assert!(
        again.migration_failure().map(|f| f.version()) == Some(3),
        "{again}"
    );
    assert_eq!(conn.event_counts("failure"), [(3, 2)]);
}

fn nothing_after_a_failing_migration_runs(db: &Db) {
    let mut conn = db.open();
    let err = FAILING_MIDDLE.run(&mut conn).unwrap_err();
    assert_eq!(
        err.migration_failure().map(|f| (f.version(), f.line())),
        Some((3, Some(5))),
        "{err}"
    );
    assert_eq!(conn.versions(), [1, 2]);
    assert!(!conn.exists("c"));
    assert!(!conn.exists("d"), "migration 4 never ran");
    assert_eq!(conn.event_counts("apply"), [(1, 1), (2, 1)]);
}

fn a_failure_is_reported_to_the_callback(db: &Db) {
    let mut conn = db.open();
    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let sink = Arc::clone(&seen);
    FAILING
        .runner()
        .on_progress(move |p| sink.lock().unwrap().push(p.clone()))
        .run(&mut conn)
        .unwrap_err();
    let seen = seen.lock().unwrap();
    for v in [1, 2] {
        assert!(
            seen.iter()
                .any(|p| matches!(p, Progress::Finished { version, .. } if *version == v)),
            "{seen:?}"
        );
    }
    assert!(
        seen.iter()
            .any(|p| matches!(p, Progress::Started { version: 3, .. })),
        "{seen:?}"
    );
    assert!(
        !seen
            .iter()
            .any(|p| matches!(p, Progress::Finished { version: 3, .. })),
        "{seen:?}"
    );
    assert!(
        matches!(seen.last(), Some(Progress::Failed { version: 3, error }) if error.contains("no_such_table")),
        "{seen:?}"
    );
}

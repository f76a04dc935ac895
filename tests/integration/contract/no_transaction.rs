//! No-transaction migrations: applied statement by statement, marked while
//! they run; one that fails half way stays marked and stops later runs
//! until repaired (an up) or resolved (a down: whether what it removed is
//! still there is the operator's to say).

use migrate::{Direction, Error, EventKind, Finding, MigrationState, Resolution, Rollback};

use crate::fixtures::*;
use crate::support::*;

contract! {
    a_no_transaction_migration_applies_between_transactional_ones,
    half_applied_no_transaction_migration_is_marked_and_blocks_later_runs,
    verify_reports_a_half_applied_migration,
    repair_clears_a_half_applied_mark,
    a_failed_no_transaction_down_is_marked_as_a_rollback_and_repair_does_not_guess,
    resolve_records_a_failed_rollback_as_applied_or_rolled_back,
}

/// Applies `FAILING_NONTX_DOWN` and rolls it back: the down fails after
/// dropping `item_notes`, before dropping `items`.
fn failed_rollback(conn: &mut AnyConnection) -> Error {
    FAILING_NONTX_DOWN.run(conn).unwrap();
    FAILING_NONTX_DOWN
        .runner()
        .rollback(conn, Rollback::All)
        .unwrap_err()
}

fn a_failed_no_transaction_down_is_marked_as_a_rollback_and_repair_does_not_guess(db: &Db) {
    // Found in issue 10: the row was marked `failed`, the next `up` said
    // the up had failed, and `repair` deleted the row while `items` was
    // still there: the next `up` failed on "already exists".
    let mut conn = db.open();
    let err = failed_rollback(&mut conn);
    let f = err.migration_failure().expect("a migration failure");
    assert_eq!(
        (f.direction(), f.version(), f.line()),
        (Direction::Down, 1, Some(4)),
        "{err}"
    );
    assert!(f.is_partial());
    let text = err.to_string();
    assert!(
        text.contains("`rollback_failed`") && text.contains("resolve 1 --rolled-back"),
        "{text}"
    );
    assert_eq!(conn.statuses(), ["rollback_failed"]);
    assert!(conn.exists("items") && !conn.exists("item_notes"));
    let started = FAILING_NONTX_DOWN.runner().history(&mut conn, 10).unwrap();
    assert!(
        started
            .iter()
            .any(|e| e.kind() == EventKind::Start && e.detail() == Some("down")),
        "{started:?}"
    );

    // The next run refuses, worded for the rollback.
    let err = FAILING_NONTX_DOWN.run(&mut conn).unwrap_err();
    assert!(
        matches!(
            err,
            Error::HalfApplied {
                version: 1,
                state: MigrationState::RollbackFailed,
                ..
            }
        ),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("rollback that did not finish") && text.contains("--applied"),
        "{text}"
    );

    // `repair` resolves nothing and leaves the mark.
    let resolved = FAILING_NONTX_DOWN.runner().repair(&mut conn).unwrap();
    assert!(resolved.is_empty(), "{resolved:?}");
    assert_eq!(conn.statuses(), ["rollback_failed"]);
    let problems = FAILING_NONTX_DOWN.runner().verify(&mut conn).unwrap();
    assert!(
        matches!(
            &problems[..],
            [Finding::HalfApplied {
                version: 1,
                state: MigrationState::RollbackFailed,
                ..
            }]
        ),
        "{problems:?}"
    );
}

fn resolve_records_a_failed_rollback_as_applied_or_rolled_back(db: &Db) {
    let mut conn = db.open();
    failed_rollback(&mut conn);
    let runner = FAILING_NONTX_DOWN.runner();

    // Nothing to resolve at a version without a mark: nothing changes.
    let err = runner
        .resolve(&mut conn, 2, Resolution::Applied)
        .unwrap_err();
    assert!(matches!(err, Error::InvalidOption { .. }), "{err}");

    // The operator restores what the down removed: applied.
    conn.execute_sql("CREATE TABLE item_notes (id INTEGER PRIMARY KEY, item INTEGER)");
    let found = runner.resolve(&mut conn, 1, Resolution::Applied).unwrap();
    assert!(
        matches!(
            found,
            Finding::HalfApplied {
                version: 1,
                state: MigrationState::RollbackFailed,
                ..
            }
        ),
        "{found:?}"
    );
    assert_eq!(conn.statuses(), ["applied"]);
    assert!(FAILING_NONTX_DOWN.run(&mut conn).unwrap().is_up_to_date());
    let status = runner.status(&mut conn).unwrap();
    assert!(
        status.is_up_to_date() && status.problems().is_empty(),
        "{:?}",
        status.problems()
    );
    let err = runner
        .resolve(&mut conn, 1, Resolution::Applied)
        .unwrap_err();
    assert!(matches!(err, Error::InvalidOption { .. }), "{err}");

    // Failed again; this time the operator finishes the rollback by hand:
    // rolled back, and the next run applies the migration afresh.
    runner.rollback(&mut conn, Rollback::All).unwrap_err();
    conn.execute_sql("DROP TABLE items");
    runner
        .resolve(&mut conn, 1, Resolution::RolledBack)
        .unwrap();
    assert!(conn.versions().is_empty());
    assert_eq!(applied(&FAILING_NONTX_DOWN.run(&mut conn).unwrap()), [1]);
    assert!(conn.exists("items") && conn.exists("item_notes"));
    let kinds: Vec<EventKind> = runner
        .history(&mut conn, 20)
        .unwrap()
        .iter()
        .map(|e| e.kind())
        .filter(|k| *k == EventKind::Resolve)
        .collect();
    assert_eq!(kinds.len(), 2);
}

fn a_no_transaction_migration_applies_between_transactional_ones(db: &Db) {
    let mut conn = db.open();
    let report = NO_TRANSACTION.run(&mut conn).expect("apply");
    let transactional: Vec<bool> = report.applied().iter().map(|a| a.transactional()).collect();
    assert_eq!(transactional, [true, false, true]);
    assert_eq!(conn.statuses(), ["applied"; 3]);
    assert!(conn.exists("items_name"));
    assert_eq!(
        conn.column("SELECT name FROM items ORDER BY id"),
        ["ONE", "TWO"]
    );
    let status = NO_TRANSACTION.runner().status(&mut conn).unwrap();
    assert!(status.is_up_to_date() && status.problems().is_empty());
    assert!(NO_TRANSACTION.run(&mut conn).unwrap().is_up_to_date());

    // Its down file runs without a transaction too.
    let plan = NO_TRANSACTION
        .runner()
        .plan_rollback(&mut conn, Rollback::To(1))
        .unwrap();
    let steps: Vec<(u64, bool)> = plan
        .steps()
        .iter()
        .map(|s| (s.version(), s.transactional()))
        .collect();
    assert_eq!(steps, [(3, true), (2, false)]);
    NO_TRANSACTION
        .runner()
        .rollback(&mut conn, Rollback::To(1))
        .unwrap();
    assert_eq!(conn.versions(), [1]);
    assert!(!conn.exists("items_name"));
    assert_eq!(
        conn.column("SELECT name FROM items ORDER BY id"),
        ["one", "two"]
    );
}

fn half_applied_no_transaction_migration_is_marked_and_blocks_later_runs(db: &Db) {
    let mut conn = db.open();
    let err = HALF_APPLIED.run(&mut conn).unwrap_err();
    let Some(f) = err.migration_failure() else {
        panic!("expected a migration failure, got {err}");
    };
    assert_eq!((f.version(), f.line(), f.is_partial()), (2, Some(3), true));
    assert_eq!(conn.statuses(), ["applied", "failed"]);
    // The first index stays: the mark says the migration is half done.
    assert!(conn.exists("items_name"));

    let before = conn.snapshot();
    let again = HALF_APPLIED.run(&mut conn).unwrap_err();
    assert!(
        matches!(
            &again,
            Error::HalfApplied {
                version: 2,
                state: MigrationState::Failed,
                ..
            }
        ),
        "{again}"
    );
    assert_eq!(conn.snapshot(), before, "a refusal changes nothing");
}

fn verify_reports_a_half_applied_migration(db: &Db) {
    let mut conn = db.open();
    HALF_APPLIED.run(&mut conn).unwrap_err();
    let found = HALF_APPLIED.runner().verify(&mut conn).unwrap();
    assert!(
        matches!(
            &found[..],
            [Finding::HalfApplied {
                version: 2,
                state: MigrationState::Failed,
                ..
            }]
        ),
        "{found:?}"
    );
}

fn repair_clears_a_half_applied_mark(db: &Db) {
    let mut conn = db.open();
    HALF_APPLIED.run(&mut conn).unwrap_err();
    let resolved = HALF_APPLIED.runner().repair(&mut conn).unwrap();
    assert!(
        matches!(&resolved[..], [Finding::HalfApplied { version: 2, .. }]),
        "{resolved:?}"
    );
    let status = HALF_APPLIED.runner().status(&mut conn).unwrap();
    assert!(status.problems().is_empty(), "{:?}", status.problems());
    let pending: Vec<u64> = status.pending().iter().map(|p| p.version()).collect();
    assert_eq!(pending, [2]);
}

//! No-transaction migrations: applied statement by statement, marked while
//! they run; one that fails half way stays marked and stops later runs
//! until repaired.

use migrate::{Error, Finding, MigrationState, Rollback};

use crate::fixtures::*;
use crate::support::*;

contract! {
    a_no_transaction_migration_applies_between_transactional_ones,
    half_applied_no_transaction_migration_is_marked_and_blocks_later_runs,
    verify_reports_a_half_applied_migration,
    repair_clears_a_half_applied_mark,
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

//! Seed data: name order, a transaction per file, only new or changed
//! files run again (every file with `reseed`), a failing file rolls back
//! alone.

use migrate::{Error, SeedOutcome};

use crate::fixtures::*;
use crate::support::*;

contract! {
    seeds_run_once_per_change_and_failures_roll_back_alone,
    reseed_runs_every_file_again,
}

fn reseed_runs_every_file_again(db: &Db) {
    // Issue 10: after `down --all` and `up` emptied the tables, the seeds
    // were "unchanged, skipped"; `reseed` runs them all again.
    let mut conn = db.open();
    SEEDED.run(&mut conn).unwrap();
    SEEDED.runner().seed(&mut conn, "dev").unwrap();
    conn.execute_sql("DELETE FROM a");
    let forced = SEEDED.runner().reseed(&mut conn, "dev").unwrap();
    assert!(
        forced
            .files()
            .iter()
            .all(|f| f.outcome() == SeedOutcome::Forced),
        "{forced}"
    );
    assert_eq!(conn.count("SELECT count(*) FROM a"), 2, "the rows are back");
    let again = SEEDED.runner().seed(&mut conn, "dev").unwrap();
    assert!(again
        .files()
        .iter()
        .all(|f| f.outcome() == SeedOutcome::Unchanged));
}

fn outcomes(report: &migrate::SeedReport) -> Vec<(&str, SeedOutcome)> {
    report
        .files()
        .iter()
        .map(|f| (f.file(), f.outcome()))
        .collect()
}

fn seeds_run_once_per_change_and_failures_roll_back_alone(db: &Db) {
    let mut conn = db.open();
    SEEDED.run(&mut conn).unwrap();
    let first = SEEDED.runner().seed(&mut conn, "dev").unwrap();
    assert_eq!(
        outcomes(&first),
        [
            ("seeds/dev/001_notes.sql", SeedOutcome::New),
            ("seeds/dev/002_counter.sql", SeedOutcome::New),
        ]
    );
    assert!(!first.has_failures());
    assert_eq!(conn.count("SELECT count(*) FROM a"), 2);

    let again = SEEDED.runner().seed(&mut conn, "dev").unwrap();
    assert!(again
        .files()
        .iter()
        .all(|f| f.outcome() == SeedOutcome::Unchanged));
    assert_eq!(conn.count("SELECT count(*) FROM seed_runs"), 1);

    let changed = SEEDED_CHANGED.runner().seed(&mut conn, "dev").unwrap();
    assert_eq!(
        outcomes(&changed),
        [
            ("seeds/dev/001_notes.sql", SeedOutcome::Unchanged),
            ("seeds/dev/002_counter.sql", SeedOutcome::Changed),
            ("seeds/dev/003_broken.sql", SeedOutcome::Failed),
            ("seeds/dev/004_after.sql", SeedOutcome::New),
        ]
    );
    let error = changed.files()[2].error().unwrap();
    assert!(
        error.starts_with("seed tests/fixtures/seeded_changed/seeds/dev/003_broken.sql:2 failed"),
        "{error}"
    );
    assert!(error.contains("no_such_table"), "{error}");
    assert_eq!(conn.count("SELECT count(*) FROM seed_runs"), 2);
    // The failing file's first insert rolled back with it; 004 ran.
    assert_eq!(conn.count("SELECT count(*) FROM a WHERE id = 3"), 0);
    assert_eq!(conn.count("SELECT count(*) FROM a WHERE id = 4"), 1);
    // The failed file runs again next time (it is not recorded).
    let retry = SEEDED_CHANGED.runner().seed(&mut conn, "dev").unwrap();
    assert_eq!(retry.files()[2].outcome(), SeedOutcome::Failed);
    assert_eq!(retry.files()[3].outcome(), SeedOutcome::Unchanged);

    // Other environments are separate; an unknown one is an error.
    let staging = SEEDED.runner().seed(&mut conn, "staging").unwrap();
    assert_eq!(staging.files()[0].outcome(), SeedOutcome::New);
    assert!(matches!(
        SEEDED.runner().seed(&mut conn, "production"),
        Err(Error::InvalidOption { .. })
    ));
    // Seeding leaves the migrations' cached state valid: a no-op boot.
    assert!(SEEDED.run(&mut conn).unwrap().applied().is_empty());
    let events = SEEDED.runner().history(&mut conn, 1).unwrap();
    assert_eq!(events[0].kind(), migrate::EventKind::Seed);
}

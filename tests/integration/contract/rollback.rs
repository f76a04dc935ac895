//! Rollback: steps, targets, everything, the stored down SQL of an older
//! binary, irreversible migrations, dry runs, and the schema after a round
//! trip down and up again.

use migrate::{Direction, DownSource, Error, Rollback};

use crate::fixtures::*;
use crate::support::*;

contract! {
    roll_back_the_last_n_to_a_version_or_everything,
    an_older_binary_rolls_back_with_the_stored_down_sql,
    an_irreversible_migration_stops_the_rollback_before_it,
    dry_run_of_a_rollback_changes_nothing,
    rolling_everything_back_and_applying_again_gives_the_same_schema,
    a_failing_down_names_its_line_and_what_was_rolled_back,
}

fn a_failing_down_names_its_line_and_what_was_rolled_back(db: &Db) {
    // Issue 10: a failing down names its line like a failing up does, and
    // never says "earlier migrations stay applied".
    let mut conn = db.open();
    FAILING_DOWN.run(&mut conn).unwrap();
    let err = FAILING_DOWN
        .runner()
        .rollback(&mut conn, migrate::Rollback::All)
        .unwrap_err();
    let f = err.migration_failure().expect("a migration failure");
    assert_eq!(f.direction(), migrate::Direction::Down);
    assert_eq!((f.version(), f.line()), (2, Some(2)), "{err}");
    assert_eq!(
        f.file(),
        "tests/fixtures/failing_down/0002_create_b.down.sql"
    );
    let rolled: Vec<u64> = f
        .report()
        .rolled_back()
        .iter()
        .map(|r| r.version())
        .collect();
    assert_eq!(rolled, [3], "what the rollback did before the failure");
    let text = err.to_string();
    assert!(!text.contains("earlier migrations stay applied"), "{text}");
    assert!(text.contains("newer migrations stay rolled back"), "{text}");
    assert_eq!(conn.versions(), [1, 2]);
}

fn rolled(report: &migrate::Report) -> Vec<(u64, DownSource)> {
    report
        .rolled_back()
        .iter()
        .map(|r| (r.version(), r.source()))
        .collect()
}

fn roll_back_the_last_n_to_a_version_or_everything(db: &Db) {
    let mut conn = db.open();
    BASIC.run(&mut conn).unwrap();
    let report = BASIC
        .runner()
        .rollback(&mut conn, Rollback::Last(1))
        .unwrap();
    assert_eq!(rolled(&report), [(3, DownSource::Embedded)]);
    assert_eq!(report.version(), Some(2));
    assert_eq!(conn.versions(), [1, 2]);
    // The cached state follows: the next run applies 3 again.
    assert_eq!(applied(&BASIC.run(&mut conn).unwrap()), [3]);

    let report = BASIC.runner().rollback(&mut conn, Rollback::To(1)).unwrap();
    assert_eq!(
        rolled(&report).iter().map(|r| r.0).collect::<Vec<_>>(),
        [3, 2]
    );
    assert_eq!(conn.versions(), [1]);
    let report = BASIC.runner().rollback(&mut conn, Rollback::All).unwrap();
    assert_eq!(report.version(), None);
    assert!(conn.versions().is_empty());
    assert!(BASIC
        .runner()
        .rollback(&mut conn, Rollback::All)
        .unwrap()
        .is_up_to_date());
    assert_eq!(
        events(&mut conn, &BASIC, 3),
        ["rollback:1", "rollback:2", "rollback:3"]
    );
}

fn an_older_binary_rolls_back_with_the_stored_down_sql(db: &Db) {
    let mut conn = db.open();
    BASIC.run(&mut conn).unwrap();
    // BASIC_SHORT does not embed migration 3.
    let plan = BASIC_SHORT
        .runner()
        .plan_rollback(&mut conn, Rollback::Last(1))
        .unwrap();
    assert_eq!(
        plan.steps()[0].sql(),
        BASIC.get(3).unwrap().down_sql().unwrap()
    );
    assert_eq!(plan.steps()[0].direction(), Direction::Down);
    let report = BASIC_SHORT
        .runner()
        .rollback(&mut conn, Rollback::Last(1))
        .unwrap();
    assert_eq!(rolled(&report), [(3, DownSource::Stored)]);
    assert!(report.to_string().contains("stored down SQL"), "{report}");
    assert_eq!(conn.versions(), [1, 2]);
    assert!(BASIC_SHORT.run(&mut conn).unwrap().is_up_to_date());
    let detail = BASIC.runner().history(&mut conn, 1).unwrap()[0]
        .detail()
        .map(str::to_owned);
    assert_eq!(detail.as_deref(), Some("down SQL: stored"));
}

fn an_irreversible_migration_stops_the_rollback_before_it(db: &Db) {
    let mut conn = db.open();
    IRREVERSIBLE.run(&mut conn).unwrap();
    let plan = IRREVERSIBLE
        .runner()
        .plan_rollback(&mut conn, Rollback::All)
        .unwrap();
    assert_eq!(plan.steps().len(), 1);
    assert_eq!(plan.warnings().len(), 1, "{plan}");
    let err = IRREVERSIBLE
        .runner()
        .rollback(&mut conn, Rollback::All)
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Irreversible {
                version: 2,
                rolled_back: 1,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(conn.versions(), [1, 2], "2 and older are untouched");
}

fn dry_run_of_a_rollback_changes_nothing(db: &Db) {
    let mut conn = db.open();
    BASIC.run(&mut conn).unwrap();
    let before = conn.snapshot();
    let plan = BASIC
        .runner()
        .plan_rollback(&mut conn, Rollback::To(1))
        .unwrap();
    let steps: Vec<(u64, &str)> = plan
        .steps()
        .iter()
        .map(|s| (s.version(), s.sql()))
        .collect();
    assert_eq!(steps, [(3, "DROP TABLE boots;\n"), (2, "DROP TABLE b;\n")]);
    assert_eq!(conn.snapshot(), before);
}

fn rolling_everything_back_and_applying_again_gives_the_same_schema(db: &Db) {
    let set = example(db.engine());
    let mut conn = db.open();
    let empty = conn.schema();
    set.run(&mut conn).unwrap();
    let applied = conn.schema();
    assert_ne!(applied, empty);
    let report = set.runner().rollback(&mut conn, Rollback::All).unwrap();
    assert_eq!(report.rolled_back().len(), set.len());
    assert_eq!(
        conn.schema(),
        empty,
        "rollback to zero leaves the schema as it was"
    );
    set.run(&mut conn).unwrap();
    assert_eq!(conn.schema(), applied, "reapplying gives the same schema");
}

//! Rollback on both backends: steps, targets, everything, the stored down
//! SQL of an older binary, irreversible migrations, and the schema after a
//! round trip down and up again.

use migrate::{Direction, DownSource, Error, Rollback};

use crate::fixtures::*;
use crate::support::*;

fn rolled(report: &migrate::Report) -> Vec<(u64, DownSource)> {
    report
        .rolled_back()
        .iter()
        .map(|r| (r.version(), r.source()))
        .collect()
}

#[test]
fn roll_back_the_last_n_to_a_version_or_everything() {
    on_both("rollback", |connect| {
        let mut db = connect();
        db.run(BASIC.runner()).unwrap();
        let report = db.rollback(BASIC.runner(), Rollback::Last(1)).unwrap();
        assert_eq!(rolled(&report), vec![(3, DownSource::Embedded)]);
        assert_eq!(report.version(), Some(2));
        assert_eq!(db.versions(), vec![1, 2]);
        // The cached state follows: the next run applies 3 again.
        let again = db.run(BASIC.runner()).unwrap();
        assert_eq!(
            again
                .applied()
                .iter()
                .map(|a| a.version())
                .collect::<Vec<_>>(),
            vec![3]
        );

        let report = db.rollback(BASIC.runner(), Rollback::To(1)).unwrap();
        assert_eq!(
            rolled(&report).iter().map(|r| r.0).collect::<Vec<_>>(),
            vec![3, 2]
        );
        assert_eq!(db.versions(), vec![1]);
        let report = db.rollback(BASIC.runner(), Rollback::All).unwrap();
        assert_eq!(report.version(), None);
        assert!(db.versions().is_empty());
        assert!(db
            .rollback(BASIC.runner(), Rollback::All)
            .unwrap()
            .is_up_to_date());
        let kinds: Vec<String> = db
            .history(BASIC.runner(), 3)
            .unwrap()
            .iter()
            .map(|e| format!("{}:{}", e.kind(), e.version().unwrap_or_default()))
            .collect();
        assert_eq!(kinds, vec!["rollback:1", "rollback:2", "rollback:3"]);
    });
}

#[test]
fn an_older_binary_rolls_back_with_the_stored_down_sql() {
    on_both("rollback_stored", |connect| {
        let mut db = connect();
        db.run(BASIC.runner()).unwrap();
        // BASIC_SHORT does not embed migration 3.
        let plan = db
            .plan_rollback(BASIC_SHORT.runner(), Rollback::Last(1))
            .unwrap();
        assert_eq!(
            plan.steps()[0].sql(),
            BASIC.get(3).unwrap().down_sql().unwrap()
        );
        assert_eq!(plan.steps()[0].direction(), Direction::Down);
        let report = db
            .rollback(BASIC_SHORT.runner(), Rollback::Last(1))
            .unwrap();
        assert_eq!(rolled(&report), vec![(3, DownSource::Stored)]);
        assert!(report.to_string().contains("stored down SQL"), "{report}");
        assert_eq!(db.versions(), vec![1, 2]);
        assert!(db.run(BASIC_SHORT.runner()).unwrap().is_up_to_date());
        let detail = db.history(BASIC.runner(), 1).unwrap()[0]
            .detail()
            .map(str::to_owned);
        assert_eq!(detail.as_deref(), Some("down SQL: stored"));
    });
}

#[test]
fn an_irreversible_migration_stops_the_rollback_before_it() {
    on_both("rollback_irreversible", |connect| {
        let mut db = connect();
        db.run(IRREVERSIBLE.runner()).unwrap();
        let plan = db
            .plan_rollback(IRREVERSIBLE.runner(), Rollback::All)
            .unwrap();
        assert_eq!(plan.steps().len(), 1);
        assert_eq!(plan.warnings().len(), 1, "{plan}");
        let err = db
            .rollback(IRREVERSIBLE.runner(), Rollback::All)
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
        assert_eq!(db.versions(), vec![1, 2], "2 and older are untouched");
    });
}

#[test]
fn dry_run_of_a_rollback_changes_nothing() {
    on_both("rollback_plan", |connect| {
        let mut db = connect();
        db.run(BASIC.runner()).unwrap();
        let before = db.snapshot();
        let plan = db.plan_rollback(BASIC.runner(), Rollback::To(1)).unwrap();
        let steps: Vec<(u64, &str)> = plan
            .steps()
            .iter()
            .map(|s| (s.version(), s.sql()))
            .collect();
        assert_eq!(
            steps,
            vec![(3, "DROP TABLE boots;\n"), (2, "DROP TABLE b;\n")]
        );
        assert_eq!(db.snapshot(), before);
    });
}

/// The schema's objects, without migrate's own tables.
fn schema(db: &mut dyn Db) -> Vec<String> {
    db.snapshot()
        .into_iter()
        .filter(|line| !line.contains("migrate_history") && line.contains(':'))
        .filter(|line| !line.starts_with(|c: char| c.is_ascii_digit()) && !line.starts_with('{'))
        .collect()
}

#[test]
fn rolling_everything_back_and_applying_again_gives_the_same_schema() {
    if let Some(pg) = PgDb::create("roundtrip") {
        let mut client: Box<dyn Db> = Box::new(pg.connect());
        let empty = schema(&mut *client);
        client.run(EXAMPLE.runner()).unwrap();
        let applied = schema(&mut *client);
        assert_ne!(applied, empty);
        let report = client.rollback(EXAMPLE.runner(), Rollback::All).unwrap();
        assert_eq!(report.rolled_back().len(), EXAMPLE.len());
        assert_eq!(
            schema(&mut *client),
            empty,
            "rollback to zero leaves the schema as it was"
        );
        client.run(EXAMPLE.runner()).unwrap();
        assert_eq!(
            schema(&mut *client),
            applied,
            "reapplying gives the same schema"
        );
    }
    let lite = LiteDb::new();
    let mut conn: Box<dyn Db> = Box::new(lite.connect());
    let empty = schema(&mut *conn);
    conn.run(QUICKSTART.runner()).unwrap();
    let applied = schema(&mut *conn);
    conn.rollback(QUICKSTART.runner(), Rollback::All).unwrap();
    assert_eq!(schema(&mut *conn), empty);
    conn.run(QUICKSTART.runner()).unwrap();
    assert_eq!(schema(&mut *conn), applied);
}

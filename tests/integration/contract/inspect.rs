//! Status, verify, history and dry run: data, JSON, and no side effects.

use migrate::{Direction, Error, Finding};

use crate::fixtures::*;
use crate::support::*;

contract! {
    status_of_an_empty_database_lists_everything_pending_and_creates_nothing,
    status_shows_applied_and_pending_and_serializes_to_json,
    verify_reports_every_problem_without_changing_anything,
    verify_reports_an_out_of_order_version,
    history_lists_events_newest_first_with_a_limit,
    plan_shows_the_exact_sql_and_leaves_the_database_untouched,
}

fn status_of_an_empty_database_lists_everything_pending_and_creates_nothing(db: &Db) {
    let mut conn = db.open();
    let before = conn.snapshot();
    let status = BASIC.runner().status(&mut conn).unwrap();
    assert_eq!(status.current_version(), None);
    assert_eq!(status.latest_version(), Some(3));
    let pending: Vec<u64> = status.pending().iter().map(|p| p.version()).collect();
    assert_eq!(pending, [1, 2, 3]);
    assert!(status.applied().is_empty() && status.problems().is_empty());
    assert!(!status.is_up_to_date());
    assert!(BASIC.runner().verify(&mut conn).unwrap().is_empty());
    assert!(BASIC.runner().history(&mut conn, 10).unwrap().is_empty());
    assert_eq!(
        conn.snapshot(),
        before,
        "reading status changed the database"
    );
}

fn status_shows_applied_and_pending_and_serializes_to_json(db: &Db) {
    let mut conn = db.open();
    BASIC.runner().to(2).run(&mut conn).unwrap();
    let status = BASIC.runner().status(&mut conn).unwrap();
    assert_eq!(status.current_version(), Some(2));
    assert_eq!(status.pending().len(), 1);
    assert_eq!(
        status.pending()[0].file(),
        "tests/fixtures/basic/0003_record_boot.up.sql"
    );
    let applied = status.applied();
    assert_eq!(applied.len(), 2);
    for (entry, m) in applied.iter().zip(BASIC.iter()) {
        assert_eq!(
            (entry.version(), entry.name(), entry.checksum()),
            (m.version(), m.name(), m.checksum())
        );
        assert_eq!(entry.state(), migrate::MigrationState::Applied);
        assert!(entry.embedded());
        assert!(entry.execution_ms().is_some_and(|ms| ms >= 0.0));
        assert!(
            entry.applied_at().ends_with('Z') && entry.applied_at().contains('T'),
            "{}",
            entry.applied_at()
        );
    }
    let json: serde_json::Value = serde_json::to_value(&status).unwrap();
    assert_eq!(json["current_version"], 2);
    assert_eq!(json["latest_version"], 3);
    assert_eq!(json["pending"][0]["name"], "record_boot");
    assert_eq!(
        json["applied"][1]["checksum"],
        BASIC.get(2).unwrap().checksum()
    );
    assert_eq!(json["problems"], serde_json::json!([]));
}

fn verify_reports_every_problem_without_changing_anything(db: &Db) {
    let mut conn = db.open();
    BASIC.run(&mut conn).unwrap();
    let before = conn.snapshot();
    let drift = BASIC_EDITED.runner().verify(&mut conn).unwrap();
    assert!(
        matches!(&drift[..], [Finding::Drift { version: 2, expected, found, .. }]
            if expected == BASIC.get(2).unwrap().checksum() && found == BASIC_EDITED.get(2).unwrap().checksum()),
        "{drift:?}"
    );
    let unknown = BASIC_SHORT.runner().verify(&mut conn).unwrap();
    assert!(
        matches!(&unknown[..], [Finding::UnknownApplied { version: 3, .. }]),
        "{unknown:?}"
    );
    assert!(BASIC.runner().verify(&mut conn).unwrap().is_empty());
    let json = serde_json::to_value(&drift).unwrap();
    assert_eq!(json[0]["kind"], "drift");
    assert_eq!(conn.snapshot(), before);
}

fn verify_reports_an_out_of_order_version(db: &Db) {
    let mut conn = db.open();
    OOO_OLD.run(&mut conn).unwrap();
    let found = OOO_NEW.runner().verify(&mut conn).unwrap();
    assert!(
        matches!(
            &found[..],
            [Finding::OutOfOrder {
                version: 20_240_201_000_000,
                latest_applied: 20_240_301_000_000,
                ..
            }]
        ),
        "{found:?}"
    );
    assert!(found[0]
        .to_string()
        .contains("older than the newest applied"));
}

fn history_lists_events_newest_first_with_a_limit(db: &Db) {
    let mut conn = db.open();
    FAILING.run(&mut conn).unwrap_err();
    let events = FAILING.runner().history(&mut conn, 10).unwrap();
    let seen: Vec<(Option<u64>, &str)> = events
        .iter()
        .map(|e| (e.version(), e.kind().as_str()))
        .collect();
    assert_eq!(
        seen,
        [(Some(3), "failure"), (Some(2), "apply"), (Some(1), "apply")]
    );
    assert!(events[0]
        .detail()
        .is_some_and(|d| d.contains("no_such_table")));
    assert!(events[1].execution_ms().is_some());
    assert!(events.windows(2).all(|w| w[0].id() > w[1].id()));
    assert!(events.iter().all(|e| e.at().ends_with('Z')));
    assert_eq!(FAILING.runner().history(&mut conn, 1).unwrap().len(), 1);
}

fn plan_shows_the_exact_sql_and_leaves_the_database_untouched(db: &Db) {
    let mut conn = db.open();
    let empty = conn.snapshot();
    let plan = BASIC.runner().plan(&mut conn).unwrap();
    assert_eq!(conn.snapshot(), empty, "a dry run created something");
    let steps: Vec<(u64, Direction, bool)> = plan
        .steps()
        .iter()
        .map(|s| (s.version(), s.direction(), s.transactional()))
        .collect();
    assert_eq!(
        steps,
        [
            (1, Direction::Up, true),
            (2, Direction::Up, true),
            (3, Direction::Up, true)
        ]
    );
    for (step, m) in plan.steps().iter().zip(BASIC.iter()) {
        assert_eq!(step.sql(), m.up_sql());
    }
    assert!(plan.to_string().contains("CREATE TABLE boots"));

    BASIC.runner().to(1).run(&mut conn).unwrap();
    let partial = conn.snapshot();
    let plan = BASIC.runner().to(2).plan(&mut conn).unwrap();
    assert_eq!(
        plan.steps().iter().map(|s| s.version()).collect::<Vec<_>>(),
        [2]
    );
    assert_eq!(conn.snapshot(), partial);
    // A dry run refuses what a run would refuse.
    BASIC.run(&mut conn).unwrap();
    let err = BASIC_EDITED.runner().plan(&mut conn).unwrap_err();
    assert!(
        matches!(err, Error::ChecksumMismatch { version: 2, .. }),
        "{err}"
    );
    assert!(BASIC.runner().plan(&mut conn).unwrap().is_empty());
}

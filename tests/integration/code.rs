//! Code migrations on both backends: interleaving with SQL by version,
//! registration checks, failures, a resumable batched backfill, drift by
//! code version, rollback with down functions, dry runs.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use migrate::rusqlite::OptionalExtension;
use migrate::{CodeError, CodeMigration, Error, Finding, Migrations, Rollback};

use crate::fixtures::*;
use crate::support::*;

const VIEW: &str = "CREATE VIEW active_users AS SELECT id, email FROM users";
const PG_VIEW_EXISTS: &str = "SELECT 1 FROM pg_views WHERE viewname = 'active_users'";
const LITE_VIEW_EXISTS: &str =
    "SELECT 1 FROM sqlite_master WHERE type = 'view' AND name = 'active_users'";
/// One chunk of the backfill: ten rows not done yet.
const CHUNK: &str = "UPDATE users SET display_name = 'User ' || id \
     WHERE id IN (SELECT id FROM users WHERE display_name IS NULL ORDER BY id LIMIT 10)";
const UNDO_BACKFILL: &str = "UPDATE users SET display_name = NULL";
const MISSING: &str = "SELECT count(*) FROM users WHERE display_name IS NULL";

/// Counts the backfill's chunks and fails once `budget` of them ran, as an
/// interrupted deploy would.
#[derive(Clone, Default)]
struct Chunks {
    ran: Arc<AtomicUsize>,
    budget: Option<usize>,
}

impl Chunks {
    fn failing_after(budget: usize) -> Chunks {
        Chunks {
            budget: Some(budget),
            ..Chunks::default()
        }
    }

    fn next(&self) -> Result<(), CodeError> {
        let n = self.ran.fetch_add(1, Ordering::SeqCst);
        match self.budget {
            Some(budget) if n >= budget => Err(format!("interrupted after {n} chunks").into()),
            _ => Ok(()),
        }
    }

    fn ran(&self) -> usize {
        self.ran.load(Ordering::SeqCst)
    }
}

/// Version 2: creates the view unless it exists.
fn view(code_version: &str) -> CodeMigration {
    CodeMigration::new(2, "users_view", code_version)
        .postgres(|tx| {
            if tx.query_opt(PG_VIEW_EXISTS, &[])?.is_none() {
                tx.batch_execute(VIEW)?;
            }
            Ok(())
        })
        .postgres_down(|tx| Ok(tx.batch_execute("DROP VIEW active_users")?))
        .sqlite(|tx| {
            let exists = tx.query_row(LITE_VIEW_EXISTS, [], |_| Ok(())).optional()?;
            if exists.is_none() {
                tx.execute_batch(VIEW)?;
            }
            Ok(())
        })
        .sqlite_down(|tx| Ok(tx.execute_batch("DROP VIEW active_users")?))
}

/// Version 2, failing after it created the view.
fn failing_view() -> CodeMigration {
    CodeMigration::new(2, "users_view", "1")
        .postgres(|tx| {
            tx.batch_execute(VIEW)?;
            tx.batch_execute("SELECT * FROM no_such_table")?;
            Ok(())
        })
        .sqlite(|tx| {
            tx.execute_batch(VIEW)?;
            tx.execute_batch("SELECT * FROM no_such_table")?;
            Ok(())
        })
}

/// Version 4: the batched backfill, each chunk committed on its own.
fn backfill(chunks: &Chunks) -> CodeMigration {
    let (pg, lite) = (chunks.clone(), chunks.clone());
    CodeMigration::new(4, "backfill_display_names", "1")
        .postgres_no_transaction(move |client| loop {
            pg.next()?;
            if client.execute(CHUNK, &[])? == 0 {
                return Ok(());
            }
        })
        .sqlite_no_transaction(move |conn| loop {
            lite.next()?;
            if migrate::rusqlite::Connection::execute(conn, CHUNK, [])? == 0 {
                return Ok(());
            }
        })
        .postgres_down(|tx| Ok(tx.batch_execute(UNDO_BACKFILL)?))
        .sqlite_down(|tx| Ok(tx.execute_batch(UNDO_BACKFILL)?))
}

fn with(code: impl IntoIterator<Item = CodeMigration>) -> Migrations {
    CODE.with_code(code).expect("the code migrations register")
}

fn applied(report: &migrate::Report) -> Vec<u64> {
    report.applied().iter().map(|a| a.version()).collect()
}

fn view_exists(db: &mut Box<dyn Db>) -> bool {
    // PostgreSQL: `name:kind:columns`; SQLite: `type:name:sql`.
    db.snapshot()
        .iter()
        .any(|s| s.starts_with("active_users:v:") || s.starts_with("view:active_users:"))
}

#[test]
fn code_migrations_run_between_sql_migrations_by_version() {
    on_both("code_interleave", |connect| {
        let mut db = connect();
        let chunks = Chunks::default();
        let set = with([view("1"), backfill(&chunks).resumable()]);
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = order.clone();
        let report = db
            .run(set.runner().on_progress(move |p| {
                if let migrate::Progress::Finished { version, .. } = p {
                    seen.lock().unwrap().push(*version);
                }
            }))
            .unwrap();
        assert_eq!(applied(&report), [1, 2, 3, 4]);
        assert_eq!(*order.lock().unwrap(), [1, 2, 3, 4]);
        assert!(view_exists(&mut db));
        assert_eq!(db.count(MISSING), 0);
        // 5 chunks of 10 rows, and one that found nothing left.
        assert_eq!(chunks.ran(), 6);
        let status = db.status(set.runner()).unwrap();
        let sums: Vec<&str> = status.applied().iter().map(|a| a.checksum()).collect();
        assert_eq!(sums[1], "code:1");
        assert_eq!(sums[3], "code:1");
        assert!(status.is_up_to_date(), "{status:?}");
        // The next boot is a no-op: no function runs again.
        assert!(db.run(set.runner()).unwrap().applied().is_empty());
        assert_eq!(chunks.ran(), 6);
    });
}

#[test]
fn registration_checks_versions_names_and_functions() {
    let reason = |code: CodeMigration| match CODE.with_code([code]) {
        Err(Error::InvalidCode { reason, .. }) => reason,
        other => panic!("expected InvalidCode, got {other:?}"),
    };
    let up = |c: CodeMigration| c.sqlite(|_| Ok(()));
    assert!(reason(up(CodeMigration::new(5, "later", "1")))
        .contains("no marker file 0005_later.code in tests/fixtures/code"));
    assert!(reason(up(CodeMigration::new(1, "create_users", "1")))
        .contains("is the SQL migration 0001_create_users.up.sql"));
    assert!(reason(up(CodeMigration::new(2, "other", "1")))
        .contains("its marker file 0002_users_view.code names it `users_view`"));
    assert!(reason(CodeMigration::new(2, "users_view", "1")).contains("no up function"));
    assert!(reason(up(CodeMigration::new(2, "users_view", " "))).contains("code version"));
    assert!(
        reason(up(CodeMigration::new(2, "users_view", "1")).resumable())
            .contains("only a no-transaction migration can be resumable")
    );
    assert!(reason(
        up(CodeMigration::new(2, "users_view", "1")).postgres_no_transaction(|_| Ok(()))
    )
    .contains("mix a transaction and no transaction"));
    match CODE.with_code([view("1"), view("2")]) {
        Err(Error::InvalidCode {
            version: 2, reason, ..
        }) => {
            assert_eq!(reason, "registered twice");
        }
        other => panic!("expected InvalidCode, got {other:?}"),
    }
    // The error names the migration and the rule.
    let e = CODE.with_code([up(CodeMigration::new(2, "other", "1"))]);
    assert!(e
        .unwrap_err()
        .to_string()
        .starts_with("code migration 2 (other): its marker file"));
}

#[test]
fn a_marker_without_functions_refuses_before_anything_runs() {
    on_both("code_unregistered", |connect| {
        let mut db = connect();
        let before = db.snapshot();
        match db.run(CODE.runner()) {
            Err(Error::InvalidCode {
                version: 2, reason, ..
            }) => assert!(reason.contains("0002_users_view.code"), "{reason}"),
            other => panic!("expected InvalidCode, got {other:?}"),
        }
        assert_eq!(db.snapshot(), before);
        // Only the part before the first code migration can run.
        let report = db.run(CODE.runner().to(1)).unwrap();
        assert_eq!(applied(&report), [1]);
        // Status and dry runs still work, and say what is missing.
        let status = db.status(CODE.runner()).unwrap();
        assert_eq!(status.pending().len(), 3);
        let plan = db.plan(with([view("1")]).runner().to(3)).unwrap();
        assert!(plan.steps()[0]
            .sql()
            .starts_with("-- Rust code (code version 1)"));
    });
}

#[test]
fn code_for_another_database_only_is_refused() {
    let lite = LiteDb::new();
    let set = with([CodeMigration::new(2, "users_view", "1").postgres(|_| Ok(()))]);
    match set.run(&mut lite.connect()) {
        Err(Error::InvalidCode { reason, .. }) => {
            assert_eq!(reason, "it has no up function for SQLite");
        }
        other => panic!("expected InvalidCode, got {other:?}"),
    }
    assert!(!lite_table_exists(&lite.connect(), "users"));
}

#[test]
fn a_failing_code_migration_rolls_back_alone() {
    on_both("code_failure", |connect| {
        let mut db = connect();
        let set = with([failing_view(), backfill(&Chunks::default())]);
        match db.run(set.runner()) {
            Err(Error::MigrationFailed(f)) if f.version() == 2 && !f.is_partial() => {
                assert!(f.file().ends_with("0002_users_view.code"), "{f}");
                assert!(f.message().contains("no_such_table"), "{f}");
            }
            other => panic!("expected MigrationFailed, got {other:?}"),
        }
        assert_eq!(db.versions(), [1]);
        assert!(!view_exists(&mut db), "the view was rolled back");
        let events = db.history(set.runner(), 1).unwrap();
        assert_eq!(events[0].kind(), migrate::EventKind::Failure);
        assert_eq!(events[0].version(), Some(2));
    });
}

#[test]
fn an_interrupted_backfill_resumes_where_it_stopped() {
    on_both("code_resume", |connect| {
        let mut db = connect();
        let first = Chunks::failing_after(2);
        let set = with([view("1"), backfill(&first).resumable()]);
        match db.run(set.runner()) {
            Err(Error::MigrationFailed(f)) if f.version() == 4 && f.is_partial() => {}
            other => panic!("expected a partial failure, got {other:?}"),
        }
        // Two chunks committed before the interruption.
        assert_eq!(db.count(MISSING), 30);
        let status = db.status(set.runner()).unwrap();
        assert!(status.problems().is_empty(), "{:?}", status.problems());
        assert_eq!(status.pending()[0].version(), 4);

        let second = Chunks::default();
        let set = with([view("1"), backfill(&second).resumable()]);
        let report = db.run(set.runner()).unwrap();
        assert_eq!(applied(&report), [4]);
        assert_eq!(db.count(MISSING), 0);
        // Only the 30 rows left: three chunks and the empty one.
        assert_eq!(second.ran(), 4);
    });
}

#[test]
fn an_interrupted_backfill_not_declared_resumable_is_half_applied() {
    on_both("code_half", |connect| {
        let mut db = connect();
        let set = with([view("1"), backfill(&Chunks::failing_after(1))]);
        assert!(db.run(set.runner()).is_err());
        let set = with([view("1"), backfill(&Chunks::default())]);
        match db.run(set.runner()) {
            Err(Error::HalfApplied { version: 4, .. }) => {}
            other => panic!("expected HalfApplied, got {other:?}"),
        }
        // Repair clears the mark; the next run finishes the backfill.
        db.repair(set.runner()).unwrap();
        assert_eq!(applied(&db.run(set.runner()).unwrap()), [4]);
        assert_eq!(db.count(MISSING), 0);
    });
}

#[test]
fn a_new_code_version_is_drift_until_repaired() {
    on_both("code_drift", |connect| {
        let mut db = connect();
        let chunks = Chunks::default();
        db.run(with([view("1"), backfill(&chunks)]).runner())
            .unwrap();
        let bumped = with([view("2"), backfill(&chunks)]);
        let problems = db.verify(bumped.runner()).unwrap();
        assert_eq!(
            problems,
            [Finding::Drift {
                version: 2,
                file: "tests/fixtures/code/0002_users_view.code".to_owned(),
                expected: "code:1".to_owned(),
                found: "code:2".to_owned(),
            }]
        );
        assert!(matches!(
            db.run(bumped.runner()),
            Err(Error::ChecksumMismatch { version: 2, .. })
        ));
        db.repair(bumped.runner()).unwrap();
        assert!(db.verify(bumped.runner()).unwrap().is_empty());
        assert!(db.run(bumped.runner()).unwrap().applied().is_empty());
    });
}

#[test]
fn code_migrations_roll_back_with_their_down_functions() {
    on_both("code_rollback", |connect| {
        let mut db = connect();
        let set = with([view("1"), backfill(&Chunks::default())]);
        db.run(set.runner()).unwrap();
        let plan = db.plan_rollback(set.runner(), Rollback::Last(3)).unwrap();
        assert_eq!(
            plan.steps().iter().map(|s| s.version()).collect::<Vec<_>>(),
            [4, 3, 2]
        );
        assert!(plan.steps()[0].sql().starts_with("-- Rust code"));

        db.rollback(set.runner(), Rollback::Last(1)).unwrap();
        assert_eq!(db.count(MISSING), 50, "the backfill's down ran");
        let report = db.rollback(set.runner(), Rollback::All).unwrap();
        assert_eq!(report.rolled_back().len(), 3);
        assert!(db.versions().is_empty());
        assert!(!view_exists(&mut db));
        assert_eq!(applied(&db.run(set.runner()).unwrap()), [1, 2, 3, 4]);
        assert!(view_exists(&mut db));

        // Without a down function, a code migration is irreversible.
        let no_down = with([
            view("1"),
            CodeMigration::new(4, "backfill_display_names", "1")
                .postgres_no_transaction(|_| Ok(()))
                .sqlite_no_transaction(|_| Ok(())),
        ]);
        match db.rollback(no_down.runner(), Rollback::Last(1)) {
            Err(Error::Irreversible {
                version: 4,
                rolled_back: 0,
                ..
            }) => {}
            other => panic!("expected Irreversible, got {other:?}"),
        }
        assert_eq!(db.versions(), [1, 2, 3, 4]);
    });
}

#[test]
fn a_dry_run_shows_code_steps_and_runs_nothing() {
    on_both("code_plan", |connect| {
        let mut db = connect();
        let before = db.snapshot();
        let chunks = Chunks::default();
        let plan = db
            .plan(with([view("1"), backfill(&chunks)]).runner())
            .unwrap();
        let steps = plan.steps();
        assert_eq!(steps.len(), 4);
        assert!(steps[1].sql().contains("creates the view active_users"));
        assert!(steps[1].transactional());
        assert!(!steps[3].transactional());
        assert_eq!(chunks.ran(), 0);
        assert_eq!(db.snapshot(), before);
    });
}

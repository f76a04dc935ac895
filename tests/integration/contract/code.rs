//! Code migrations: interleaving with SQL by version, functions missing
//! for the database, failures, a resumable batched backfill, drift by code
//! version, rollback with down functions, dry runs. (Registration checks
//! need no database: `embed.rs`.)

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use migrate::rusqlite::OptionalExtension;
use migrate::{CodeError, CodeMigration, Engine, Error, Finding, Migrations, Rollback};

use crate::fixtures::*;
use crate::support::*;

const VIEW: &str = "CREATE VIEW active_users AS SELECT id, email FROM users";
contract! {
    code_migrations_run_between_sql_migrations_by_version,
    a_marker_without_functions_refuses_before_anything_runs,
    code_for_another_database_only_is_refused,
    a_failing_code_migration_rolls_back_alone,
    an_interrupted_backfill_resumes_where_it_stopped,
    an_interrupted_backfill_not_declared_resumable_is_half_applied,
    a_new_code_version_is_drift_until_repaired,
    code_migrations_roll_back_with_their_down_functions,
    a_dry_run_shows_code_steps_and_runs_nothing,
}

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
        // The async driver's (`postgres_async`).
        .tokio_postgres(|tx| {
            Box::pin(async move {
                if tx.query_opt(PG_VIEW_EXISTS, &[]).await?.is_none() {
                    tx.batch_execute(VIEW).await?;
                }
                Ok(())
            })
        })
        .tokio_postgres_down(|tx| {
            Box::pin(async move { Ok(tx.batch_execute("DROP VIEW active_users").await?) })
        })
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
        .tokio_postgres(|tx| {
            Box::pin(async move {
                tx.batch_execute(VIEW).await?;
                tx.batch_execute("SELECT * FROM no_such_table").await?;
                Ok(())
            })
        })
}

/// Version 4: the batched backfill, each chunk committed on its own.
fn backfill(chunks: &Chunks) -> CodeMigration {
    let (pg, lite, tokio) = (chunks.clone(), chunks.clone(), chunks.clone());
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
        .tokio_postgres_no_transaction(move |client| {
            let chunks = tokio.clone();
            Box::pin(async move {
                loop {
                    chunks.next()?;
                    if client.execute(CHUNK, &[]).await? == 0 {
                        return Ok(());
                    }
                }
            })
        })
        .tokio_postgres_down(|tx| {
            Box::pin(async move { Ok(tx.batch_execute(UNDO_BACKFILL).await?) })
        })
}

fn with(code: impl IntoIterator<Item = CodeMigration>) -> Migrations {
    CODE.with_code(code).expect("the code migrations register")
}

fn view_exists(conn: &mut AnyConnection) -> bool {
    conn.exists("active_users")
}

fn code_migrations_run_between_sql_migrations_by_version(db: &Db) {
    let mut conn = db.open();
    let chunks = Chunks::default();
    let set = with([view("1"), backfill(&chunks).resumable()]);
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = order.clone();
    let report = set
        .runner()
        .on_progress(move |p| {
            if let migrate::Progress::Finished { version, .. } = p {
                seen.lock().unwrap().push(*version);
            }
        })
        .run(&mut conn)
        .unwrap();
    assert_eq!(applied(&report), [1, 2, 3, 4]);
    assert_eq!(*order.lock().unwrap(), [1, 2, 3, 4]);
    assert!(view_exists(&mut conn));
    assert_eq!(conn.count(MISSING), 0);
    // 5 chunks of 10 rows, and one that found nothing left.
    assert_eq!(chunks.ran(), 6);
    let status = set.runner().status(&mut conn).unwrap();
    let sums: Vec<&str> = status.applied().iter().map(|a| a.checksum()).collect();
    assert_eq!(sums[1], "code:1");
    assert_eq!(sums[3], "code:1");
    assert!(status.is_up_to_date(), "{status:?}");
    // The next boot is a no-op: no function runs again.
    assert!(set.run(&mut conn).unwrap().applied().is_empty());
    assert_eq!(chunks.ran(), 6);
}

fn a_marker_without_functions_refuses_before_anything_runs(db: &Db) {
    let mut conn = db.open();
    let before = conn.snapshot();
    match CODE.run(&mut conn) {
        Err(Error::InvalidCode {
            version: 2, reason, ..
        }) => assert!(reason.contains("0002_users_view.code"), "{reason}"),
        other => panic!("expected InvalidCode, got {other:?}"),
    }
    assert_eq!(conn.snapshot(), before);
    // Only the part before the first code migration can run.
    let report = CODE.runner().to(1).run(&mut conn).unwrap();
    assert_eq!(applied(&report), [1]);
    // Status and dry runs still work, and say what is missing.
    let status = CODE.runner().status(&mut conn).unwrap();
    assert_eq!(status.pending().len(), 3);
    let plan = with([view("1")]).runner().to(3).plan(&mut conn).unwrap();
    assert!(plan.steps()[0]
        .sql()
        .starts_with("-- Rust code (code version 1)"));
}

/// Functions registered for the other engine only: refused before
/// anything runs, naming this engine.
fn code_for_another_database_only_is_refused(db: &Db) {
    let mut conn = db.open();
    let code = CodeMigration::new(2, "users_view", "1");
    let code = match db.engine() {
        Engine::Postgres => code.sqlite(|_| Ok(())),
        _ => code.postgres(|_| Ok(())),
    };
    match with([code]).run(&mut conn) {
        Err(Error::InvalidCode { reason, .. }) => {
            assert_eq!(reason, format!("it has no up function for {}", db.engine()));
        }
        other => panic!("expected InvalidCode, got {other:?}"),
    }
    assert!(!conn.exists("users"));
}

fn a_failing_code_migration_rolls_back_alone(db: &Db) {
    let mut conn = db.open();
    let set = with([failing_view(), backfill(&Chunks::default())]);
    match set.run(&mut conn) {
        Err(Error::MigrationFailed(f)) if f.version() == 2 && !f.is_partial() => {
            assert!(f.file().ends_with("0002_users_view.code"), "{f}");
            assert!(f.message().contains("no_such_table"), "{f}");
        }
        other => panic!("expected MigrationFailed, got {other:?}"),
    }
    assert_eq!(conn.versions(), [1]);
    assert!(!view_exists(&mut conn), "the view was rolled back");
    let events = set.runner().history(&mut conn, 1).unwrap();
    assert_eq!(events[0].kind(), migrate::EventKind::Failure);
    assert_eq!(events[0].version(), Some(2));
}

fn an_interrupted_backfill_resumes_where_it_stopped(db: &Db) {
    let mut conn = db.open();
    let first = Chunks::failing_after(2);
    let set = with([view("1"), backfill(&first).resumable()]);
    match set.run(&mut conn) {
        Err(Error::MigrationFailed(f)) if f.version() == 4 && f.is_partial() => {}
        other => panic!("expected a partial failure, got {other:?}"),
    }
    // Two chunks committed before the interruption.
    assert_eq!(conn.count(MISSING), 30);
    let status = set.runner().status(&mut conn).unwrap();
    assert!(status.problems().is_empty(), "{:?}", status.problems());
    assert_eq!(status.pending()[0].version(), 4);

    let second = Chunks::default();
    let set = with([view("1"), backfill(&second).resumable()]);
    let report = set.run(&mut conn).unwrap();
    assert_eq!(applied(&report), [4]);
    assert_eq!(conn.count(MISSING), 0);
    // Only the 30 rows left: three chunks and the empty one.
    assert_eq!(second.ran(), 4);
}

fn an_interrupted_backfill_not_declared_resumable_is_half_applied(db: &Db) {
    let mut conn = db.open();
    let set = with([view("1"), backfill(&Chunks::failing_after(1))]);
    assert!(set.run(&mut conn).is_err());
    let set = with([view("1"), backfill(&Chunks::default())]);
    match set.run(&mut conn) {
        Err(Error::HalfApplied { version: 4, .. }) => {}
        other => panic!("expected HalfApplied, got {other:?}"),
    }
    // Repair clears the mark; the next run finishes the backfill.
    set.runner().repair(&mut conn).unwrap();
    assert_eq!(applied(&set.run(&mut conn).unwrap()), [4]);
    assert_eq!(conn.count(MISSING), 0);
}

fn a_new_code_version_is_drift_until_repaired(db: &Db) {
    let mut conn = db.open();
    let chunks = Chunks::default();
    with([view("1"), backfill(&chunks)]).run(&mut conn).unwrap();
    let bumped = with([view("2"), backfill(&chunks)]);
    let problems = bumped.runner().verify(&mut conn).unwrap();
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
        bumped.run(&mut conn),
        Err(Error::ChecksumMismatch { version: 2, .. })
    ));
    bumped.runner().repair(&mut conn).unwrap();
    assert!(bumped.runner().verify(&mut conn).unwrap().is_empty());
    assert!(bumped.run(&mut conn).unwrap().applied().is_empty());
}

fn code_migrations_roll_back_with_their_down_functions(db: &Db) {
    let mut conn = db.open();
    let set = with([view("1"), backfill(&Chunks::default())]);
    set.run(&mut conn).unwrap();
    let plan = set
        .runner()
        .plan_rollback(&mut conn, Rollback::Last(3))
        .unwrap();
    assert_eq!(
        plan.steps().iter().map(|s| s.version()).collect::<Vec<_>>(),
        [4, 3, 2]
    );
    assert!(plan.steps()[0].sql().starts_with("-- Rust code"));

    set.runner().rollback(&mut conn, Rollback::Last(1)).unwrap();
    assert_eq!(conn.count(MISSING), 50, "the backfill's down ran");
    let report = set.runner().rollback(&mut conn, Rollback::All).unwrap();
    assert_eq!(report.rolled_back().len(), 3);
    assert!(conn.versions().is_empty());
    assert!(!view_exists(&mut conn));
    assert_eq!(applied(&set.run(&mut conn).unwrap()), [1, 2, 3, 4]);
    assert!(view_exists(&mut conn));

    // Without a down function, a code migration is irreversible.
    let no_down = with([
        view("1"),
        CodeMigration::new(4, "backfill_display_names", "1")
            .postgres_no_transaction(|_| Ok(()))
            .sqlite_no_transaction(|_| Ok(()))
            .tokio_postgres_no_transaction(|_| Box::pin(async { Ok(()) })),
    ]);
    match no_down.runner().rollback(&mut conn, Rollback::Last(1)) {
        Err(Error::Irreversible {
            version: 4,
            rolled_back: 0,
            ..
        }) => {}
        other => panic!("expected Irreversible, got {other:?}"),
    }
    assert_eq!(conn.versions(), [1, 2, 3, 4]);
}

fn a_dry_run_shows_code_steps_and_runs_nothing(db: &Db) {
    let mut conn = db.open();
    let before = conn.snapshot();
    let chunks = Chunks::default();
    let plan = with([view("1"), backfill(&chunks)])
        .runner()
        .plan(&mut conn)
        .unwrap();
    let steps = plan.steps();
    assert_eq!(steps.len(), 4);
    assert!(steps[1].sql().contains("creates the view active_users"));
    assert!(steps[1].transactional());
    assert!(!steps[3].transactional());
    assert_eq!(chunks.ran(), 0);
    assert_eq!(conn.snapshot(), before);
}

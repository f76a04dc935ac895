//! The runner's decisions, tested on the double driver: what is sent, in
//! how many messages, what is refused before the lock, what a failure
//! reports, when the lock is released.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::check::batch_len;
use crate::backend::dialect::{DIGEST_COLUMN, DIGEST_PREFIX};
use crate::backend::double::{row, server_error, Call, Double};
use crate::backend::{DbFailure, Position};
use crate::model::embedded::{migration, migrations};
use crate::model::{CodeApi, Engine, Migration, MigrationState, Migrations};
use crate::outcome::{Error, ErrorCode, SqlState};
use crate::text::checksum::{checksum, set_digest};

mod failures;

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// Where the scanner would find the statements of `sql`.
fn spans(sql: &str) -> &'static [(usize, usize)] {
    let statements = crate::text::lexer::split(sql).unwrap();
    let spans: Vec<(usize, usize)> = statements.iter().map(|s| (s.start, s.end)).collect();
    Box::leak(spans.into_boxed_slice())
}

/// A set of transactional migrations `1..=n` (`no_transaction` lists the
/// versions marked `-- migrate:no-transaction`), each one statement on line
/// 2 of its file.
fn set_of(n: u64, no_transaction: &[u64]) -> Migrations {
    let items: Vec<Migration> = (1..=n)
        .map(|v| {
            let sql = leak(format!("-- {v}\nCREATE TABLE t{v} (id int);\n"));
            let file = leak(format!("{v:04}_t{v}.up.sql"));
            let down = leak(format!("{v:04}_t{v}.down.sql"));
            let nt = no_transaction.contains(&v);
            let down_sql = leak(format!("DROP TABLE t{v};\n"));
            migration(
                v,
                leak(format!("t{v}")),
                leak(checksum(sql)),
                false,
                (file, sql, nt, None, None, spans(sql)),
                Some((down, down_sql, false, None, None, spans(down_sql))),
            )
        })
        .collect();
    let digest = set_digest(items.iter().map(|m| (m.version(), m.checksum())));
    let items: &'static [Migration] = Box::leak(items.into_boxed_slice());
    migrations("migrations", items, &[], leak(digest))
}

/// The tracking rows of versions `1..=n` of `set`, as the table returns
/// them.
fn applied(set: &Migrations, n: u64) -> Vec<crate::backend::Row> {
    set.iter()
        .take_while(|m| m.version() <= n)
        .map(|m| {
            let v = m.version().to_string();
            row(
                "version",
                &[
                    Some(&v),
                    Some(m.name()),
                    Some(m.checksum()),
                    Some("applied"),
                ],
            )
        })
        .collect()
}

fn missing() -> Result<Vec<crate::backend::Row>, DbFailure> {
    Err(server_error("relation does not exist", "42P01", None))
}

/// Whether `sql` is the no-op boot's read of the cached digest.
fn is_digest_read(sql: &str) -> bool {
    sql.starts_with("SELECT to_regclass(")
}

/// The answer to [`is_digest_read`]: whether the tracking table exists and
/// the digest kept as its comment.
fn cached(exists: bool, digest: Option<&str>) -> Result<Vec<crate::backend::Row>, DbFailure> {
    let comment = digest.map(|d| format!("{}{d}", DIGEST_PREFIX));
    let exists = if exists { "t" } else { "f" };
    Ok(vec![row(
        DIGEST_COLUMN,
        &[Some(exists), comment.as_deref()],
    )])
}

fn is_batch(sql: &str) -> bool {
    sql.contains("COMMIT;")
}

/// A PostgreSQL double of an empty database: no tracking tables until the
/// run creates them; `batch` answers the migrations' messages, `other` any
/// other script.
fn empty_pg(
    mut batch: impl FnMut(&str) -> Result<Vec<crate::backend::Row>, DbFailure> + Send + 'static,
    mut other: impl FnMut(&str) -> Result<Vec<crate::backend::Row>, DbFailure> + Send + 'static,
) -> Double {
    Double::new(Engine::Postgres, move |sql| {
        if is_digest_read(sql) {
            cached(false, None)
        } else if sql.starts_with("SELECT version, name") {
            missing()
        } else if is_batch(sql) {
            batch(sql)
        } else {
            other(sql)
        }
    })
}

#[test]
fn the_no_op_boot_is_one_query_and_takes_no_lock() {
    let set = set_of(3, &[]);
    let digest = set.digest.to_string();
    let mut db = Double::new(Engine::Postgres, move |sql| {
        assert!(is_digest_read(sql), "{sql}");
        cached(true, Some(&digest))
    });
    let report = set.run(&mut db).unwrap();
    assert!(report.is_up_to_date());
    assert_eq!(report.version(), Some(3));
    assert_eq!(db.calls().len(), 1, "{:?}", db.calls());
}

#[test]
fn a_fresh_apply_on_postgres_sends_every_migration_in_one_message() {
    let set = set_of(3, &[]);
    let ms = |v: &str| row("migrate_applied_ms", &[Some(v)]);
    let mut db = empty_pg(
        // A migration's own rows are not taken for bookkeeping.
        move |_| Ok(vec![row("x", &[Some("9")]), ms("1.5"), ms("2"), ms("3")]),
        |_| Ok(Vec::new()),
    );
    let report = set.run(&mut db).unwrap();
    let applied: Vec<(u64, Duration)> = report
        .applied()
        .iter()
        .map(|a| (a.version(), a.duration()))
        .collect();
    assert_eq!(
        applied,
        [
            (1, Duration::from_micros(1500)),
            (2, Duration::from_millis(2)),
            (3, Duration::from_millis(3))
        ]
    );
    let batches: Vec<String> = db.scripts().into_iter().filter(|s| is_batch(s)).collect();
    assert_eq!(batches.len(), 1, "{batches:?}");
    assert_eq!(batches[0].matches("BEGIN;").count(), 3);
    assert_eq!(
        batches[0].matches("EXECUTE migrate_record_apply(").count(),
        3
    );
    let locks = db.calls().iter().filter(|c| **c == Call::TryLock).count();
    assert_eq!(locks, 1);
    let Some(Call::Unlock(then)) = db.calls().last().cloned() else {
        panic!("the lock is released last: {:?}", db.calls());
    };
    assert!(
        then.contains(&format!("COMMENT ON TABLE ' || E'\"migrate_history\"' || ' IS ' || quote_nullable(E'{DIGEST_PREFIX}{}')", set.digest)),
        "{then}"
    );
}

#[test]
fn refusals_come_before_the_lock() {
    let set = set_of(2, &[]);
    let mut db = Double::new(Engine::Postgres, |sql| {
        if is_digest_read(sql) {
            return cached(true, None);
        }
        let edited = "sha256:0000";
        Ok(vec![row(
            "version",
            &[Some("1"), Some("t1"), Some(edited), Some("applied")],
        )])
    });
    let err = set.run(&mut db).unwrap_err();
    assert!(
        matches!(err, Error::ChecksumMismatch { version: 1, .. }),
        "{err}"
    );
    assert!(!db.calls().contains(&Call::TryLock), "{:?}", db.calls());
}

/// A PostgreSQL double where another runner holds the lock: the cached
/// digest is void for the first `void` reads, then shows `set` applied;
/// and how many reads there were.
fn waiting(set: &Migrations, void: usize) -> (Double, Arc<AtomicUsize>) {
    let digest = set.digest.to_string();
    let reads = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&reads);
    let db = Double::new(Engine::Postgres, move |sql| {
        if is_digest_read(sql) {
            let stored = (seen.fetch_add(1, Ordering::SeqCst) >= void).then_some(digest.as_str());
            return cached(true, stored);
        }
        Ok(Vec::new())
    });
    (db, reads)
}

/// Asserts the runner never held the lock nor wrote.
fn never_held(db: &Double) {
    let calls = db.calls();
    assert!(
        !calls.iter().any(|c| matches!(c, Call::Unlock(_))),
        "never held: {calls:?}"
    );
    assert!(!db.scripts().iter().any(|s| s.contains("CREATE TABLE")));
}

fn lock_attempts(db: &Double) -> usize {
    db.calls().iter().filter(|c| **c == Call::TryLock).count()
}

#[test]
fn a_waiting_runner_leaves_once_the_digest_shows_its_set_applied() {
    let set = set_of(2, &[]);
    // Void at first; the other runner's digest on the second read.
    let (mut db, _) = waiting(&set, 1);
    db.locks = vec![Some(false), Some(false)];
    let report = set.run(&mut db).unwrap();
    assert!(report.is_up_to_date());
    assert_eq!(lock_attempts(&db), 1);
    never_held(&db);
}

#[test]
fn a_waiting_runner_reads_the_digest_in_its_lock_attempts_message() {
    let set = set_of(2, &[]);
    // Void for the no-op probe and two polls, then the other runner's.
    let (mut db, reads) = waiting(&set, 3);
    db.locks = vec![Some(false); 10];
    assert!(set.runner().run(&mut db).unwrap().is_up_to_date());
    // One read before the lock (the no-op probe, a message of its own);
    // while waiting, each poll is one message: the attempt and the probe.
    let alone = db.scripts().iter().filter(|s| is_digest_read(s)).count();
    assert_eq!(alone, 1, "{:?}", db.calls());
    assert_eq!(lock_attempts(&db), 3);
    assert_eq!(reads.load(Ordering::SeqCst), 4);
}

#[test]
fn an_unanswered_lock_attempt_ends_the_wait_changing_nothing() {
    let set = set_of(2, &[]);
    let (mut db, _) = waiting(&set, usize::MAX);
    db.locks = vec![Some(false), None];
    let err = set.runner().run(&mut db).unwrap_err();
    assert!(
        matches!(
            err,
            Error::LockTimeout {
                unanswered: true,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("did not answer"), "{err}");
    assert_eq!(lock_attempts(&db), 2);
    never_held(&db);
}

#[test]
fn waiting_longer_than_the_lock_wait_is_a_lock_timeout_that_changes_nothing() {
    let set = set_of(1, &[]);
    let mut db = Double::new(Engine::Sqlite, |sql| {
        if sql.starts_with("PRAGMA busy_timeout") {
            return Ok(vec![row("timeout", &[Some("5000")])]);
        }
        missing()
    });
    db.locks = vec![Some(false); 1000];
    let err = set
        .runner()
        .lock_wait(Duration::ZERO)
        .run(&mut db)
        .unwrap_err();
    assert!(matches!(err, Error::LockTimeout { .. }), "{err}");
    let scripts = db.scripts();
    let reads: Vec<&String> = scripts
        .iter()
        .filter(|s| !s.starts_with("PRAGMA"))
        .collect();
    // The tracking table (none), then, for a database without one, whether
    // another tool's is there: reads only.
    assert_eq!(reads.len(), 2, "only reads: {scripts:?}");
    assert!(reads[1].contains("_sqlx_migrations"), "{scripts:?}");
    // SQLite waits for other writers as long as for the lock, then as before.
    assert_eq!(scripts[1], "PRAGMA busy_timeout = 0");
    assert_eq!(
        scripts.last().map(String::as_str),
        Some("PRAGMA busy_timeout = 5000")
    );
}

#[test]
fn sqlite_runs_each_statement_alone_and_a_failure_names_its_line() {
    let set = set_of(3, &[]);
    let mut db = Double::new(Engine::Sqlite, |sql| {
        if sql.starts_with("SELECT version, name") {
            return missing();
        }
        if sql.starts_with("CREATE TABLE t2") {
            let mut f = server_error("table t2 already exists", "x", Some(Position::Byte(13)));
            f.code = Some(ErrorCode::Sqlite(1));
            return Err(f);
        }
        Ok(Vec::new())
    });
    let err = set.run(&mut db).unwrap_err();
    let f = err.migration_failure().expect("a migration failure");
    assert_eq!(
        (f.version(), f.line(), f.column()),
        (2, Some(2), Some(14)),
        "{err}"
    );
    let scripts = db.scripts();
    let begins = scripts
        .iter()
        .filter(|s| s.starts_with("BEGIN IMMEDIATE"))
        .count();
    assert_eq!(begins, 2, "migration 3 never starts: {scripts:?}");
    assert!(
        scripts.iter().any(|s| s == "CREATE TABLE t1 (id int)"),
        "statement by statement"
    );
    assert!(scripts.iter().any(|s| s == "ROLLBACK"));
    assert_eq!(f.report().applied().len(), 1);
}

#[test]
fn a_half_applied_migration_is_refused_under_the_lock_and_the_lock_released() {
    let set = set_of(2, &[2]);
    let mut db = Double::new(Engine::Sqlite, |sql| {
        if sql.starts_with("SELECT version, name") {
            return Ok(vec![
                row(
                    "version",
                    &[Some("1"), Some("t1"), Some("x"), Some("applied")],
                ),
                row(
                    "version",
                    &[Some("2"), Some("t2"), Some("y"), Some("failed")],
                ),
            ]);
        }
        Ok(Vec::new())
    });
    // The checksums differ on purpose: drift of 1 would be refused first,
    // so register the rows with the set's own checksum.
    let rows = applied(&set, 1);
    let two = set.get(2).unwrap().checksum().to_owned();
    let mut db2 = Double::new(Engine::Sqlite, move |sql| {
        if sql.starts_with("SELECT version, name") {
            let mut all = rows.clone();
            all.push(row(
                "version",
                &[Some("2"), Some("t2"), Some(&two), Some("failed")],
            ));
            return Ok(all);
        }
        Ok(Vec::new())
    });
    let err = set.run(&mut db2).unwrap_err();
    assert!(
        matches!(
            err,
            Error::HalfApplied {
                version: 2,
                state: MigrationState::Failed,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        matches!(db2.calls().last(), Some(Call::Unlock(_))),
        "{:?}",
        db2.calls()
    );
    // With drift as well, drift is what is refused.
    assert!(matches!(
        set.run(&mut db).unwrap_err(),
        Error::ChecksumMismatch { .. }
    ));
}

#[test]
fn a_lock_timeout_in_a_migration_is_retried_after_a_pause() {
    let set = set_of(1, &[]);
    let attempts = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&attempts);
    let mut db = Double::new(Engine::Postgres, move |sql| {
        if is_digest_read(sql) {
            return cached(false, None);
        }
        if sql.starts_with("SELECT version, name") {
            return missing();
        }
        if is_batch(sql) {
            if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                return Err(server_error(
                    "canceling statement due to lock timeout",
                    "55P03",
                    None,
                ));
            }
            return Ok(vec![row("migrate_applied_ms", &[Some("1")])]);
        }
        Ok(Vec::new())
    });
    let report = set
        .runner()
        .lock_retries(1, Duration::from_millis(1))
        .run(&mut db)
        .unwrap();
    assert_eq!(report.applied().len(), 1);
    assert_eq!(attempts.load(Ordering::SeqCst), 2);
    assert!(db.calls().contains(&Call::Pause));
}

#[test]
fn batches_take_transactional_migrations_and_leave_the_others_alone() {
    let set = set_of(6, &[3]);
    let all: Vec<&Migration> = set.iter().collect();
    assert_eq!(batch_len(&all, 32), 2, "up to the no-transaction one");
    assert_eq!(batch_len(&all[2..], 32), 1, "the no-transaction one alone");
    assert_eq!(batch_len(&all[3..], 32), 3);
    assert_eq!(batch_len(&all[3..], 2), 2, "at most the driver's batch");
    assert_eq!(batch_len(&all, 1), 1);
}

fn history(set: &Migrations, versions: &[u64]) -> Vec<crate::model::HistoryRow> {
    versions
        .iter()
        .map(|&v| {
            let m = set.get(v);
            crate::model::HistoryRow {
                row: crate::model::AppliedRow {
                    version: v,
                    name: m.map_or_else(|| format!("gone{v}"), |m| m.name().to_owned()),
                    checksum: m.map_or_else(String::new, |m| m.checksum().to_owned()),
                    state: MigrationState::Applied,
                },
                applied_at: String::new(),
                execution_ms: None,
                applied_by: None,
                down_sql: Some(format!("-- migrate:no-transaction\nDROP TABLE gone{v};")),
            }
        })
        .collect()
}

#[test]
fn rollback_plans_pick_the_newest_rows_and_stop_at_an_irreversible_one() {
    use super::Rollback;
    let set = set_of(4, &[]);
    let runner = set.runner();
    let rows = history(&set, &[1, 2, 3, 4]);
    let versions = |how| -> Vec<u64> {
        let plan = runner.plan_down(&rows, "t", how, CodeApi::Sqlite).unwrap();
        plan.steps.iter().map(|d| d.row.row.version).collect()
    };
    assert_eq!(versions(Rollback::Last(2)), [4, 3]);
    assert_eq!(versions(Rollback::To(1)), [4, 3, 2]);
    assert_eq!(versions(Rollback::All), [4, 3, 2, 1]);
    assert_eq!(versions(Rollback::Last(9)), [4, 3, 2, 1]);

    // Version 5 is applied but unknown to the set: its stored down SQL
    // runs, with the directives it carries.
    let rows = history(&set, &[1, 5]);
    let plan = runner
        .plan_down(&rows, "t", Rollback::All, CodeApi::Sqlite)
        .unwrap();
    let (five, one) = (&plan.steps[0], &plan.steps[1]);
    assert_eq!(
        (five.source, five.no_transaction),
        (crate::outcome::DownSource::Stored, true)
    );
    assert_eq!(one.sql, "DROP TABLE t1;\n");

    // Without stored down SQL, an unknown row stops the rollback before it.
    let mut rows = history(&set, &[1, 5, 2]);
    rows[1].down_sql = None;
    let plan = runner
        .plan_down(&rows, "t", Rollback::All, CodeApi::Sqlite)
        .unwrap();
    assert_eq!(plan.steps.len(), 1);
    assert_eq!(plan.blocked_by.map(|r| r.row.version), Some(5));
}

#[test]
fn rollback_plans_refuse_a_half_applied_row_and_unreadable_stored_sql() {
    use super::Rollback;
    let set = set_of(2, &[]);
    let runner = set.runner();
    let mut rows = history(&set, &[1, 2]);
    rows[0].row.state = MigrationState::InProgress;
    let err = runner
        .plan_down(&rows, "t", Rollback::All, CodeApi::Sqlite)
        .err();
    assert!(
        matches!(err, Some(Error::HalfApplied { version: 1, .. })),
        "{err:?}"
    );

    let mut rows = history(&set, &[1, 7]);
    rows[1].down_sql = Some("DROP TABLE 'x;".to_owned());
    let err = runner
        .plan_down(&rows, "t", Rollback::All, CodeApi::Sqlite)
        .err();
    assert!(
        matches!(&err, Some(Error::UnexpectedTracking { reason, .. }) if reason.contains("unterminated")),
        "{err:?}"
    );
}

#[test]
fn the_runners_futures_are_send_so_an_async_service_can_spawn_them() {
    fn send<T: Send>(_: T) {}
    let set = set_of(1, &[]);
    let runner = set.runner();
    let t = runner.tracking().unwrap();
    let mut db = Double::new(Engine::Postgres, |_| Ok(Vec::new()));
    let mut driver = crate::backend::private::Sealed::driver(&mut db);
    let mut s = crate::backend::protocol::Session::new(&mut *driver, &t);
    send(runner.apply_on(&mut s, CodeApi::Postgres));
    send(runner.rollback_on(&mut s, super::Rollback::All, CodeApi::Postgres));
}

/// Compiled, never run: every async method's future is `Send` whatever
/// the async client, so that a service can spawn it on a multi-threaded
/// runtime (`tokio::spawn`).
#[cfg(feature = "tokio-postgres")]
#[allow(dead_code)]
fn the_async_methods_futures_are_send<D: crate::AsyncDatabase + ?Sized>(db: &mut D) {
    fn send<T: Send>(_: T) {}
    let set = set_of(1, &[]);
    let r = set.runner();
    send(set.run_async(db));
    send(r.run_async(db));
    send(r.rollback_async(db, super::Rollback::All));
    send(r.plan_rollback_async(db, super::Rollback::All));
    send(r.baseline_async(db, 1));
    send(r.repair_async(db));
    send(r.resolve_async(db, 1, super::Resolution::Applied));
    send(r.seed_async(db, "dev"));
    send(r.reseed_async(db, "dev"));
    send(r.status_async(db));
    send(r.verify_async(db));
    send(r.history_async(db, 1));
    send(r.plan_async(db));
}

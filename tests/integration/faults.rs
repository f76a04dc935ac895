//! Faults a runner must survive, with real processes and real servers.
//!
//! SIGKILL at each phase (`kill_*`): this test binary, started again as a
//! runner (`concurrency::spawn_child`), is killed with `Child::kill`
//! (SIGKILL) at a moment found by polling the database, never by a fixed
//! sleep: (a) waiting for the lock another runner holds, (b) inside a
//! transactional migration (on PostgreSQL in the middle of a message of
//! three), (c) between the statements of a no-transaction migration, and,
//! on PostgreSQL, (d) during `CREATE INDEX CONCURRENTLY`. After each kill:
//! the tracking table tells the truth about the schema (an applied row's
//! objects exist; a killed transaction left no row and nothing of its own;
//! a killed no-transaction migration is `in_progress`), the lock is free
//! (a run with a [`LOCK_WAIT`] wait applies the rest or refuses with
//! `HalfApplied`, never `LockTimeout`), and every migration ends applied
//! exactly once (after `repair` where a mark requires it): each migration
//! of the `fault_*` sets logs its version in `fault_log` when it runs.
//!
//! A PostgreSQL server notices a killed client only when it next reads or
//! writes its socket, so the kill tests' databases set
//! `client_connection_check_interval` (100 ms), as a server that must not
//! run a dead client's statements would; `kill_mid_batch_without_connection_check`
//! shows the default: the server finishes the dead runner's message,
//! which commits with its rows.
//!
//! Server restart (`a_server_restart_…`, on a throwaway `Cluster`) and a
//! backend terminated during `CREATE INDEX CONCURRENTLY`: the run returns
//! `Error::ConnectionLost`, saying the outcome is unknown and that `status`
//! tells, which a new connection's `status` then does.

use std::os::unix::process::ExitStatusExt as _;
use std::process::Child;
use std::thread;
use std::time::{Duration, Instant};

use migrate::postgres::Client;
use migrate::{Error, Finding, MigrationState, Migrations};
use migrate_testkit::Cluster;

use crate::concurrency::spawn_child;
use crate::fixtures::*;
use crate::support::*;

/// The lock wait of the run after a kill: short next to the default five
/// minutes, long enough for a server to end a dead session.
const LOCK_WAIT: Duration = Duration::from_secs(5);

/// What each version of a fault set makes, besides its `fault_log` row.
type Objects = &'static [(i64, &'static [&'static str])];

const PG_BATCH: Objects = &[(1, &["fault_log"]), (2, &["fault_a"]), (3, &["fault_b"])];
const PG_NO_TRANSACTION: Objects = &[(1, &["fault_log"]), (2, &["fault_c"])];
const PG_INDEX: Objects = &[(1, &["fault_log", "fault_slow"]), (2, &["fault_idx"])];
const LITE: Objects = &[(1, &["fault_log"]), (2, &["fault_a"]), (3, &["fault_c"])];

const APPLIED: Option<&str> = Some("applied");
const IN_PROGRESS: Option<&str> = Some("in_progress");

macro_rules! pg_db {
    ($name:expr, $check:expr) => {
        match killable($name, $check) {
            Some(db) => db,
            None => return,
        }
    };
}

// --- SIGKILL, PostgreSQL -------------------------------------------------

#[test]
fn kill_waiting_for_the_lock_postgres() {
    let db = pg_db!("kill_lock_wait", true);
    let mut watch = db.connect();
    let mut holder = spawn_child("fault_pg_batch", &db.url());
    let holder_pid = wait_for("the holder sleeps in its batch", || sleeping(&mut watch));
    let waiter = spawn_child("fault_pg_batch", &db.url());
    let waiter_pid = wait_for("the waiter polls for the lock", || {
        still_running(&mut holder);
        lock_poller(&mut watch, holder_pid)
    });
    kill(waiter);
    wait_gone(&mut watch, waiter_pid);
    let locks = advisory_locks(&mut watch);
    assert!(
        locks.iter().all(|&pid| pid == holder_pid),
        "only the holder may hold the lock: {locks:?}"
    );
    assert!(
        holder.try_wait().unwrap().is_none(),
        "the waiter was killed while the holder held the lock"
    );
    assert!(holder.wait().unwrap().success(), "the holder finishes");
    assert!(advisory_locks(&mut watch).is_empty());
    converge(&mut db.open(), &FAULT_PG_BATCH, PG_BATCH, None);
}

#[test]
fn kill_mid_batch_postgres() {
    let db = pg_db!("kill_mid_batch", true);
    let mut watch = db.connect();
    let child = spawn_child("fault_pg_batch", &db.url());
    let pid = wait_for("migration 3 sleeps, 1 and 2 committed", || {
        row(&mut watch, 2).and(sleeping(&mut watch))
    });
    kill_session(child, &mut watch, pid);
    let expected = [(1, APPLIED), (2, APPLIED), (3, None)];
    assert_truthful(&mut watch, PG_BATCH, &expected);
    converge(&mut db.open(), &FAULT_PG_BATCH, PG_BATCH, None);
}

#[test]
fn kill_mid_batch_without_connection_check() {
    let db = pg_db!("kill_batch_default", false);
    let mut watch = db.connect();
    let child = spawn_child("fault_pg_batch", &db.url());
    let pid = wait_for("migration 3 sleeps, 1 and 2 committed", || {
        row(&mut watch, 2).and(sleeping(&mut watch))
    });
    kill(child);
    assert_eq!(sleeping(&mut watch), Some(pid), "the server carries on");
    // It runs the rest of the message (migration 3 and its row commit
    // together), then finds the client gone and ends the session, which
    // frees the lock.
    wait_gone(&mut watch, pid);
    assert!(advisory_locks(&mut watch).is_empty(), "the lock is free");
    let expected = [(1, APPLIED), (2, APPLIED), (3, APPLIED)];
    assert_truthful(&mut watch, PG_BATCH, &expected);
    converge(&mut db.open(), &FAULT_PG_BATCH, PG_BATCH, None);
}

#[test]
fn kill_between_statements_of_a_no_transaction_migration_postgres() {
    let db = pg_db!("kill_no_transaction", true);
    let mut watch = db.connect();
    let child = spawn_child("fault_pg_no_transaction", &db.url());
    let pid = wait_for("migration 2 is marked and sleeps", || {
        marked(&mut watch, 2).and(sleeping(&mut watch))
    });
    kill_session(child, &mut watch, pid);
    assert_truthful(
        &mut watch,
        PG_NO_TRANSACTION,
        &[(1, APPLIED), (2, IN_PROGRESS)],
    );
    assert!(watch.exists("fault_c"), "its first statement committed");
    assert_eq!(logged(&mut watch, 2), 0, "its last statement never ran");
    let set = &FAULT_PG_NO_TRANSACTION;
    converge(&mut db.open(), set, PG_NO_TRANSACTION, Some(2));
}

#[test]
fn kill_during_create_index_concurrently() {
    let db = pg_db!("kill_cic", true);
    let mut watch = db.connect();
    let child = spawn_child("fault_pg_index", &db.url());
    let pid = wait_for("CREATE INDEX CONCURRENTLY builds", || {
        watch.exists("fault_idx").then_some(())?;
        running(&mut watch, "CREATE INDEX CONCURRENTLY")
    });
    kill_session(child, &mut watch, pid);
    assert_interrupted_index(&mut watch);
    // What the operator does for the invalid index (the migration cannot
    // build it again while it exists), then `converge` repairs and runs.
    watch.execute_sql("DROP INDEX CONCURRENTLY IF EXISTS fault_idx");
    converge(&mut db.open(), &FAULT_PG_INDEX, PG_INDEX, Some(2));
    assert_eq!(valid_index(&mut watch), ["true"]);
}

// --- SIGKILL, SQLite -----------------------------------------------------

#[cfg(target_os = "linux")]
#[test]
fn kill_waiting_for_the_lock_sqlite() {
    let db = LiteDb::new();
    let (mut watch, probe) = (db.connect(), db.connect());
    let mut holder = spawn_child("fault_lite", &db.url());
    wait_for("the holder is inside migration 2", || {
        inside_transaction_of(&mut watch, &probe, 2)
    });
    let waiter = spawn_child("fault_lite", &db.url());
    // Seen three times in a row sleeping between attempts at the lock.
    let mut seen = 0;
    wait_for("the waiter sleeps between attempts at the lock", || {
        still_running(&mut holder);
        seen = if pausing(waiter.id()) { seen + 1 } else { 0 };
        (seen >= 3).then_some(())
    });
    kill(waiter);
    assert!(holder.wait().unwrap().success(), "the holder finishes");
    converge(&mut db.open(), &FAULT_LITE, LITE, None);
}

#[test]
fn kill_inside_a_transactional_migration_sqlite() {
    let db = LiteDb::new();
    let (mut watch, probe) = (db.connect(), db.connect());
    let child = spawn_child("fault_lite", &db.url());
    wait_for("the runner is inside migration 2", || {
        inside_transaction_of(&mut watch, &probe, 2)
    });
    kill(child);
    // The next reader finds the killed transaction's journal and rolls it
    // back.
    assert_truthful(&mut watch, LITE, &[(1, APPLIED), (2, None), (3, None)]);
    converge(&mut db.open(), &FAULT_LITE, LITE, None);
}

#[test]
fn kill_between_statements_of_a_no_transaction_migration_sqlite() {
    let db = LiteDb::new();
    let mut watch = db.connect();
    let child = spawn_child("fault_lite", &db.url());
    wait_for("migration 3 is marked and made its table", || {
        marked(&mut watch, 3)?;
        watch.exists("fault_c").then_some(())
    });
    kill(child);
    assert_truthful(
        &mut watch,
        LITE,
        &[(1, APPLIED), (2, APPLIED), (3, IN_PROGRESS)],
    );
    assert!(watch.exists("fault_c"), "its first statement committed");
    assert_eq!(logged(&mut watch, 3), 0, "its last statement never ran");
    converge(&mut db.open(), &FAULT_LITE, LITE, Some(3));
}

// --- Lost connections ----------------------------------------------------

#[test]
fn a_server_restart_mid_batch_is_a_lost_connection_and_status_tells_the_truth() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let url = cluster.url();
    let run = thread::spawn(move || FAULT_PG_BATCH.run(&mut AnyConnection::open(&url).unwrap()));
    let mut watch = cluster.connect().unwrap();
    wait_for("migration 3 sleeps, 1 and 2 committed", || {
        row(&mut watch, 2).and(sleeping(&mut watch))
    });
    cluster.restart();
    lost(run.join().unwrap(), (1, 3));
    // A new connection tells what committed: 1 and 2; 3 is pending.
    let mut conn = AnyConnection::open(&cluster.url()).unwrap();
    let status = FAULT_PG_BATCH.runner().status(&mut conn).unwrap();
    let applied: Vec<(u64, MigrationState)> = status
        .applied()
        .iter()
        .map(|a| (a.version(), a.state()))
        .collect();
    assert_eq!(
        applied,
        [(1, MigrationState::Applied), (2, MigrationState::Applied)]
    );
    let pending: Vec<u64> = status.pending().iter().map(|p| p.version()).collect();
    assert_eq!(pending, [3]);
    assert!(status.problems().is_empty(), "{:?}", status.problems());
    let expected = [(1, APPLIED), (2, APPLIED), (3, None)];
    assert_truthful(&mut conn, PG_BATCH, &expected);
    converge(&mut conn, &FAULT_PG_BATCH, PG_BATCH, None);
}

#[test]
fn a_backend_terminated_during_create_index_concurrently_is_in_progress_not_failed() {
    let Some(db) = PgDb::create("terminated_cic") else {
        return;
    };
    let url = db.url();
    let run = thread::spawn(move || FAULT_PG_INDEX.run(&mut AnyConnection::open(&url).unwrap()));
    let mut watch = db.connect();
    let pid = wait_for("CREATE INDEX CONCURRENTLY builds", || {
        watch.exists("fault_idx").then_some(())?;
        running(&mut watch, "CREATE INDEX CONCURRENTLY")
    });
    watch
        .execute("SELECT pg_terminate_backend($1)", &[&pid])
        .unwrap();
    let text = lost(run.join().unwrap(), (2, 2));
    assert!(!text.contains("failed"), "nothing claims it failed: {text}");
    assert_interrupted_index(&mut watch);
    watch.execute_sql("DROP INDEX CONCURRENTLY IF EXISTS fault_idx");
    converge(&mut db.open(), &FAULT_PG_INDEX, PG_INDEX, Some(2));
    assert_eq!(valid_index(&mut watch), ["true"]);
}

// --- Assertions ----------------------------------------------------------

/// Asserts a run ended with `Error::ConnectionLost` for `first..=last`,
/// saying the outcome is unknown and that `status` on a new connection
/// tells; returns its message.
fn lost(result: Result<migrate::Report, Error>, (first, last): (u64, u64)) -> String {
    let err = result.expect_err("the run lost its connection");
    assert!(
        matches!(err, Error::ConnectionLost { first: f, last: l, .. } if (f, l) == (first, last)),
        "{err:?}"
    );
    let text = err.to_string();
    for words in [
        "connection was lost",
        "unknown",
        "`status`",
        "new connection",
    ] {
        assert!(text.contains(words), "{words:?} in {text}");
    }
    text
}

/// Asserts that the tracking table is the truth about the schema:
/// `expected` is each version's row (`None`: no row) and holds every row;
/// an applied version's objects exist and it ran once; a version without a
/// row has none of its objects and never ran. A mark's partial work is the
/// caller's to check.
fn assert_truthful(conn: &mut impl Inspect, objects: Objects, expected: &[(i64, Option<&str>)]) {
    let rows: Vec<(i64, String)> = if conn.exists("migrate_history") {
        conn.rows("SELECT version, status FROM migrate_history ORDER BY version")
            .into_iter()
            .map(|r| {
                (
                    r[0].as_deref().unwrap().parse().unwrap(),
                    r[1].clone().unwrap(),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let with_rows: Vec<i64> = expected
        .iter()
        .filter(|(_, s)| s.is_some())
        .map(|(v, _)| *v)
        .collect();
    let found: Vec<i64> = rows.iter().map(|(v, _)| *v).collect();
    assert_eq!(found, with_rows, "the tracking rows");
    for &(version, state) in expected {
        let row = rows.iter().find(|(v, _)| *v == version);
        assert_eq!(row.map(|(_, s)| s.as_str()), state, "the row of {version}");
        let made = objects.iter().find(|(v, _)| *v == version).unwrap().1;
        match state {
            Some("applied") => {
                for name in made {
                    assert!(conn.exists(name), "{version} is applied: {name} exists");
                }
                assert_eq!(logged(conn, version), 1, "{version} ran once");
            }
            None => {
                for name in made {
                    assert!(!conn.exists(name), "{version} has no row: no {name}");
                }
                assert_eq!(
                    logged(conn, version),
                    0,
                    "{version} has no row: it never ran"
                );
            }
            Some(_) => {}
        }
    }
}

/// After a kill: the lock is free and the set converges. A run with a
/// short lock wait applies the rest, or, with `marked` left `in_progress`,
/// refuses with `HalfApplied`, changing nothing, and applies the rest after
/// `repair`. Every migration is then applied, ran once and has one `apply`
/// event, and the next run is up to date.
fn converge(conn: &mut AnyConnection, set: &Migrations, objects: Objects, marked: Option<u64>) {
    let runner = set.runner().lock_wait(LOCK_WAIT);
    let before = conn.snapshot();
    match (runner.run(conn), marked) {
        (Ok(_), None) => {}
        (Err(Error::HalfApplied { version, state, .. }), Some(m)) => {
            assert_eq!((version, state), (m, MigrationState::InProgress));
            assert_eq!(conn.snapshot(), before, "the refusal changed nothing");
            let repaired = runner.repair(conn).expect("repair");
            assert!(
                matches!(repaired[..], [Finding::HalfApplied { version, .. }] if version == m),
                "{repaired:?}"
            );
            runner.run(conn).expect("the run after repair");
        }
        (other, _) => panic!("after the kill, with {marked:?} marked: {other:?}"),
    }
    let all: Vec<(i64, Option<&str>)> = objects.iter().map(|(v, _)| (*v, APPLIED)).collect();
    assert_truthful(conn, objects, &all);
    let once: Vec<(i64, i64)> = objects.iter().map(|(v, _)| (*v, 1)).collect();
    assert_eq!(conn.event_counts("apply"), once, "one apply event each");
    let again = runner.run(conn).expect("a run after converging");
    assert!(again.is_up_to_date() && again.applied().is_empty());
}

/// After a `CREATE INDEX CONCURRENTLY` was cut short while building:
/// migration 2 is `in_progress` (never applied, never `failed`), its index
/// is left invalid, and status reports both.
fn assert_interrupted_index(watch: &mut Client) {
    assert_truthful(watch, PG_INDEX, &[(1, APPLIED), (2, IN_PROGRESS)]);
    assert_eq!(logged(watch, 2), 0);
    assert_eq!(valid_index(watch), ["false"], "the index is left invalid");
    let status = FAULT_PG_INDEX.runner().status(watch).unwrap();
    let problems = status.problems();
    assert!(
        problems.iter().any(|p| matches!(
            p,
            Finding::HalfApplied {
                version: 2,
                state: MigrationState::InProgress,
                ..
            }
        )),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| matches!(p, Finding::InvalidIndex { name, .. } if name == "fault_idx")),
        "{problems:?}"
    );
}

// --- Reading the database ------------------------------------------------

/// How many times `version` ran (its rows in `fault_log`).
fn logged(conn: &mut impl Inspect, version: i64) -> i64 {
    if !conn.exists("fault_log") {
        return 0;
    }
    conn.count(&format!(
        "SELECT count(*) FROM fault_log WHERE version = {version}"
    ))
}

/// `Some` once the tracking table has a row for `version` (committed).
fn row(conn: &mut impl Inspect, version: i64) -> Option<()> {
    let sql = format!("SELECT count(*) FROM migrate_history WHERE version = {version}");
    (conn.exists("migrate_history") && conn.count(&sql) == 1).then_some(())
}

/// `Some` once `version` is marked `in_progress`.
fn marked(conn: &mut impl Inspect, version: i64) -> Option<()> {
    let sql = format!(
        "SELECT count(*) FROM migrate_history WHERE version = {version} AND status = 'in_progress'"
    );
    (conn.exists("migrate_history") && conn.count(&sql) == 1).then_some(())
}

/// `indisvalid` of `fault_idx`, if it exists.
fn valid_index(watch: &mut Client) -> Vec<String> {
    watch
        .column("SELECT indisvalid::text FROM pg_index WHERE indexrelid = to_regclass('fault_idx')")
}

// --- PostgreSQL sessions -------------------------------------------------

/// A fresh database whose sessions check every 100 ms whether their client
/// is still there (`check`), or never (the server's default).
fn killable(test: &str, check: bool) -> Option<PgDb> {
    let db = PgDb::create(test)?;
    let interval = if check { "100ms" } else { "0" };
    db.connect().execute_sql(&format!(
        "ALTER DATABASE {} SET client_connection_check_interval = '{interval}'",
        db.name()
    ));
    Some(db)
}

/// Another session of the database sleeping in `pg_sleep`.
fn sleeping(watch: &mut Client) -> Option<i32> {
    other_session(watch, "wait_event = 'PgSleep'")
}

/// Another session running a statement that starts with `prefix`.
fn running(watch: &mut Client, prefix: &str) -> Option<i32> {
    other_session(
        watch,
        &format!("state = 'active' AND query LIKE '{prefix}%'"),
    )
}

/// A session other than `holder` whose last statement was an attempt at
/// the migration lock.
fn lock_poller(watch: &mut Client, holder: i32) -> Option<i32> {
    let attempt = "query LIKE 'SELECT pg_try_advisory_lock(%'";
    other_session(watch, &format!("pid <> {holder} AND {attempt}"))
}

/// The first session of the database, other than ours, meeting `condition`.
fn other_session(watch: &mut Client, condition: &str) -> Option<i32> {
    let sql = format!(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
         AND pid <> pg_backend_pid() AND {condition}"
    );
    watch.query(&sql, &[]).unwrap().first().map(|r| r.get(0))
}

/// Kills a runner whose session is `pid`, waits until the server has
/// ended that session, and asserts the lock is free.
fn kill_session(child: Child, watch: &mut Client, pid: i32) {
    kill(child);
    wait_gone(watch, pid);
    assert!(advisory_locks(watch).is_empty(), "the lock is free");
}

/// Waits until session `pid` has ended.
fn wait_gone(watch: &mut Client, pid: i32) {
    wait_for("the killed runner's session ends", || {
        let n: i64 = watch
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = $1",
                &[&pid],
            )
            .unwrap()
            .get(0);
        (n == 0).then_some(())
    });
}

/// The sessions holding an advisory lock in the database.
fn advisory_locks(watch: &mut Client) -> Vec<i32> {
    watch
        .query(
            "SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
             WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

// --- SQLite and processes ------------------------------------------------

/// `Some` while another connection is inside the transaction of
/// `version`: the one before it committed, it has no row yet, and the
/// database's write lock is taken (`probe` cannot begin a write).
fn inside_transaction_of(
    watch: &mut migrate::rusqlite::Connection,
    probe: &migrate::rusqlite::Connection,
    version: i64,
) -> Option<()> {
    row(watch, version - 1)?;
    if row(watch, version).is_some() {
        return None;
    }
    probe.busy_timeout(Duration::ZERO).unwrap();
    match probe.execute_batch("BEGIN IMMEDIATE") {
        Ok(()) => {
            probe.execute_batch("ROLLBACK").unwrap();
            None
        }
        Err(_) => Some(()),
    }
}

/// Whether a thread of process `pid` sleeps in `nanosleep` (Linux): a
/// SQLite runner's pause between attempts at the lock.
#[cfg(target_os = "linux")]
fn pausing(pid: u32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    tasks.flatten().any(|task| {
        let wchan = std::fs::read_to_string(task.path().join("wchan")).unwrap_or_default();
        wchan.contains("nanosleep")
    })
}

/// Fails at once if the runner holding the lock has finished: the phase
/// under test is over.
fn still_running(holder: &mut Child) {
    if let Some(status) = holder.try_wait().unwrap() {
        panic!("the holder finished ({status}) before the waiter was seen waiting");
    }
}

/// Kills a runner with SIGKILL and reaps it.
fn kill(mut child: Child) {
    child.kill().expect("SIGKILL the runner");
    let status = child.wait().expect("reap the runner");
    assert_eq!(status.signal(), Some(9), "killed, not finished: {status}");
}

/// Polls until `found` returns a value, failing after [`DEADLINE`].
fn wait_for<T>(what: &str, mut found: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(value) = found() {
            return value;
        }
        assert!(Instant::now() < deadline, "{what}: not within {DEADLINE:?}");
        thread::sleep(Duration::from_millis(10));
    }
}

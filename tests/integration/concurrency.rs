//! Many runners booting at once: threads and separate processes, on
//! PostgreSQL and SQLite, also while the first runner is inside a slow
//! `CREATE INDEX CONCURRENTLY`.

use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use crate::fixtures::{by_name, BASIC, SLOW_INDEX};
use crate::postgres::wait_for_query;
use crate::support::*;

const RUNNERS: usize = 8;
/// Tells this test binary, started again as a child, what to run:
/// `pg|sqlite`, the set, and the database (`|`-separated).
const CHILD: &str = "MIGRATE_TEST_CHILD";
/// A bound that only a deadlock or a lost wake-up would reach.
const DEADLINE: Duration = Duration::from_secs(120);

/// The child side: runs a set once and exits 0 on success. Does nothing in
/// an ordinary test run.
#[test]
fn child_entry_point() {
    let Ok(spec) = std::env::var(CHILD) else {
        return;
    };
    let parts: Vec<&str> = spec.splitn(3, '|').collect();
    let set = by_name(parts[1]);
    let result = match parts[0] {
        "pg" => {
            let mut client = migrate::postgres::Client::connect(parts[2], migrate::postgres::NoTls)
                .expect("child connects");
            set.run(&mut client)
        }
        _ => {
            let mut conn = migrate::rusqlite::Connection::open(parts[2]).expect("child opens");
            set.run(&mut conn)
        }
    };
    match result {
        Ok(report) => println!("child applied {}", report.applied().len()),
        Err(e) => {
            eprintln!("child failed: {e}");
            std::process::exit(1);
        }
    }
}

fn spawn_child(kind: &str, set: &str, target: &str) -> Child {
    Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "concurrency::child_entry_point",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, format!("{kind}|{set}|{target}"))
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn a child runner")
}

/// Waits for every child, failing on any error or on the deadline.
fn wait_all(children: Vec<Child>) {
    let (tx, rx) = mpsc::channel();
    let n = children.len();
    for mut child in children {
        let tx = tx.clone();
        thread::spawn(move || {
            let _ = tx.send(child.wait().expect("wait for a child"));
        });
    }
    for _ in 0..n {
        let status = rx
            .recv_timeout(DEADLINE)
            .expect("every runner finishes (no deadlock)");
        assert!(status.success(), "a child runner failed: {status}");
    }
}

/// Runs `f` on `RUNNERS` threads at once and returns what each applied.
fn run_threads<F>(f: F) -> Vec<usize>
where
    F: Fn() -> Result<migrate::Report, migrate::Error> + Send + Sync + 'static,
{
    let f = std::sync::Arc::new(f);
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(RUNNERS));
    let (tx, rx) = mpsc::channel();
    for _ in 0..RUNNERS {
        let (f, barrier, tx) = (f.clone(), barrier.clone(), tx.clone());
        thread::spawn(move || {
            barrier.wait();
            let _ = tx.send(f().map(|r| r.applied().len()));
        });
    }
    (0..RUNNERS)
        .map(|_| {
            rx.recv_timeout(DEADLINE)
                .expect("every runner finishes (no deadlock)")
                .unwrap_or_else(|e| panic!("a runner failed: {e}"))
        })
        .collect()
}

/// `BASIC` applied once: versions, events, and the single row its third
/// migration inserts.
fn assert_basic_applied_once_pg(db: &PgDb) {
    assert_applied_once_pg(db, BASIC.len());
    let boots: i64 = db
        .connect()
        .query_one("SELECT count(*) FROM boots", &[])
        .unwrap()
        .get(0);
    assert_eq!(boots, 1);
}

fn assert_applied_once_pg(db: &PgDb, versions: usize) {
    let mut client = db.connect();
    let expected: Vec<i64> = (1..=i64::try_from(versions).unwrap()).collect();
    assert_eq!(pg_versions(&mut client), expected);
    let once: Vec<(i64, i64)> = expected.iter().map(|&v| (v, 1)).collect();
    assert_eq!(pg_event_counts(&mut client, "apply"), once);
}

#[test]
fn eight_threads_on_postgres_apply_each_migration_once() {
    let Some(db) = PgDb::create("threads") else {
        return;
    };
    let url = db.url();
    let applied = run_threads(move || {
        let mut client =
            migrate::postgres::Client::connect(&url, migrate::postgres::NoTls).unwrap();
        BASIC.run(&mut client)
    });
    assert_eq!(applied.iter().sum::<usize>(), BASIC.len());
    assert_basic_applied_once_pg(&db);
}

#[test]
fn eight_processes_on_postgres_apply_each_migration_once() {
    let Some(db) = PgDb::create("processes") else {
        return;
    };
    let url = db.url();
    wait_all(
        (0..RUNNERS)
            .map(|_| spawn_child("pg", "basic", &url))
            .collect(),
    );
    assert_basic_applied_once_pg(&db);
}

#[test]
fn runners_waiting_behind_a_slow_create_index_concurrently_do_not_deadlock() {
    let Some(db) = PgDb::create("slow_cic") else {
        return;
    };
    let url = db.url();
    let first = spawn_child("pg", "slow_index", &url);
    // Start the others while the first is inside CREATE INDEX CONCURRENTLY,
    // which waits for every transaction that holds a snapshot: a waiter
    // blocked inside a lock statement would deadlock it.
    let mut watcher = db.connect();
    wait_for_query(&mut watcher, "CREATE INDEX CONCURRENTLY");
    let mut children = vec![first];
    children.extend((1..RUNNERS).map(|_| spawn_child("pg", "slow_index", &url)));
    let url_for_threads = url.clone();
    let threads = thread::spawn(move || {
        run_threads(move || {
            let mut client =
                migrate::postgres::Client::connect(&url_for_threads, migrate::postgres::NoTls)
                    .unwrap();
            SLOW_INDEX.run(&mut client)
        })
    });
    wait_all(children);
    assert_eq!(
        threads.join().unwrap().iter().sum::<usize>(),
        0,
        "the first runner applied all"
    );
    assert_applied_once_pg(&db, SLOW_INDEX.len());
    let valid: bool = watcher
        .query_one(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'slow_identity_idx'::regclass",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(valid);
}

#[test]
fn eight_threads_on_sqlite_apply_each_migration_once() {
    let db = LiteDb::new();
    let path = db.path();
    let applied = run_threads(move || {
        let mut conn = migrate::rusqlite::Connection::open(&path).unwrap();
        BASIC.run(&mut conn)
    });
    assert_eq!(applied.iter().sum::<usize>(), BASIC.len());
    assert_applied_once_lite(&db);
}

#[test]
fn eight_processes_on_sqlite_apply_each_migration_once() {
    let db = LiteDb::new();
    let path = db.path().display().to_string();
    wait_all(
        (0..RUNNERS)
            .map(|_| spawn_child("sqlite", "basic", &path))
            .collect(),
    );
    assert_applied_once_lite(&db);
}

fn assert_applied_once_lite(db: &LiteDb) {
    let conn = db.connect();
    assert_eq!(lite_versions(&conn), vec![1, 2, 3]);
    let applies: i64 = conn
        .query_row(
            "SELECT count(*) FROM migrate_history_events WHERE event = 'apply'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(applies, 3);
    let boots: i64 = conn
        .query_row("SELECT count(*) FROM boots", [], |r| r.get(0))
        .unwrap();
    assert_eq!(boots, 1);
}

//! Many runners at once: threads, and this test binary started again as
//! separate processes (the child entry point below), on any database URL.
//! The tests are in `contract::concurrency` (both engines) and `postgres`
//! (runners waiting behind a slow `CREATE INDEX CONCURRENTLY`).

use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;

use crate::fixtures::by_name;
use crate::support::*;

/// How many runners boot at once.
pub const RUNNERS: usize = 8;
/// Tells this test binary, started again as a child, what to run:
/// the set and the database URL (`|`-separated).
const CHILD: &str = "MIGRATE_TEST_CHILD";

/// The child side: runs a set once on the database URL and exits 0 on
/// success. Does nothing in an ordinary test run.
#[test]
fn child_entry_point() {
    let Ok(spec) = std::env::var(CHILD) else {
        return;
    };
    let (set, url) = spec.split_once('|').expect("set|url");
    let mut conn = AnyConnection::open(url).expect("child connects");
    match by_name(set).run(&mut conn) {
        Ok(report) => println!("child applied {}", report.applied().len()),
        Err(e) => {
            eprintln!("child failed: {e}");
            std::process::exit(1);
        }
    }
}

/// Starts a child process running `set` on `url`.
pub fn spawn_child(set: &str, url: &str) -> Child {
    Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "concurrency::child_entry_point",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, format!("{set}|{url}"))
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn a child runner")
}

/// Waits for every child, failing on any error or on the deadline.
pub fn wait_all(children: Vec<Child>) {
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

/// Runs `set` on `RUNNERS` threads at once, each on its own connection to
/// `url`, and returns how many migrations each applied.
pub fn run_threads(set: &'static migrate::Migrations, url: &str) -> Vec<usize> {
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(RUNNERS));
    let (tx, rx) = mpsc::channel();
    for _ in 0..RUNNERS {
        let (url, barrier, tx) = (url.to_owned(), barrier.clone(), tx.clone());
        thread::spawn(move || {
            let mut conn = AnyConnection::open(&url).expect("a runner connects");
            barrier.wait();
            let _ = tx.send(set.run(&mut conn).map(|r| r.applied().len()));
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

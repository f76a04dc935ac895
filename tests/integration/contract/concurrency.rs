//! Eight runners booting at once, as threads and as processes: each
//! migration is applied exactly once.

use crate::concurrency::{run_threads, spawn_child, wait_all, RUNNERS};
use crate::fixtures::*;
use crate::support::*;

contract! {
    eight_threads_apply_each_migration_once,
    eight_processes_apply_each_migration_once,
}

/// `BASIC` applied once: versions, events, and the single row its third
/// migration inserts.
fn assert_basic_applied_once(db: &Db) {
    let mut conn = db.open();
    assert_eq!(conn.versions(), [1, 2, 3]);
    assert_eq!(conn.event_counts("apply"), [(1, 1), (2, 1), (3, 1)]);
    assert_eq!(conn.count("SELECT count(*) FROM boots"), 1);
}

fn eight_threads_apply_each_migration_once(db: &Db) {
    let applied = run_threads(&BASIC, &db.url());
    assert_eq!(applied.len(), RUNNERS);
    assert_eq!(applied.iter().sum::<usize>(), BASIC.len());
    assert_basic_applied_once(db);
}

fn eight_processes_apply_each_migration_once(db: &Db) {
    let url = db.url();
    wait_all((0..RUNNERS).map(|_| spawn_child("basic", &url)).collect());
    assert_basic_applied_once(db);
}

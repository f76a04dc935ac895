//! Helpers of the integration tests. The databases (a fresh PostgreSQL
//! database or SQLite file per test, as `AnyConnection`s and URLs) and
//! reading them back come from the shared test kit, `migrate-testkit`.

use std::time::Duration;

pub use migrate::AnyConnection;
pub use migrate_testkit::{Db, Inspect, LiteDb, PgDb};

/// A bound that only a deadlock or a lost wake-up would reach.
pub const DEADLINE: Duration = Duration::from_secs(120);

/// Table names created by the `CREATE TABLE` statements of a set: the
/// expectations of a fresh apply, derived from the files themselves.
pub fn created_tables(set: &migrate::Migrations) -> Vec<String> {
    let mut names = Vec::new();
    for m in set {
        let words: Vec<&str> = m.up_sql().split_whitespace().collect();
        for i in 0..words.len().saturating_sub(2) {
            if words[i].eq_ignore_ascii_case("CREATE") && words[i + 1].eq_ignore_ascii_case("TABLE")
            {
                let mut j = i + 2;
                if words[j].eq_ignore_ascii_case("IF") {
                    j += 3; // IF NOT EXISTS
                }
                let name = words[j].split('(').next().unwrap_or_default();
                names.push(name.trim_matches('"').to_owned());
            }
        }
    }
    assert!(!names.is_empty(), "the set creates tables");
    names
}

/// The versions a run applied, in order.
pub fn applied(report: &migrate::Report) -> Vec<u64> {
    report.applied().iter().map(|a| a.version()).collect()
}

/// `kind:version` of the newest `limit` events.
pub fn events(db: &mut AnyConnection, set: &migrate::Migrations, limit: usize) -> Vec<String> {
    set.runner()
        .history(db, limit)
        .unwrap()
        .iter()
        .map(|e| format!("{}:{}", e.kind(), e.version().unwrap_or_default()))
        .collect()
}

/// PostgreSQL: waits until another session runs a statement starting
/// with `prefix`.
pub fn wait_for_query(client: &mut migrate::postgres::Client, prefix: &str) {
    let deadline = std::time::Instant::now() + DEADLINE;
    while std::time::Instant::now() < deadline {
        let n: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1 || '%' AND pid <> pg_backend_pid()",
                &[&prefix],
            )
            .unwrap()
            .get(0);
        if n > 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("no session started {prefix} within {DEADLINE:?}");
}

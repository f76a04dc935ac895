//! Test support: a fresh PostgreSQL database per test, SQLite files in
//! temporary folders, and a way to run a set in a child process.

use std::sync::atomic::{AtomicUsize, Ordering};

use migrate::postgres::{Client, NoTls};
use migrate::{Database, Error, Runner};

/// The server's address; `MIGRATE_TEST_PG` overrides it.
fn server() -> String {
    std::env::var("MIGRATE_TEST_PG")
        .unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres".to_owned())
}

/// A database created for one test and dropped after it.
pub struct PgDb {
    name: String,
}

impl PgDb {
    /// Creates a fresh database, or returns `None` (loudly) when no server
    /// is reachable outside CI. In CI (`CI=true`) a missing server fails the
    /// test.
    pub fn create(test: &str) -> Option<PgDb> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let mut admin = match Client::connect(&format!("{} dbname=postgres", server()), NoTls) {
            Ok(c) => c,
            Err(e) => {
                assert!(
                    std::env::var("CI").is_err(),
                    "PostgreSQL is required in CI but not reachable: {e}"
                );
                eprintln!("SKIPPED {test}: PostgreSQL is not reachable ({e}); set MIGRATE_TEST_PG");
                return None;
            }
        };
        let name = format!(
            "migrate_{}_{}_{}",
            test.chars().take(30).collect::<String>(),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .expect("drop a leftover test database");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create the test database");
        Some(PgDb { name })
    }

    /// The connection string of the test database.
    pub fn url(&self) -> String {
        format!("{} dbname={}", server(), self.name)
    }

    /// A new connection to the test database.
    pub fn connect(&self) -> Client {
        Client::connect(&self.url(), NoTls).expect("connect to the test database")
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = Client::connect(&format!("{} dbname=postgres", server()), NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// Whether `table` exists in the current schema of `client`.
pub fn pg_table_exists(client: &mut Client, table: &str) -> bool {
    client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
        .expect("look up a table")
        .get(0)
}

/// The versions in the tracking table, in order.
pub fn pg_versions(client: &mut Client) -> Vec<i64> {
    client
        .query("SELECT version FROM migrate_history ORDER BY version", &[])
        .expect("read the tracking table")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Counts the events of one kind per version: `(version, count)`.
pub fn pg_event_counts(client: &mut Client, event: &str) -> Vec<(i64, i64)> {
    client
        .query(
            "SELECT version, count(*) FROM migrate_history_events WHERE event = $1 GROUP BY version ORDER BY version",
            &[&event],
        )
        .expect("read the event log")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

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

/// A SQLite database file in a fresh temporary folder.
pub struct LiteDb {
    dir: tempfile::TempDir,
}

impl LiteDb {
    pub fn new() -> LiteDb {
        LiteDb {
            dir: tempfile::tempdir().expect("temporary folder"),
        }
    }

    pub fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("test.db")
    }

    pub fn connect(&self) -> migrate::rusqlite::Connection {
        migrate::rusqlite::Connection::open(self.path()).expect("open the SQLite database")
    }
}

/// Versions in a SQLite tracking table.
pub fn lite_versions(conn: &migrate::rusqlite::Connection) -> Vec<i64> {
    let mut stmt = conn
        .prepare("SELECT version FROM migrate_history ORDER BY version")
        .expect("read the tracking table");
    stmt.query_map([], |r| r.get(0))
        .expect("read the tracking table")
        .collect::<Result<_, _>>()
        .expect("read the tracking table")
}

/// Whether a SQLite table exists.
pub fn lite_table_exists(conn: &migrate::rusqlite::Connection, table: &str) -> bool {
    conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [table],
        |r| r.get::<_, i64>(0),
    )
    .expect("look up a table")
        == 1
}

/// Runs `check` against a fresh PostgreSQL database and a fresh SQLite file.
pub fn on_both(name: &str, check: fn(&mut dyn FnMut() -> Box<dyn Db>)) {
    if let Some(pg) = PgDb::create(name) {
        check(&mut || Box::new(pg.connect()));
    }
    let lite = LiteDb::new();
    check(&mut || Box::new(lite.connect()));
}

/// A connection of either kind: the runner's operations, and what the
/// tests read back.
pub trait Db {
    fn run(&mut self, runner: Runner<'_>) -> Result<migrate::Report, Error>;
    fn status(&mut self, runner: Runner<'_>) -> Result<migrate::Status, Error>;
    fn verify(&mut self, runner: Runner<'_>) -> Result<Vec<migrate::Finding>, Error>;
    fn history(&mut self, runner: Runner<'_>, limit: usize) -> Result<Vec<migrate::Event>, Error>;
    fn plan(&mut self, runner: Runner<'_>) -> Result<migrate::Plan, Error>;
    fn rollback(
        &mut self,
        runner: Runner<'_>,
        how: migrate::Rollback,
    ) -> Result<migrate::Report, Error>;
    fn plan_rollback(
        &mut self,
        runner: Runner<'_>,
        how: migrate::Rollback,
    ) -> Result<migrate::Plan, Error>;
    fn baseline(&mut self, runner: Runner<'_>, version: u64) -> Result<Vec<u64>, Error>;
    fn repair(&mut self, runner: Runner<'_>) -> Result<Vec<migrate::Finding>, Error>;
    fn seed(&mut self, runner: Runner<'_>, env: &str) -> Result<migrate::SeedReport, Error>;
    /// Runs SQL directly, outside migrate.
    fn execute(&mut self, sql: &str);
    /// The integer a one-row, one-column query returns.
    fn count(&mut self, sql: &str) -> i64;
    fn versions(&mut self) -> Vec<i64>;
    /// Every object of the database's schema with its definition, and
    /// every row of any tracking table: equal snapshots mean untouched.
    fn snapshot(&mut self) -> Vec<String>;
}

impl<D: Database + Inspect> Db for D {
    fn run(&mut self, runner: Runner<'_>) -> Result<migrate::Report, Error> {
        runner.run(self)
    }

    fn status(&mut self, runner: Runner<'_>) -> Result<migrate::Status, Error> {
        runner.status(self)
    }

    fn verify(&mut self, runner: Runner<'_>) -> Result<Vec<migrate::Finding>, Error> {
        runner.verify(self)
    }

    fn history(&mut self, runner: Runner<'_>, limit: usize) -> Result<Vec<migrate::Event>, Error> {
        runner.history(self, limit)
    }

    fn plan(&mut self, runner: Runner<'_>) -> Result<migrate::Plan, Error> {
        runner.plan(self)
    }

    fn rollback(
        &mut self,
        runner: Runner<'_>,
        how: migrate::Rollback,
    ) -> Result<migrate::Report, Error> {
        runner.rollback(self, how)
    }

    fn plan_rollback(
        &mut self,
        runner: Runner<'_>,
        how: migrate::Rollback,
    ) -> Result<migrate::Plan, Error> {
        runner.plan_rollback(self, how)
    }

    fn baseline(&mut self, runner: Runner<'_>, version: u64) -> Result<Vec<u64>, Error> {
        runner.baseline(self, version)
    }

    fn repair(&mut self, runner: Runner<'_>) -> Result<Vec<migrate::Finding>, Error> {
        runner.repair(self)
    }

    fn seed(&mut self, runner: Runner<'_>, env: &str) -> Result<migrate::SeedReport, Error> {
        runner.seed(self, env)
    }

    fn execute(&mut self, sql: &str) {
        Inspect::execute(self, sql);
    }

    fn count(&mut self, sql: &str) -> i64 {
        Inspect::count(self, sql)
    }

    fn versions(&mut self) -> Vec<i64> {
        Inspect::versions(self)
    }

    fn snapshot(&mut self) -> Vec<String> {
        Inspect::snapshot(self)
    }
}

/// What the tests read back from each kind of database.
pub trait Inspect {
    fn execute(&mut self, sql: &str);
    fn count(&mut self, sql: &str) -> i64;
    fn versions(&mut self) -> Vec<i64>;
    fn snapshot(&mut self) -> Vec<String>;
}

impl Inspect for migrate::postgres::Client {
    fn execute(&mut self, sql: &str) {
        self.batch_execute(sql).unwrap();
    }

    fn count(&mut self, sql: &str) -> i64 {
        self.query_one(&format!("SELECT ({sql})::bigint"), &[])
            .unwrap()
            .get(0)
    }

    fn versions(&mut self) -> Vec<i64> {
        pg_versions(self)
    }

    fn snapshot(&mut self) -> Vec<String> {
        let mut out: Vec<String> = self
            .query(
                "SELECT c.relname || ':' || c.relkind::text || ':' || \
                        coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ',' ORDER BY a.attnum) \
                                  FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '') \
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') ORDER BY 1",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        if pg_table_exists(self, "migrate_history") {
            out.extend(
                self.query(
                    "SELECT row_to_json(h)::text FROM migrate_history h ORDER BY version",
                    &[],
                )
                .unwrap()
                .iter()
                .map(|r| r.get::<_, String>(0)),
            );
        }
        out
    }
}

impl Inspect for migrate::rusqlite::Connection {
    fn execute(&mut self, sql: &str) {
        self.execute_batch(sql).unwrap();
    }

    fn count(&mut self, sql: &str) -> i64 {
        self.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    fn versions(&mut self) -> Vec<i64> {
        lite_versions(self)
    }

    fn snapshot(&mut self) -> Vec<String> {
        let mut stmt = self
            .prepare("SELECT type || ':' || name || ':' || coalesce(sql, '') FROM sqlite_master ORDER BY name")
            .unwrap();
        let mut out: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        if lite_table_exists(self, "migrate_history") {
            let mut rows = self
                .prepare("SELECT version || ' ' || checksum || ' ' || applied_at FROM migrate_history ORDER BY version")
                .unwrap();
            out.extend(
                rows.query_map([], |r| r.get::<_, String>(0))
                    .unwrap()
                    .map(Result::unwrap),
            );
        }
        out
    }
}

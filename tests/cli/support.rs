//! Running the real `migrate` binary, scratch folders, and a fresh
//! PostgreSQL database per test from the shared test kit (server from
//! `MIGRATE_TEST_PG`; skipped loudly outside CI when no server is
//! reachable).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A bound only a hang would reach.
pub const DEADLINE: Duration = Duration::from_secs(120);

/// What a run of the binary printed and returned.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Standard output parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", self.stdout, self.stderr))
    }

    /// Asserts the exit code, showing the output when it differs.
    #[track_caller]
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// Runs the `migrate` binary in `cwd`, without any `DATABASE_URL` of the
/// test's own environment.
pub fn migrate(cwd: &Path, args: &[&str]) -> Run {
    migrate_with(cwd, args, &[])
}

pub fn migrate_with(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_migrate"));
    cmd.current_dir(cwd).args(args).env_remove("DATABASE_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = cmd.output().expect("run the migrate binary");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A scratch folder holding a copy of a fixture folder as `migrations/`.
pub fn project(fixture: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a scratch folder");
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture);
    copy(&from, &dir.path().join("migrations"));
    dir
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target: PathBuf = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The password the PostgreSQL URLs carry when `MIGRATE_TEST_PG` has none
/// (trust authentication ignores it): it must never be printed.
pub const PASSWORD: &str = "Sup3r-Secret-Pa55";

/// A fresh PostgreSQL database of the shared test kit, dropped afterwards
/// (skipped loudly without a server, except in CI).
pub use migrate_testkit::PgDb;

/// A `postgres://` URL of `db` with a password in it, and the password
/// (the one of `MIGRATE_TEST_PG` if it has one, else [`PASSWORD`]).
pub fn secret_url(db: &PgDb) -> (String, String) {
    db.url_with_password(PASSWORD)
}

/// Which standard streams of the binary are pipes whose reader is gone
/// before the binary starts (`migrate status | head` once `head` exited).
#[derive(Clone, Copy)]
pub enum Closed {
    Stdout,
    Both,
}

/// Runs the binary with `closed` streams (the others captured).
pub fn migrate_closed(cwd: &Path, args: &[&str], closed: Closed) -> Run {
    let closed_pipe = || {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        writer
    };
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_migrate"));
    cmd.current_dir(cwd)
        .args(args)
        .env_remove("DATABASE_URL")
        .stdout(closed_pipe());
    if let Closed::Both = closed {
        cmd.stderr(closed_pipe());
    }
    let output = cmd.output().expect("run the migrate binary");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A database of each engine for a CLI test: a SQLite file in the
/// project's folder, and a fresh PostgreSQL database (with a password in
/// its URL) unless PostgreSQL is skipped.
pub struct EngineDb {
    pub engine: &'static str,
    pub url: String,
    _pg: Option<PgDb>,
}

pub fn each_engine(test: &str) -> Vec<EngineDb> {
    let mut dbs = vec![EngineDb {
        engine: "sqlite",
        url: "sqlite:app.db".to_owned(),
        _pg: None,
    }];
    if let Some(db) = PgDb::create(test) {
        dbs.push(EngineDb {
            engine: "postgres",
            url: secret_url(&db).0,
            _pg: Some(db),
        });
    }
    dbs
}

/// Runs `args` with `--database-url url` appended, expecting `code`.
#[track_caller]
pub fn on(dir: &Path, url: &str, args: &[&str], code: i32) -> Run {
    let mut all = args.to_vec();
    all.extend(["--database-url", url]);
    migrate(dir, &all).expect(code)
}

impl EngineDb {
    /// Runs `sql` on the database directly (the SQLite file in `dir`).
    pub fn execute(&self, dir: &Path, sql: &str) {
        match &self._pg {
            Some(pg) => pg.connect().batch_execute(sql).unwrap(),
            None => migrate::rusqlite::Connection::open(dir.join("app.db"))
                .unwrap()
                .execute_batch(sql)
                .unwrap(),
        }
    }
}

/// Starts the binary with `args` in `dir`, its output piped.
pub fn spawn(dir: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_migrate"))
        .current_dir(dir)
        .args(args)
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the migrate binary")
}

/// Waits for the binary and collects what it printed.
pub fn finish(child: Child) -> Run {
    let output = child
        .wait_with_output()
        .expect("wait for the migrate binary");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Another session of the database sleeping in `pg_sleep`.
pub fn sleeping(watch: &mut migrate::postgres::Client) -> Option<i32> {
    let rows = watch
        .query(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
             AND pid <> pg_backend_pid() AND wait_event = 'PgSleep'",
            &[],
        )
        .unwrap();
    rows.first().map(|r| r.get(0))
}

/// Polls until `found` returns a value, failing after [`DEADLINE`].
pub fn wait_for<T>(what: &str, mut found: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(value) = found() {
            return value;
        }
        assert!(Instant::now() < deadline, "{what}: not within {DEADLINE:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

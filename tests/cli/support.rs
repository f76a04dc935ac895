//! Running the real `migrate` binary, scratch folders, and a fresh
//! PostgreSQL database per test (skipped loudly outside CI when no server
//! is reachable).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use migrate::postgres::{Client, NoTls};

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

/// The password the PostgreSQL URLs carry (trust authentication ignores
/// it): it must never be printed.
pub const PASSWORD: &str = "Sup3r-Secret-Pa55";

/// A fresh PostgreSQL database, dropped afterwards.
pub struct PgDb {
    pub name: String,
}

fn admin() -> Result<Client, migrate::postgres::Error> {
    Client::connect(
        "host=127.0.0.1 port=5432 user=postgres dbname=postgres",
        NoTls,
    )
}

impl PgDb {
    pub fn create(test: &str) -> Option<PgDb> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let mut admin = match admin() {
            Ok(c) => c,
            Err(e) => {
                assert!(
                    std::env::var("CI").is_err(),
                    "PostgreSQL is required in CI but not reachable: {e}"
                );
                eprintln!("SKIPPED {test}: PostgreSQL is not reachable ({e})");
                return None;
            }
        };
        let name = format!(
            "migrate_cli_{test}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create the test database");
        Some(PgDb { name })
    }

    /// A `postgres://` URL with a password in it.
    pub fn url(&self) -> String {
        format!(
            "postgres://postgres:{PASSWORD}@127.0.0.1:5432/{}",
            self.name
        )
    }

    pub fn connect(&self) -> Client {
        Client::connect(
            &format!(
                "host=127.0.0.1 port=5432 user=postgres dbname={}",
                self.name
            ),
            NoTls,
        )
        .expect("connect to the test database")
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = admin() {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

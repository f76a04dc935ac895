//! A lost connection during `migrate up`: the CLI, which has the URL, reads
//! the tracking table again once on a new connection and says what it
//! holds for each version whose outcome was unknown (text, and
//! `after_reconnect` in the JSON error); when it cannot connect, the error
//! stays as it was. The session is ended from outside while a migration
//! sleeps: `pg_terminate_backend` (the server stays up) or a stop of a
//! throwaway cluster (the new connection fails).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use migrate::postgres::Client;
use migrate_testkit::Cluster;
use serde_json::json;

use crate::support::*;

/// A bound only a hang would reach.
const DEADLINE: Duration = Duration::from_secs(120);

#[test]
fn a_terminated_session_is_read_again_on_a_new_connection() {
    let cases = [
        // In the message of 1 to 3, while 3 sleeps: 1 and 2 committed.
        (
            "tests/fixtures/fault_pg_batch",
            2,
            "1 applied, 2 applied, 3 not applied",
            json!([
                { "version": 1, "state": "applied" },
                { "version": 2, "state": "applied" },
                { "version": 3, "state": "not_applied" },
            ]),
        ),
        // Between the statements of a no-transaction migration.
        (
            "tests/fixtures/fault_pg_no_transaction",
            1,
            "2 in progress",
            json!([{ "version": 2, "state": "in_progress" }]),
        ),
    ];
    for (fixture, committed, said, listed) in cases {
        let Some(db) = PgDb::create("cli_terminated") else {
            return;
        };
        let mut watch = db.connect();
        let project = project(fixture);
        let (url, password) = secret_url(&db);
        let child = up(project.path(), &url);
        let pid = wait_for("a migration sleeps", || {
            applied(&mut watch, committed)?;
            sleeping(&mut watch)
        });
        watch
            .execute("SELECT pg_terminate_backend($1)", &[&pid])
            .unwrap();
        let run = finish(child);
        assert_eq!(run.code, 1, "{}", run.all());
        let error = &run.json()["error"];
        assert_eq!(error["kind"], "connection_lost", "{error}");
        assert_eq!(error["after_reconnect"], listed, "{error}");
        let message = error["message"].as_str().unwrap();
        let expected =
            format!("on a new connection, the tracking table now says: migration {said}");
        assert!(message.contains("unknown"), "{message}");
        assert!(message.contains(&expected), "{message}");
        assert!(run.stderr.contains(&expected), "{}", run.stderr);
        assert!(!run.all().contains(&password), "no password printed");
    }
}

#[test]
fn without_a_new_connection_the_error_stays_as_it_was() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let project = project("tests/fixtures/fault_pg_batch");
    let mut watch = cluster.connect().unwrap();
    let child = up(project.path(), &cluster.url());
    wait_for("a migration sleeps", || {
        applied(&mut watch, 2)?;
        sleeping(&mut watch)
    });
    let stopped = Instant::now();
    cluster.stop();
    let run = finish(child);
    assert!(
        stopped.elapsed() < Duration::from_secs(30),
        "no long wait for a server that is gone"
    );
    assert_eq!(run.code, 1, "{}", run.all());
    let error = &run.json()["error"];
    assert_eq!(error["kind"], "connection_lost", "{error}");
    assert_eq!(error["version"], 1, "{error}");
    assert_eq!(error.get("after_reconnect"), None, "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("unknown") && message.contains("run `status` on a new connection"),
        "{message}"
    );
    assert!(!message.contains("now says"), "{message}");
}

/// Starts `migrate up --format json` on `url` in `dir`.
fn up(dir: &Path, url: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_migrate"))
        .current_dir(dir)
        .args(["up", "--format", "json", "--database-url", url])
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the migrate binary")
}

/// Waits for the binary and collects what it printed.
fn finish(child: Child) -> Run {
    let output = child
        .wait_with_output()
        .expect("wait for the migrate binary");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `Some` once the tracking table has `version` applied (committed).
fn applied(watch: &mut Client, version: i64) -> Option<()> {
    let sql = "SELECT count(*) FROM migrate_history WHERE version = $1 AND status = 'applied'";
    let exists: bool = watch
        .query_one("SELECT to_regclass('migrate_history') IS NOT NULL", &[])
        .unwrap()
        .get(0);
    let n: i64 = if exists {
        watch.query_one(sql, &[&version]).unwrap().get(0)
    } else {
        0
    };
    (n == 1).then_some(())
}

/// Another session of the database sleeping in `pg_sleep`.
fn sleeping(watch: &mut Client) -> Option<i32> {
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
fn wait_for<T>(what: &str, mut found: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(value) = found() {
            return value;
        }
        assert!(Instant::now() < deadline, "{what}: not within {DEADLINE:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

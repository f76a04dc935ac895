//! A lost connection during `migrate up`: the CLI, which has the URL, reads
//! the tracking table again once on a new connection and says what it
//! holds for each version whose outcome was unknown (text, and
//! `after_reconnect` in the JSON error); when it cannot connect, the error
//! stays as it was. The session is ended from outside while a migration
//! sleeps: `pg_terminate_backend` (the server stays up) or a stop of a
//! throwaway cluster (the new connection fails).

use std::time::{Duration, Instant};

use migrate::postgres::Client;
use migrate_testkit::Cluster;
use serde_json::json;

use crate::support::*;

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
        let child = spawn(
            project.path(),
            &["up", "--format", "json", "--database-url", &url],
        );
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
    let child = spawn(
        project.path(),
        &["up", "--format", "json", "--database-url", &cluster.url()],
    );
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

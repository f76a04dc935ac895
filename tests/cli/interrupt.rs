//! A signal during `up` or `down`: the CLI cancels the running statement
//! on the server, reports what committed and what did not, and exits 130;
//! the tracking table agrees with the schema.

use std::process::{Child, Command};
use std::time::Duration;

use crate::support::*;

/// Sends `signal` (`INT`, `TERM`) to the child.
fn signal(child: &Child, signal: &str) {
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -{signal}");
}

#[test]
fn sigint_during_up_cancels_the_running_statement_on_the_server() {
    let Some(db) = PgDb::create("cli_sigint") else {
        return;
    };
    let mut watch = db.connect();
    let project = project("tests/fixtures/sleeping_pg");
    let (url, password) = secret_url(&db);
    let child = spawn(
        project.path(),
        &["up", "--format", "json", "--database-url", &url],
    );
    let pid = wait_for("migration 2 sleeps", || sleeping(&mut watch));
    signal(&child, "INT");
    let run = finish(child);
    assert_eq!(run.code, 130, "{}", run.all());
    let error = &run.json()["error"];
    assert_eq!(error["kind"], "stopped", "{error}");
    assert_eq!(error["applied"], serde_json::json!([1]), "{error}");
    assert_eq!(error["interrupted"], 2, "{error}");
    assert_eq!(error["left"], serde_json::json!([2, 3]), "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.starts_with("interrupted; stopped: applied 1; the cancel interrupted migration 2"),
        "{message}"
    );
    assert!(
        run.stderr.contains("cancelling the running statement"),
        "{}",
        run.stderr
    );
    assert!(!run.all().contains(&password), "no password printed");
    // The server cancelled the statement (the runner, still connected,
    // logged its failure), rather than the session ending with the process.
    let detail: String = watch
        .query_one(
            "SELECT detail FROM migrate_history_events WHERE event = 'failure' AND version = 2",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(
        detail.contains("canceling statement due to user request"),
        "{detail}"
    );
    assert_eq!(sleeping(&mut watch), None, "nothing sleeps any more");
    let _ = pid;
    let versions: Vec<i64> = watch
        .query("SELECT version FROM migrate_history ORDER BY version", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, [1]);
    let sleeper: bool = watch
        .query_one("SELECT to_regclass('sleeper') IS NOT NULL", &[])
        .unwrap()
        .get(0);
    assert!(!sleeper, "nothing of migration 2 stays");
}

#[test]
fn sigterm_during_a_sqlite_rollback_interrupts_it_and_exits_130() {
    let project = project("tests/fixtures/stoppable");
    let url = "sqlite:app.db";
    on(project.path(), url, &["up"], 0);
    let child = spawn(project.path(), &["down", "--all", "--database-url", url]);
    // The third down migration counts until it is interrupted.
    std::thread::sleep(Duration::from_secs(1));
    signal(&child, "TERM");
    let run = finish(child);
    assert_eq!(run.code, 130, "{}", run.all());
    assert!(
        run.stderr.contains(
            "interrupted; stopped: nothing was rolled back; the cancel interrupted migration 3 ("
        ) && run.stderr.contains("not rolled back: 3, 2, 1"),
        "{}",
        run.stderr
    );
    let status = on(project.path(), url, &["status", "--format", "json"], 0).json();
    let applied: Vec<u64> = status["applied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["version"].as_u64().unwrap())
        .collect();
    assert_eq!(applied, [1, 2, 3], "{status}");
}

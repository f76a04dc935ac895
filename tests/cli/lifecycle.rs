//! Every database subcommand, on SQLite and PostgreSQL.

use serde_json::Value;

use crate::support::*;

fn versions(v: &Value, key: &str) -> Vec<u64> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} in {v}"))
        .iter()
        .map(|s| s["version"].as_u64().unwrap())
        .collect()
}

/// The whole lifecycle on one database URL; returns every output.
fn lifecycle(dir: &std::path::Path, url: &str) -> String {
    let mut seen = String::new();
    let mut run = |args: &[&str], code: i32| {
        let mut all = args.to_vec();
        all.extend(["--database-url", url]);
        let r = migrate(dir, &all).expect(code);
        seen.push_str(&r.all());
        r
    };
    let status = run(&["status", "--format", "json"], 0).json();
    assert_eq!(status["pending"].as_array().unwrap().len(), 3);
    assert!(status["current_version"].is_null());

    let plan = run(&["--format", "json", "up", "--dry-run"], 0).json();
    assert_eq!(plan["plan"]["steps"].as_array().unwrap().len(), 3);
    let status = run(&["status", "--format", "json"], 0).json();
    assert!(
        status["applied"].as_array().unwrap().is_empty(),
        "dry run applied"
    );

    let up = run(&["up", "--to", "2", "--format", "json"], 0).json();
    assert_eq!(versions(&up, "applied"), [1, 2]);
    let up = run(&["up", "--format", "json"], 0).json();
    assert_eq!(versions(&up, "applied"), [3]);
    let text = run(&["status"], 0).stdout;
    assert!(text.contains("version 3 of 3 (0 pending)"), "{text}");
    assert!(text.contains("record_boot"), "{text}");

    let history = run(&["history", "--limit", "2", "--format", "json"], 0).json();
    assert_eq!(history.as_array().unwrap().len(), 2);
    assert_eq!(history[0]["event"], "apply");
    run(&["verify"], 0);

    // An edited file: verify fails with exit 1 until repaired.
    let file = dir.join("migrations/0003_record_boot.up.sql");
    let mut sql = std::fs::read_to_string(&file).unwrap();
    sql.push_str("-- edited\n");
    std::fs::write(&file, sql).unwrap();
    let verify = run(&["verify", "--format", "json"], 1).json();
    assert_eq!(verify["problems"][0]["kind"], "drift");
    let dry = run(&["repair", "--dry-run", "--format", "json"], 0).json();
    assert_eq!(dry["would_repair"].as_array().unwrap().len(), 1);
    run(&["verify"], 1);
    run(&["repair"], 0);
    run(&["verify"], 0);

    let down = run(&["down", "--format", "json"], 0).json();
    assert_eq!(versions(&down, "rolled_back"), [3]);
    let plan = run(&["down", "--all", "--dry-run", "--format", "json"], 0).json();
    assert_eq!(plan["plan"]["steps"][0]["direction"], "down");
    run(&["redo", "--steps", "2"], 0);
    let status = run(&["status", "--format", "json"], 0).json();
    assert_eq!(status["current_version"], 2);
    run(&["down", "--all"], 0);
    let marked = run(&["baseline", "2", "--format", "json"], 0).json();
    assert_eq!(marked["marked"], serde_json::json!([1, 2]));
    let up = run(&["up", "--format", "json"], 0).json();
    assert_eq!(versions(&up, "applied"), [3]);
    // Usage errors exit 2.
    run(&["down", "--steps", "1", "--all"], 2);
    run(&["up", "--to", "9"], 2);
    seen
}

#[test]
fn every_subcommand_on_sqlite() {
    let p = project("tests/fixtures/basic");
    lifecycle(p.path(), "sqlite:app.db");
    assert!(p.path().join("app.db").exists());
    // An unknown applied version is a problem repair does not resolve: its
    // dry run does not list it.
    let conn = migrate::rusqlite::Connection::open(p.path().join("app.db")).unwrap();
    conn.execute_batch(
        "INSERT INTO migrate_history (version, name, checksum) VALUES (99, 'gone', 'sha256:x')",
    )
    .unwrap();
    let url = ["--database-url", "sqlite:app.db", "--format", "json"];
    let verify = migrate(p.path(), &[&["verify"][..], &url].concat())
        .expect(1)
        .json();
    assert_eq!(verify["problems"][0]["kind"], "unknown_applied");
    let dry = migrate(p.path(), &[&["repair", "--dry-run"][..], &url].concat())
        .expect(0)
        .json();
    assert_eq!(dry["would_repair"], serde_json::json!([]));
}

#[test]
fn every_subcommand_on_postgres_without_printing_the_password() {
    let Some(db) = PgDb::create("lifecycle") else {
        return;
    };
    let (url, password) = secret_url(&db);
    let p = project("tests/fixtures/basic");
    let mut seen = lifecycle(p.path(), &url);
    // A failing migration: exit 1, its file and line, the rest untouched.
    let Some(other) = PgDb::create("failing") else {
        return;
    };
    let failing = project("tests/fixtures/failing");
    let r = migrate(
        failing.path(),
        &["up", "--database-url", &secret_url(&other).0],
    )
    .expect(1);
    assert!(
        r.stderr.contains("migrations/0003_fail_halfway.up.sql:5:"),
        "{}",
        r.stderr
    );
    seen.push_str(&r.all());
    // A database that does not exist, and a JSON error.
    let missing = url.replace(db.name(), "no_such_database");
    let r = migrate(
        p.path(),
        &["status", "--format", "json", "--database-url", &missing],
    )
    .expect(1);
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("no_such_database"));
    seen.push_str(&r.all());
    // From the environment, too.
    let r = migrate_with(p.path(), &["status"], &[("DATABASE_URL", &url)]).expect(0);
    seen.push_str(&r.all());
    // `postgres://user:***@host`: the URL is shown, its password is not.
    let redacted = url.replace(&password, "***");
    let host = redacted.find("***@").expect("a password in the URL") + 4;
    let end = host + redacted[host..].find([':', '/']).unwrap_or(0);
    let shown = &redacted[..end];
    assert!(seen.contains(shown), "the URL is shown redacted: {seen}");
    assert!(!seen.contains(&password), "the password was printed");
}

#[test]
fn check_reports_every_problem_and_exits_2() {
    let p = project("tests/fixtures/basic");
    let r = migrate(p.path(), &["check"]).expect(0);
    assert!(r.stdout.contains("3 migrations"), "{}", r.stdout);
    std::fs::remove_file(p.path().join("migrations/0002_create_b.up.sql")).unwrap();
    std::fs::write(p.path().join("migrations/notes.txt"), "x").unwrap();
    let r = migrate(p.path(), &["check"]).expect(2);
    assert!(
        r.stderr
            .contains("0002_create_b.down.sql:1: down file has no up file"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("[sequence-gap]"), "{}", r.stderr);
    assert!(
        r.stderr.contains("notes.txt:1: unexpected file"),
        "{}",
        r.stderr
    );
    let json = migrate(p.path(), &["check", "--format", "json"])
        .expect(2)
        .json();
    assert_eq!(json["problems"].as_array().unwrap().len(), 3);
    // Database subcommands refuse an invalid folder the same way.
    migrate(p.path(), &["status", "--database-url", "sqlite:x.db"]).expect(2);
}

#[test]
fn seeds_run_again_only_when_changed() {
    let p = project("tests/fixtures/seeded");
    let url = ["--database-url", "sqlite:app.db"];
    let run = |args: &[&str], code| {
        let mut all = args.to_vec();
        all.extend(url);
        migrate(p.path(), &all).expect(code)
    };
    run(&["up"], 0);
    let first = run(&["seed", "--env", "dev"], 0).stdout;
    assert_eq!(first.matches("applied (new)").count(), 2, "{first}");
    let second = run(&["seed", "--env", "dev", "--format", "json"], 0).json();
    let outcomes: Vec<&str> = second["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["unchanged", "unchanged"]);
    let seed = p.path().join("migrations/seeds/dev/002_counter.sql");
    std::fs::write(&seed, "INSERT INTO seed_runs (n) VALUES (2);\n").unwrap();
    let third = run(&["seed", "--env", "dev"], 0).stdout;
    assert!(
        third.contains("002_counter.sql") && third.contains("applied again (changed)"),
        "{third}"
    );
    assert!(third.contains("unchanged, skipped"), "{third}");
    // A failing seed file: reported, exit 1.
    std::fs::write(&seed, "INSERT INTO no_such_table VALUES (1);\n").unwrap();
    let failed = run(&["seed", "--env", "dev"], 1).stdout;
    assert!(failed.contains("failed, rolled back"), "{failed}");
    run(&["seed", "--env", "nowhere"], 2);
}

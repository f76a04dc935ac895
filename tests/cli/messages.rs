//! Messages: JSON errors as objects, `migrate.toml` errors with the line
//! and the key, `--config` paths taken from the file's folder, `sqlite:`
//! without a path, other tools' subcommand names.

use crate::support::*;

#[test]
fn json_errors_are_objects_with_fields() {
    for db in each_engine("json_errors") {
        let p = project("tests/fixtures/basic");
        let dir = p.path();
        let bad = dir.join("migrations/0004_twice.up.sql");
        std::fs::write(
            &bad,
            "INSERT INTO a (id) VALUES (7);\nINSERT INTO a (id) VALUES (7);\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("migrations/0004_twice.down.sql"),
            "DELETE FROM a;\n",
        )
        .unwrap();
        let r = on(dir, &db.url, &["up", "--format", "json"], 1).json();
        let e = &r["error"];
        assert_eq!(e["kind"], "migration_failed", "{}: {r}", db.engine);
        assert_eq!(e["version"], 4, "{r}");
        assert!(
            e["file"].as_str().unwrap().ends_with("0004_twice.up.sql"),
            "{r}"
        );
        assert_eq!(e["line"], 2, "{}: {r}", db.engine);
        assert!(e["code"].is_string(), "{}: {r}", db.engine);
        if db.engine == "postgres" {
            assert_eq!(e["code"], "23505", "{r}");
        }
        assert!(e["message"].as_str().unwrap().contains("0004_twice"), "{r}");
        // Errors of the CLI's own are objects too.
        let r = migrate(
            dir,
            &["status", "--format", "json", "--database-url", "mysql://x"],
        )
        .expect(2)
        .json();
        assert_eq!(r["error"]["kind"], "usage", "{r}");
    }
}

#[test]
fn config_errors_give_the_line_and_the_key() {
    let p = project("tests/fixtures/basic");
    let dir = p.path();
    let text = "database_url = \"sqlite:app.db\"\n\n[environments.prod]\nprotected = true\ncolour = \"red\"\n";
    std::fs::write(dir.join("migrate.toml"), text).unwrap();
    let r = migrate(dir, &["status"]).expect(2);
    assert!(
        r.stderr.contains("migrate.toml:5:") && r.stderr.contains("environments.prod.colour"),
        "{}",
        r.stderr
    );
    let r = migrate(dir, &["status", "--format", "json"])
        .expect(2)
        .json();
    assert_eq!(r["error"]["line"], 5, "{r}");
    assert_eq!(r["error"]["key"], "environments.prod.colour", "{r}");
    assert_eq!(r["error"]["kind"], "config", "{r}");
    let text =
        "database_url = \"sqlite:app.db\"\n\n[environments.prod]\nlock_timeout = \"5 parsecs\"\n";
    std::fs::write(dir.join("migrate.toml"), text).unwrap();
    let r = migrate(dir, &["status", "--env", "prod"]).expect(2);
    assert!(
        r.stderr.contains("migrate.toml:4: lock_timeout"),
        "{}",
        r.stderr
    );
    // A syntax error: one line, with where.
    std::fs::write(dir.join("migrate.toml"), "[environments.prod\n").unwrap();
    let r = migrate(dir, &["status"]).expect(2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("migrate.toml:1:"), "{}", r.stderr);
}

#[test]
fn a_config_file_elsewhere_takes_its_paths_from_its_folder() {
    let top = project("tests/fixtures/basic");
    let proj = top.path().join("proj");
    std::fs::create_dir(&proj).unwrap();
    std::fs::rename(top.path().join("migrations"), proj.join("migrations")).unwrap();
    std::fs::write(
        proj.join("migrate.toml"),
        "migrations = \"migrations\"\ndatabase_url = \"sqlite:app.db\"\n",
    )
    .unwrap();
    migrate(top.path(), &["up", "--config", "proj/migrate.toml"]).expect(0);
    assert!(proj.join("app.db").exists());
    assert!(!top.path().join("app.db").exists());
    let r = migrate(top.path(), &["status", "--config", "proj/migrate.toml"]).expect(0);
    assert!(r.stdout.contains("version 3 of 3"), "{}", r.stdout);
}

#[test]
fn sqlite_without_a_path_is_an_error() {
    let p = project("tests/fixtures/basic");
    for url in ["sqlite:", "sqlite://", "sqlite:?mode=ro", "sqlite: "] {
        let r = migrate(p.path(), &["up", "--database-url", url]).expect(2);
        assert!(r.stderr.contains("names no file"), "{url}: {}", r.stderr);
    }
}

#[test]
fn other_tools_subcommands_suggest_ours() {
    let dir = tempfile::tempdir().unwrap();
    for (typed, ours) in [
        ("apply", "migrate up"),
        ("migrate", "migrate up"),
        ("rollback", "migrate down"),
        ("migrate:rollback", "migrate down"),
        ("upgrade", "migrate up"),
    ] {
        let r = migrate(dir.path(), &[typed]).expect(2);
        assert!(
            r.stderr.contains(&format!("use `{ours}`")),
            "{typed}: {}",
            r.stderr
        );
    }
}

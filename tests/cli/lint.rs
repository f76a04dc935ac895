//! The lint through `migrate check`: warnings printed with the file, line,
//! column and rule (and in JSON); `migrate.toml`'s `[lint]`, `engine` and
//! `lock_timeout`; the engine taken from the database URL.

use crate::support::*;

fn rules(run: &Run) -> Vec<String> {
    run.stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("warning:"))
        .filter_map(|l| {
            l.rsplit_once('[')
                .map(|(_, r)| r.trim_end_matches(']').to_owned())
        })
        .collect()
}

#[test]
fn check_prints_the_lint_and_passes() {
    let project = project("tests/fixtures/lint");
    let run = migrate(project.path(), &["check"]).expect(0);
    assert_eq!(
        rules(&run),
        [
            "index-without-concurrently",
            "missing-lock-timeout",
            "add-column-not-null",
            "foreign-key-without-not-valid"
        ],
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("warning: migrations/0002_accounts_email_index.up.sql:2:1: `CREATE INDEX` on the existing table `accounts` blocks its writes"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("4 warning(s)"), "{}", run.stdout);
    let json = migrate(project.path(), &["check", "--format", "json"])
        .expect(0)
        .json();
    assert_eq!(json["warnings"].as_array().map(Vec::len), Some(4), "{json}");
}

#[test]
fn migrate_toml_sets_severities_the_engine_and_the_lock_timeout() {
    let project = project("tests/fixtures/lint");
    let config = |text: &str| std::fs::write(project.path().join("migrate.toml"), text).unwrap();
    config("[lint]\nindex-without-concurrently = \"deny\"\nforeign-key-without-not-valid = \"allow\"\n");
    let run = migrate(project.path(), &["check"]).expect(2);
    assert!(
        run.stderr
            .contains("0002_accounts_email_index.up.sql:2:1: `CREATE INDEX` on the existing table")
            && run.stderr.contains("[index-without-concurrently]"),
        "{}",
        run.stderr
    );
    config("lock_timeout = \"5s\"\n\n[lint]\nforeign-key-without-not-valid = \"allow\"\n");
    let run = migrate(project.path(), &["check"]).expect(0);
    assert_eq!(
        rules(&run),
        ["index-without-concurrently", "add-column-not-null"]
    );
    // SQLite's rules only: declared, or from the database URL.
    config("engine = \"sqlite\"\n");
    assert!(rules(&migrate(project.path(), &["check"]).expect(0)).is_empty());
    config("");
    let run = migrate_with(
        project.path(),
        &["check"],
        &[("DATABASE_URL", "sqlite:app.db")],
    )
    .expect(0);
    assert!(rules(&run).is_empty(), "{}", run.stdout);
    // Wrong settings name the file, the line and the key.
    config("[lint]\n\nindex-without-concurrently = \"error\"\n");
    let run = migrate(project.path(), &["check"]).expect(2);
    assert!(
        run.stderr.contains("migrate.toml:3: lint: index-without-concurrently: unknown severity `error` (known: deny, warn, allow)"),
        "{}",
        run.stderr
    );
    config("engine = \"oracle\"\n");
    let run = migrate(project.path(), &["check"]).expect(2);
    assert!(
        run.stderr
            .contains("migrate.toml:1: engine: unknown engine `oracle`"),
        "{}",
        run.stderr
    );
}

//! The sets themselves, no database: the macro's embedded sets against
//! the scanner, rebuilds, seeds, and the registration checks of code
//! migrations.

use std::fs;
use std::path::Path;
use std::process::Command;

use migrate::{CodeMigration, Error, Migrations};

use crate::fixtures::*;

#[test]
fn embedded_sets_equal_the_scanners_result() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (set, dir) in [
        (&EXAMPLE, "migrations"),
        (&QUICKSTART, "examples/quickstart/migrations"),
        (&BASIC, "tests/fixtures/basic"),
        (&CONCURRENT_INDEX, "tests/fixtures/concurrent_index"),
        (&SLOW_INDEX, "tests/fixtures/slow_index"),
        (&CODE, "tests/fixtures/code"),
    ] {
        let scanned = Migrations::from_dir(root.join(dir)).expect("the folder is valid");
        assert!(!scanned.is_empty());
        assert!(
            set.iter().eq(scanned.iter()),
            "{dir}: embedded and scanned sets differ"
        );
        assert_eq!(set.dir(), dir);
    }
    // Other tools' layouts: sections split out of one file, folders.
    for (set, dir, layout) in crate::layouts::FOLDERS {
        let scanned = Migrations::from_dir_with(root.join(dir), &crate::layouts::options(layout))
            .expect("the folder is valid");
        assert!(!scanned.is_empty());
        let differ = set.iter().zip(scanned.iter()).find(|(a, b)| a != b);
        assert!(
            differ.is_none() && set.len() == scanned.len(),
            "{dir}: embedded and scanned sets differ: {differ:#?}"
        );
        assert_eq!(set.dir(), dir);
    }
}

#[test]
fn embedded_set_carries_sql_directives_and_checksums() {
    let m = CONCURRENT_INDEX.get(2).expect("version 2");
    assert!(m.no_transaction());
    assert!(m.up_sql().contains("CREATE INDEX CONCURRENTLY"));
    assert_eq!(m.up_file(), "0002_index_items_name.up.sql");
    assert!(m.checksum().starts_with("sha256:") && m.checksum().len() == 7 + 64);
    assert!(EXAMPLE.iter().all(|m| m.down_sql().is_some()));
}

/// A crate outside this workspace that embeds a folder, with the one-line
/// `build.rs` of the README: adding a file and editing one are both seen by
/// the next `cargo run`, with no other step.
/// A crate of its own under the target folder, named `name`, that embeds
/// its `migrations/` (emptied) with `macro_args` after the folder, and
/// prints each migration's version and checksum.
fn probe(name: &str, macro_args: &str) -> std::path::PathBuf {
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = fs::remove_dir_all(work.join("migrations"));
    let _ = fs::remove_file(work.join("migrate.toml"));
    fs::create_dir_all(work.join("src")).unwrap();
    fs::create_dir_all(work.join("migrations")).unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    fs::write(
        work.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
             [dependencies]\nmigrate = {{ path = {root:?}, default-features = false }}\n\n[workspace]\n"
        ),
    )
    .unwrap();
    fs::copy(Path::new(root).join("Cargo.lock"), work.join("Cargo.lock")).unwrap();
    fs::write(
        work.join("build.rs"),
        "fn main() { println!(\"cargo:rerun-if-changed=migrations\"); }\n",
    )
    .unwrap();
    fs::write(
        work.join("src/main.rs"),
        format!(
            "static M: migrate::Migrations = migrate::embed_migrations!(\"migrations\"{macro_args});\n\
             fn main() {{ for m in &M {{ println!(\"{{}} {{}}\", m.version(), m.checksum()); }} }}\n"
        ),
    )
    .unwrap();
    work
}

/// `cargo run` of a probe: its output, or its build's errors.
fn cargo_run(work: &Path) -> Result<String, String> {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args(["run", "--quiet"])
        .current_dir(work)
        .env_remove("RUSTFLAGS")
        .env("CARGO_TARGET_DIR", work.join("target"))
        .output()
        .expect("run cargo");
    if out.status.success() {
        Ok(String::from_utf8(out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn added_and_edited_files_are_embedded_on_the_next_build() {
    let work = probe("rebuild_probe", "");
    let write = |name: &str, sql: &str| fs::write(work.join("migrations").join(name), sql).unwrap();
    write("0001_first.up.sql", "CREATE TABLE first (id int);\n");
    write("0001_first.down.sql", "DROP TABLE first;\n");

    let run = || cargo_run(&work).unwrap_or_else(|e| panic!("{e}"));
    let first = run();
    assert_eq!(first.lines().count(), 1, "{first}");

    write("0002_second.up.sql", "CREATE TABLE second (id int);\n");
    write("0002_second.down.sql", "DROP TABLE second;\n");
    let second = run();
    assert_eq!(
        second.lines().count(),
        2,
        "the added migration is embedded: {second}"
    );

    write("0001_first.up.sql", "CREATE TABLE first (id bigint);\n");
    let third = run();
    let before: Vec<&str> = second.lines().collect();
    let after: Vec<&str> = third.lines().collect();
    assert_ne!(
        before[0], after[0],
        "the edited migration's checksum changed"
    );
    assert_eq!(before[1], after[1]);
}

#[test]
fn the_build_honours_migrate_toml_and_the_macro_arguments_over_it() {
    let work = probe("lint_probe", ", allow = [\"rename-column\"]");
    let write = |name: &str, sql: &str| fs::write(work.join(name), sql).unwrap();
    write(
        "migrations/0001_users.up.sql",
        "CREATE TABLE users (id int, name text);\n",
    );
    write("migrations/0001_users.down.sql", "DROP TABLE users;\n");
    write(
        "migrations/0002_users_tidy.up.sql",
        "ALTER TABLE users DROP COLUMN name;\nALTER TABLE users RENAME COLUMN id TO user_id;\n",
    );
    write("migrations/0002_users_tidy.down.sql", "SELECT 1;\n");
    // Warnings by default: the build passes.
    assert_eq!(cargo_run(&work).unwrap().lines().count(), 2);
    // Denied in migrate.toml: it fails at the file, line and rule; the
    // macro's `allow` wins for rename-column. (A file created after the
    // last build is read at the next rebuild: the README says to touch
    // build.rs; from then on the build tracks it.)
    write(
        "migrate.toml",
        "[lint]\ndrop-column = \"deny\"\nrename-column = \"deny\"\n",
    );
    let build_rs = fs::read_to_string(work.join("build.rs")).unwrap();
    write("build.rs", &build_rs);
    let e = cargo_run(&work).expect_err("denied");
    assert!(
        e.contains("migrations/0002_users_tidy.up.sql:1:1: dropping `users.name` deletes its data"),
        "{e}"
    );
    assert!(
        e.contains("[drop-column]") && !e.contains("[rename-column]"),
        "{e}"
    );
    // The file is tracked: editing it rebuilds.
    write(
        "migrate.toml",
        "engine = \"sqlite\"\n\n[lint]\ndrop-column = \"allow\"\n",
    );
    assert_eq!(cargo_run(&work).unwrap().lines().count(), 2);
    write("migrate.toml", "[lint]\ndrop-colum = \"deny\"\n");
    let e = cargo_run(&work).expect_err("an unknown rule");
    assert!(
        e.contains("migrate.toml: line 2: lint.drop-colum: no rule `drop-colum`"),
        "{e}"
    );
    // The folder's layout, as `migrate check` reads it: golang-migrate's
    // versions have gaps and an up may go without a down.
    write("migrate.toml", "[lint]\ndrop-column = \"allow\"\n");
    fs::rename(
        work.join("migrations/0002_users_tidy.up.sql"),
        work.join("migrations/7_users_tidy.up.sql"),
    )
    .unwrap();
    fs::remove_file(work.join("migrations/0002_users_tidy.down.sql")).unwrap();
    let e = cargo_run(&work).expect_err("a native folder with a gap");
    assert!(e.contains("[sequence-gap]"), "{e}");
    write(
        "migrate.toml",
        "layout = \"golang-migrate\"\n\n[lint]\ndrop-column = \"allow\"\n",
    );
    let out = cargo_run(&work).expect("read as golang-migrate's");
    assert_eq!(
        out.lines()
            .map(|l| l.split(' ').next().unwrap())
            .collect::<Vec<_>>(),
        ["1", "7"]
    );
}

#[test]
fn seeds_are_embedded_like_migrations() {
    let envs = SEEDED.seed_envs();
    assert_eq!(envs, ["dev", "staging"]);
    let dev: Vec<&str> = SEEDED.seeds("dev").map(|s| s.file()).collect();
    assert_eq!(
        dev,
        ["seeds/dev/001_notes.sql", "seeds/dev/002_counter.sql"]
    );
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let scanned = migrate::Migrations::from_dir(root.join("tests/fixtures/seeded")).unwrap();
    assert!(SEEDED
        .seeds("dev")
        .zip(scanned.seeds("dev"))
        .all(|(a, b)| a == b));
}

#[test]
fn registration_checks_versions_names_and_functions() {
    let reason = |code: CodeMigration| match CODE.with_code([code]) {
        Err(Error::InvalidCode { reason, .. }) => reason,
        other => panic!("expected InvalidCode, got {other:?}"),
    };
    let up = |c: CodeMigration| c.sqlite(|_| Ok(()));
    assert!(reason(up(CodeMigration::new(5, "later", "1")))
        .contains("no marker file 0005_later.code in tests/fixtures/code"));
    assert!(reason(up(CodeMigration::new(1, "create_users", "1")))
        .contains("is the SQL migration 0001_create_users.up.sql"));
    assert!(reason(up(CodeMigration::new(2, "other", "1")))
        .contains("its marker file 0002_users_view.code names it `users_view`"));
    assert!(reason(CodeMigration::new(2, "users_view", "1")).contains("no up function"));
    assert!(reason(up(CodeMigration::new(2, "users_view", " "))).contains("code version"));
    assert!(
        reason(up(CodeMigration::new(2, "users_view", "1")).resumable())
            .contains("only a no-transaction migration can be resumable")
    );
    assert!(reason(
        up(CodeMigration::new(2, "users_view", "1")).postgres_no_transaction(|_| Ok(()))
    )
    .contains("mix a transaction and no transaction"));
    match CODE.with_code([
        up(CodeMigration::new(2, "users_view", "1")),
        up(CodeMigration::new(2, "users_view", "2")),
    ]) {
        Err(Error::InvalidCode {
            version: 2, reason, ..
        }) => {
            assert_eq!(reason, "registered twice");
        }
        other => panic!("expected InvalidCode, got {other:?}"),
    }
    // The error names the migration and the rule.
    let e = CODE.with_code([up(CodeMigration::new(2, "other", "1"))]);
    assert!(e
        .unwrap_err()
        .to_string()
        .starts_with("code migration 2 (other): its marker file"));
}

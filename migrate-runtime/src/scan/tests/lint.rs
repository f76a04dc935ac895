//! The lint: each rule where it applies and where it does not (a table
//! created in the same file, the safe form of the statement, a string that
//! only names it), severities, engines and `-- migrate:allow`.

use super::*;
use crate::model::Engine;
use crate::scan::{scan_with, Problem, ScanOptions, Severity};

/// A migration 0001 creating `users` and `orders`, then 0002 whose up file
/// is `up`: the lint's warnings of 0002 as (line, rule), the lock timeout
/// rule left out unless `with_timeout_rule`.
fn lint_of(up: &str, with_timeout_rule: bool) -> Vec<(usize, Rule)> {
    let f = Folder::new()
        .file(
            "0001_a.up.sql",
            "CREATE TABLE users (id int);\nCREATE TABLE orders (id int);\n",
        )
        .file("0001_a.down.sql", "DROP TABLE orders;\nDROP TABLE users;\n")
        .file("0002_b.up.sql", up)
        .file("0002_b.down.sql", "SELECT 1;\n");
    let set = f.scan();
    set.warnings()
        .iter()
        .filter(|w| w.file().ends_with("0002_b.up.sql"))
        .filter(|w| with_timeout_rule || w.rule() != Rule::MissingLockTimeout)
        .map(|w| (w.line().unwrap_or(0), w.rule()))
        .collect()
}

fn lint(up: &str) -> Vec<(usize, Rule)> {
    lint_of(up, false)
}

#[test]
fn indexes_on_existing_tables_need_concurrently() {
    assert_eq!(
        lint("CREATE INDEX users_id ON users (id);\nCREATE UNIQUE INDEX IF NOT EXISTS o ON ONLY public.orders (id);\n"),
        [(1, Rule::IndexWithoutConcurrently), (2, Rule::IndexWithoutConcurrently)]
    );
    // A table of this file, or the safe form.
    assert!(lint("CREATE TABLE t (id int);\nCREATE INDEX t_id ON t (id);\n").is_empty());
    assert!(
        lint("-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY users_id ON users (id);\n")
            .is_empty()
    );
    assert!(lint("SELECT 'CREATE INDEX i ON users (id)';\n").is_empty());
    assert_eq!(
        lint("DROP INDEX users_id;\nREINDEX TABLE users;\nREFRESH MATERIALIZED VIEW totals;\n"),
        [
            (1, Rule::DropIndexWithoutConcurrently),
            (2, Rule::ReindexWithoutConcurrently),
            (3, Rule::RefreshWithoutConcurrently),
        ]
    );
    assert!(lint("-- migrate:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS users_id;\nREINDEX INDEX CONCURRENTLY users_id;\nREFRESH MATERIALIZED VIEW CONCURRENTLY totals;\n").is_empty());
    assert!(lint("CREATE INDEX i ON users_new (id);\n")
        .iter()
        .all(|(_, r)| *r == Rule::IndexWithoutConcurrently));
    assert!(lint("CREATE MATERIALIZED VIEW v AS SELECT 1;\nCREATE INDEX vi ON v (x);\nREFRESH MATERIALIZED VIEW v;\nCREATE INDEX ix ON users_x (id);\nDROP INDEX ix;\n")
        .iter()
        .all(|(line, _)| *line == 4), "new view, new index: only line 4 is on an existing table");
}

#[test]
fn added_columns_that_fail_or_rewrite() {
    assert_eq!(
        lint("ALTER TABLE users ADD COLUMN email text NOT NULL;\nALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();\nALTER TABLE users ADD n bigserial;\nALTER TABLE users ADD COLUMN k int GENERATED ALWAYS AS IDENTITY;\n"),
        [
            (1, Rule::AddColumnNotNull),
            (2, Rule::VolatileDefault),
            (3, Rule::VolatileDefault),
            (4, Rule::VolatileDefault),
        ]
    );
    // A constant or stable default is stored once (PostgreSQL 11+).
    assert!(lint("ALTER TABLE users ADD COLUMN email text NOT NULL DEFAULT '';\nALTER TABLE users ADD COLUMN at timestamptz NOT NULL DEFAULT now();\nALTER TABLE users ADD COLUMN note text;\n").is_empty());
    // In a table of this file nothing is rewritten.
    assert!(lint("CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN e text NOT NULL;\nALTER TABLE t ADD COLUMN u uuid DEFAULT gen_random_uuid();\n").is_empty());
}

#[test]
fn constraints_without_not_valid_or_an_index() {
    assert_eq!(
        lint("ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (id) REFERENCES users (id);\nALTER TABLE orders ADD CHECK (id > 0);\nALTER TABLE orders ADD CONSTRAINT u UNIQUE (id);\nALTER TABLE orders ADD PRIMARY KEY (id);\nALTER TABLE orders ADD COLUMN user_id int REFERENCES users;\n"),
        [
            (1, Rule::ForeignKeyWithoutNotValid),
            (2, Rule::CheckWithoutNotValid),
            (3, Rule::UniqueWithoutIndex),
            (4, Rule::UniqueWithoutIndex),
            (5, Rule::ForeignKeyWithoutNotValid),
        ]
    );
    assert!(lint("ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (id) REFERENCES users (id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT fk;\nALTER TABLE orders ADD CONSTRAINT c CHECK (id > 0) NOT VALID;\nALTER TABLE orders ADD CONSTRAINT u UNIQUE USING INDEX orders_id;\nALTER TABLE orders DROP CONSTRAINT c;\n").is_empty());
}

#[test]
fn column_changes_that_lock_and_rewrite() {
    assert_eq!(
        lint("-- migrate:no-transaction\nALTER TABLE users ALTER COLUMN id TYPE bigint;\nALTER TABLE users ALTER id SET DATA TYPE bigint, ALTER COLUMN id SET NOT NULL;\nALTER TABLE users SET LOGGED;\nVACUUM FULL users;\nCLUSTER users;\n"),
        [
            (2, Rule::AlterColumnType),
            (3, Rule::AlterColumnType),
            (3, Rule::SetNotNull),
            (4, Rule::TableRewrite),
            (5, Rule::TableRewrite),
            (6, Rule::TableRewrite),
        ]
    );
    // SET NOT NULL after a check validated in the file: no scan.
    assert!(lint("ALTER TABLE users VALIDATE CONSTRAINT id_not_null;\nALTER TABLE users ALTER COLUMN id SET NOT NULL;\nALTER TABLE users ALTER COLUMN id SET DEFAULT 0, ALTER COLUMN id DROP NOT NULL;\n").is_empty());
}

#[test]
fn renames_and_drops_the_running_code_still_reads() {
    assert_eq!(
        lint("ALTER TABLE users RENAME COLUMN id TO user_id;\nALTER TABLE users RENAME TO people;\nALTER TABLE orders DROP COLUMN IF EXISTS id;\nDROP TABLE IF EXISTS orders, public.users CASCADE;\n"),
        [
            (1, Rule::RenameColumn),
            (2, Rule::RenameTable),
            (3, Rule::DropColumn),
            (4, Rule::DropTable),
        ]
    );
    assert!(lint("CREATE TABLE tmp (id int);\nALTER TABLE tmp RENAME COLUMN id TO x;\nDROP TABLE tmp;\nALTER TABLE users RENAME CONSTRAINT a TO b;\n").is_empty());
    // Down files undo what their up made: they are not linted.
    let f = Folder::new()
        .file("0001_a.up.sql", "CREATE TABLE users (id int);\n")
        .file("0001_a.down.sql", "DROP TABLE users;\n");
    assert!(f.scan().warnings().is_empty());
}

#[test]
fn a_lock_on_an_existing_table_needs_a_lock_timeout() {
    let once = lint_of(
        "ALTER TABLE users ADD COLUMN a text;\nALTER TABLE users ADD COLUMN b text;\n",
        true,
    );
    assert_eq!(once, [(1, Rule::MissingLockTimeout)], "once per file");
    for timed in [
        "-- migrate:lock-timeout 2s\nALTER TABLE users ADD COLUMN a text;\n",
        "SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN a text;\n",
        "SET LOCAL lock_timeout TO 2000;\nALTER TABLE users ADD COLUMN a text;\n",
        "SELECT set_config('lock_timeout', '2s', true);\nALTER TABLE users ADD COLUMN a text;\n",
        "CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN a text;\n",
        "ALTER TABLE users VALIDATE CONSTRAINT c;\n",
    ] {
        assert!(lint_of(timed, true).is_empty(), "{timed}");
    }
    for untimed in [
        "SET lock_timeout = 0;\nALTER TABLE users ADD COLUMN a text;\n",
        "SET lock_timeout = '2s';\nRESET lock_timeout;\nTRUNCATE users;\n",
        "CREATE TRIGGER t BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION f();\n",
        "LOCK TABLE users IN ACCESS EXCLUSIVE MODE;\n",
    ] {
        assert_eq!(
            lint_of(untimed, true),
            [(untimed.lines().count(), Rule::MissingLockTimeout)],
            "{untimed}"
        );
    }
}

#[test]
fn allows_severities_and_engines() {
    let sql = "-- migrate:lock-timeout 1s\nALTER TABLE users DROP COLUMN id; -- migrate:allow drop-column\n-- migrate:allow rename-column, alter-column-type\nALTER TABLE users RENAME id TO x;\nALTER TABLE users RENAME x TO y;\n";
    assert_eq!(
        lint(sql),
        [(5, Rule::RenameColumn)],
        "each allow covers its statement"
    );
    let f = Folder::new()
        .file("0001_a.up.sql", "CREATE TABLE users (id int);\n")
        .file("0001_a.down.sql", "DROP TABLE users;\n")
        .file(
            "0002_b.up.sql",
            "CREATE INDEX i ON users (id);\nALTER TABLE users DROP COLUMN id;\n",
        )
        .file("0002_b.down.sql", "SELECT 1;\n");
    let deny = ScanOptions::new().severity(Rule::IndexWithoutConcurrently, Severity::Deny);
    let error = scan_with(f.path(), &deny).expect_err("denied");
    let rules: Vec<Rule> = error.problems().iter().map(Problem::rule).collect();
    assert_eq!(rules, [Rule::IndexWithoutConcurrently]);
    let quiet = ScanOptions::new()
        .severity(Rule::DropColumn, Severity::Allow)
        .runner_lock_timeout();
    let set = scan_with(f.path(), &quiet).expect("warnings only");
    let rules: Vec<Rule> = set.warnings().iter().map(Problem::rule).collect();
    assert_eq!(rules, [Rule::IndexWithoutConcurrently]);
    // SQLite has no CONCURRENTLY, and its locks are the whole database's.
    let sqlite = scan_with(f.path(), &ScanOptions::new().engine(Engine::Sqlite)).expect("clean");
    let rules: Vec<Rule> = sqlite.warnings().iter().map(Problem::rule).collect();
    assert_eq!(rules, [Rule::DropColumn]);
    // A structural rule's severity is configurable too, but a shape rule's is not.
    let f = Folder::new()
        .file("0001_a.up.sql", "CREATE INDEX CONCURRENTLY i ON t (id);\n")
        .file("0001_a.down.sql", "SELECT 1;\n");
    let warned = ScanOptions::new().severity(Rule::NeedsNoTransaction, Severity::Warn);
    assert_eq!(
        scan_with(f.path(), &warned)
            .expect("a warning")
            .warnings()
            .len(),
        1
    );
    assert!(scan_with(f.path(), &ScanOptions::new().engine(Engine::Sqlite)).is_ok());
}

#[test]
fn the_projects_own_sets_are_clean_or_allow_each_finding() {
    // The example PostgreSQL schema, the backfill example (PostgreSQL)
    // and the quickstart (SQLite): no warning, no problem (with feature
    // pg-syntax, no syntax error either).
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for (dir, engine) in [
        ("migrations", Engine::Postgres),
        ("examples/backfill/migrations", Engine::Postgres),
        ("examples/quickstart/migrations", Engine::Sqlite),
    ] {
        let set = scan_with(&root.join(dir), &ScanOptions::new().engine(engine))
            .unwrap_or_else(|e| panic!("{dir}: {e}"));
        let warnings: Vec<String> = set.warnings().iter().map(ToString::to_string).collect();
        assert!(warnings.is_empty(), "{dir}: {warnings:#?}");
        assert!(!set.migrations().is_empty(), "{dir}");
    }
}

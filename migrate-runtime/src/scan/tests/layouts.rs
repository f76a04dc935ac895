//! Other tools' layouts: how a folder's files tell its layout, the rules
//! each layout reads its files by, and the problems of each, with the file
//! and line of the file on disk.

use super::*;
use crate::scan::{scan_with, Layout, ScanOptions};

impl Folder {
    /// The set in `layout`; fails the test with the problems.
    fn scan_as(&self, layout: Layout) -> ScannedSet {
        scan_with(self.path(), &ScanOptions::new().layout(layout))
            .unwrap_or_else(|e| panic!("expected a clean scan: {e}"))
    }

    /// The problems in `layout`.
    fn problems_as(&self, layout: Layout) -> Vec<Found> {
        let error = scan_with(self.path(), &ScanOptions::new().layout(layout))
            .expect_err("expected problems");
        error
            .problems()
            .iter()
            .map(|p| (self.relative(p.file()), p.line(), p.rule()))
            .collect()
    }
}

/// `version name` of each migration.
fn ids(set: &ScannedSet) -> Vec<String> {
    set.migrations()
        .iter()
        .map(|m| format!("{} {}", m.version(), m.name()))
        .collect()
}

#[test]
fn the_files_tell_the_layout_where_shapes_differ() {
    let cases: [(Folder, Layout); 7] = [
        (Folder::new().pair("0001_a"), Layout::Native),
        (
            Folder::new().file("2024-01-01-000000_a/up.sql", "SELECT 1;"),
            Layout::Diesel,
        ),
        (
            Folder::new()
                .file("versions/001_a.sql", "SELECT 1;")
                .dir("rollbacks"),
            Layout::VersionsRollbacks,
        ),
        (
            Folder::new()
                .file("0001.a.sql", "SELECT 1;")
                .file("0001.a.rollback.sql", "SELECT 1;"),
            Layout::Yoyo,
        ),
        (
            Folder::new().file("V1__a.sql", "SELECT 1;"),
            Layout::Refinery,
        ),
        (
            Folder::new().file("20240101000000_a.sql", "-- +goose Up\nSELECT 1;\n"),
            Layout::Sections,
        ),
        (
            Folder::new().file("20240101000000_a.sql", "SELECT 1;"),
            Layout::Sqlx,
        ),
    ];
    for (folder, layout) in cases {
        assert_eq!(folder.scan().layout(), layout);
    }
    // Single files beside pairs: native, whose rule names the file.
    let mixed = Folder::new().pair("0001_a").file("0002_b.sql", "SELECT 1;");
    assert_eq!(mixed.problems(), [at("0002_b.sql", 1, Rule::InvalidName)]);
    let both = Folder::new()
        .file("2024-01-01-000000_a/up.sql", "SELECT 1;")
        .file("V2__b.sql", "SELECT 1;");
    assert_eq!(both.problems(), [folder_at("", Rule::MixedLayouts)]);
}

#[test]
fn sections_keep_the_files_lines_and_their_markers_options() {
    let f = Folder::new()
        .file(
            "1_a.sql",
            "-- a comment before the up marker\n-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (x);\n\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY i;\n",
        )
        .file(
            "2_b.sql",
            "-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int AS 'SELECT 1; SELECT 2' LANGUAGE sql;\nSELECT 3;\n-- +goose StatementEnd\n",
        );
    let set = f.scan_as(Layout::Sections);
    let [a, b] = set.migrations() else {
        panic!("two migrations");
    };
    assert!(a.no_transaction() && a.down_no_transaction());
    // Line 3 of the file is line 3 of the script.
    let up = a.up_sql();
    assert_eq!(
        up.lines().nth(2),
        Some("CREATE INDEX CONCURRENTLY i ON t (x);")
    );
    assert!(!up.contains("migrate:up"), "markers are blanked: {up:?}");
    let down = a.down_sql().unwrap();
    assert_eq!(down.lines().nth(5), Some("DROP INDEX CONCURRENTLY i;"));
    assert!(!down.contains("CREATE INDEX"), "{down:?}");
    // goose's block is one statement; its migration has no down.
    assert_eq!(b.up_statements().len(), 1);
    assert!(b.irreversible() && b.down_sql().is_none());
    assert!(
        !set.is_verbatim(&f.path().join("1_a.sql")),
        "embedded as sections, not whole"
    );
}

#[test]
fn section_problems_name_the_files_line() {
    let f = Folder::new()
        .file(
            "1_a.sql",
            "CREATE TABLE a (id int);\n-- migrate:up\nSELECT 1;\n",
        )
        .file(
            "2_b.sql",
            "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 1;\n-- migrate:down\n",
        )
        .file("3_c.sql", "-- +goose Up\n-- +goose ENVSUB ON\nSELECT 1;\n")
        .file("4_d.sql", "-- migrate:up foo:bar\nSELECT 1;\n")
        .file(
            "5_e.sql",
            "-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n",
        )
        .file(
            "6_f.sql",
            "-- migrate:up\nBEGIN;\nSELECT 1;\nCOMMIT;\n-- migrate:down\n",
        );
    assert_eq!(
        f.problems_as(Layout::Sections),
        [
            at("1_a.sql", 1, Rule::InvalidSection),
            at("2_b.sql", 5, Rule::InvalidSection),
            at("3_c.sql", 2, Rule::InvalidSection),
            at("4_d.sql", 1, Rule::InvalidSection),
            at("5_e.sql", 2, Rule::InvalidSection),
            at("6_f.sql", 2, Rule::TransactionControl),
            at("6_f.sql", 4, Rule::TransactionControl),
        ]
    );
}

#[test]
fn sqlx_versions_names_and_its_no_transaction_line() {
    let f = Folder::new()
        .file("20240101000000_init.sql", "CREATE TABLE a (id int);")
        .file("7_Add-Users.up.sql", "-- no-transaction\nBEGIN;\nCOMMIT;\n")
        .file("7_Add-Users.down.sql", "DROP TABLE a;")
        .file("README.txt", "not a migration");
    let set = f.scan_as(Layout::Sqlx);
    assert_eq!(ids(&set), ["7 Add-Users", "20240101000000 init"]);
    assert!(set.migrations()[0].no_transaction());
    assert!(set.migrations()[1].irreversible());
    let ignored: Vec<String> = set.ignored().iter().map(|p| f.relative(p)).collect();
    assert_eq!(ignored, ["README.txt"]);
}

#[test]
fn diesel_versions_metadata_and_order() {
    let f = Folder::new()
        .file("00000000000000_diesel_initial_setup/up.sql", "SELECT 1;")
        .file("00000000000000_diesel_initial_setup/down.sql", "SELECT 1;")
        .file("2014-09-04-220917_create.users/up.sql", "SELECT 1;")
        .file(
            "2014-09-04-220917_create.users/metadata.toml",
            "run_in_transaction = false # no tx\n",
        )
        .file("2024-01-01-000000-0000_late/up.sql", "SELECT 1;")
        .file("notes.md", "beside the folders");
    let set = f.scan_as(Layout::Diesel);
    assert_eq!(
        ids(&set),
        [
            "0 diesel_initial_setup",
            "20140904220917 create.users",
            "202401010000000000 late"
        ]
    );
    assert!(set.migrations()[1].no_transaction() && set.migrations()[1].irreversible());
    // A key diesel does not have; two spellings of one version; a
    // 14-digit version dated after an 18-digit one.
    let bad = Folder::new()
        .file("1_a/up.sql", "SELECT 1;")
        .file(
            "1_a/metadata.toml",
            "run_in_transaction = true\nrun_later = true\n",
        )
        .file("01_b/up.sql", "SELECT 1;")
        .file("2023-06-01-000000-0000_c/up.sql", "SELECT 1;")
        .file("2024-01-01-000000_d/up.sql", "SELECT 1;")
        .file("x/up.sql", "SELECT 1;");
    assert_eq!(
        bad.problems_as(Layout::Diesel),
        [
            at("1_a/metadata.toml", 2, Rule::InvalidDirective),
            at("1_a/up.sql", 1, Rule::DuplicateVersion),
            folder_at("2024-01-01-000000_d", Rule::VersionOrder),
            at("x", 1, Rule::InvalidName),
        ]
    );
}

#[test]
fn refinery_golang_migrate_and_yoyo_names() {
    let refinery = Folder::new()
        .file("V1__init.sql", "SELECT 1;")
        .file("U3__Later.sql", "SELECT 1;")
        .file("V4__code.rs", "fn migration() {}")
        .file("V5.1__dotted.sql", "SELECT 1;");
    assert_eq!(
        refinery.problems_as(Layout::Refinery),
        [
            at("V4__code.rs", 1, Rule::ForeignCode),
            at("V5.1__dotted.sql", 1, Rule::InvalidName)
        ]
    );
    let golang = Folder::new()
        .file("1_a.up.sql", "SELECT 1;")
        .file("10_b.up.sql", "SELECT 1;")
        .file("10_b.down.sql", "SELECT 1;");
    assert_eq!(ids(&golang.scan_as(Layout::GolangMigrate)), ["1 a", "10 b"]);
    let yoyo = Folder::new()
        .file("0001.first.sql", "SELECT 1;")
        .file(
            "0002.second.sql",
            "-- depends: 0001.first\n-- transactional: false\nSELECT 1;",
        )
        .file("0002.second.rollback.sql", "SELECT 1;")
        .file("0003.step.py", "from yoyo import step");
    assert_eq!(
        yoyo.problems_as(Layout::Yoyo),
        [at("0003.step.py", 1, Rule::ForeignCode)]
    );
    // A folder of yoyo's Python steps alone (the source documents' form)
    // is told yoyo's by their names (ids), so each says to port it; in a
    // yoyo folder every Python file is a step, as yoyo reads it.
    let python = Folder::new()
        .file("0001.initial-schema.py", "from yoyo import step")
        .file("0002.add-queue-tables.py", "from yoyo import step")
        .file("helpers.py", "import sys");
    assert_eq!(
        python.problems(),
        [
            at("0001.initial-schema.py", 1, Rule::ForeignCode),
            at("0002.add-queue-tables.py", 1, Rule::ForeignCode),
            at("helpers.py", 1, Rule::ForeignCode),
        ]
    );
    // A script without an id tells no layout: the source documents'
    // versions/ + rollbacks/ runner keeps its cli.py beside them.
    let runner = Folder::new()
        .file("versions/001_users.sql", "CREATE TABLE users (id int);")
        .file("rollbacks/001_users_rollback.sql", "DROP TABLE users;")
        .file("cli.py", "import sys");
    assert_eq!(ids(&runner.scan()), ["1 users"]);
    let chain = Folder::new()
        .file("0001.first.sql", "SELECT 1;")
        .file(
            "0002.second.sql",
            "-- depends: 0001.first\n-- transactional: false\nSELECT 1;",
        )
        .file("0002.second.rollback.sql", "SELECT 1;");
    let set = chain.scan_as(Layout::Yoyo);
    assert_eq!(ids(&set), ["1 0001.first", "2 0002.second"]);
    assert!(set.migrations()[1].no_transaction() && set.migrations()[1].down_no_transaction());
}

#[test]
fn an_empty_down_of_another_tool_makes_its_migration_irreversible() {
    let f = Folder::new()
        .file("2024-01-01-000000_a/up.sql", "CREATE TABLE a (id int);")
        .file(
            "2024-01-01-000000_a/down.sql",
            "-- This file should undo anything in `up.sql`\n",
        );
    let set = f.scan_as(Layout::Diesel);
    let m = &set.migrations()[0];
    assert!(m.irreversible() && m.down_sql().is_none());
    assert_eq!(set.notes().len(), 1);
    assert!(set.notes()[0]
        .contains("its down file holds no statement, so migration 20240101000000 is irreversible"));
}

//! What a statement does that fails where it stands: each rule where it
//! applies and where it does not, at the statement's line and column, and
//! `-- migrate:allow`.

use super::*;

/// A reversible migration 0001 whose up file is `up`.
fn up(up: &str) -> Folder {
    Folder::new()
        .file("0001_a.up.sql", up)
        .file("0001_a.down.sql", "SELECT 1;\n")
}

/// `(line, column, rule)` of each problem.
fn found(f: &Folder) -> Vec<(Option<usize>, Option<usize>, Rule)> {
    let error = scan(f.path()).expect_err("expected problems");
    error
        .problems()
        .iter()
        .map(|p| (p.line(), p.column(), p.rule()))
        .collect()
}

#[test]
fn statements_refused_inside_a_transaction_need_no_transaction() {
    let f = up("CREATE TABLE t (id int);\n  CREATE INDEX CONCURRENTLY i ON t (id);\nVACUUM t;\nREINDEX (VERBOSE) INDEX CONCURRENTLY i;\nCREATE UNIQUE INDEX CONCURRENTLY j ON t (id);\n");
    assert_eq!(
        found(&f),
        [
            (Some(2), Some(3), Rule::NeedsNoTransaction),
            (Some(3), Some(1), Rule::NeedsNoTransaction),
            (Some(4), Some(1), Rule::NeedsNoTransaction),
            (Some(5), Some(1), Rule::NeedsNoTransaction),
        ]
    );
    assert_eq!(
        f.messages()[0],
        "0001_a.up.sql:2:3: `CREATE INDEX CONCURRENTLY` cannot run inside a transaction block, and this migration runs in one: add `-- migrate:no-transaction` to the header (the file then runs statement by statement, outside a transaction) [needs-no-transaction]"
    );
    // Outside a transaction, or only named in a string or a comment: fine.
    up("-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (id);\nVACUUM;\n").scan();
    up("SELECT 'CREATE INDEX CONCURRENTLY';\n-- VACUUM;\nCREATE INDEX i ON t (id);\n").scan();
}

#[test]
fn psql_meta_commands_and_copy_from_stdin_are_not_sql() {
    let f = up("\\set ON_ERROR_STOP on\nCREATE TABLE t (id int);\nCOPY t (id) FROM stdin;\n");
    assert_eq!(
        found(&f),
        [
            (Some(1), Some(1), Rule::PsqlMetaCommand),
            (Some(3), Some(1), Rule::CopyFromStdin),
        ]
    );
    assert!(
        f.messages()[0].contains("`\\set` is a psql meta-command"),
        "{:?}",
        f.messages()
    );
    // COPY from a server file is SQL.
    up("COPY t FROM '/var/lib/data.csv' WITH (FORMAT csv);\n").scan();
}

#[test]
fn an_enum_value_is_not_used_in_the_transaction_that_added_it() {
    let f = up(
        "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'elated';\nUPDATE person SET current_mood = 'elated' WHERE id = 1;\n",
    );
    assert_eq!(
        found(&f),
        [(Some(2), Some(1), Rule::EnumValueInTransaction)]
    );
    assert!(
        f.messages()[0].contains("`ALTER TYPE mood ADD VALUE` on line 1"),
        "{:?}",
        f.messages()
    );
    // Added alone, or used without a transaction: fine.
    up("ALTER TYPE mood ADD VALUE 'elated';\n").scan();
    up("-- migrate:no-transaction\nALTER TYPE mood ADD VALUE 'elated';\nUPDATE person SET current_mood = 'elated';\n").scan();
}

#[test]
fn sqlite_ignores_its_foreign_keys_pragma_in_a_transaction() {
    let f = up("PRAGMA foreign_keys = OFF;\nCREATE TABLE t (id int);\n");
    assert_eq!(found(&f), [(Some(1), Some(1), Rule::PragmaInTransaction)]);
    up("-- migrate:no-transaction\nPRAGMA foreign_keys = OFF;\n").scan();
    up("PRAGMA journal_mode = WAL;\n").scan();
}

#[test]
fn allow_silences_a_rule_for_a_statement_or_the_file() {
    // Beside the statement, on the line before it or its own.
    let f = up(
        "CREATE TABLE t (id int);\n-- migrate:allow needs-no-transaction\nVACUUM t;\nVACUUM t; -- migrate:allow needs-no-transaction\nVACUUM t;\n",
    );
    assert_eq!(found(&f), [(Some(5), Some(1), Rule::NeedsNoTransaction)]);
    // In the header: the whole file.
    up("-- migrate:allow needs-no-transaction psql-meta-command\nVACUUM a;\nVACUUM b;\n\\echo hi\n").scan();
    // An unknown rule, or none, is a directive problem.
    let bad = up("-- migrate:allow no-such-rule\n-- migrate:allow\nSELECT 1;\n");
    assert_eq!(
        found(&bad),
        [
            (Some(1), None, Rule::InvalidDirective),
            (Some(2), None, Rule::InvalidDirective),
        ]
    );
}

#[test]
fn a_seed_file_runs_in_a_transaction_whatever_its_header_says() {
    let f = Folder::new().pair("0001_a").file(
        "seeds/dev/001_users.sql",
        "-- migrate:no-transaction\nBEGIN;\nVACUUM;\nCOMMIT;\n",
    );
    assert_eq!(
        found(&f),
        [
            (Some(2), None, Rule::TransactionControl),
            (Some(3), Some(1), Rule::NeedsNoTransaction),
            (Some(4), None, Rule::TransactionControl),
        ]
    );
}

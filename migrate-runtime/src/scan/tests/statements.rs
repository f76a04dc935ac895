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

/// The problems of a folder declared SQLite's.
fn found_on_sqlite(f: &Folder) -> Vec<(Option<usize>, Option<usize>, Rule)> {
    let options = crate::ScanOptions::new().engine(crate::Engine::Sqlite);
    match crate::scan_with(f.path(), &options) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .problems()
            .iter()
            .map(|p| (p.line(), p.column(), p.rule()))
            .collect(),
    }
}

#[test]
fn sqlite_ignores_its_foreign_keys_pragma_in_a_transaction() {
    // SQLite's statements, on a folder declared SQLite's (PostgreSQL's
    // grammar, with feature pg-syntax, would refuse them otherwise).
    let f = up("PRAGMA foreign_keys = OFF;\nCREATE TABLE t (id int);\n");
    assert_eq!(
        found_on_sqlite(&f),
        [(Some(1), Some(1), Rule::PragmaInTransaction)]
    );
    assert!(found_on_sqlite(&up(
        "-- migrate:no-transaction\nPRAGMA foreign_keys = OFF;\n"
    ))
    .is_empty());
    assert!(found_on_sqlite(&up("PRAGMA journal_mode = WAL;\n")).is_empty());
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

/// PostgreSQL's grammar (feature `pg-syntax`): each statement of up and
/// down files and seeds, at the token the parser failed at.
#[cfg(feature = "pg-syntax")]
mod syntax {
    use super::*;

    #[test]
    fn a_syntax_error_is_a_problem_at_the_token_with_the_parsers_message() {
        let f = Folder::new()
            .file(
                "0001_a.up.sql",
                "CREATE TABLE t (\n    id int,\n    name text NOT NUL\n);\nCREATE INDEX t_name ON t (name);\nALTER TABLE t ADD COLUMN é int DEFAULT 1 +;\n",
            )
            .file("0001_a.down.sql", "DROP TABEL t;\n")
            .file("seeds/dev/001_t.sql", "INSERT INTO t VALUES (1, 'a'));\n");
        assert_eq!(
            f.problems(),
            [
                at("0001_a.down.sql", 1, Rule::SyntaxError),
                at("0001_a.up.sql", 3, Rule::SyntaxError),
                at("0001_a.up.sql", 6, Rule::SyntaxError),
                at("seeds/dev/001_t.sql", 1, Rule::SyntaxError),
            ]
        );
        let messages = f.messages();
        assert_eq!(
            messages[1],
            "0001_a.up.sql:3:19: PostgreSQL's parser refuses the statement: syntax error at or near \"NUL\" (a SQLite folder declares `engine = \"sqlite\"`, which skips this check) [syntax-error]"
        );
        assert!(
            messages[0].starts_with("0001_a.down.sql:1:6: "),
            "{}",
            messages[0]
        );
        // Cut short: just after its last character (the `;`), columns in
        // characters (é is one).
        assert!(
            messages[2].starts_with("0001_a.up.sql:6:43: PostgreSQL's parser refuses the statement: syntax error at end of input"),
            "{}",
            messages[2]
        );
        assert!(
            messages[3].starts_with("seeds/dev/001_t.sql:1:30: "),
            "{}",
            messages[3]
        );
    }

    #[test]
    fn allowed_other_rules_findings_and_sqlite_folders_are_not_parsed() {
        // Allowed on the statement's line, or for the file.
        up("CREATE TABLE t (id int);\nSELEC 1; -- migrate:allow syntax-error\n").scan();
        up("-- migrate:allow syntax-error\nSELEC 1;\nSELEC 2;\n").scan();
        // The rows after COPY … FROM STDIN and psql's commands are their
        // own rules' problems, not syntax errors.
        let f = up("CREATE TABLE t (id int, n text);\nCOPY t FROM stdin;\n1\tone\n2\ttwo\n\\.\n");
        assert_eq!(found(&f), [(Some(2), Some(1), Rule::CopyFromStdin)]);
        let f = up("\\set ON_ERROR_STOP on\nCREATE TABLE t (id int);\n");
        assert_eq!(found(&f), [(Some(1), Some(1), Rule::PsqlMetaCommand)]);
        // SQLite's own syntax, in a folder declared SQLite's.
        let lite = up("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT) WITHOUT ROWID;\n");
        assert!(found_on_sqlite(&lite).is_empty());
        assert_eq!(found(&lite), [(Some(1), Some(40), Rule::SyntaxError)]);
    }

    #[test]
    fn sections_are_parsed_at_their_lines_in_the_file() {
        let f = Folder::new().file(
            "20240101000000_users.sql",
            "-- migrate:up\nCREATE TABLE users (id int);\n\n-- migrate:down\nDROP TABLE IF EXIST users;\n",
        );
        let messages = f.messages();
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(
            messages[0].starts_with("20240101000000_users.sql:5:15: "),
            "{}",
            messages[0]
        );
    }
}

//! One test per rule of the migrations folder itself (the seeds folder's
//! are in `seeds.rs`).

use super::{at, folder_at, Folder};
use crate::scan::{scan, Rule};

#[test]
fn missing_folder() {
    let f = Folder::new().file("a_file", "");
    for (name, message) in [
        ("missing", "migrations folder does not exist"),
        ("a_file", "cannot read the migrations folder: "),
    ] {
        let dir = f.path().join(name);
        let error = scan(&dir).expect_err(name);
        let [p] = error.problems() else {
            panic!("one problem expected: {error}");
        };
        assert_eq!(
            (p.file(), p.line(), p.rule()),
            (&*dir, None, Rule::MissingFolder)
        );
        assert!(p.message().starts_with(message), "{p}");
    }
}

#[test]
fn unexpected_file() {
    let f = Folder::new()
        .pair("0001_a")
        .file("notes.txt", "todo\n")
        .file("0002_b.up.txt", "")
        .file("0002_b.sql.bak", "")
        .file("seeds", "a file, not the seeds folder")
        .dir("archive")
        .dir("0003_c.up.sql");
    assert_eq!(
        f.problems(),
        [
            at("0002_b.sql.bak", 1, Rule::UnexpectedFile),
            at("0002_b.up.txt", 1, Rule::UnexpectedFile),
            folder_at("0003_c.up.sql", Rule::UnexpectedFile),
            folder_at("archive", Rule::UnexpectedFile),
            at("notes.txt", 1, Rule::UnexpectedFile),
            at("seeds", 1, Rule::UnexpectedFile),
        ]
    );
    assert_eq!(
        f.messages()[3],
        "archive: unexpected folder in the migrations folder (only seeds/ may be there) [unexpected-file]"
    );
}

#[test]
fn invalid_name() {
    let mut f = Folder::new().pair("0001_a");
    for name in [
        "0002_seed.sql",
        "1-users.up.sql",
        "_a.up.sql",
        "v2_users.up.sql",
        "0002_CreateUsers.up.sql",
        "0002_a__b.up.sql",
        "0002_a-b.down.sql",
        "0002_.up.sql",
        "0002_naïve.up.sql",
        "0000_zero.up.sql",
        "12345678901_long.up.sql",
    ] {
        f = f.file(name, "SELECT 1;\n");
    }
    assert_eq!(
        f.problems(),
        [
            at("0000_zero.up.sql", 1, Rule::InvalidName),
            at("0002_.up.sql", 1, Rule::InvalidName),
            at("0002_CreateUsers.up.sql", 1, Rule::InvalidName),
            at("0002_a-b.down.sql", 1, Rule::InvalidName),
            at("0002_a__b.up.sql", 1, Rule::InvalidName),
            at("0002_naïve.up.sql", 1, Rule::InvalidName),
            at("0002_seed.sql", 1, Rule::InvalidName),
            at("1-users.up.sql", 1, Rule::InvalidName),
            at("12345678901_long.up.sql", 1, Rule::InvalidName),
            at("_a.up.sql", 1, Rule::InvalidName),
            at("v2_users.up.sql", 1, Rule::InvalidName),
        ]
    );
    let messages = f.messages();
    assert_eq!(
        messages[0],
        "0000_zero.up.sql:1: version 0 is not allowed; sequence numbers start at 1 [invalid-name]"
    );
    assert_eq!(
        messages[6],
        "0002_seed.sql:1: file name must end in .up.sql or .down.sql (in a sqlx folder a single .sql file is an irreversible migration: say so with `layout = \"sqlx\"`) [invalid-name]"
    );
    assert_eq!(
        messages[7],
        "1-users.up.sql:1: file name must be a version, an underscore and a name, as in 0001_create_users.up.sql [invalid-name]"
    );
    assert_eq!(
        messages[9],
        "_a.up.sql:1: version `` must be digits only [invalid-name]"
    );
}

#[test]
fn invalid_timestamp() {
    let f = Folder::new()
        .pair("20240101120000_create_users")
        .pair("20240230120000_add_email");
    assert_eq!(
        f.problems(),
        [
            at(
                "20240230120000_add_email.down.sql",
                1,
                Rule::InvalidTimestamp
            ),
            at("20240230120000_add_email.up.sql", 1, Rule::InvalidTimestamp),
        ]
    );
    assert_eq!(
        f.messages()[1],
        "20240230120000_add_email.up.sql:1: 14-digit version `20240230120000` is not a UTC timestamp YYYYMMDDHHMMSS: day out of range for the month [invalid-timestamp]"
    );
}

#[test]
fn duplicate_version() {
    let f = Folder::new()
        .pair("0001_a")
        .pair("0001_b")
        .file("0002_c.code", "")
        .pair("0002_d");
    // 0001_b's down file is a second down file of version 1; 0002_d's is
    // the first of version 2 (a code marker has none).
    assert_eq!(
        f.problems(),
        [
            at("0001_b.down.sql", 1, Rule::DuplicateVersion),
            at("0001_b.up.sql", 1, Rule::DuplicateVersion),
            at("0002_d.up.sql", 1, Rule::DuplicateVersion),
        ]
    );
    assert_eq!(
        f.messages(),
        [
            "0001_b.down.sql:1: version 1 is also used by 0001_a.down.sql [duplicate-version]",
            "0001_b.up.sql:1: version 1 is also used by 0001_a.up.sql [duplicate-version]",
            "0002_d.up.sql:1: version 2 is also used by 0002_c.code [duplicate-version]",
        ]
    );
}

#[test]
fn duplicate_version_equal_by_value_for_every_kind_of_file() {
    // Versions are numbers: `0001` and `1` are one version, whatever the
    // kind of file. A second down file was once dropped without a word.
    let f = Folder::new()
        .pair("0001_a")
        .file("1_a.down.sql", "DROP TABLE a CASCADE;\n")
        .pair("0002_b")
        .file("002_b.up.sql", "SELECT 2;\n")
        .file("0003_c.code", "")
        .file("3_c.code", "")
        .pair("0004_d")
        .file("0004_other.down.sql", "SELECT 4;\n");
    assert_eq!(
        f.messages(),
        [
            "0004_other.down.sql:1: version 4 is also used by 0004_d.down.sql [duplicate-version]",
            "002_b.up.sql:1: version 2 is also used by 0002_b.up.sql [duplicate-version]",
            "1_a.down.sql:1: version 1 is also used by 0001_a.down.sql [duplicate-version]",
            "3_c.code:1: version 3 is also used by 0003_c.code [duplicate-version]",
        ]
    );
}

#[test]
fn sequence_gap() {
    let f = Folder::new().pair("0002_b").pair("0003_c").pair("0006_f");
    assert_eq!(
        f.problems(),
        [
            at("0002_b.up.sql", 1, Rule::SequenceGap),
            at("0006_f.up.sql", 1, Rule::SequenceGap),
        ]
    );
    assert_eq!(
        f.messages(),
        [
            "0002_b.up.sql:1: version 1 is missing before version 2; sequence numbers start at 1 and have no gaps (a golang-migrate or sqlx folder, whose versions may have gaps, says so with `layout = \"golang-migrate\"` or `layout = \"sqlx\"`) [sequence-gap]",
            "0006_f.up.sql:1: versions 4 to 5 are missing before version 6; sequence numbers start at 1 and have no gaps (a golang-migrate or sqlx folder, whose versions may have gaps, says so with `layout = \"golang-migrate\"` or `layout = \"sqlx\"`) [sequence-gap]",
        ]
    );
    // A code marker counts as a version; a lone down file does not.
    let f = Folder::new()
        .pair("0001_a")
        .file("0002_b.code", "")
        .file("0003_c.down.sql", "")
        .pair("0004_d");
    assert_eq!(
        f.problems(),
        [
            at("0003_c.down.sql", 1, Rule::DownWithoutUp),
            at("0004_d.up.sql", 1, Rule::SequenceGap),
        ]
    );
}

#[test]
fn mixed_schemes() {
    // The smaller group is blamed (sequences on a tie); no gap is reported
    // for a mixed set.
    let f = Folder::new()
        .pair("0001_a")
        .pair("0003_b")
        .pair("20240101120000_c");
    assert_eq!(
        f.problems(),
        [at("20240101120000_c.up.sql", 1, Rule::MixedSchemes)]
    );
    assert_eq!(
        f.messages(),
        ["20240101120000_c.up.sql:1: version 20240101120000 is a timestamp but the other migrations use sequence numbers; use one scheme per folder [mixed-schemes]"]
    );
    let f = Folder::new()
        .pair("0001_a")
        .pair("20240101120000_b")
        .pair("20240102120000_c");
    assert_eq!(f.problems(), [at("0001_a.up.sql", 1, Rule::MixedSchemes)]);
    let f = Folder::new().pair("0001_a").pair("20240101120000_b");
    assert_eq!(f.problems(), [at("0001_a.up.sql", 1, Rule::MixedSchemes)]);
}

#[test]
fn missing_down() {
    let f = Folder::new()
        .pair("0001_a")
        .file("0002_b.up.sql", "CREATE TABLE b (id int);\n")
        .file("0003_c.up.sql", "-- migrate:irreversible\nDROP TABLE b;\n");
    assert_eq!(f.problems(), [at("0002_b.up.sql", 1, Rule::MissingDown)]);
    assert_eq!(
        f.messages(),
        ["0002_b.up.sql:1: no down file 0002_b.down.sql; write one, or start the up file with `-- migrate:irreversible` [missing-down]"]
    );
}

#[test]
fn down_without_up() {
    let f = Folder::new()
        .pair("0001_a")
        .file("0002_b.up.sql", "CREATE TABLE b (id int);\n")
        .file("0002_bb.down.sql", "DROP TABLE b;\n")
        .file("0003_fill.code", "Fills b.\n")
        .file("0003_fill.down.sql", "DELETE FROM b;\n")
        .file("0005_e.down.sql", "DROP TABLE e;\n");
    assert_eq!(
        f.problems(),
        [
            at("0002_b.up.sql", 1, Rule::MissingDown),
            at("0002_bb.down.sql", 1, Rule::DownWithoutUp),
            at("0003_fill.down.sql", 1, Rule::DownWithoutUp),
            at("0005_e.down.sql", 1, Rule::DownWithoutUp),
        ]
    );
    let messages = f.messages();
    assert_eq!(
        messages[2],
        "0003_fill.down.sql:1: 0003_fill.code marks a code migration, whose down is a Rust function registered with it, not a file [down-without-up]"
    );
    assert_eq!(
        messages[3],
        "0005_e.down.sql:1: down file has no up file 0005_e.up.sql [down-without-up]"
    );
}

#[test]
fn irreversible_with_down() {
    let f = Folder::new()
        .pair("0001_a")
        .file(
            "0002_drop_a.up.sql",
            "-- migrate:irreversible\nDROP TABLE a;\n",
        )
        .file("0002_drop_a.down.sql", "CREATE TABLE a (id int);\n");
    assert_eq!(
        f.problems(),
        [at("0002_drop_a.down.sql", 1, Rule::IrreversibleWithDown)]
    );
    assert_eq!(
        f.messages(),
        ["0002_drop_a.down.sql:1: 0002_drop_a.up.sql is marked `-- migrate:irreversible` but has this down file [irreversible-with-down]"]
    );
}

#[test]
fn empty_up() {
    let f = Folder::new()
        .file("0001_a.up.sql", "-- to do\n\n   /* later */\n\t")
        .file("0001_a.down.sql", "SELECT 1;")
        .file("0002_b.up.sql", "")
        .file("0002_b.down.sql", "SELECT 1;")
        .file("0003_c.up.sql", " ; ;\n")
        .file("0003_c.down.sql", "SELECT 1;");
    assert_eq!(
        f.problems(),
        [
            at("0001_a.up.sql", 1, Rule::EmptyUp),
            at("0002_b.up.sql", 1, Rule::EmptyUp),
            at("0003_c.up.sql", 1, Rule::EmptyUp),
        ]
    );
}

#[test]
fn not_utf8() {
    // The column counts characters of the valid text before the byte; a
    // file that is not UTF-8 is not checked further (no missing down).
    let f = Folder::new()
        .file(
            "0001_a.up.sql",
            b"-- seed\nCREATE TABLE b (name text);\nINSERT INTO b VALUES ('caf\xff');\n",
        )
        .file("0001_a.down.sql", "DROP TABLE b;\n")
        .file(
            "0002_b.up.sql",
            ["-- \u{e9}\nSELECT '\u{fc}\u{1f600}".as_bytes(), b"\x80'\n"].concat(),
        )
        .file("0002_b.down.sql", b"SELECT 1;\n\n\xfe")
        .file("0003_c.up.sql", b"\xc3");
    assert_eq!(
        f.problems(),
        [
            at("0001_a.up.sql", 3, Rule::NotUtf8),
            at("0002_b.down.sql", 3, Rule::NotUtf8),
            at("0002_b.up.sql", 2, Rule::NotUtf8),
            at("0003_c.up.sql", 1, Rule::NotUtf8),
        ]
    );
    assert_eq!(
        f.messages(),
        [
            "0001_a.up.sql:3: file is not valid UTF-8: byte 0xff at column 27 [not-utf8]",
            "0002_b.down.sql:3: file is not valid UTF-8: byte 0xfe at column 1 [not-utf8]",
            "0002_b.up.sql:2: file is not valid UTF-8: byte 0x80 at column 11 [not-utf8]",
            "0003_c.up.sql:1: file is not valid UTF-8: byte 0xc3 at column 1 [not-utf8]",
        ]
    );
}

#[test]
fn nul_byte() {
    // Valid UTF-8, but SQLite would run `INSERT INTO b VALUES ('a` and drop
    // the rest without a word. The file is not checked further (no
    // unterminated literal, no missing down).
    let utf16: Vec<u8> = "SELECT 1;\n".bytes().flat_map(|b| [b, 0]).collect();
    let f = Folder::new()
        .file(
            "0001_a.up.sql",
            "CREATE TABLE b (name text);\r\nINSERT INTO b VALUES ('\u{e9}\0');\r\n",
        )
        .file("0001_a.down.sql", "DROP TABLE b;\n")
        .file("0002_b.up.sql", "SELECT '\0\0\0")
        .file("0003_c.code", "\n\0")
        .file("0004_d.up.sql", utf16)
        .file("0004_d.down.sql", "SELECT 1;\n")
        .file("seeds/dev/001.sql", "\0");
    assert_eq!(
        f.problems(),
        [
            at("0001_a.up.sql", 2, Rule::NulByte),
            at("0002_b.up.sql", 1, Rule::NulByte),
            at("0003_c.code", 2, Rule::NulByte),
            at("0004_d.up.sql", 1, Rule::NulByte),
            at("seeds/dev/001.sql", 1, Rule::NulByte),
        ]
    );
    let messages = f.messages();
    assert_eq!(
        messages[0],
        "0001_a.up.sql:2: file holds a NUL byte at column 25, which SQL text cannot hold (SQLite silently drops the rest of the statement); remove it, or save the file as UTF-8 if it is UTF-16 [nul-byte]"
    );
    assert!(
        messages[1]
            .starts_with("0002_b.up.sql:1: file holds a NUL byte at column 9 (and 2 more), "),
        "{}",
        messages[1]
    );
    assert!(
        messages[3]
            .starts_with("0004_d.up.sql:1: file holds a NUL byte at column 2 (and 9 more), "),
        "{}",
        messages[3]
    );
}

#[test]
fn unterminated_literal() {
    let f = Folder::new()
        .file(
            "0001_a.up.sql",
            "-- seed a\nCREATE TABLE a (name text);\nINSERT INTO a VALUES ('it is open);\nSELECT 1;\n",
        )
        .file("0001_a.down.sql", "DROP TABLE a; /* open")
        .file(
            "0002_f.up.sql",
            "CREATE TABLE f (id int);\nCREATE FUNCTION f() RETURNS int AS $$\n  SELECT 1;\n",
        )
        .file("0002_f.down.sql", "DROP TABLE \"f;\n")
        .file("0003_g.up.sql", "SELECT '\u{e9}', 'x;\n")
        .file("0003_g.down.sql", "");
    assert_eq!(
        f.messages(),
        [
            "0001_a.down.sql:1: block comment opened at column 15 is never closed [unterminated-literal]",
            "0001_a.up.sql:3: string opened at column 23 is never closed [unterminated-literal]",
            "0002_f.down.sql:1: quoted identifier opened at column 12 is never closed [unterminated-literal]",
            "0002_f.up.sql:2: dollar-quoted string opened at column 36 is never closed [unterminated-literal]",
            "0003_g.up.sql:1: string opened at column 13 is never closed [unterminated-literal]",
        ]
    );
    assert!(f
        .problems()
        .iter()
        .all(|p| p.2 == Rule::UnterminatedLiteral));
}

#[test]
fn transaction_control() {
    let f = Folder::new()
        .file(
            "0001_a.up.sql",
            "-- create a\nBEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n",
        )
        .file(
            "0001_a.down.sql",
            "START  TRANSACTION;\nDROP TABLE a;\nROLLBACK;\n",
        )
        .file(
            "0002_b.up.sql",
            "-- migrate:no-transaction\nBEGIN;\nCREATE TABLE b (id int);\nCOMMIT;\n",
        )
        .file(
            "0002_b.down.sql",
            "SAVEPOINT s;\nROLLBACK TO s;\nRELEASE s;\n",
        );
    assert_eq!(
        f.problems(),
        [
            at("0001_a.down.sql", 1, Rule::TransactionControl),
            at("0001_a.down.sql", 3, Rule::TransactionControl),
            at("0001_a.up.sql", 2, Rule::TransactionControl),
            at("0001_a.up.sql", 4, Rule::TransactionControl),
        ]
    );
    let messages = f.messages();
    assert!(
        messages[0].starts_with("0001_a.down.sql:1: `START TRANSACTION` controls transactions, but the runner already runs each migration in a transaction of its own; remove it, or add `-- migrate:no-transaction` to run the file outside a transaction"),
        "{}",
        messages[0]
    );
    assert!(messages[2].starts_with("0001_a.up.sql:2: `BEGIN` controls"));
}

#[test]
fn invalid_directive() {
    let f = Folder::new()
        .file(
            "0001_a.up.sql",
            "-- migrate:foo\nCREATE TABLE a (id int);\n\n-- migrate:no-transaction\nCREATE INDEX a_id ON a (id);\n",
        )
        .file("0001_a.down.sql", "-- migrate:irreversible\nDROP TABLE a;\n")
        .file(
            "0002_b.up.sql",
            "-- migrate:up\n-- migrate:lock-timeout soon\nSELECT 1;\n",
        )
        .file("0002_b.down.sql", "SELECT 1;\n");
    assert_eq!(
        f.problems(),
        [
            at("0001_a.down.sql", 1, Rule::InvalidDirective),
            at("0001_a.up.sql", 1, Rule::InvalidDirective),
            at("0001_a.up.sql", 4, Rule::InvalidDirective),
            at("0002_b.up.sql", 1, Rule::InvalidDirective),
            at("0002_b.up.sql", 2, Rule::InvalidDirective),
        ]
    );
    assert_eq!(
        f.messages()[2],
        "0001_a.up.sql:4: directive `-- migrate:no-transaction` must stand in the header, before the first statement [invalid-directive]"
    );
}

/// A file listed but impossible to read, by a means that works for root
/// too: a symbolic link to nothing.
#[cfg(unix)]
#[test]
fn unreadable_dangling_link() {
    let f = Folder::new().pair("0001_a").file("0002_b.down.sql", "");
    std::os::unix::fs::symlink("nowhere.sql", f.path().join("0002_b.up.sql")).unwrap();
    assert_eq!(f.problems(), [at("0002_b.up.sql", 1, Rule::Unreadable)]);
    let message = &f.messages()[0];
    assert!(
        message.starts_with("0002_b.up.sql:1: cannot read the file: "),
        "{message}"
    );
}

/// A file and a seeds environment of mode 000. Whoever may read them anyway
/// (root, or a process with CAP_DAC_OVERRIDE) cannot run this test.
#[cfg(unix)]
#[test]
fn unreadable_without_permission() {
    use std::fs::{set_permissions, Permissions};
    use std::io::Write as _;
    use std::os::unix::fs::PermissionsExt;

    let f = Folder::new()
        .pair("0001_a")
        .pair("0002_b")
        .file("seeds/dev/001.sql", "SELECT 1;\n");
    let (file, env) = (f.path().join("0002_b.up.sql"), f.path().join("seeds/dev"));
    set_permissions(&file, Permissions::from_mode(0o000)).unwrap();
    set_permissions(&env, Permissions::from_mode(0o000)).unwrap();
    let readable = std::fs::read(&file).is_ok();
    let found = if readable { None } else { Some(f.problems()) };
    // Restored before asserting, so that the folder can be removed.
    set_permissions(&file, Permissions::from_mode(0o644)).unwrap();
    set_permissions(&env, Permissions::from_mode(0o755)).unwrap();
    let Some(found) = found else {
        // Straight to stderr, past the test harness's capture, so that the
        // skip shows in a passing run.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED unreadable_without_permission: this process reads a file of mode 000 \
             (root?); `unreadable_dangling_link` covers the rule"
        );
        return;
    };
    assert_eq!(
        found,
        [
            at("0002_b.up.sql", 1, Rule::Unreadable),
            folder_at("seeds/dev", Rule::Unreadable),
        ]
    );
}

#[test]
fn empty_down() {
    let f = Folder::new()
        .file("0001_a.up.sql", "CREATE TABLE a (id int);")
        .file("0001_a.down.sql", "-- DROP TABLE a;\n")
        .file("0002_b.up.sql", "CREATE TABLE b (id int);")
        .file("0002_b.down.sql", "")
        .file("0003_c.up.sql", "CREATE TABLE c (id int);")
        .file("0003_c.down.sql", "DROP TABLE c;");
    assert_eq!(
        f.problems(),
        [
            at("0001_a.down.sql", 1, Rule::EmptyDown),
            at("0002_b.down.sql", 1, Rule::EmptyDown),
        ]
    );
    assert_eq!(
        f.messages()[0],
        "0001_a.down.sql:1: down file holds no statement: rolling back would only remove the tracking row of 0001_a.up.sql; write the SQL that undoes it, or delete this file and start the up file with `-- migrate:irreversible` [empty-down]"
    );
}

//! The rules of the seeds folder, `seeds/<environment>/NAME.sql`. (An
//! unreadable environment is in `rules.rs`, with the unreadable file.)

use super::{at, folder_at, Folder};
use crate::scan::Rule;

#[test]
fn seeds_unexpected_file() {
    let f = Folder::new()
        .pair("0001_a")
        .file("seeds/all.sql", "SELECT 1;\n")
        .file("seeds/dev/notes.txt", "")
        .file("seeds/dev/001_a.sql.orig", "")
        .dir("seeds/dev/nested")
        .file("seeds/dev/002_b.sql", "SELECT 1;\n")
        .file("seeds/dev/.hidden", "")
        .file("seeds/dev/README.md", "");
    assert_eq!(
        f.problems(),
        [
            at("seeds/all.sql", 1, Rule::UnexpectedFile),
            at("seeds/dev/001_a.sql.orig", 1, Rule::UnexpectedFile),
            folder_at("seeds/dev/nested", Rule::UnexpectedFile),
            at("seeds/dev/notes.txt", 1, Rule::UnexpectedFile),
        ]
    );
    let messages = f.messages();
    assert_eq!(
        messages[0],
        "seeds/all.sql:1: unexpected file; seed files go in seeds/<environment>/ [unexpected-file]"
    );
    assert_eq!(
        messages[1],
        "seeds/dev/001_a.sql.orig:1: unexpected file; a seed file is named NAME.sql [unexpected-file]"
    );
}

#[test]
fn seeds_invalid_environment_name() {
    let f = Folder::new()
        .pair("0001_a")
        .file("seeds/Dev/001.sql", "SELECT 1;\n")
        .file("seeds/qa env/001.sql", "SELECT 1;\n")
        .file("seeds/dev_2-eu/001.sql", "SELECT 1;\n");
    assert_eq!(
        f.problems(),
        [
            folder_at("seeds/Dev", Rule::InvalidName),
            folder_at("seeds/qa env", Rule::InvalidName),
        ]
    );
    assert_eq!(
        f.messages()[0],
        "seeds/Dev: environment `Dev` must be lowercase letters, digits, `_` and `-` [invalid-name]"
    );
}

#[test]
fn seed_files_follow_the_rules_of_migration_files() {
    // Any name, no statement needed, no directive that belongs in an up
    // file, and no transaction control: each seed runs in a transaction.
    let f = Folder::new()
        .pair("0001_a")
        .file("seeds/dev/001 Users.sql", "")
        .file("seeds/dev/002.sql", b"SELECT 'caf\xe9';\n")
        .file("seeds/dev/003.sql", "SELECT 1;\nSELECT 'open;\n")
        .file("seeds/dev/004.sql", "INSERT INTO a VALUES (1);\nCOMMIT;\n")
        .file("seeds/dev/005.sql", "-- migrate:irreversible\nSELECT 1;\n");
    assert_eq!(
        f.problems(),
        [
            at("seeds/dev/002.sql", 1, Rule::NotUtf8),
            at("seeds/dev/003.sql", 2, Rule::UnterminatedLiteral),
            at("seeds/dev/004.sql", 2, Rule::TransactionControl),
            at("seeds/dev/005.sql", 1, Rule::InvalidDirective),
        ]
    );
}

//! The scanner on real folders, built in a temporary directory: a clean
//! folder, every problem of a folder at once, one test per rule (in
//! `rules.rs` and, for the seeds folder, `seeds.rs`), each asserting the
//! exact rule, file and line, and hostile folders (`hostile.rs`: special
//! files, links out of the folder, thousands of problems in a file). Fast: no compiler, unlike the trybuild cases
//! in `tests/ui/`, which check what the macro makes of the same problems.

use std::fs;
use std::path::Path;
use std::time::Duration;

use super::{scan, Rule, ScannedSet};
use crate::model::{Migrations, UNREGISTERED_CHECKSUM};
use crate::text::checksum::checksum;

mod hostile;
mod layouts;
mod lint;
mod rules;
mod seeds;
mod statements;

/// A problem as the tests compare it: the file relative to the folder, the
/// line (none for a folder) and the rule.
type Found = (String, Option<usize>, Rule);

fn at(file: &str, line: usize, rule: Rule) -> Found {
    (file.to_owned(), Some(line), rule)
}

fn folder_at(file: &str, rule: Rule) -> Found {
    (file.to_owned(), None, rule)
}

/// A migrations folder in a temporary directory, removed when dropped.
struct Folder(tempfile::TempDir);

impl Folder {
    fn new() -> Self {
        Folder(tempfile::tempdir().expect("a temporary folder"))
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    /// Writes the file `rel`, creating the folders it lies in.
    fn file(self, rel: &str, content: impl AsRef<[u8]>) -> Self {
        let path = self.path().join(rel);
        fs::create_dir_all(path.parent().expect("a parent")).expect("folders");
        fs::write(&path, content).expect("a fixture file");
        self
    }

    /// Creates the (empty) folder `rel`.
    fn dir(self, rel: &str) -> Self {
        fs::create_dir_all(self.path().join(rel)).expect("a fixture folder");
        self
    }

    /// A reversible migration `<stem>.up.sql` / `<stem>.down.sql`.
    fn pair(self, stem: &str) -> Self {
        self.file(&format!("{stem}.up.sql"), "CREATE TABLE t (id int);\n")
            .file(&format!("{stem}.down.sql"), "DROP TABLE t;\n")
    }

    /// The set; fails the test with the problems if there are any.
    fn scan(&self) -> ScannedSet {
        scan(self.path()).unwrap_or_else(|e| panic!("expected a clean scan: {e}"))
    }

    /// The problems, in the order the scanner reports them; fails the test
    /// if the folder scans clean.
    fn problems(&self) -> Vec<Found> {
        let error = scan(self.path()).expect_err("expected problems");
        error
            .problems()
            .iter()
            .map(|p| (self.relative(p.file()), p.line(), p.rule()))
            .collect()
    }

    /// The problems as the macro shows them (`file:line: message [rule]`).
    fn messages(&self) -> Vec<String> {
        let error = scan(self.path()).expect_err("expected problems");
        error
            .problems()
            .iter()
            .map(|p| p.display_relative_to(self.path()))
            .collect()
    }

    fn relative(&self, file: &Path) -> String {
        let rel = file.strip_prefix(self.path()).expect("inside the folder");
        rel.to_str().expect("UTF-8 path").to_owned()
    }
}

#[test]
fn a_valid_folder_scans_clean() {
    let up1 = "\u{feff}CREATE TABLE users (id int);\r\nCREATE INDEX users_id ON users (id);\r\n";
    let f = Folder::new()
        .file("0001_create_users.up.sql", up1)
        .file("0001_create_users.down.sql", "DROP TABLE users;\n")
        .file("0002_backfill_names.code", "Fills users.name; see src/backfill.rs.\n")
        .file(
            "0003_drop_legacy.up.sql",
            "-- migrate:irreversible\n-- migrate:no-transaction\n-- migrate:lock-timeout 5s\nDROP TABLE legacy;\nBEGIN;\nCOMMIT;\n",
        )
        .file("README.md", "# Not a migration\n")
        .file("readme.txt", "Neither.\n")
        .file(".keep", "")
        .file(".git/HEAD", "a hidden folder is ignored too")
        .file("seeds/dev/001_users.sql", "INSERT INTO users VALUES (1);\r\n")
        .file("seeds/dev/README", "")
        .file("seeds/staging/001_users.sql", "INSERT INTO users VALUES (2);\n")
        .file("seeds/.hidden", "");
    let set = f.scan();

    let ms = set.migrations();
    let ids: Vec<_> = ms.iter().map(|m| (m.version(), m.name())).collect();
    assert_eq!(
        ids,
        [
            (1, "create_users"),
            (2, "backfill_names"),
            (3, "drop_legacy")
        ]
    );

    let lf = "CREATE TABLE users (id int);\nCREATE INDEX users_id ON users (id);\n";
    assert_eq!(ms[0].up_sql(), lf, "BOM and CRs are stripped");
    assert_eq!(ms[0].checksum(), checksum(lf));
    assert_eq!(ms[0].up_file(), "0001_create_users.up.sql");
    assert_eq!(ms[0].down_file(), Some("0001_create_users.down.sql"));
    assert_eq!(ms[0].down_sql(), Some("DROP TABLE users;\n"));
    assert!(!ms[0].irreversible() && !ms[0].no_transaction());
    assert!(!set.is_verbatim(&f.path().join("0001_create_users.up.sql")));
    assert!(set.is_verbatim(&f.path().join("0001_create_users.down.sql")));

    assert!(ms[1].is_code());
    assert_eq!(ms[1].checksum(), UNREGISTERED_CHECKSUM);
    assert_eq!(ms[1].down_sql(), None);

    assert!(ms[2].irreversible() && ms[2].no_transaction());
    assert_eq!(ms[2].lock_timeout(), Some(Duration::from_secs(5)));
    assert_eq!(ms[2].down_file(), None);

    let seeds: Vec<_> = set
        .seeds()
        .iter()
        .map(|s| (s.env(), s.file(), s.sql()))
        .collect();
    assert_eq!(
        seeds,
        [
            (
                "dev",
                "seeds/dev/001_users.sql",
                "INSERT INTO users VALUES (1);\n"
            ),
            (
                "staging",
                "seeds/staging/001_users.sql",
                "INSERT INTO users VALUES (2);\n"
            ),
        ]
    );
    assert_eq!(set.seeds()[0].checksum(), checksum(set.seeds()[0].sql()));
    assert!(!set.is_verbatim(&f.path().join("seeds/dev/001_users.sql")));
    assert!(set.is_verbatim(&f.path().join("seeds/staging/001_users.sql")));

    // The run-time entry point is the same scanner.
    let from_dir = Migrations::from_dir(f.path()).expect("the same folder");
    assert_eq!(from_dir.iter().as_slice(), set.migrations());
    assert_eq!(from_dir.seed_envs(), ["dev", "staging"]);
}

#[test]
fn a_valid_timestamp_folder_may_have_gaps() {
    let f = Folder::new()
        .pair("20240101120000_create_a")
        .pair("20240229235959_leap_day")
        .pair("20991231000000_far_away");
    let versions: Vec<_> = f.scan().migrations().iter().map(|m| m.version()).collect();
    assert_eq!(
        versions,
        [20_240_101_120_000, 20_240_229_235_959, 20_991_231_000_000]
    );
}

#[test]
fn an_empty_folder_is_an_empty_set() {
    let set = Folder::new().scan();
    assert!(set.migrations().is_empty() && set.seeds().is_empty());
}

#[test]
fn every_problem_of_a_folder_is_reported_at_once() {
    // The trybuild case `many_problems`, without the compiler.
    let f = Folder::new()
        .file("0001_a.up.sql", "CREATE TABLE a (id int);\nCOMMIT;\n")
        .file("0001_a.down.sql", "DROP TABLE a;\n")
        .file(
            "0003_c.up.sql",
            "-- migrate:bogus\nCREATE TABLE c (id int);\n",
        )
        .file("0004_Bad.up.sql", "SELECT 1;\n")
        .file("0005_e.down.sql", "DROP TABLE e;\n")
        .file("0006_f.up.sql", "\n-- nothing yet\n")
        .file("0006_f.down.sql", "SELECT 1;\n")
        .file("0007_g.up.sql", "SELECT 'open;\n")
        .file("notes.txt", "todo\n");
    // Sorted by file and line; for one file and line, the file's own
    // problems come first, then pairing's, then the versions'.
    assert_eq!(
        f.problems(),
        [
            at("0001_a.up.sql", 2, Rule::TransactionControl),
            at("0003_c.up.sql", 1, Rule::InvalidDirective),
            at("0003_c.up.sql", 1, Rule::MissingDown),
            at("0003_c.up.sql", 1, Rule::SequenceGap),
            at("0004_Bad.up.sql", 1, Rule::InvalidName),
            at("0005_e.down.sql", 1, Rule::DownWithoutUp),
            at("0006_f.up.sql", 1, Rule::EmptyUp),
            at("0006_f.up.sql", 1, Rule::SequenceGap),
            at("0007_g.up.sql", 1, Rule::UnterminatedLiteral),
            at("notes.txt", 1, Rule::UnexpectedFile),
        ]
    );
}

#[test]
fn the_error_lists_every_problem() {
    let f = Folder::new().pair("0002_b").file("notes.txt", "");
    let error = scan(f.path()).expect_err("two problems");
    let dir = f.path().display();
    assert_eq!(
        error.to_string(),
        format!(
            "2 problems in the migrations folder\n  {dir}/0002_b.up.sql:1: version 1 is missing before version 2; sequence numbers start at 1 and have no gaps (a golang-migrate or sqlx folder, whose versions may have gaps, says so with `layout = \"golang-migrate\"` or `layout = \"sqlx\"`) [sequence-gap]\n  {dir}/notes.txt:1: unexpected file; a migration is named NNNN_name.up.sql or NNNN_name.down.sql (NNNN_name.code marks a code migration) [unexpected-file]"
        )
    );
    let one = scan(&f.path().join("missing")).expect_err("one problem");
    assert_eq!(
        one.to_string(),
        format!("1 problem in the migrations folder\n  {dir}/missing: migrations folder does not exist [missing-folder]")
    );
}

//! Hostile folders: entries that are not regular files, symbolic links out
//! of the folder, and files with thousands of problems.

use super::{at, folder_at, Folder};
use crate::scan::{scan, Rule};

#[test]
fn a_file_lists_twenty_problems_of_a_rule_and_counts_the_rest() {
    // 100,000 `BEGIN;` lines. The scanner once counted each statement's line
    // from the start of the file and listed every problem: 800 kB of them
    // took 97 s in a release build, and printed 117,028 errors.
    let begins = 100_000;
    let directives = 30;
    let f = Folder::new()
        .file("0001_a.up.sql", "BEGIN;\n".repeat(begins))
        .file(
            "0001_a.down.sql",
            format!(
                "SELECT 1;\n{}COMMIT;\n",
                "-- migrate:bogus\n".repeat(directives)
            ),
        );
    let problems = f.problems();
    let of = |file: &str, rule| {
        problems
            .iter()
            .filter(|p| p.0 == file && p.2 == rule)
            .map(|p| p.1.expect("a line"))
            .collect::<Vec<_>>()
    };
    // Twenty at their lines, then one more at the line of the first not
    // listed, for each rule of each file.
    let up = of("0001_a.up.sql", Rule::TransactionControl);
    assert_eq!(up, (1..=21).collect::<Vec<_>>());
    let down = of("0001_a.down.sql", Rule::InvalidDirective);
    assert_eq!(down, (2..=22).collect::<Vec<_>>());
    let commit = of("0001_a.down.sql", Rule::TransactionControl);
    assert_eq!(commit, [directives + 2]);
    assert_eq!(problems.len(), up.len() + down.len() + commit.len());

    let messages = f.messages();
    let more = |file: &str, line: usize, n: usize, rule: &str| {
        format!("{file}:{line}: and {n} more of this rule from this line on, not listed (a file lists at most 20 of each rule) [{rule}]")
    };
    assert!(messages.contains(&more(
        "0001_a.up.sql",
        21,
        begins - 20,
        "transaction-control"
    )));
    assert!(messages.contains(&more(
        "0001_a.down.sql",
        22,
        directives - 20,
        "invalid-directive"
    )));
    assert!(messages[0].starts_with("0001_a.down.sql:2: directive `-- migrate:bogus` must stand"));
}

#[cfg(unix)]
mod unix {
    use std::fs;
    use std::os::unix::fs::symlink;
    use std::os::unix::net::UnixListener;
    use std::path::{Path, PathBuf};
    use std::sync::mpsc::{self, RecvTimeoutError};
    use std::time::Duration;

    use super::*;

    /// Makes a FIFO with the system's `mkfifo` (std has no call for it).
    fn mkfifo(path: &Path) {
        let status = std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .expect("mkfifo runs");
        assert!(status.success(), "mkfifo {}", path.display());
    }

    /// What `scan` returns. The scanner once opened a FIFO and waited for a
    /// writer for ever: if it has not returned after a minute, the test
    /// opens and closes each of `fifos` until it does (the scanner reads
    /// an end of file), and fails.
    fn or_fail<T: Send>(fifos: &[PathBuf], scan: impl FnOnce() -> T + Send) -> T {
        std::thread::scope(|s| {
            let (tx, rx) = mpsc::channel();
            s.spawn(move || tx.send(scan()));
            match rx.recv_timeout(Duration::from_secs(60)) {
                Err(RecvTimeoutError::Timeout) => {
                    // Read and write: Linux opens a FIFO so without waiting.
                    let mut open = fs::OpenOptions::new();
                    open.read(true).write(true);
                    while let Err(RecvTimeoutError::Timeout) =
                        rx.recv_timeout(Duration::from_millis(10))
                    {
                        fifos.iter().for_each(|f| drop(open.open(f)));
                    }
                    panic!("the scanner was blocked reading a FIFO");
                }
                found => found.expect("the scan ends"),
            }
        })
    }

    #[test]
    fn special_files_are_never_opened() {
        // (Their down files would be down files without an up file.)
        let f = Folder::new()
            .pair("0001_a")
            .file("seeds/dev/001.sql", "SELECT 1;\n");
        let p = f.path();
        mkfifo(&p.join("0002_b.up.sql"));
        let _socket = UnixListener::bind(p.join("0003_c.up.sql")).expect("a socket");
        symlink("/dev/null", p.join("0004_d.up.sql")).unwrap();
        mkfifo(&p.join("seeds/dev/002.sql"));
        mkfifo(&p.join("seeds/qa"));
        // A FIFO by any other name is never read either; a hidden one is
        // ignored.
        mkfifo(&p.join("notes"));
        mkfifo(&p.join(".pipe"));
        let fifos = ["0002_b.up.sql", "seeds/dev/002.sql", "notes"].map(|n| p.join(n));
        assert_eq!(
            or_fail(&fifos, || f.problems()),
            [
                folder_at("0002_b.up.sql", Rule::UnexpectedFile),
                folder_at("0003_c.up.sql", Rule::UnexpectedFile),
                folder_at("0004_d.up.sql", Rule::UnexpectedFile),
                folder_at("notes", Rule::UnexpectedFile),
                folder_at("seeds/dev/002.sql", Rule::UnexpectedFile),
                folder_at("seeds/qa", Rule::UnexpectedFile),
            ]
        );
        let messages = f.messages();
        let why = "not a regular file; the scanner reads only regular files and symbolic links to them, and does not open this one [unexpected-file]";
        assert_eq!(
            messages[0],
            format!("0002_b.up.sql: a FIFO (named pipe), {why}")
        );
        assert_eq!(messages[1], format!("0003_c.up.sql: a socket, {why}"));
        assert_eq!(messages[2], format!("0004_d.up.sql: a device, {why}"));
    }

    #[test]
    fn links_out_of_the_folder_are_followed() {
        // Two services sharing migrations: links, relative or absolute, to
        // files and folders anywhere count as what they point to.
        let root = Folder::new()
            .pair("migrations/0001_a")
            .file("shared/0002_b.up.sql", "CREATE TABLE b (id int);\n")
            .file("shared/0002_b.down.sql", "DROP TABLE b;\n")
            .file("shared/seeds/dev/001.sql", "INSERT INTO b VALUES (1);\n")
            .dir("shared/0003_c.up.sql");
        let (dir, shared) = (root.path().join("migrations"), root.path().join("shared"));
        symlink("../shared/0002_b.up.sql", dir.join("0002_b.up.sql")).unwrap();
        symlink(shared.join("0002_b.down.sql"), dir.join("0002_b.down.sql")).unwrap();
        symlink("../shared/seeds", dir.join("seeds")).unwrap();
        let set = scan(&dir).unwrap_or_else(|e| panic!("{e}"));
        let b = &set.migrations()[1];
        assert_eq!(
            (b.up_file(), b.up_sql(), b.down_sql()),
            (
                "0002_b.up.sql",
                "CREATE TABLE b (id int);\n",
                Some("DROP TABLE b;\n")
            )
        );
        assert_eq!(set.seeds()[0].sql(), "INSERT INTO b VALUES (1);\n");

        // A link to a folder named like a migration is a folder; one to a
        // link to a FIFO is a FIFO; a link to nothing is unreadable.
        symlink("../shared/0003_c.up.sql", dir.join("0003_c.up.sql")).unwrap();
        mkfifo(&shared.join("fifo"));
        symlink("../shared/fifo", shared.join("link")).unwrap();
        symlink("../shared/link", dir.join("0004_d.up.sql")).unwrap();
        symlink("../shared/none.sql", dir.join("0005_e.up.sql")).unwrap();
        let error = or_fail(&[shared.join("fifo")], || scan(&dir)).expect_err("problems");
        let found: Vec<_> = error
            .problems()
            .iter()
            .map(|p| {
                (
                    p.file().strip_prefix(&dir).unwrap().to_owned(),
                    p.line(),
                    p.rule(),
                )
            })
            .collect();
        let at = |file: &str, line, rule| (Path::new(file).to_owned(), line, rule);
        assert_eq!(
            found[..3],
            [
                at("0003_c.up.sql", None, Rule::UnexpectedFile),
                at("0004_d.up.sql", None, Rule::UnexpectedFile),
                at("0005_e.up.sql", Some(1), Rule::Unreadable),
            ]
        );
    }
}

#[test]
fn the_summary_of_a_capped_rule_keeps_the_rule() {
    // Seeds are read by the same code: capped the same way.
    let f = Folder::new()
        .pair("0001_a")
        .file("seeds/dev/001.sql", "COMMIT;\n".repeat(25));
    let found = f.problems();
    assert_eq!(found.len(), 21);
    assert_eq!(
        found[20],
        at("seeds/dev/001.sql", 21, Rule::TransactionControl)
    );
}

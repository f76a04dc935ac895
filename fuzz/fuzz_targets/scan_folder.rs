//! The public scanner (`migrate_runtime::scan`) on a folder built from
//! structured input: migration-like names (sequences, timestamps, bad
//! digits, any string), up/down/code/other suffixes, seeds, and texts with
//! directives, literals, CRs, BOMs, NULs or bytes that are not UTF-8.
//! No panic; a valid set is ordered with statements inside their text; a
//! refused one has problems in order, under the folder, at real lines.
#![no_main]

use std::fs;
use std::path::Path;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use migrate_runtime::{scan, ScanError, ScannedSet};

#[derive(Arbitrary, Debug)]
struct Input {
    files: Vec<File>,
}

#[derive(Arbitrary, Debug)]
struct File {
    name: Name,
    text: Text,
}

#[derive(Arbitrary, Debug)]
enum Name {
    Migration {
        version: Version,
        words: Vec<Word>,
        kind: Kind,
    },
    Seed {
        env: Env,
        name: String,
    },
    Any(String),
}

#[derive(Arbitrary, Debug)]
enum Version {
    Sequence(u8),
    Padded(u16),
    Timestamp(u64),
    Digits(String),
}

#[derive(Arbitrary, Debug)]
enum Word {
    A,
    B,
    Users,
    Index1,
    Empty,
    Upper,
}

#[derive(Arbitrary, Debug)]
enum Kind {
    Up,
    Down,
    Code,
    Sql,
    Txt,
    Readme,
    Hidden,
}

#[derive(Arbitrary, Debug)]
enum Env {
    Dev,
    Test,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Text {
    Sql {
        directives: Vec<Directive>,
        statements: Vec<Statement>,
        crlf: bool,
        bom: bool,
    },
    Any(String),
    Bytes(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Directive {
    NoTransaction,
    Irreversible,
    LockTimeout(u16),
    StatementTimeout(String),
    Up,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Statement {
    Create,
    Begin,
    Commit,
    Trigger,
    Dollar,
    Unterminated,
    Nul,
    Any(String),
}

const MAX_FILES: usize = 12;

fuzz_target!(|input: Input| {
    let dir = tempfile::Builder::new()
        .prefix("scan-fuzz")
        .tempdir_in(scratch())
        .expect("a scratch folder");
    let mut written: Vec<(String, Vec<u8>)> = Vec::new();
    for file in input.files.iter().take(MAX_FILES) {
        let Some(rel) = file.name.path() else {
            continue;
        };
        let path = dir.path().join(&rel);
        if let Some(parent) = path.parent() {
            if fs::create_dir_all(parent).is_err() {
                continue;
            }
        }
        let bytes = file.text.bytes();
        if fs::write(&path, &bytes).is_ok() {
            written.retain(|(r, _)| *r != rel);
            written.push((rel, bytes));
        }
    }
    let first = scan(dir.path());
    // The same folder scans the same.
    assert_eq!(first, scan(dir.path()));
    match first {
        Ok(set) => check_set(&set),
        Err(e) => check_error(dir.path(), &e, &written),
    }
});

/// A folder in memory when there is one: a scan per input is then quick.
fn scratch() -> &'static Path {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm
    } else {
        Path::new("/tmp")
    }
}

fn check_set(set: &ScannedSet) {
    let mut last = 0;
    for m in set.migrations() {
        assert!(m.version() > last, "versions out of order");
        last = m.version();
        for (down, sql) in [(false, Some(m.up_sql())), (true, m.down_sql())] {
            let Some(sql) = sql else { continue };
            assert!(!sql.starts_with('\u{feff}') && !sql.contains('\r'));
            let mut end = 0;
            for &(s, e) in m.__embedded_statements(down) {
                assert!(end <= s && s < e && e <= sql.len());
                assert!(sql.is_char_boundary(s) && sql.is_char_boundary(e));
                end = e;
            }
        }
        if !m.is_code() {
            assert!(
                !m.__embedded_statements(false).is_empty(),
                "an empty up file"
            );
        }
    }
}

fn check_error(dir: &Path, e: &ScanError, written: &[(String, Vec<u8>)]) {
    let problems = e.problems();
    assert!(!problems.is_empty());
    for pair in problems.windows(2) {
        let key = |p: &migrate_runtime::Problem| (p.file().to_owned(), p.line());
        assert!(key(&pair[0]) <= key(&pair[1]), "problems out of order");
    }
    for p in problems {
        let rel = p
            .file()
            .strip_prefix(dir)
            .expect("a problem under the folder");
        let Some(line) = p.line() else { continue };
        assert!(line >= 1);
        let rel = rel.to_string_lossy();
        if let Some((_, bytes)) = written.iter().find(|(r, _)| *r == rel) {
            // CR and LF both end lines once normalised.
            let ends = bytes.iter().filter(|&&b| b == b'\n' || b == b'\r').count();
            assert!(line <= ends + 1, "{p}: line past the end");
        }
    }
}

impl Name {
    /// The path in the folder, or `None` for a name no file can have.
    fn path(&self) -> Option<String> {
        let path = match self {
            Name::Migration {
                version,
                words,
                kind,
            } => {
                let words: Vec<&str> = words.iter().take(4).map(Word::text).collect();
                let name = format!("{}_{}", version.text(), words.join("_"));
                match kind {
                    Kind::Up => format!("{name}.up.sql"),
                    Kind::Down => format!("{name}.down.sql"),
                    Kind::Code => format!("{name}.code"),
                    Kind::Sql => format!("{name}.sql"),
                    Kind::Txt => format!("{name}.txt"),
                    Kind::Readme => "README.md".to_owned(),
                    Kind::Hidden => format!(".{name}"),
                }
            }
            Name::Seed { env, name } => {
                let env = match env {
                    Env::Dev => "dev",
                    Env::Test => "test",
                    Env::Other(s) => component(s)?,
                };
                format!("seeds/{env}/{}", component(name)?)
            }
            Name::Any(s) => component(s)?.to_owned(),
        };
        Some(path)
    }
}

/// `s` as one path component, if it can be one.
fn component(s: &str) -> Option<&str> {
    let ok = !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '\0']) && s.len() < 200;
    ok.then_some(s)
}

impl Version {
    fn text(&self) -> String {
        match self {
            Version::Sequence(n) => n.to_string(),
            Version::Padded(n) => format!("{n:04}"),
            Version::Timestamp(n) => format!("{:014}", 19_700_101_000_000 + n % 80_000_000_000_000),
            Version::Digits(s) => s.chars().filter(|c| *c != '/' && *c != '\0').collect(),
        }
    }
}

impl Word {
    fn text(&self) -> &'static str {
        match self {
            Word::A => "a",
            Word::B => "b",
            Word::Users => "users",
            Word::Index1 => "index1",
            Word::Empty => "",
            Word::Upper => "Users",
        }
    }
}

impl Text {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Text::Sql {
                directives,
                statements,
                crlf,
                bom,
            } => {
                let mut s = String::new();
                if *bom {
                    s.push('\u{feff}');
                }
                for d in directives.iter().take(30) {
                    s.push_str(&d.text());
                    s.push('\n');
                }
                for st in statements.iter().take(30) {
                    s.push_str(&st.text());
                    s.push_str(";\n");
                }
                if *crlf {
                    s = s.replace('\n', "\r\n");
                }
                s.into_bytes()
            }
            Text::Any(s) => s.clone().into_bytes(),
            Text::Bytes(b) => b.clone(),
        }
    }
}

impl Directive {
    fn text(&self) -> String {
        match self {
            Directive::NoTransaction => "-- migrate:no-transaction".to_owned(),
            Directive::Irreversible => "-- migrate:irreversible".to_owned(),
            Directive::LockTimeout(ms) => format!("-- migrate:lock-timeout {ms}ms"),
            Directive::StatementTimeout(s) => format!("-- migrate:statement-timeout {s}"),
            Directive::Up => "-- migrate:up".to_owned(),
            Directive::Other(s) => format!("-- migrate:{s}"),
        }
    }
}

impl Statement {
    fn text(&self) -> String {
        match self {
            Statement::Create => {
                "CREATE TABLE t (id int PRIMARY KEY, s text DEFAULT ';')".to_owned()
            }
            Statement::Begin => "BEGIN".to_owned(),
            Statement::Commit => "COMMIT".to_owned(),
            Statement::Trigger => {
                "CREATE TRIGGER g AFTER INSERT ON t BEGIN UPDATE t SET s = 'x'; END".to_owned()
            }
            Statement::Dollar => "DO $$ BEGIN PERFORM 1; END $$".to_owned(),
            Statement::Unterminated => "SELECT 'open".to_owned(),
            Statement::Nul => "SELECT '\0'".to_owned(),
            Statement::Any(s) => s.clone(),
        }
    }
}

//! The scanner: reads a migrations folder, checks every rule and builds the
//! set. `embed_migrations!` calls it at build time and
//! [`Migrations::from_dir`](crate::Migrations::from_dir) at run time: one
//! code path for both.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use self::version::Scheme;
use crate::model::{digest_of, Body, Directives, Migration, Migrations, Script, Seed};
use crate::model::UNREGISTERED_CHECKSUM;
use crate::text::checksum::{checksum, normalize};
use crate::text::lexer as sql;

pub use self::problem::{Problem, Rule, ScanError};

mod directives;
pub(crate) use directives::of_stored as directives_of_stored;
pub(crate) mod problem;
mod seeds;
mod version;

/// A scanned and valid folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedSet {
    pub(crate) migrations: Vec<Migration>,
    pub(crate) seeds: Vec<Seed>,
    files: Vec<PathBuf>,
    /// Files whose text differs from their bytes (a BOM or CR stripped).
    normalized: Vec<PathBuf>,
}

impl ScannedSet {
    /// The migrations, ordered by version.
    #[must_use]
    pub fn migrations(&self) -> &[Migration] {
        &self.migrations
    }

    /// The seed files, by environment then name.
    #[must_use]
    pub fn seeds(&self) -> &[Seed] {
        &self.seeds
    }

    /// The digest of the whole set applied, which the no-op boot compares
    /// with the one stored in the database.
    #[must_use]
    pub fn digest(&self) -> String {
        digest_of(&self.migrations)
    }

    /// Every migration file read, for the macro to track for rebuilds.
    #[must_use]
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// Whether the file's text, as the set holds it, is its bytes on disk
    /// unchanged (no BOM or CR was stripped), so that `include_str!` of the
    /// file yields it.
    #[must_use]
    pub fn is_verbatim(&self, path: &Path) -> bool {
        !self.normalized.iter().any(|p| p == path)
    }
}

impl Migrations {
    /// Scans and validates a migrations folder at run time, with the same
    /// scanner `embed_migrations!` uses at build time.
    ///
    /// # Errors
    /// Returns every problem found in the folder (see [`ScanError`]).
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self, ScanError> {
        let dir = dir.as_ref();
        let set = scan(dir)?;
        Ok(Migrations {
            dir: Cow::Owned(dir.display().to_string()),
            digest: Cow::Owned(digest_of(&set.migrations)),
            items: Cow::Owned(set.migrations),
            seeds: Cow::Owned(set.seeds),
        })
    }
}

/// Up, down, the marker of a code migration, or a seed file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Direction {
    Up,
    Down,
    Code,
    Seed,
}

/// One migration file, read and checked on its own.
#[derive(Debug)]
struct FileEntry {
    file_name: String,
    version: u64,
    scheme: Scheme,
    name: String,
    direction: Direction,
    /// Normalised text and directives; `None` when the file was unreadable.
    text: Option<(String, Directives)>,
}

/// Scans and validates the folder `dir`.
///
/// # Errors
/// Returns every problem found, not only the first.
pub fn scan(dir: &Path) -> Result<ScannedSet, ScanError> {
    let mut problems = Vec::new();
    let mut entries = Vec::new();
    let mut files = Vec::new();
    let mut normalized = Vec::new();
    let mut seeds = Vec::new();

    let names = match list(dir) {
        Ok(names) => names,
        Err(message) => {
            return Err(ScanError {
                problems: vec![Problem::folder(dir, Rule::MissingFolder, message)],
            })
        }
    };
    for (file_name, is_dir) in names {
        let path = dir.join(&file_name);
        if is_ignored(&file_name) {
            continue;
        }
        if is_dir && file_name == "seeds" {
            seeds = seeds::scan_seeds(dir, &mut problems, &mut files, &mut normalized);
            continue;
        }
        if is_dir {
            problems.push(Problem::folder(
                &path,
                Rule::UnexpectedFile,
                "unexpected folder in the migrations folder (only seeds/ may be there)".to_owned(),
            ));
            continue;
        }
        let Some(parsed) = parse_file_name(&path, &file_name, &mut problems) else {
            continue;
        };
        let text =
            read(&path, parsed.direction, &mut problems).map(|(text, directives, changed)| {
                if changed {
                    normalized.push(path.clone());
                }
                (text, directives)
            });
        files.push(path);
        entries.push(FileEntry { text, ..parsed });
    }

    let migrations = pair(dir, &entries, &mut problems);
    check_versions(dir, &entries, &mut problems);

    if problems.is_empty() {
        Ok(ScannedSet {
            migrations,
            seeds,
            files,
            normalized,
        })
    } else {
        problems.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        Err(ScanError { problems })
    }
}

/// The folder's entries as (name, is a folder), sorted by name.
fn list(dir: &Path) -> Result<Vec<(String, bool)>, String> {
    let read = fs::read_dir(dir).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "migrations folder does not exist".to_owned(),
        _ => format!("cannot read the migrations folder: {e}"),
    })?;
    let mut names = Vec::new();
    for entry in read {
        let entry = entry.map_err(|e| format!("cannot read the migrations folder: {e}"))?;
        // The entry's type comes with the listing; only a symbolic link
        // needs a `stat` (a linked file counts as the file).
        let is_dir = match entry.file_type() {
            Ok(t) if t.is_symlink() => fs::metadata(entry.path()).is_ok_and(|m| m.is_dir()),
            Ok(t) => t.is_dir(),
            Err(_) => false,
        };
        names.push((entry.file_name().to_string_lossy().into_owned(), is_dir));
    }
    names.sort();
    Ok(names)
}

/// Hidden files and READMEs are the only files a migrations folder may hold
/// besides migrations.
fn is_ignored(file_name: &str) -> bool {
    if file_name.starts_with('.') {
        return true;
    }
    let stem = file_name.split('.').next().unwrap_or(file_name);
    stem.eq_ignore_ascii_case("readme")
}

fn parse_file_name(path: &Path, file_name: &str, problems: &mut Vec<Problem>) -> Option<FileEntry> {
    let mut problem = |rule, message: String| problems.push(Problem::new(path, 1, rule, message));
    let (stem, direction) = if let Some(s) = file_name.strip_suffix(".up.sql") {
        (s, Direction::Up)
    } else if let Some(s) = file_name.strip_suffix(".down.sql") {
        (s, Direction::Down)
    } else if let Some(s) = file_name.strip_suffix(".code") {
        (s, Direction::Code)
    } else if file_name.ends_with(".sql") {
        problem(
            Rule::InvalidName,
            "file name must end in .up.sql or .down.sql".to_owned(),
        );
        return None;
    } else {
        problem(
            Rule::UnexpectedFile,
            "unexpected file; a migration is named NNNN_name.up.sql or NNNN_name.down.sql (NNNN_name.code marks a code migration)"
                .to_owned(),
        );
        return None;
    };
    let Some((digits, name)) = stem.split_once('_') else {
        problem(
            Rule::InvalidName,
            "file name must be a version, an underscore and a name, as in 0001_create_users.up.sql"
                .to_owned(),
        );
        return None;
    };
    let (version, scheme) = match version::parse(digits) {
        Ok(v) => v,
        Err((rule, message)) => {
            problem(rule, message);
            return None;
        }
    };
    if !is_snake_name(name) {
        problem(
            Rule::InvalidName,
            format!("name `{name}` must be lowercase letters and digits in words joined by single underscores"),
        );
        return None;
    }
    Some(FileEntry {
        file_name: file_name.to_owned(),
        version,
        scheme,
        name: name.to_owned(),
        direction,
        text: None,
    })
}

fn is_snake_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('_').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// Reads and checks one file: its normalised text, its directives, and
/// whether normalising changed it.
fn read(
    path: &Path,
    direction: Direction,
    problems: &mut Vec<Problem>,
) -> Option<(String, Directives, bool)> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            problems.push(Problem::new(
                path,
                1,
                Rule::Unreadable,
                format!("cannot read the file: {e}"),
            ));
            return None;
        }
    };
    let raw = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            let bytes = e.as_bytes();
            let valid = e.utf8_error().valid_up_to();
            let good = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
            let (line, column) = sql::line_col(good, good.len());
            problems.push(Problem::new(
                path,
                line,
                Rule::NotUtf8,
                format!(
                    "file is not valid UTF-8: byte 0x{:02x} at column {column}",
                    bytes[valid]
                ),
            ));
            return None;
        }
    };
    let text = normalize(&raw);
    let changed = text.len() != raw.len();
    if direction == Direction::Code {
        // A marker's text is free: it describes the code.
        return Some((text, Directives::default(), changed));
    }
    let lexed = match sql::lex(&text) {
        Ok(l) => l,
        Err(open) => {
            let (line, col) = sql::line_col(&text, open.start);
            problems.push(Problem::new(
                path,
                line,
                Rule::UnterminatedLiteral,
                format!("{} opened at column {col} is never closed", open.what),
            ));
            return None;
        }
    };
    let directives = directives::parse(path, &text, &lexed, direction == Direction::Up, problems);
    let statements = lexed.statements;
    if direction == Direction::Up && statements.is_empty() {
        problems.push(Problem::new(
            path,
            1,
            Rule::EmptyUp,
            "up file holds no SQL statement".to_owned(),
        ));
    }
    if !directives.no_transaction {
        for s in statements.iter().filter(|s| s.is_transaction_control()) {
            let (line, _) = sql::line_col(&text, s.start);
            problems.push(Problem::new(
                path,
                line,
                Rule::TransactionControl,
                format!(
                    "`{}` controls transactions, but the runner already runs each migration in a transaction of its own; remove it, or add `-- migrate:no-transaction` to run the file outside a transaction",
                    &text[s.start..s.end].split_whitespace().take(2).collect::<Vec<_>>().join(" ")
                ),
            ));
        }
    }
    Some((text, directives, changed))
}

/// Pairs up and down files by version and name, building the migrations.
fn pair(dir: &Path, entries: &[FileEntry], problems: &mut Vec<Problem>) -> Vec<Migration> {
    let mut by_key: BTreeMap<(u64, &str), [Option<&FileEntry>; 2]> = BTreeMap::new();
    let mut first_up: BTreeMap<u64, &str> = BTreeMap::new();
    for e in entries {
        let slot = by_key.entry((e.version, &e.name)).or_default();
        slot[usize::from(e.direction == Direction::Down)] = Some(e);
        if e.direction != Direction::Down {
            match first_up.get(&e.version) {
                Some(other) => problems.push(Problem::new(
                    dir.join(&e.file_name),
                    1,
                    Rule::DuplicateVersion,
                    format!("version {} is also used by {other}", e.version),
                )),
                None => {
                    first_up.insert(e.version, &e.file_name);
                }
            }
        }
    }
    let mut out = Vec::new();
    for ((version, name), [up, down]) in by_key {
        let Some(up) = up else {
            let down = down.expect("a key has an up or a down file");
            problems.push(Problem::new(
                dir.join(&down.file_name),
                1,
                Rule::DownWithoutUp,
                format!("down file has no up file {}", up_name(&down.file_name)),
            ));
            continue;
        };
        let Some((up_text, up_directives)) = &up.text else {
            continue;
        };
        if up.direction == Direction::Code {
            if let Some(d) = down {
                problems.push(Problem::new(
                    dir.join(&d.file_name),
                    1,
                    Rule::DownWithoutUp,
                    format!(
                        "{} marks a code migration, whose down is a Rust function registered with it, not a file",
                        up.file_name
                    ),
                ));
            }
            out.push(Migration {
                version,
                name: Cow::Owned(name.to_owned()),
                up: Script {
                    file: Cow::Owned(up.file_name.clone()),
                    sql: Cow::Owned(up_text.clone()),
                    directives: Directives::default(),
                },
                down: None,
                checksum: Cow::Borrowed(UNREGISTERED_CHECKSUM),
                irreversible: false,
                body: Body::Code(None),
            });
            continue;
        }
        let down_script = match down {
            Some(d) if up_directives.irreversible => {
                problems.push(Problem::new(
                    dir.join(&d.file_name),
                    1,
                    Rule::IrreversibleWithDown,
                    format!(
                        "{} is marked `-- migrate:irreversible` but has this down file",
                        up.file_name
                    ),
                ));
                None
            }
            Some(d) => d.text.as_ref().map(|(sql, dirs)| Script {
                file: Cow::Owned(d.file_name.clone()),
                sql: Cow::Owned(sql.clone()),
                directives: *dirs,
            }),
            None if up_directives.irreversible => None,
            None => {
                problems.push(Problem::new(
                    dir.join(&up.file_name),
                    1,
                    Rule::MissingDown,
                    format!(
                        "no down file {}; write one, or start the up file with `-- migrate:irreversible`",
                        up.file_name.replace(".up.sql", ".down.sql")
                    ),
                ));
                None
            }
        };
        out.push(Migration {
            version,
            name: Cow::Owned(name.to_owned()),
            up: Script {
                file: Cow::Owned(up.file_name.clone()),
                sql: Cow::Owned(up_text.clone()),
                directives: *up_directives,
            },
            down: down_script,
            checksum: Cow::Owned(checksum(up_text)),
            irreversible: up_directives.irreversible,
            body: Body::Sql,
        });
    }
    out
}

fn up_name(down_file: &str) -> String {
    down_file.replace(".down.sql", ".up.sql")
}

/// One scheme per set; sequences start at 1 and have no gaps.
fn check_versions(dir: &Path, entries: &[FileEntry], problems: &mut Vec<Problem>) {
    let mut versions: BTreeMap<u64, (&str, Scheme)> = BTreeMap::new();
    for e in entries.iter().filter(|e| e.direction != Direction::Down) {
        versions
            .entry(e.version)
            .or_insert((&e.file_name, e.scheme));
    }
    let count = |s| versions.values().filter(|(_, v)| *v == s).count();
    let (sequences, timestamps) = (count(Scheme::Sequence), count(Scheme::Timestamp));
    if sequences > 0 && timestamps > 0 {
        // Blame the files of the smaller group.
        let (odd, usual) = if sequences <= timestamps {
            (Scheme::Sequence, Scheme::Timestamp)
        } else {
            (Scheme::Timestamp, Scheme::Sequence)
        };
        for (version, (file, _)) in versions.iter().filter(|(_, (_, s))| *s == odd) {
            problems.push(Problem::new(
                dir.join(file),
                1,
                Rule::MixedSchemes,
                format!("version {version} is a {odd} but the other migrations use {usual}s; use one scheme per folder"),
            ));
        }
        return;
    }
    if sequences == 0 {
        return;
    }
    let mut expected = 1;
    for (&v, (file, _)) in &versions {
        if v != expected {
            let missing = if v - expected == 1 {
                format!("version {expected} is missing")
            } else {
                format!("versions {expected} to {} are missing", v - 1)
            };
            problems.push(Problem::new(
                dir.join(file),
                1,
                Rule::SequenceGap,
                format!(
                    "{missing} before version {v}; sequence numbers start at 1 and have no gaps"
                ),
            ));
        }
        expected = v + 1;
    }
}

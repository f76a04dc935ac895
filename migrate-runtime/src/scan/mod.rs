//! The scanner: reads a migrations folder, checks every rule and builds the
//! set. `embed_migrations!` calls it at build time and
//! [`Migrations::from_dir`](crate::Migrations::from_dir) at run time: one
//! code path for both.

use std::borrow::Cow;
use std::fs;
use std::path::{Path, PathBuf};

use self::version::Scheme;
use crate::model::{digest_of, Directives, Migration, Migrations, Seed, Span};

pub use self::problem::{Problem, Rule, ScanError};

pub(crate) mod directives;
pub(crate) use directives::of_stored as directives_of_stored;
pub(crate) mod names;
mod pairing;
pub(crate) mod problem;
mod rules;
mod seeds;
#[cfg(test)]
mod tests;
pub(crate) mod version;

/// A scanned and valid folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedSet {
    pub(crate) migrations: Vec<Migration>,
    pub(crate) seeds: Vec<Seed>,
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
pub(crate) enum Direction {
    Up,
    Down,
    Code,
    Seed,
}

/// One migration file, read and checked on its own.
#[derive(Debug)]
pub(crate) struct FileEntry {
    file_name: String,
    pub(crate) version: u64,
    pub(crate) scheme: Scheme,
    pub(crate) name: String,
    pub(crate) direction: Direction,
    /// Normalised text and directives; `None` when the file was unreadable.
    text: Option<(String, Directives, Vec<Span>)>,
}

/// Scans and validates the folder `dir`.
///
/// # Errors
/// Returns every problem found, not only the first.
pub fn scan(dir: &Path) -> Result<ScannedSet, ScanError> {
    let names = list(dir).map_err(|message| ScanError {
        problems: vec![Problem::folder(dir, Rule::MissingFolder, message)],
    })?;
    let mut problems = Vec::new();
    let mut entries = Vec::new();
    let mut normalized = Vec::new();
    let mut seeds = Vec::new();
    for (file_name, kind) in names {
        if is_ignored(&file_name) {
            continue;
        }
        let path = dir.join(&file_name);
        match kind {
            Kind::Folder if file_name == "seeds" => {
                seeds = seeds::scan_seeds(dir, &mut problems, &mut normalized);
            }
            Kind::Folder => problems.push(Problem::folder(
                &path,
                Rule::UnexpectedFile,
                "unexpected folder in the migrations folder (only seeds/ may be there)".to_owned(),
            )),
            Kind::Special(what) => problems.push(special(&path, what)),
            Kind::File => {
                if let Some(parsed) = names::parse_file_name(&path, &file_name, &mut problems) {
                    let text = rules::read(&path, parsed.direction, &mut problems).map(|read| {
                        if read.changed {
                            normalized.push(path);
                        }
                        (read.text, read.directives, read.statements)
                    });
                    entries.push(FileEntry { text, ..parsed });
                }
            }
        }
    }

    // The order matters for problems of the same file and line (the sort
    // below is stable): the file's own, then pairing, then versions.
    let migrations = pairing::pair(dir, &entries, &mut problems);
    version::check_versions(dir, &entries, &mut problems);

    if problems.is_empty() {
        Ok(ScannedSet {
            migrations,
            seeds,
            normalized,
        })
    } else {
        problems.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        Err(ScanError { problems })
    }
}

/// What a folder's entry is; a symbolic link counts as what it points to,
/// wherever that is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A regular file, or an entry whose kind is unknown (a dangling link):
    /// reading it tells.
    File,
    Folder,
    /// A FIFO, a socket or a device, which the scanner never opens: reading
    /// one could wait for ever (a FIFO without a writer) or never end.
    Special(&'static str),
}

/// The folder's entries as (name, kind), sorted by name.
fn list(dir: &Path) -> Result<Vec<(String, Kind)>, String> {
    let read = fs::read_dir(dir).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "migrations folder does not exist".to_owned(),
        _ => format!("cannot read the migrations folder: {e}"),
    })?;
    let mut names = Vec::new();
    for entry in read {
        let entry = entry.map_err(|e| format!("cannot read the migrations folder: {e}"))?;
        // The entry's type comes with the listing; only a symbolic link
        // needs a `stat`, which follows it (to anywhere: see the README).
        let kind = match entry.file_type() {
            Ok(t) if t.is_symlink() => {
                fs::metadata(entry.path()).map_or(Kind::File, |m| kind_of(m.file_type()))
            }
            Ok(t) => kind_of(t),
            Err(_) => Kind::File,
        };
        names.push((entry.file_name().to_string_lossy().into_owned(), kind));
    }
    names.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(names)
}

fn kind_of(t: fs::FileType) -> Kind {
    if t.is_dir() {
        return Kind::Folder;
    }
    if t.is_file() {
        return Kind::File;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if t.is_fifo() {
            return Kind::Special("a FIFO (named pipe)");
        }
        if t.is_socket() {
            return Kind::Special("a socket");
        }
        if t.is_block_device() || t.is_char_device() {
            return Kind::Special("a device");
        }
    }
    Kind::Special("a special file")
}

/// The problem of an entry that is neither a regular file nor a folder.
/// It is `unexpected-file`, like a folder named as a migration: the entry
/// is the wrong kind of thing, and the scanner does not try to read it.
/// (`unreadable` is a regular file that could not be read: its permissions,
/// an I/O error, a link to nothing.) It has no lines.
fn special(path: &Path, what: &str) -> Problem {
    Problem::folder(
        path,
        Rule::UnexpectedFile,
        format!("{what}, not a regular file; the scanner reads only regular files and symbolic links to them, and does not open this one"),
    )
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

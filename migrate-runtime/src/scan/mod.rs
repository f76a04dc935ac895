//! The scanner: reads a migrations folder, checks every rule and builds the
//! set. `embed_migrations!` calls it at build time and
//! [`Migrations::from_dir`](crate::Migrations::from_dir) at run time: one
//! code path for both.

use std::borrow::Cow;
use std::fs;
use std::path::{Path, PathBuf};

use self::version::Scheme;
use crate::model::{digest_of, Directives, Migration, Migrations, Seed, Span};

pub use self::layout::{Layout, UnknownLayout};
pub use self::options::ScanOptions;
pub use self::problem::{Problem, ScanError};
pub use self::rule::{Rule, Severity, UnknownRule};

pub(crate) mod directives;
pub(crate) use directives::of_stored as directives_of_stored;
mod checks;
mod files;
mod folders;
mod foreign;
mod layout;
mod lint;
mod lint_actions;
pub(crate) mod names;
mod options;
mod pairing;
pub(crate) mod problem;
mod rule;
mod rules;
mod sections;
mod seeds;
#[cfg(feature = "pg-syntax")]
mod syntax;
#[cfg(test)]
mod tests;
pub(crate) mod version;
mod yoyo;

/// A scanned and valid folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedSet {
    pub(crate) migrations: Vec<Migration>,
    pub(crate) seeds: Vec<Seed>,
    /// Files whose text differs from their bytes (a BOM or CR stripped, or
    /// a file holding two sections).
    normalized: Vec<PathBuf>,
    layout: Layout,
    ignored: Vec<PathBuf>,
    notes: Vec<String>,
    warnings: Vec<Problem>,
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
    /// unchanged (no BOM or CR was stripped, and it holds one script), so
    /// that `include_str!` of the file yields it.
    #[must_use]
    pub fn is_verbatim(&self, path: &Path) -> bool {
        !self.normalized.iter().any(|p| p == path)
    }

    /// The folder's layout, as declared or as its files show it.
    #[must_use]
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The files the layout's tool itself passes over (a README, a stray
    /// file beside diesel's folders), left out of the set.
    #[must_use]
    pub fn ignored(&self) -> &[PathBuf] {
        &self.ignored
    }

    /// What the scan decided that is no problem but worth saying: a down
    /// file of another tool's layout that holds no statement makes its
    /// migration irreversible.
    #[must_use]
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The findings of the rules set to [`Severity::Warn`] (by default the
    /// lint of lock and rewrite hazards), ordered by file and line: what
    /// `migrate check` prints and the build lets pass.
    #[must_use]
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }
}

impl Migrations {
    /// Scans and validates a migrations folder at run time, with the same
    /// scanner `embed_migrations!` uses at build time; the layout is the
    /// one its files show (see [`Layout`]).
    ///
    /// # Errors
    /// Returns every problem found in the folder (see [`ScanError`]).
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self, ScanError> {
        Self::from_dir_with(dir, &ScanOptions::new())
    }

    /// [`Migrations::from_dir`] with what `migrate.toml` and the macro's
    /// arguments declare: the layout, the engine, the lint's severities.
    ///
    /// # Errors
    /// Returns every problem found in the folder (see [`ScanError`]).
    pub fn from_dir_with(dir: impl AsRef<Path>, options: &ScanOptions) -> Result<Self, ScanError> {
        let dir = dir.as_ref();
        let set = scan_with(dir, options)?;
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

/// One migration script (a file, or a section of one), read and checked
/// on its own.
#[derive(Debug)]
pub(crate) struct FileEntry {
    /// The file, relative to the folder (`0001_a.up.sql`,
    /// `2024-01-01-000000_a/up.sql`).
    pub(crate) file_name: String,
    pub(crate) version: u64,
    pub(crate) scheme: Scheme,
    pub(crate) name: String,
    pub(crate) direction: Direction,
    /// Normalised text and directives; `None` when the file was unreadable.
    pub(crate) text: Option<(String, Directives, Vec<Span>)>,
}

/// What a scan gathers: the scripts, problems, and what the set reports.
pub(crate) struct Gathered<'d> {
    pub(crate) dir: &'d Path,
    pub(crate) layout: Layout,
    pub(crate) problems: Vec<Problem>,
    pub(crate) entries: Vec<FileEntry>,
    pub(crate) normalized: Vec<PathBuf>,
    pub(crate) ignored: Vec<PathBuf>,
    pub(crate) notes: Vec<String>,
}

impl Gathered<'_> {
    /// A file the layout's tool passes over.
    pub(crate) fn ignore(&mut self, file: &str) {
        self.ignored.push(self.dir.join(file));
    }

    /// A problem with a whole file of the folder.
    pub(crate) fn whole_file(&mut self, file: &str, rule: Rule, message: String) {
        self.problems
            .push(Problem::whole_file(self.dir.join(file), rule, message));
    }
}

/// Scans and validates the folder `dir`, its layout told from its files.
///
/// # Errors
/// Returns every problem found, not only the first.
pub fn scan(dir: &Path) -> Result<ScannedSet, ScanError> {
    scan_with(dir, &ScanOptions::new())
}

/// Scans and validates the folder `dir` as `options` say: its layout (or
/// told from its files, see [`Layout`]), its engine, the lint's
/// severities.
///
/// # Errors
/// Returns every problem found, not only the first; warnings are in the
/// set ([`ScannedSet::warnings`]).
pub fn scan_with(dir: &Path, options: &ScanOptions) -> Result<ScannedSet, ScanError> {
    let folder_problem = |problem| ScanError {
        problems: vec![problem],
    };
    let listing: Vec<(String, Kind)> = list(dir)
        .map_err(|message| folder_problem(Problem::folder(dir, Rule::MissingFolder, message)))?
        .into_iter()
        .filter(|(name, _)| !name.starts_with('.'))
        .collect();
    let layout = match options.declared_layout() {
        Some(l) => l,
        None => layout::detect(dir, &listing).map_err(folder_problem)?,
    };
    let mut g = Gathered {
        dir,
        layout,
        problems: Vec::new(),
        entries: Vec::new(),
        normalized: Vec::new(),
        ignored: Vec::new(),
        notes: Vec::new(),
    };
    let mut seeds = Vec::new();
    let mut rest = Vec::new();
    for (file_name, kind) in listing {
        let path = dir.join(&file_name);
        match kind {
            _ if is_ignored(&file_name) => g.ignore(&file_name),
            Kind::Folder if file_name == "seeds" => {
                seeds = seeds::scan_seeds(dir, &mut g.problems, &mut g.normalized);
            }
            Kind::Special(what) => g.problems.push(special(&path, what)),
            _ => rest.push((file_name, kind)),
        }
    }
    match layout {
        Layout::Native => files::native(&mut g, &rest),
        Layout::Sqlx | Layout::GolangMigrate | Layout::Refinery | Layout::Sections => {
            files::foreign(&mut g, &rest);
        }
        Layout::Diesel => folders::diesel(&mut g, &rest),
        Layout::VersionsRollbacks => folders::versions_rollbacks(&mut g, &rest),
        Layout::Yoyo => yoyo::scan(&mut g, &rest),
    }

    // The order matters for problems of the same file and line (the sort
    // below is stable): the file's own, then pairing, then versions.
    let migrations = pairing::pair(&mut g);
    if layout == Layout::Native {
        version::check_versions(dir, &g.entries, &mut g.problems);
    }
    let Gathered {
        problems,
        normalized,
        ignored,
        notes,
        ..
    } = g;
    let (mut problems, mut warnings) = options.sort(problems);
    let by_place = |a: &Problem, b: &Problem| (&a.file, a.line).cmp(&(&b.file, b.line));
    warnings.sort_by(by_place);
    if problems.is_empty() {
        Ok(ScannedSet {
            migrations,
            seeds,
            normalized,
            layout,
            ignored,
            notes,
            warnings,
        })
    } else {
        problems.sort_by(by_place);
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

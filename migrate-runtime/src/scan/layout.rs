//! Layouts: how a folder's files hold its migrations — migrate's own
//! pairs, or another tool's — and telling them apart where their shapes
//! differ.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use super::problem::{Problem, Rule};
use super::Kind;

/// How a migrations folder lays out its migrations: `migrate`'s own pairs,
/// or the files of another tool, read as that tool reads them.
///
/// ```
/// use migrate_runtime::Layout;
/// assert_eq!("golang-migrate".parse::<Layout>(), Ok(Layout::GolangMigrate));
/// assert_eq!("dbmate".parse::<Layout>(), Ok(Layout::Sections));
/// assert_eq!(Layout::Diesel.to_string(), "diesel");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Layout {
    /// `NNNN_snake_name.up.sql` and `NNNN_snake_name.down.sql`, versions a
    /// gap-free sequence or 14-digit UTC timestamps.
    Native,
    /// One file per version, `<version>_<name>.sql`, with an up and a down
    /// section: dbmate (`-- migrate:up`, `-- migrate:down`), goose
    /// (`-- +goose Up`, `-- +goose Down`) or `-- Up Migration` /
    /// `-- Down Migration`.
    Sections,
    /// diesel: a folder `<version>_<name>/` per migration with `up.sql`,
    /// `down.sql` and an optional `metadata.toml`.
    Diesel,
    /// sqlx: `<version>_<name>.sql` (irreversible) or
    /// `<version>_<name>.up.sql` and `.down.sql`.
    Sqlx,
    /// golang-migrate: `<version>_<title>.up.sql` and `.down.sql`.
    GolangMigrate,
    /// refinery and Flyway: `V<version>__<name>.sql` (and refinery's `U`).
    Refinery,
    /// yoyo: `<id>.sql` and `<id>.rollback.sql`, ordered by id and
    /// `-- depends:`.
    Yoyo,
    /// `versions/NNN_name.sql` with `rollbacks/NNN_name_rollback.sql`.
    VersionsRollbacks,
}

impl Layout {
    const ALL: [Layout; 8] = [
        Layout::Native,
        Layout::Sections,
        Layout::Diesel,
        Layout::Sqlx,
        Layout::GolangMigrate,
        Layout::Refinery,
        Layout::Yoyo,
        Layout::VersionsRollbacks,
    ];

    /// The name `layout = "…"` takes.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Layout::Native => "native",
            Layout::Sections => "sections",
            Layout::Diesel => "diesel",
            Layout::Sqlx => "sqlx",
            Layout::GolangMigrate => "golang-migrate",
            Layout::Refinery => "refinery",
            Layout::Yoyo => "yoyo",
            Layout::VersionsRollbacks => "versions-rollbacks",
        }
    }

    /// Whether the layout is another tool's, whose rules are that tool's:
    /// any version (gaps allowed), any name, an up file without a down
    /// file irreversible.
    pub(crate) fn is_foreign(self) -> bool {
        self != Layout::Native
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A layout name that is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLayout(String);

impl fmt::Display for UnknownLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Layout::ALL.iter().map(|l| l.name()).collect();
        write!(
            f,
            "unknown layout `{}` (known: {}; dbmate and goose are sections, flyway is refinery)",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownLayout {}

impl FromStr for Layout {
    type Err = UnknownLayout;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let found = match text {
            "dbmate" | "goose" => Some(Layout::Sections),
            "flyway" => Some(Layout::Refinery),
            _ => Layout::ALL.iter().copied().find(|l| l.name() == text),
        };
        found.ok_or_else(|| UnknownLayout(text.to_owned()))
    }
}

/// What in a folder points to a layout: the first entry seen for each.
#[derive(Default)]
struct Signs<'a> {
    diesel: Option<&'a str>,
    versions: Option<&'a str>,
    yoyo: Option<&'a str>,
    refinery: Option<&'a str>,
    sections: Option<&'a str>,
    single: Option<&'a str>,
    pairs: bool,
}

/// The layout of the folder `dir` (its entries `listing`, hidden files
/// and READMEs left out), from the shapes only one layout has: folders
/// holding `up.sql` (diesel), `versions/` (versions-rollbacks),
/// `.rollback.sql` files, `-- depends:` headers or Python steps named by
/// an id (yoyo), `V1__` names
/// (refinery), section markers (sections), single `.sql` files and no
/// pairs (sqlx). Pairs are native: golang-migrate's and sqlx's look the
/// same and are declared, as is a sqlx folder of pairs and single files.
/// Signs of two layouts are a problem.
pub(crate) fn detect(dir: &Path, listing: &[(String, Kind)]) -> Result<Layout, Problem> {
    let mut signs = Signs::default();
    for (name, kind) in listing {
        let path = dir.join(name);
        match kind {
            Kind::Folder if name == "versions" => {
                signs.versions.get_or_insert(name);
            }
            Kind::Folder if path.join("up.sql").exists() => {
                signs.diesel.get_or_insert(name);
            }
            Kind::File if name.ends_with(".rollback.sql") => {
                signs.yoyo.get_or_insert(name);
            }
            // yoyo's Python steps are named by their id, which starts with
            // a digit (`0001.initial-schema.py`, `20240101_01_x1y2z-name.py`);
            // a script beside the folder's SQL (`cli.py`) is no step.
            Kind::File
                if name.ends_with(".py") && name.starts_with(|c: char| c.is_ascii_digit()) =>
            {
                signs.yoyo.get_or_insert(name);
            }
            Kind::File if is_refinery_name(name) => {
                signs.refinery.get_or_insert(name);
            }
            Kind::File if name.ends_with(".up.sql") || name.ends_with(".down.sql") => {
                signs.pairs = true;
            }
            Kind::File if name.ends_with(".sql") => {
                let head = head_of(&path);
                if head
                    .lines()
                    .any(|l| l.trim_start().starts_with("-- depends:"))
                {
                    signs.yoyo.get_or_insert(name);
                } else if super::sections::has_markers(&head) {
                    signs.sections.get_or_insert(name);
                } else {
                    signs.single.get_or_insert(name);
                }
            }
            _ => {}
        }
    }
    let found: Vec<(Layout, &str)> = [
        (Layout::Diesel, signs.diesel),
        (Layout::VersionsRollbacks, signs.versions),
        (Layout::Yoyo, signs.yoyo),
        (Layout::Refinery, signs.refinery),
        (Layout::Sections, signs.sections),
    ]
    .into_iter()
    .filter_map(|(l, seen)| seen.map(|s| (l, s)))
    .collect();
    match found.as_slice() {
        // Single files beside pairs may be sqlx's, or native files missing
        // their `.up`: native, whose rules name each (sqlx says so).
        [] if signs.single.is_some() && !signs.pairs => Ok(Layout::Sqlx),
        [] => Ok(Layout::Native),
        // Single files beside sections are sections without markers, which
        // that layout reports file by file.
        [(layout, _)] => Ok(*layout),
        [(a, a_file), (b, b_file), ..] => Err(Problem::folder(
            dir,
            Rule::MixedLayouts,
            format!(
                "the folder looks like two layouts: {a} ({a_file}) and {b} ({b_file}); a folder has one: move one set of files, or say which with `layout = \"…\"`"
            ),
        )),
    }
}

/// `V1__name.sql`, `U2__name.sql`, `V1__name.rs`: refinery's and Flyway's
/// names.
pub(crate) fn is_refinery_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('V').or_else(|| name.strip_prefix('U')) else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && rest[digits..].starts_with("__")
}

/// The first 4 KiB of a file, as text (for its header's markers).
fn head_of(path: &Path) -> String {
    use std::io::Read as _;
    let mut head = Vec::new();
    if let Ok(file) = std::fs::File::open(path) {
        let _ = file.take(4096).read_to_end(&mut head);
    }
    String::from_utf8_lossy(&head).into_owned()
}

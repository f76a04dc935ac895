//! The migration model: one [`Migration`] per version, gathered in a
//! [`Migrations`] set (built at compile time by `embed_migrations!` or at run
//! time by [`Migrations::from_dir`]).

use std::borrow::Cow;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use crate::code::CodeMigration;
use crate::error::Error;
use crate::scan::{scan, ScanError};
use crate::seeds::Seed;

/// One migration: a version, a name, the up SQL and (unless irreversible)
/// the down SQL, with the checksum of the up SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub(crate) version: u64,
    pub(crate) name: Cow<'static, str>,
    pub(crate) up: Script,
    pub(crate) down: Option<Script>,
    pub(crate) checksum: Cow<'static, str>,
    pub(crate) irreversible: bool,
    pub(crate) body: Body,
}

/// What a migration runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Body {
    /// The up SQL.
    Sql,
    /// Rust functions, once registered for the marker file.
    Code(Option<Arc<CodeMigration>>),
}

/// The digest of a set with a code migration whose functions are not
/// registered: it matches no applied state, so the no-op boot reads the
/// table.
pub(crate) const UNREGISTERED_DIGEST: &str = "unregistered code migration";

/// The checksum a code marker has until its functions are registered.
pub(crate) const UNREGISTERED_CHECKSUM: &str = "code:?";

/// One SQL file of a migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Script {
    /// The file name, relative to the set's folder.
    pub(crate) file: Cow<'static, str>,
    /// The text, with line endings normalised to LF and any BOM stripped.
    pub(crate) sql: Cow<'static, str>,
    /// Whether the file carries `-- migrate:no-transaction`.
    pub(crate) no_transaction: bool,
}

impl Migration {
    /// The version: a sequence number or a 14-digit UTC timestamp.
    #[must_use]
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The name, in snake case, as in the file name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The up SQL (LF line endings, no BOM).
    #[must_use]
    pub fn up_sql(&self) -> &str {
        &self.up.sql
    }

    /// The up file's name, relative to the migrations folder.
    #[must_use]
    pub fn up_file(&self) -> &str {
        &self.up.file
    }

    /// The down SQL, absent for an irreversible migration.
    #[must_use]
    pub fn down_sql(&self) -> Option<&str> {
        self.down.as_ref().map(|d| &*d.sql)
    }

    /// The down file's name, relative to the migrations folder.
    #[must_use]
    pub fn down_file(&self) -> Option<&str> {
        self.down.as_ref().map(|d| &*d.file)
    }

    /// Whether the down SQL runs outside a transaction.
    #[must_use]
    pub fn down_no_transaction(&self) -> bool {
        self.down.as_ref().is_some_and(|d| d.no_transaction)
    }

    /// The checksum of the up SQL, as `sha256:<hex>`.
    #[must_use]
    pub fn checksum(&self) -> &str {
        &self.checksum
    }

    /// Whether the up SQL runs outside a transaction, statement by statement
    /// (`-- migrate:no-transaction`).
    #[must_use]
    pub fn no_transaction(&self) -> bool {
        self.up.no_transaction
    }

    /// Whether the migration is marked `-- migrate:irreversible` (a code
    /// migration: has no down function).
    #[must_use]
    pub fn irreversible(&self) -> bool {
        self.irreversible
    }

    /// Whether this is a code migration (a `.code` marker file).
    #[must_use]
    pub fn is_code(&self) -> bool {
        matches!(self.body, Body::Code(_))
    }

    /// The code version of a registered code migration.
    #[must_use]
    pub fn code_version(&self) -> Option<&str> {
        self.code().map(CodeMigration::code_version)
    }

    /// The registered functions of a code migration.
    pub(crate) fn code(&self) -> Option<&CodeMigration> {
        match &self.body {
            Body::Code(Some(c)) => Some(c),
            _ => None,
        }
    }

    /// Whether this is a code marker with no functions registered.
    pub(crate) fn is_unregistered(&self) -> bool {
        matches!(self.body, Body::Code(None))
    }

    /// What a dry run shows for the up step: the SQL, or for a code
    /// migration a comment naming the code and the marker's text.
    pub(crate) fn planned_up(&self) -> String {
        match self.code_version() {
            None if !self.is_code() => self.up.sql.to_string(),
            cv => format!(
                "-- Rust code (code version {}); the marker file says:\n{}",
                cv.unwrap_or("?, not registered"),
                self.up.sql
            ),
        }
    }
}

impl fmt::Display for Migration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.version, self.name)
    }
}

/// An ordered set of migrations, from `embed_migrations!` or
/// [`Migrations::from_dir`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrations {
    pub(crate) dir: Cow<'static, str>,
    pub(crate) items: Cow<'static, [Migration]>,
    pub(crate) seeds: Cow<'static, [Seed]>,
    /// The digest of the whole set applied (see `checksum::set_digest`).
    pub(crate) digest: Cow<'static, str>,
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

    /// The migrations, ordered by version.
    pub fn iter(&self) -> std::slice::Iter<'_, Migration> {
        self.items.iter()
    }

    /// The number of migrations.
    #[must_use]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the set holds no migration.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The migration with this version.
    #[must_use]
    pub fn get(&self, version: u64) -> Option<&Migration> {
        self.items
            .binary_search_by_key(&version, |m| m.version)
            .ok()
            .map(|i| &self.items[i])
    }

    /// This set with Rust functions registered for its code migrations
    /// (marker files `NNNN_name.code`).
    ///
    /// # Errors
    /// [`Error::InvalidCode`] when a code migration has no marker file of
    /// its version in the set, its version is an SQL migration's, its name
    /// differs from the marker's, it is registered twice, or it is
    /// inconsistent on its own (no up function, no code version, up
    /// functions in both modes, resumable but transactional).
    pub fn with_code(
        &self,
        code: impl IntoIterator<Item = CodeMigration>,
    ) -> Result<Migrations, Error> {
        let mut items = self.items.to_vec();
        for c in code {
            let fail = |reason: String| Error::InvalidCode {
                version: c.version,
                name: c.name.clone(),
                reason,
            };
            if let Some(problem) = c.problem() {
                return Err(fail(problem));
            }
            let Some(m) = items.iter_mut().find(|m| m.version == c.version) else {
                return Err(fail(format!(
                    "no marker file {:04}_{}.code in {}; a code migration takes its version in the folder with a marker file",
                    c.version, c.name, self.dir
                )));
            };
            match &m.body {
                Body::Sql => {
                    return Err(fail(format!(
                        "version {} is the SQL migration {}",
                        c.version, m.up.file
                    )))
                }
                Body::Code(Some(_)) => return Err(fail("registered twice".to_owned())),
                Body::Code(None) if m.name != c.name => {
                    return Err(fail(format!(
                        "its marker file {} names it `{}`",
                        m.up.file, m.name
                    )))
                }
                Body::Code(None) => {}
            }
            m.checksum = Cow::Owned(c.checksum());
            m.up.no_transaction = c.no_transaction();
            m.irreversible = !c.has_down();
            m.body = Body::Code(Some(Arc::new(c)));
        }
        Ok(Migrations {
            dir: self.dir.clone(),
            digest: Cow::Owned(digest_of(&items)),
            items: Cow::Owned(items),
            seeds: self.seeds.clone(),
        })
    }

    /// The seed files of an environment (`seeds/<env>/*.sql`), in name
    /// order.
    pub fn seeds<'a>(&'a self, env: &'a str) -> impl Iterator<Item = &'a Seed> + 'a {
        self.seeds.iter().filter(move |s| s.env == env)
    }

    /// The environments that have seed files, in name order.
    #[must_use]
    pub fn seed_envs(&self) -> Vec<&str> {
        let mut envs: Vec<&str> = self.seeds.iter().map(|s| &*s.env).collect();
        envs.dedup();
        envs
    }

    /// The folder the set was read from, as written in `embed_migrations!`
    /// or given to [`Migrations::from_dir`].
    #[must_use]
    pub fn dir(&self) -> &str {
        &self.dir
    }

    /// The path of a file of this set, for messages.
    pub(crate) fn path_of(&self, file: &str) -> String {
        Path::new(&*self.dir).join(file).display().to_string()
    }
}

/// The digest of the whole set applied (see `checksum::set_digest`), or
/// [`UNREGISTERED_DIGEST`].
pub(crate) fn digest_of(items: &[Migration]) -> String {
    if items.iter().any(Migration::is_unregistered) {
        return UNREGISTERED_DIGEST.to_owned();
    }
    crate::checksum::set_digest(items.iter().map(|m| (m.version, &*m.checksum)))
}

impl<'a> IntoIterator for &'a Migrations {
    type Item = &'a Migration;
    type IntoIter = std::slice::Iter<'a, Migration>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Constructors for the code `embed_migrations!` generates. Not public API.
#[doc(hidden)]
pub mod private {
    use super::{Body, Cow, Migration, Migrations, Script, Seed, UNREGISTERED_CHECKSUM};

    /// Builds a set from static data and its digest.
    #[must_use]
    pub const fn migrations(
        dir: &'static str,
        items: &'static [Migration],
        seeds: &'static [Seed],
        digest: &'static str,
    ) -> Migrations {
        Migrations {
            dir: Cow::Borrowed(dir),
            items: Cow::Borrowed(items),
            seeds: Cow::Borrowed(seeds),
            digest: Cow::Borrowed(digest),
        }
    }

    /// One SQL file: its name, its normalised text, and whether it runs
    /// outside a transaction.
    pub type StaticScript = (&'static str, &'static str, bool);

    /// Builds a migration from static data.
    #[must_use]
    pub const fn migration(
        version: u64,
        name: &'static str,
        checksum: &'static str,
        irreversible: bool,
        up: StaticScript,
        down: Option<StaticScript>,
    ) -> Migration {
        Migration {
            version,
            name: Cow::Borrowed(name),
            up: script(up),
            down: match down {
                Some(d) => Some(script(d)),
                None => None,
            },
            checksum: Cow::Borrowed(checksum),
            irreversible,
            body: Body::Sql,
        }
    }

    /// Builds a seed file from static data.
    #[must_use]
    pub const fn seed(
        env: &'static str,
        file: &'static str,
        sql: &'static str,
        checksum: &'static str,
    ) -> Seed {
        Seed {
            env: Cow::Borrowed(env),
            file: Cow::Borrowed(file),
            sql: Cow::Borrowed(sql),
            checksum: Cow::Borrowed(checksum),
        }
    }

    /// Builds the marker of a code migration from static data: its file
    /// name and text.
    #[must_use]
    pub const fn code_marker(
        version: u64,
        name: &'static str,
        file: &'static str,
        text: &'static str,
    ) -> Migration {
        Migration {
            version,
            name: Cow::Borrowed(name),
            up: script((file, text, false)),
            down: None,
            checksum: Cow::Borrowed(UNREGISTERED_CHECKSUM),
            irreversible: false,
            body: Body::Code(None),
        }
    }

    const fn script((file, sql, no_transaction): StaticScript) -> Script {
        Script {
            file: Cow::Borrowed(file),
            sql: Cow::Borrowed(sql),
            no_transaction,
        }
    }
}

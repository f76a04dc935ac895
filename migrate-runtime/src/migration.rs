//! The migration model: one [`Migration`] per version, gathered in a
//! [`Migrations`] set (built at compile time by `embed_migrations!` or at run
//! time by [`Migrations::from_dir`]).

use std::borrow::Cow;
use std::fmt;
use std::path::Path;

use crate::scan::{scan, ScanError};

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
}

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

    /// Whether the migration is marked `-- migrate:irreversible`.
    #[must_use]
    pub fn irreversible(&self) -> bool {
        self.irreversible
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
            digest: Cow::Owned(set.digest()),
            items: Cow::Owned(set.migrations),
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
    use super::{Cow, Migration, Migrations, Script};

    /// Builds a set from static data and its digest.
    #[must_use]
    pub const fn migrations(
        dir: &'static str,
        items: &'static [Migration],
        digest: &'static str,
    ) -> Migrations {
        Migrations {
            dir: Cow::Borrowed(dir),
            items: Cow::Borrowed(items),
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

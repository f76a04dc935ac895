//! What can go wrong making a test database or proving the downs.

use std::fmt;

use super::catalog::SchemaDiff;

/// Why a test database could not be made, or a down was not proved.
#[derive(Debug)]
#[non_exhaustive]
pub enum TestingError {
    /// Connecting, or the migration run, failed.
    Migrate(crate::Error),
    /// A statement of the helper's own (creating, cloning or dropping a
    /// database) failed.
    #[cfg(feature = "postgres")]
    Postgres {
        /// What the helper was doing.
        doing: &'static str,
        /// The server's error.
        source: crate::postgres::Error,
    },
    /// A statement of the helper's own on SQLite failed.
    #[cfg(feature = "sqlite-unbundled")]
    Sqlite {
        /// What the helper was doing.
        doing: &'static str,
        /// SQLite's error.
        source: crate::rusqlite::Error,
    },
    /// Copying or removing a file failed.
    Io {
        /// What the helper was doing.
        doing: &'static str,
        /// The error.
        source: std::io::Error,
    },
    /// The database cannot serve: the one given to prove the downs already
    /// holds migrations, or it is of the other engine.
    Unsuitable(String),
    /// A down migration did not restore the schema its up migration found.
    NotReversible(Box<NotReversible>),
}

/// The first migration whose down did not restore the schema: which one,
/// and what differs after its up and down from before its up.
#[derive(Debug)]
pub struct NotReversible {
    pub(crate) version: u64,
    pub(crate) name: String,
    pub(crate) diff: SchemaDiff,
}

impl NotReversible {
    /// The migration's version.
    #[must_use]
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The migration's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What differs from the schema before its up (`+` left behind by the
    /// down, `-` not restored, `~` changed).
    #[must_use]
    pub fn diff(&self) -> &SchemaDiff {
        &self.diff
    }
}

impl fmt::Display for NotReversible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the down migration of {} {} does not restore the schema its up migration found; after up and down, compared with before up:\n{}",
            self.version, self.name, self.diff
        )
    }
}

impl fmt::Display for TestingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TestingError::Migrate(e) => write!(f, "{e}"),
            #[cfg(feature = "postgres")]
            TestingError::Postgres { doing, source } => {
                write!(f, "{doing}: {}", pg_message(source))
            }
            #[cfg(feature = "sqlite-unbundled")]
            TestingError::Sqlite { doing, source } => write!(f, "{doing}: {source}"),
            TestingError::Io { doing, source } => write!(f, "{doing}: {source}"),
            TestingError::Unsuitable(why) => write!(f, "{why}"),
            TestingError::NotReversible(n) => write!(f, "{n}"),
        }
    }
}

impl std::error::Error for TestingError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TestingError::Migrate(e) => Some(e),
            #[cfg(feature = "postgres")]
            TestingError::Postgres { source, .. } => Some(source),
            #[cfg(feature = "sqlite-unbundled")]
            TestingError::Sqlite { source, .. } => Some(source),
            TestingError::Io { source, .. } => Some(source),
            TestingError::Unsuitable(_) | TestingError::NotReversible(_) => None,
        }
    }
}

impl From<crate::Error> for TestingError {
    fn from(e: crate::Error) -> Self {
        TestingError::Migrate(e)
    }
}

/// The server's message and SQLSTATE (the driver's own text is only
/// "db error").
#[cfg(feature = "postgres")]
fn pg_message(e: &crate::postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

//! The runner's errors.

use std::fmt;
use std::time::Duration;

/// Why a run stopped.
///
/// The refusals (drift, unknown applied, out of order, half applied) are each
/// their own variant, checked before anything is changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An applied migration's file changed since it was applied.
    #[error(
        "migration {version} ({file}) changed after it was applied: expected checksum {expected} (recorded when applied), found {found}"
    )]
    ChecksumMismatch {
        /// The version.
        version: u64,
        /// The migration's name.
        name: String,
        /// The up file.
        file: String,
        /// The checksum recorded in the tracking table.
        expected: String,
        /// The checksum of the embedded file.
        found: String,
    },

    /// The database has a migration applied that this set does not contain:
    /// the database is ahead of the binary.
    #[error(
        "migration {version} ({name}) is applied in the database but unknown to this set: the database is ahead of the binary"
    )]
    UnknownApplied {
        /// The version.
        version: u64,
        /// The name recorded in the tracking table.
        name: String,
    },

    /// A pending migration is older than the newest applied one.
    #[error(
        "migration {version} ({file}) is pending but older than the newest applied migration {latest_applied}; refusing to apply out of order"
    )]
    OutOfOrder {
        /// The pending version.
        version: u64,
        /// Its up file.
        file: String,
        /// The newest applied version.
        latest_applied: u64,
    },

    /// A no-transaction migration stopped halfway in an earlier run (or its
    /// runner died); its statements may be partly applied.
    #[error(
        "migration {version} ({file}) is marked `{status}` by an earlier no-transaction run that did not finish; check what it applied, complete or undo it by hand, then run `repair` (which removes the mark from {table} so that it runs again)"
    )]
    HalfApplied {
        /// The version.
        version: u64,
        /// Its up file (or the name recorded, if the set lacks it).
        file: String,
        /// The mark left in the tracking table: `in_progress` or `failed`.
        status: String,
        /// The tracking table.
        table: String,
    },

    /// A migration failed; its transaction was rolled back (or, without a
    /// transaction, it is marked as failed halfway).
    #[error("{}", MigrationFailedDisplay(self))]
    MigrationFailed {
        /// The version.
        version: u64,
        /// The migration's name.
        name: String,
        /// The file that failed.
        file: String,
        /// The 1-based line of the failing statement or error position.
        line: Option<usize>,
        /// The 1-based column (in characters).
        column: Option<usize>,
        /// The server's message.
        message: String,
        /// The server's detail.
        detail: Option<String>,
        /// The server's hint.
        hint: Option<String>,
        /// The SQLSTATE code, where the server gives one.
        code: Option<String>,
        /// Whether the migration ran without a transaction, so that what ran
        /// before the failure stays; its row is then marked `failed`.
        partial: bool,
    },

    /// A rollback reached a migration it cannot undo: marked irreversible,
    /// or with no down SQL in the set nor in its tracking row. The newer
    /// ones before it were rolled back; it and the older ones are untouched.
    #[error(
        "migration {version} ({name}) is irreversible: the rollback stopped before it, after rolling back {rolled_back} newer migration(s)"
    )]
    Irreversible {
        /// The version.
        version: u64,
        /// The name.
        name: String,
        /// How many newer migrations were rolled back before it.
        rolled_back: usize,
    },

    /// The migration lock could not be taken in time.
    #[error("timed out after {waited:?} waiting for the migration lock on {table}; another runner holds it")]
    LockTimeout {
        /// How long the runner waited.
        waited: Duration,
        /// The tracking table the lock is keyed on.
        table: String,
    },

    /// A runner option is invalid.
    #[error("invalid {option}: {reason}")]
    InvalidOption {
        /// The option.
        option: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// A seed file failed; its transaction rolled back.
    #[error("seed {file}{} failed: {message}", line.map_or_else(String::new, |l| format!(":{l}")))]
    SeedFailed {
        /// The seed file.
        file: String,
        /// The 1-based line of the failing statement or error position.
        line: Option<usize>,
        /// The database's message.
        message: String,
        /// The SQLSTATE (PostgreSQL) or SQLite error code.
        code: Option<String>,
    },

    /// A code migration cannot be registered or run: no marker file, a
    /// version taken by SQL, a name that differs from the marker's, no
    /// function for this database, or unregistered functions for a pending
    /// marker.
    #[error("code migration {version} ({name}): {reason}")]
    InvalidCode {
        /// The version.
        version: u64,
        /// The name.
        name: String,
        /// What is wrong.
        reason: String,
    },

    /// PostgreSQL reported an error outside a migration's own SQL.
    #[cfg(feature = "postgres")]
    #[error("postgres error while {context}")]
    Postgres {
        /// What the runner was doing.
        context: &'static str,
        /// The client's error.
        source: postgres::Error,
    },

    /// SQLite reported an error outside a migration's own SQL.
    #[cfg(feature = "sqlite")]
    #[error("sqlite error while {context}")]
    Sqlite {
        /// What the runner was doing.
        context: &'static str,
        /// The client's error.
        source: rusqlite::Error,
    },

    /// A file operation failed (the SQLite lock file).
    #[error("i/o error while {context}")]
    Io {
        /// What the runner was doing.
        context: &'static str,
        /// The error.
        source: std::io::Error,
    },
}

struct MigrationFailedDisplay<'a>(&'a Error);

impl fmt::Display for MigrationFailedDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Error::MigrationFailed {
            version,
            file,
            line,
            column,
            message,
            detail,
            hint,
            code,
            partial,
            ..
        } = self.0
        else {
            unreachable!("only used for MigrationFailed")
        };
        write!(f, "migration {version} failed at {file}")?;
        if let Some(line) = line {
            write!(f, ":{line}")?;
            if let Some(column) = column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {message}")?;
        if let Some(code) = code {
            write!(f, " (SQLSTATE {code})")?;
        }
        if let Some(detail) = detail {
            write!(f, "\n  detail: {detail}")?;
        }
        if let Some(hint) = hint {
            write!(f, "\n  hint: {hint}")?;
        }
        if *partial {
            write!(
                f,
                "\n  the migration runs without a transaction: what ran before the failure stays (a failed CREATE INDEX CONCURRENTLY leaves an invalid index) and it is marked `failed` in the tracking table, which stops later runs until it is resolved"
            )?;
        } else {
            write!(
                f,
                "\n  its transaction was rolled back; earlier migrations stay applied"
            )?;
        }
        Ok(())
    }
}

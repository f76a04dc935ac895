//! The runner's errors.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use super::failure::MigrationFailure;
use super::stopped::Stopped;
use crate::model::{Engine, MigrationState};

/// The error a database driver returned, kept as the `source()` of
/// [`Error::Database`] and of a [`MigrationFailure`]: a `postgres::Error`,
/// a `rusqlite::Error`, … (downcast it to reach the driver's own type).
pub type DriverError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a run stopped.
///
/// The refusals (drift, unknown applied, out of order, half applied) are each
/// their own variant, checked before anything is changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An applied migration's file changed since it was applied.
    #[error(
        "migration {version} ({file}) changed after it was applied: expected checksum {expected} (recorded when applied), found {found}; revert the edit and put the change in a new migration, or, if the edit changes nothing (a comment, formatting), accept it with `repair`"
    )]
    #[non_exhaustive]
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

    /// The database has a migration applied at a version where the set has
    /// another one (another name): a migration was deleted and a new one
    /// took its version. Its SQL would never run; `repair` does not accept
    /// it.
    #[error(
        "migration {version} was applied as `{applied}`, but {file} (`{name}`) has that version now: a new migration must take a new version (rename the file), or restore the deleted one"
    )]
    #[non_exhaustive]
    VersionReused {
        /// The version.
        version: u64,
        /// The name recorded when it was applied.
        applied: String,
        /// The name of the set's migration at that version.
        name: String,
        /// The set's up file at that version.
        file: String,
    },

    /// The database has a migration applied that this set does not contain:
    /// the database is ahead of the binary.
    #[error(
        "migration {version} ({name}) is applied in the database but this binary does not embed it: the database is ahead of the binary (deploy the newer one, or roll it back with `down`, which runs the down SQL stored when it was applied)"
    )]
    #[non_exhaustive]
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
    #[non_exhaustive]
    OutOfOrder {
        /// The pending version.
        version: u64,
        /// Its up file.
        file: String,
        /// The newest applied version.
        latest_applied: u64,
    },

    /// A no-transaction migration (or its down migration, for the
    /// `rolling_back` and `rollback_failed` marks) stopped halfway in an
    /// earlier run, or its runner died; its statements may have partly run.
    #[error("{}", half_applied(.version, .file, .state, .table))]
    #[non_exhaustive]
    HalfApplied {
        /// The version.
        version: u64,
        /// Its up file (or the name recorded, if the set lacks it).
        file: String,
        /// The mark left in the tracking table.
        state: MigrationState,
        /// The tracking table.
        table: String,
    },

    /// A migration failed; its transaction was rolled back (or, without a
    /// transaction, it is marked as failed halfway). The failure says where,
    /// why, and what the run applied before it.
    #[error(transparent)]
    MigrationFailed(Box<MigrationFailure>),

    /// A [`Stop`](crate::Stop) ended the run before it finished, between
    /// two migrations or (with [`Stop::cancel`](crate::Stop::cancel)) by
    /// interrupting one: what committed, what did not.
    #[error(transparent)]
    Stopped(Box<Stopped>),

    /// The connection was lost (the server restarted, the session was
    /// terminated) while migrations `first..=last` were being applied:
    /// which of them committed is unknown to this connection. `status` on
    /// a new connection tells; a no-transaction migration shows there as in
    /// progress.
    #[error(
        "the connection was lost while applying {}: whether {} committed is unknown; run `status` on a new connection to see what is applied",
        if first == last { format!("migration {first}") } else { format!("migrations {first} to {last}") },
        if first == last { "it" } else { "each" }
    )]
    #[non_exhaustive]
    ConnectionLost {
        /// The first version sent.
        first: u64,
        /// The last version sent.
        last: u64,
        /// The driver's error.
        source: DriverError,
    },

    /// A rollback reached a migration it cannot undo: marked irreversible,
    /// or with no down SQL in the set nor in its tracking row. The newer
    /// ones before it were rolled back; it and the older ones are untouched.
    #[error(
        "migration {version} ({name}) is irreversible: the rollback stopped before it, after rolling back {rolled_back} newer migration(s)"
    )]
    #[non_exhaustive]
    Irreversible {
        /// The version.
        version: u64,
        /// The name.
        name: String,
        /// How many newer migrations were rolled back before it.
        rolled_back: usize,
    },

    /// The database was migrated by another tool: its tracking table is
    /// there and ours is not, so a run would apply everything again. It is
    /// adopted first ([`Runner::adopt`](crate::Runner::adopt), `migrate adopt`).
    #[error(
        "this database was migrated by {tool} ({table}: {rows} row(s)) and has no {ours}: adopt it first (`migrate adopt --from {tool}`, or `.adopt(Foreign::…)` on the runner of a service's boot), which records what {tool} applied; a run now would apply those migrations again"
    )]
    #[non_exhaustive]
    ForeignTracking {
        /// The tool.
        tool: crate::model::Foreign,
        /// Its tracking table.
        table: String,
        /// The rows it holds.
        rows: usize,
        /// Our tracking table, which is missing.
        ours: String,
    },

    /// Another tool's tracking table says what adoption cannot take: a
    /// migration it left unfinished, a file changed since it applied it, a
    /// version this set cannot hold. Nothing was changed.
    #[error("cannot adopt what {tool} applied ({table}): {reason}")]
    #[non_exhaustive]
    Adoption {
        /// The tool.
        tool: crate::model::Foreign,
        /// Its tracking table.
        table: String,
        /// The version concerned, when there is one.
        version: Option<u64>,
        /// Why.
        reason: String,
    },

    /// The migration lock could not be taken in time: another runner
    /// holds it, or (`unanswered`) the server stopped answering the
    /// attempts. Nothing was changed.
    #[error("{}", lock_timeout(.waited, .table, *.unanswered))]
    #[non_exhaustive]
    LockTimeout {
        /// How long the runner waited.
        waited: Duration,
        /// The tracking table the lock is keyed on.
        table: String,
        /// The server did not answer the last attempt in time (an async
        /// client's wait ends on the runner's clock): the connection has
        /// a request in flight, behind which the lock's release is queued.
        unanswered: bool,
    },

    /// A runner option is invalid.
    #[error("invalid {option}: {reason}")]
    #[non_exhaustive]
    InvalidOption {
        /// The option.
        option: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// A seed file failed; its transaction rolled back.
    #[error(
        "seed {file}{} failed: {message}{}",
        line.map_or_else(String::new, |l| format!(":{l}")),
        code.as_ref().map_or_else(String::new, |c| format!(" ({c})"))
    )]
    #[non_exhaustive]
    SeedFailed {
        /// The seed file.
        file: String,
        /// The 1-based line of the failing statement or error position.
        line: Option<usize>,
        /// The database's message.
        message: String,
        /// The database's error code.
        code: Option<ErrorCode>,
    },

    /// A code migration cannot be registered or run: no marker file, a
    /// version taken by SQL, a name that differs from the marker's, no
    /// function for this database, or unregistered functions for a pending
    /// marker.
    #[error("code migration {version} ({name}): {reason}")]
    #[non_exhaustive]
    InvalidCode {
        /// The version.
        version: u64,
        /// The name.
        name: String,
        /// What is wrong.
        reason: String,
    },

    /// A tracking table holds something migrate never writes (a row edited
    /// by hand): the runner refuses to guess what it means.
    #[error("unexpected content in {table}: {reason}")]
    #[non_exhaustive]
    UnexpectedTracking {
        /// The table.
        table: String,
        /// What was found.
        reason: String,
    },

    /// The database reported an error outside a migration's own SQL.
    #[error("{engine} error while {context}")]
    #[non_exhaustive]
    Database {
        /// The database.
        engine: Engine,
        /// What the runner was doing.
        context: &'static str,
        /// The driver's error.
        source: DriverError,
    },

    /// A file operation failed (the SQLite lock file).
    #[error("i/o error while {context}")]
    #[non_exhaustive]
    Io {
        /// What the runner was doing.
        context: &'static str,
        /// The error.
        source: std::io::Error,
    },
}

impl Error {
    /// The migration failure, if this is one.
    #[must_use]
    pub fn migration_failure(&self) -> Option<&MigrationFailure> {
        match self {
            Error::MigrationFailed(f) => Some(f),
            _ => None,
        }
    }

    /// The database's error code: a failed migration's, or, for an error
    /// outside a migration's SQL (`Database`, `ConnectionLost`), the
    /// driver error's when it carries one.
    #[must_use]
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Error::MigrationFailed(f) => f.code().cloned(),
            Error::SeedFailed { code, .. } => code.clone(),
            Error::Database { source, .. } | Error::ConnectionLost { source, .. } => {
                driver_code(source.as_ref())
            }
            _ => None,
        }
    }

    /// A migration failure or a stop with `report`, what the run
    /// committed before it; any other error as it is.
    pub(crate) fn with_report(self, report: super::Report) -> Self {
        match self {
            Error::MigrationFailed(mut failure) => {
                failure.report = report;
                Error::MigrationFailed(failure)
            }
            Error::Stopped(mut stopped) => {
                stopped.report = report;
                Error::Stopped(stopped)
            }
            other => other,
        }
    }

    pub(crate) fn invalid_option(option: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidOption {
            option,
            reason: reason.into(),
        }
    }
}

/// The code a driver's error carries, if it is a database error.
/// The refusal's message for a migration left half applied, worded for the
/// direction that did not finish.
fn half_applied(version: &u64, file: &str, state: &MigrationState, table: &str) -> String {
    if state.is_rollback() {
        format!(
            "migration {version} ({file}) is marked `{state}` by an earlier no-transaction rollback that did not finish: what its down migration removed before it stopped is gone, the rest is still there; finish the rollback by hand and run `resolve {version} --rolled-back`, or restore what it removed and run `resolve {version} --applied` (either records the truth in {table}; `repair` will not guess)"
        )
    } else {
        format!(
            "migration {version} ({file}) is marked `{state}` by an earlier no-transaction run that did not finish; check what it applied, then either undo it by hand and run `repair` (which removes the mark from {table} so that it runs again) or complete it by hand and run `resolve {version} --applied`"
        )
    }
}

/// The lock timeout's message: who held the lock, or that nobody answered.
fn lock_timeout(waited: &Duration, table: &str, unanswered: bool) -> String {
    if unanswered {
        format!(
            "timed out after {waited:?} waiting for the migration lock on {table}: the server did not answer the last attempt (it stalled, or the network did); nothing was changed, and the lock is released behind the attempt should the server grant it later"
        )
    } else {
        format!("timed out after {waited:?} waiting for the migration lock on {table}; another runner holds it")
    }
}

/// The database's code of a driver error, looked for along its chain of
/// sources (a connection error wraps the driver's own).
fn driver_code(e: &(dyn std::error::Error + Send + Sync + 'static)) -> Option<ErrorCode> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(e) = next {
        if let Some(code) = own_code(e) {
            return Some(code);
        }
        next = e.source();
    }
    None
}

/// The code of one error, if it is a driver's error that has one.
fn own_code(e: &(dyn std::error::Error + 'static)) -> Option<ErrorCode> {
    #[cfg(feature = "postgres")]
    if let Some(code) = e
        .downcast_ref::<postgres::Error>()
        .and_then(postgres::Error::code)
    {
        return Some(ErrorCode::SqlState(SqlState::new(code.code())));
    }
    #[cfg(feature = "sqlite")]
    if let Some(rusqlite::Error::SqliteFailure(f, _)) = e.downcast_ref::<rusqlite::Error>() {
        return Some(ErrorCode::Sqlite(f.extended_code));
    }
    let _ = e;
    None
}

/// A database's error code: a PostgreSQL SQLSTATE, or SQLite's extended
/// result code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum ErrorCode {
    /// A PostgreSQL SQLSTATE.
    SqlState(SqlState),
    /// A SQLite extended result code (`SQLITE_CONSTRAINT_UNIQUE` is 2067).
    Sqlite(i32),
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorCode::SqlState(s) => write!(f, "SQLSTATE {s}"),
            ErrorCode::Sqlite(code) => write!(f, "SQLite code {code}"),
        }
    }
}

/// A PostgreSQL SQLSTATE: five characters, such as `55P03`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct SqlState(Cow<'static, str>);

impl SqlState {
    /// `55P03`: a statement gave up waiting for a lock (`lock_timeout`).
    pub const LOCK_NOT_AVAILABLE: SqlState = SqlState(Cow::Borrowed("55P03"));
    /// `57014`: a statement was cancelled (`statement_timeout`).
    pub const QUERY_CANCELED: SqlState = SqlState(Cow::Borrowed("57014"));
    /// `42P01`: the table does not exist.
    pub const UNDEFINED_TABLE: SqlState = SqlState(Cow::Borrowed("42P01"));
    /// `3F000`: the schema does not exist.
    pub const INVALID_SCHEMA_NAME: SqlState = SqlState(Cow::Borrowed("3F000"));

    /// The code as the server sent it.
    #[must_use]
    pub fn new(code: impl Into<String>) -> Self {
        SqlState(Cow::Owned(code.into()))
    }

    /// The five characters.
    #[must_use]
    pub fn code(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SqlState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

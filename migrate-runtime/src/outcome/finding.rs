//! [`Finding`]: a problem between the database and the set, as status
//! and verify report it, and the runner's refusal or warning for it.

use std::fmt;

use super::error::Error;
use super::warning::Warning;
use crate::model::{MigrationState, Migrations};

/// A problem between the database and the set. The runner refuses to run
/// on each of them (unknown and out of order can be relaxed by a policy).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "kind", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Finding {
    /// An applied migration whose file changed since.
    Drift {
        /// The version.
        version: u64,
        /// The up file.
        file: String,
        /// The checksum recorded when it was applied.
        expected: String,
        /// The checksum of the file now.
        found: String,
    },
    /// An applied version at which the set has another migration (another
    /// name): a migration was deleted and a new one took its version.
    /// `repair` does not clear it.
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
    /// An applied migration the set does not contain.
    UnknownApplied {
        /// The version.
        version: u64,
        /// The name recorded.
        name: String,
    },
    /// A pending migration older than the newest applied one.
    OutOfOrder {
        /// The pending version.
        version: u64,
        /// Its up file.
        file: String,
        /// The newest applied version.
        latest_applied: u64,
    },
    /// An invalid index (PostgreSQL): left by a `CREATE INDEX CONCURRENTLY`
    /// that failed (or is still running). Reported by status and verify;
    /// a migration that builds it is never recorded applied while it is.
    InvalidIndex {
        /// The index.
        name: String,
        /// Its table.
        table: String,
    },
    /// A no-transaction migration that did not finish.
    HalfApplied {
        /// The version.
        version: u64,
        /// The name recorded.
        name: String,
        /// `in_progress` or `failed` (applying), `rolling_back` or
        /// `rollback_failed` (rolling back).
        state: MigrationState,
    },
    /// The database has no tracking table of ours but another tool's: it
    /// was migrated by that tool, and is adopted before a run.
    Foreign {
        /// The tool.
        tool: crate::model::Foreign,
        /// Its tracking table.
        table: String,
        /// The rows it holds.
        rows: usize,
    },
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Drift { version, file, expected, found } => write!(
                f,
                "migration {version} ({file}) changed after it was applied: expected checksum {expected}, found {found}"
            ),
            Finding::UnknownApplied { version, name } => write!(
                f,
                "migration {version} ({name}) is applied but unknown to this set"
            ),
            Finding::OutOfOrder { version, file, latest_applied } => write!(
                f,
                "migration {version} ({file}) is pending but older than the newest applied migration {latest_applied}"
            ),
            Finding::VersionReused { version, applied, file, .. } => write!(
                f,
                "migration {version} was applied as `{applied}`, but {file} has that version: a new migration must take a new version"
            ),
            Finding::InvalidIndex { name, table } => write!(
                f,
                "index {name} on {table} is invalid: a CREATE INDEX CONCURRENTLY failed (or is still running); drop it and build it again"
            ),
            Finding::HalfApplied { version, name, state } if state.is_rollback() => write!(
                f,
                "migration {version} ({name}) is marked `{state}` by a no-transaction rollback that did not finish"
            ),
            Finding::HalfApplied { version, name, state } => write!(
                f,
                "migration {version} ({name}) is marked `{state}` by a no-transaction run that did not finish"
            ),
            Finding::Foreign { tool, table, rows } => write!(
                f,
                "migrated by {tool} ({table}: {rows} row(s)) and not adopted: run `migrate adopt --from {tool}` before migrating"
            ),
        }
    }
}

impl Finding {
    /// The runner's refusal for this finding.
    pub(crate) fn into_error(self, set: &Migrations, table: &str) -> Error {
        match self {
            Finding::Drift {
                version,
                file,
                expected,
                found,
            } => Error::ChecksumMismatch {
                version,
                name: set
                    .get(version)
                    .map_or_else(String::new, |m| m.name().to_owned()),
                file,
                expected,
                found,
            },
            Finding::UnknownApplied { version, name } => Error::UnknownApplied { version, name },
            Finding::VersionReused {
                version,
                applied,
                name,
                file,
            } => Error::VersionReused {
                version,
                applied,
                name,
                file,
            },
            Finding::OutOfOrder {
                version,
                file,
                latest_applied,
            } => Error::OutOfOrder {
                version,
                file,
                latest_applied,
            },
            Finding::HalfApplied {
                version,
                name,
                state,
            } => Error::HalfApplied {
                version,
                file: set.get(version).map_or(name, |m| set.path_of(m.up_file())),
                state,
                table: table.to_owned(),
            },
            // Not a refusal (`examine` never finds it; status reads it from
            // the catalog), but reported like the others if asked.
            Finding::InvalidIndex { name, table: on } => Error::UnexpectedTracking {
                table: on,
                reason: format!("index {name} is invalid"),
            },
            Finding::Foreign {
                tool,
                table: theirs,
                rows,
            } => Error::ForeignTracking {
                tool,
                table: theirs,
                rows,
                ours: table.to_owned(),
            },
        }
    }
}

impl Finding {
    /// The warning a `Warn` policy turns this finding into: only unknown
    /// and out-of-order migrations can be let pass.
    pub(crate) fn to_warning(&self) -> Option<Warning> {
        match self {
            Finding::UnknownApplied { version, name } => Some(Warning::UnknownApplied {
                version: *version,
                name: name.clone(),
            }),
            Finding::OutOfOrder {
                version,
                file,
                latest_applied,
            } => Some(Warning::OutOfOrder {
                version: *version,
                file: file.clone(),
                latest_applied: *latest_applied,
            }),
            _ => None,
        }
    }
}

//! What a run let pass under a `Warn` policy, or a dry run foresees.

use std::fmt;

/// A warning of a run or a dry run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "kind", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Warning {
    /// The database has applied a migration this set lacks
    /// ([`Runner::unknown_applied`](crate::Runner::unknown_applied)).
    #[non_exhaustive]
    UnknownApplied {
        /// The version.
        version: u64,
        /// The name recorded.
        name: String,
    },
    /// A pending migration older than the newest applied one was applied
    /// ([`Runner::out_of_order`](crate::Runner::out_of_order)).
    #[non_exhaustive]
    OutOfOrder {
        /// The pending version.
        version: u64,
        /// Its up file.
        file: String,
        /// The newest applied version.
        latest_applied: u64,
    },
    /// A planned rollback would stop before this irreversible migration.
    #[non_exhaustive]
    Irreversible {
        /// The version.
        version: u64,
        /// The name.
        name: String,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::UnknownApplied { version, name } => write!(
                f,
                "migration {version} ({name}) is applied in the database but unknown to this set: the database is ahead of the binary"
            ),
            Warning::OutOfOrder { version, file, latest_applied } => write!(
                f,
                "migration {version} ({file}) is pending but older than the newest applied migration {latest_applied}; applying it out of order"
            ),
            Warning::Irreversible { version, name } => write!(
                f,
                "migration {version} ({name}) is irreversible: the rollback would stop before it"
            ),
        }
    }
}

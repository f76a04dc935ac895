//! The event log: every apply, start, failure (and, later, rollback,
//! baseline and repair), newest first.

use serde::Serialize;

/// One entry of the event log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub(crate) id: i64,
    pub(crate) version: Option<u64>,
    pub(crate) name: Option<String>,
    pub(crate) event: String,
    pub(crate) checksum: Option<String>,
    pub(crate) at: String,
    pub(crate) execution_ms: Option<f64>,
    pub(crate) actor: Option<String>,
    pub(crate) detail: Option<String>,
}

impl Event {
    /// The entry's position in the log (increasing).
    #[must_use]
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The migration's version, if the event concerns one.
    #[must_use]
    pub fn version(&self) -> Option<u64> {
        self.version
    }

    /// The migration's name, if the event concerns one.
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// What happened: `apply`, `start` (of a no-transaction migration) or
    /// `failure`.
    #[must_use]
    pub fn kind(&self) -> &str {
        &self.event
    }

    /// The checksum of the migration at the time.
    #[must_use]
    pub fn checksum(&self) -> Option<&str> {
        self.checksum.as_deref()
    }

    /// When, in UTC (`YYYY-MM-DDTHH:MM:SS.fffZ`).
    #[must_use]
    pub fn at(&self) -> &str {
        &self.at
    }

    /// How long the migration took, for an `apply`.
    #[must_use]
    pub fn execution_ms(&self) -> Option<f64> {
        self.execution_ms
    }

    /// Who: the database user (PostgreSQL) or the operating system user
    /// (SQLite).
    #[must_use]
    pub fn actor(&self) -> Option<&str> {
        self.actor.as_deref()
    }

    /// The error, for a `failure`.
    #[must_use]
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }
}

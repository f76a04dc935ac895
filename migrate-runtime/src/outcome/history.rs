//! The event log: every apply, start, failure, rollback, baseline, repair
//! and seed, newest first.

use std::fmt;

/// What an event of the log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum EventKind {
    /// A migration was applied.
    Apply,
    /// A no-transaction migration started.
    Start,
    /// A migration, rollback or seed file failed.
    Failure,
    /// A migration was rolled back.
    Rollback,
    /// A migration was marked applied without running (baseline).
    Baseline,
    /// A checksum was rewritten or a half-applied mark removed (repair).
    Repair,
    /// A seed file ran.
    Seed,
    /// An unfinished mark was resolved by hand: the migration recorded
    /// applied, or rolled back (`resolve`).
    Resolve,
    /// A migration another tool applied was recorded applied (`adopt`);
    /// the detail names the tool.
    Adopt,
}

impl EventKind {
    /// Every kind, in the order above.
    pub(crate) const ALL: [EventKind; 9] = [
        EventKind::Apply,
        EventKind::Start,
        EventKind::Failure,
        EventKind::Rollback,
        EventKind::Baseline,
        EventKind::Repair,
        EventKind::Seed,
        EventKind::Resolve,
        EventKind::Adopt,
    ];

    /// The text stored in the event log's `event` column.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Apply => "apply",
            EventKind::Start => "start",
            EventKind::Failure => "failure",
            EventKind::Rollback => "rollback",
            EventKind::Baseline => "baseline",
            EventKind::Repair => "repair",
            EventKind::Seed => "seed",
            EventKind::Resolve => "resolve",
            EventKind::Adopt => "adopt",
        }
    }

    /// The kind stored as `text`, if it is one.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of the event log.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Event {
    pub(crate) id: i64,
    pub(crate) version: Option<u64>,
    pub(crate) name: Option<String>,
    #[cfg_attr(feature = "serde", serde(rename = "event"))]
    pub(crate) kind: EventKind,
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

    /// What happened.
    #[must_use]
    pub fn kind(&self) -> EventKind {
        self.kind
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

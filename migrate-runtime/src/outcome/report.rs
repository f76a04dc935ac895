//! What a run did.

use std::fmt;
use std::time::Duration;

use super::warning::Warning;

/// The outcome of a run: the migrations applied (or rolled back), in order,
/// with how long each took. Serializes with serde (durations in
/// milliseconds).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Report {
    pub(crate) applied: Vec<AppliedMigration>,
    pub(crate) rolled_back: Vec<RolledBack>,
    pub(crate) version: Option<u64>,
    #[cfg_attr(
        feature = "serde",
        serde(rename = "elapsed_ms", serialize_with = "millis")
    )]
    pub(crate) elapsed: Duration,
    pub(crate) warnings: Vec<Warning>,
    /// The versions recorded applied because another tool had applied them.
    pub(crate) adopted: Vec<u64>,
    /// That tool.
    pub(crate) adopted_from: Option<crate::model::Foreign>,
}

/// One migration rolled back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RolledBack {
    pub(crate) version: u64,
    pub(crate) name: String,
    #[cfg_attr(
        feature = "serde",
        serde(rename = "duration_ms", serialize_with = "millis")
    )]
    pub(crate) duration: Duration,
    pub(crate) source: DownSource,
}

#[cfg(feature = "serde")]
fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1000.0)
}

/// Where the down SQL of a rollback came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum DownSource {
    /// The set this binary embeds.
    Embedded,
    /// The copy stored in the tracking row when the migration was applied
    /// (the binary no longer has it).
    Stored,
}

impl RolledBack {
    /// The version.
    #[must_use]
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How long the down migration took.
    #[must_use]
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// Which copy of the down SQL ran.
    #[must_use]
    pub fn source(&self) -> DownSource {
        self.source
    }
}

/// One migration applied by a run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AppliedMigration {
    pub(crate) version: u64,
    pub(crate) name: String,
    #[cfg_attr(
        feature = "serde",
        serde(rename = "duration_ms", serialize_with = "millis")
    )]
    pub(crate) duration: Duration,
    pub(crate) transactional: bool,
}

impl Report {
    /// The migrations this run applied, oldest first (empty when the
    /// database was up to date).
    #[must_use]
    pub fn applied(&self) -> &[AppliedMigration] {
        &self.applied
    }

    /// The migrations this run rolled back, newest first.
    #[must_use]
    pub fn rolled_back(&self) -> &[RolledBack] {
        &self.rolled_back
    }

    /// The database's version after the run: the newest applied migration.
    #[must_use]
    pub fn version(&self) -> Option<u64> {
        self.version
    }

    /// The wall time of the whole run, lock wait included.
    #[must_use]
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// What the run let pass under a [`Policy::Warn`](crate::Policy) policy
    /// (an unknown applied migration, one applied out of order).
    #[must_use]
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// The versions this run recorded applied, without running them,
    /// because another tool had applied them ([`Runner::adopt`](crate::Runner::adopt)).
    #[must_use]
    pub fn adopted(&self) -> &[u64] {
        &self.adopted
    }

    /// The tool whose migrations this run adopted.
    #[must_use]
    pub fn adopted_from(&self) -> Option<crate::model::Foreign> {
        self.adopted_from
    }

    /// Whether the run applied (or rolled back) nothing.
    #[must_use]
    pub fn is_up_to_date(&self) -> bool {
        self.applied.is_empty() && self.rolled_back.is_empty()
    }
}

impl AppliedMigration {
    /// The version.
    #[must_use]
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How long it took: on PostgreSQL the server's time from the start of
    /// its transaction to its tracking row (migrations are sent in
    /// batches), on SQLite as the runner measured it.
    #[must_use]
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// Whether it ran in a transaction of its own (false for
    /// `-- migrate:no-transaction`).
    #[must_use]
    pub fn transactional(&self) -> bool {
        self.transactional
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let version = self
            .version
            .map_or_else(|| "none".to_owned(), |v| v.to_string());
        // One line per migration: version, name, duration and a note.
        let (verb, lines): (&str, Vec<(u64, &str, Duration, &str)>) = if self.rolled_back.is_empty()
        {
            let lines = self.applied.iter().map(|m| {
                let note = if m.transactional {
                    ""
                } else {
                    "  (no transaction)"
                };
                (m.version, m.name.as_str(), m.duration, note)
            });
            ("applied", lines.collect())
        } else {
            let lines = self.rolled_back.iter().map(|m| {
                let note = match m.source {
                    DownSource::Embedded => "",
                    DownSource::Stored => "  (stored down SQL)",
                };
                (m.version, m.name.as_str(), m.duration, note)
            });
            ("rolled back", lines.collect())
        };
        if let (Some(tool), n @ 1..) = (self.adopted_from, self.adopted.len()) {
            writeln!(
                f,
                "adopted {n} migration{} applied by {tool} (recorded applied, not run)",
                if n == 1 { "" } else { "s" }
            )?;
        }
        if lines.is_empty() {
            write!(f, "database is up to date (version {version})")?;
        } else {
            let n = lines.len();
            write!(
                f,
                "{verb} {n} migration{} in {} (version {version})",
                if n == 1 { "" } else { "s" },
                Millis(self.elapsed)
            )?;
        }
        for (v, name, duration, note) in lines {
            write!(
                f,
                "\n  {v:>4} {name:<40} {:>10}{note}",
                Millis(duration).to_string()
            )?;
        }
        for w in &self.warnings {
            write!(f, "\n  warning: {w}")?;
        }
        Ok(())
    }
}

struct Millis(Duration);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.1} ms", self.0.as_secs_f64() * 1000.0)
    }
}

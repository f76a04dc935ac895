//! What a run did.

use std::fmt;
use std::time::Duration;

/// The outcome of a successful run: the migrations applied, in order, with
/// how long each took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub(crate) applied: Vec<AppliedMigration>,
    pub(crate) version: Option<u64>,
    pub(crate) elapsed: Duration,
    pub(crate) warnings: Vec<String>,
}

/// One migration applied by a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    pub(crate) version: u64,
    pub(crate) name: String,
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
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Whether the run applied nothing.
    #[must_use]
    pub fn is_up_to_date(&self) -> bool {
        self.applied.is_empty()
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

    /// How long it took, as measured by the runner.
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
        if self.applied.is_empty() {
            return write!(f, "database is up to date (version {version})");
        }
        let n = self.applied.len();
        write!(
            f,
            "applied {n} migration{} in {} (version {version})",
            if n == 1 { "" } else { "s" },
            Millis(self.elapsed)
        )?;
        for m in &self.applied {
            write!(
                f,
                "\n  {:>4} {:<40} {:>10}",
                m.version,
                m.name,
                Millis(m.duration).to_string()
            )?;
            if !m.transactional {
                f.write_str("  (no transaction)")?;
            }
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

//! Dry runs: what a run would do, with the exact SQL, executing nothing.

use std::fmt;

use super::warning::Warning;

/// Up (apply) or down (roll back).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Direction {
    /// Applying a migration.
    Up,
    /// Rolling one back.
    Down,
}

impl Direction {
    /// `up` or `down`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }
}

/// What a run would do. Made by [`Runner::plan`](crate::Runner::plan).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Plan {
    pub(crate) steps: Vec<PlannedStep>,
    pub(crate) warnings: Vec<Warning>,
}

/// One migration a run would apply or roll back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PlannedStep {
    pub(crate) version: u64,
    pub(crate) name: String,
    pub(crate) direction: Direction,
    pub(crate) file: String,
    pub(crate) sql: String,
    pub(crate) transactional: bool,
}

impl Plan {
    /// The steps, in the order they would run.
    #[must_use]
    pub fn steps(&self) -> &[PlannedStep] {
        &self.steps
    }

    /// What the run would let pass under a `Warn` policy.
    #[must_use]
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Whether the run would do nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

impl PlannedStep {
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

    /// Up or down.
    #[must_use]
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// The file the SQL comes from.
    #[must_use]
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The exact SQL that would run.
    #[must_use]
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// Whether it would run in a transaction of its own.
    #[must_use]
    pub fn transactional(&self) -> bool {
        self.transactional
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.steps.is_empty() {
            return f.write_str("nothing to do");
        }
        for (i, s) in self.steps.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            let dir = match s.direction {
                Direction::Up => "up",
                Direction::Down => "down",
            };
            let tx = if s.transactional {
                ""
            } else {
                ", no transaction"
            };
            write!(
                f,
                "-- {dir} {} {} ({}{tx})\n{}",
                s.version,
                s.name,
                s.file,
                s.sql.trim_end()
            )?;
        }
        for w in &self.warnings {
            write!(f, "\n-- warning: {w}")?;
        }
        Ok(())
    }
}

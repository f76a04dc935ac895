//! A failed migration: where, why, and what the run did before it.

use std::fmt;

use super::error::{DriverError, ErrorCode};
use super::plan::Direction;
use super::report::Report;

/// A migration (or rollback) that failed: its file, line and column, the
/// database's message, detail, hint and code, the driver's error as
/// [`source()`](std::error::Error::source), and the report of what the run
/// committed before it. Reached through
/// [`Error::MigrationFailed`](crate::Error::MigrationFailed).
#[derive(Debug)]
pub struct MigrationFailure {
    pub(crate) version: u64,
    pub(crate) name: String,
    pub(crate) file: String,
    pub(crate) direction: Direction,
    pub(crate) line: Option<usize>,
    pub(crate) column: Option<usize>,
    pub(crate) message: String,
    pub(crate) detail: Option<String>,
    pub(crate) hint: Option<String>,
    pub(crate) code: Option<ErrorCode>,
    pub(crate) partial: bool,
    pub(crate) report: Report,
    pub(crate) source: Option<DriverError>,
}

impl MigrationFailure {
    /// The version.
    #[must_use]
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The migration's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file that failed (for a down migration run from the tracking
    /// row, a description of the stored copy).
    #[must_use]
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Whether the migration was being applied or rolled back.
    #[must_use]
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// The 1-based line of the error position or the failing statement.
    #[must_use]
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// The 1-based column, in characters.
    #[must_use]
    pub fn column(&self) -> Option<usize> {
        self.column
    }

    /// The database's message (or the code migration's error).
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The server's detail.
    #[must_use]
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// The server's hint.
    #[must_use]
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// The database's error code.
    #[must_use]
    pub fn code(&self) -> Option<&ErrorCode> {
        self.code.as_ref()
    }

    /// Whether the migration ran without a transaction, so that what ran
    /// before the failure stays; its row is then marked `failed` (or
    /// `rollback_failed`, for a down migration).
    #[must_use]
    pub fn is_partial(&self) -> bool {
        self.partial
    }

    /// What the run committed before the failure (the migrations applied,
    /// or rolled back, by this run).
    #[must_use]
    pub fn report(&self) -> &Report {
        &self.report
    }
}

impl fmt::Display for MigrationFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "migration {} failed at {}", self.version, self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)?;
        if let Some(code) = &self.code {
            write!(f, " ({code})")?;
        }
        if let Some(detail) = &self.detail {
            write!(f, "\n  detail: {detail}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        if self.partial && self.direction == Direction::Down {
            write!(
                f,
                "\n  the down migration runs without a transaction: what it removed before the failure stays removed; migration {v} is marked `rollback_failed` in the tracking table, which stops later runs until it is resolved: finish the rollback by hand and run `resolve {v} --rolled-back`, or restore what it removed and run `resolve {v} --applied`",
                v = self.version
            )
        } else if self.partial {
            write!(
                f,
                "\n  the migration runs without a transaction: what ran before the failure stays (a failed CREATE INDEX CONCURRENTLY leaves an invalid index) and it is marked `failed` in the tracking table, which stops later runs until it is resolved"
            )
        } else {
            let before = match self.direction {
                Direction::Up => "earlier migrations stay applied",
                Direction::Down => "newer migrations stay rolled back",
            };
            write!(f, "\n  its transaction was rolled back; {before}")
        }
    }
}

impl std::error::Error for MigrationFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

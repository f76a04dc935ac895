//! A run ended by a stop request before it finished: what it did, what it
//! left, and the migration a cancel interrupted.

use std::fmt;

use super::failure::MigrationFailure;
use super::plan::Direction;
use super::report::Report;

/// A run that a [`Stop`](crate::Stop) ended before it finished. Reached
/// through [`Error::Stopped`](crate::Error::Stopped).
///
/// Everything in [`Stopped::report`] committed; nothing in
/// [`Stopped::left`] did, except what the [interrupted](Stopped::interrupted)
/// migration ran before the cancel if it has no transaction (it is then
/// marked failed, as after any failure halfway).
#[derive(Debug)]
pub struct Stopped {
    /// `None` while waiting for the lock, before anything ran.
    pub(crate) direction: Option<Direction>,
    pub(crate) report: Report,
    pub(crate) interrupted: Option<MigrationFailure>,
    pub(crate) left: Vec<u64>,
}

impl Stopped {
    /// A stop before anything ran (waiting for the lock).
    pub(crate) fn waiting() -> Self {
        Stopped {
            direction: None,
            report: Report::default(),
            interrupted: None,
            left: Vec::new(),
        }
    }

    /// Whether the run was applying or rolling back; `None` when it
    /// stopped while waiting for the migration lock, before anything ran.
    #[must_use]
    pub fn direction(&self) -> Option<Direction> {
        self.direction
    }

    /// What the run committed before it stopped: the migrations applied
    /// (or rolled back).
    #[must_use]
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// The migration whose running statement a [`Stop::cancel`](crate::Stop::cancel)
    /// interrupted: its transaction rolled back, or, without a
    /// transaction, what ran before the cancel kept and its row marked
    /// failed ([`MigrationFailure::is_partial`]).
    #[must_use]
    pub fn interrupted(&self) -> Option<&MigrationFailure> {
        self.interrupted.as_ref()
    }

    /// The versions the run was to apply (or roll back) and did not, in
    /// its order, the interrupted one first.
    #[must_use]
    pub fn left(&self) -> &[u64] {
        &self.left
    }
}

/// Versions as `1, 2, 3`.
fn listed(versions: impl Iterator<Item = u64>) -> String {
    versions
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Stopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(direction) = self.direction else {
            return f
                .write_str("stopped while waiting for the migration lock: nothing was changed");
        };
        let (done, verb, not) = match direction {
            Direction::Up => (
                listed(self.report.applied.iter().map(|a| a.version)),
                "applied",
                "not applied",
            ),
            Direction::Down => (
                listed(self.report.rolled_back.iter().map(|r| r.version)),
                "rolled back",
                "not rolled back",
            ),
        };
        if done.is_empty() {
            write!(f, "stopped: nothing was {verb}")?;
        } else {
            write!(f, "stopped: {verb} {done}")?;
        }
        if let Some(m) = &self.interrupted {
            if m.partial {
                write!(
                    f,
                    "; the cancel interrupted migration {} ({}), which runs without a transaction: what it ran before stays and it is marked failed (see `status`)",
                    m.version, m.file
                )?;
            } else {
                write!(
                    f,
                    "; the cancel interrupted migration {} ({}), rolled back with its transaction",
                    m.version, m.file
                )?;
            }
        }
        if !self.left.is_empty() {
            write!(f, "; {not}: {}", listed(self.left.iter().copied()))?;
        }
        Ok(())
    }
}

impl std::error::Error for Stopped {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.interrupted
            .as_ref()
            .map(|m| m as &(dyn std::error::Error + 'static))
    }
}

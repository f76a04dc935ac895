//! What a seed run did.

use std::fmt;

/// What a seed run did with each file of the environment, in name order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SeedReport {
    pub(crate) env: String,
    pub(crate) files: Vec<SeededFile>,
}

/// One seed file and what happened to it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SeededFile {
    pub(crate) file: String,
    pub(crate) outcome: SeedOutcome,
    /// The failure, with file and line, when it failed.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub(crate) error: Option<String>,
}

/// What happened to a seed file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum SeedOutcome {
    /// Run for the first time.
    New,
    /// Run again: the file changed since it last ran.
    Changed,
    /// Not run: it ran before with the same checksum.
    Unchanged,
    /// Run again although unchanged: the run was forced
    /// ([`Runner::reseed`](crate::Runner::reseed)).
    Forced,
    /// Failed and rolled back; the other files still ran.
    Failed,
}

impl SeedReport {
    /// The environment.
    #[must_use]
    pub fn env(&self) -> &str {
        &self.env
    }

    /// Every file of the environment, in the order they ran.
    #[must_use]
    pub fn files(&self) -> &[SeededFile] {
        &self.files
    }

    /// Whether a file failed.
    #[must_use]
    pub fn has_failures(&self) -> bool {
        self.files.iter().any(|f| f.outcome == SeedOutcome::Failed)
    }
}

impl SeededFile {
    /// The file, relative to the migrations folder.
    #[must_use]
    pub fn file(&self) -> &str {
        &self.file
    }

    /// What happened to it.
    #[must_use]
    pub fn outcome(&self) -> SeedOutcome {
        self.outcome
    }

    /// The failure, when it failed.
    #[must_use]
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
}

impl fmt::Display for SeedOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SeedOutcome::New => "applied (new)",
            SeedOutcome::Changed => "applied again (changed)",
            SeedOutcome::Unchanged => "unchanged, skipped",
            SeedOutcome::Forced => "applied again (forced)",
            SeedOutcome::Failed => "failed, rolled back",
        })
    }
}

impl fmt::Display for SeedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "seeds for `{}`:", self.env)?;
        for s in &self.files {
            write!(f, "\n  {:<40} {}", s.file, s.outcome)?;
            if let Some(e) = &s.error {
                write!(f, "\n    {e}")?;
            }
        }
        Ok(())
    }
}

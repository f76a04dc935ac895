//! `tracing` spans (feature `tracing`): one per operation (`migrate`,
//! with the operation, the tracking table and its outcome) and one per
//! migration inside it (`migrate.migration`, with the version, name,
//! direction, duration and outcome). Without the feature they are no-ops.
//!
//! Migrations sent in one message (PostgreSQL, up to 32) run together:
//! their spans open and close together, and each one's `duration_ms` is
//! its own time as the server measured it.

use std::future::Future;
use std::time::Duration;

use crate::outcome::{Direction, Error};

/// The outcome field of an operation that failed: its kind, as the CLI's
/// JSON errors name it.
#[cfg(feature = "tracing")]
fn kind(e: &Error) -> &'static str {
    match e {
        Error::ChecksumMismatch { .. } => "checksum_mismatch",
        Error::VersionReused { .. } => "version_reused",
        Error::UnknownApplied { .. } => "unknown_applied",
        Error::OutOfOrder { .. } => "out_of_order",
        Error::HalfApplied { .. } => "half_applied",
        Error::MigrationFailed(_) => "migration_failed",
        Error::Stopped(_) => "stopped",
        Error::ForeignTracking { .. } => "foreign_tracking",
        Error::Adoption { .. } => "adoption",
        Error::ConnectionLost { .. } => "connection_lost",
        Error::Irreversible { .. } => "irreversible",
        Error::LockTimeout { .. } => "lock_timeout",
        Error::InvalidOption { .. } => "invalid_option",
        Error::SeedFailed { .. } => "seed_failed",
        Error::InvalidCode { .. } => "invalid_code",
        Error::UnexpectedTracking { .. } => "unexpected_tracking",
        Error::Database { .. } => "database",
        Error::Io { .. } => "io",
    }
}

/// Runs an operation's body inside its span, recording its outcome.
#[cfg(feature = "tracing")]
pub(super) async fn operation<T>(
    op: &'static str,
    table: &str,
    body: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    use tracing::Instrument as _;
    let span = tracing::info_span!(
        target: "migrate",
        "migrate",
        operation = op,
        table,
        outcome = tracing::field::Empty,
    );
    let out = body.instrument(span.clone()).await;
    match &out {
        Ok(_) => span.record("outcome", "ok"),
        Err(e) => span.record("outcome", kind(e)),
    };
    out
}

#[cfg(not(feature = "tracing"))]
pub(super) async fn operation<T>(
    _op: &'static str,
    _table: &str,
    body: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    body.await
}

/// One migration's span, open while it runs.
pub(super) struct MigrationSpan {
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

impl MigrationSpan {
    /// Opens the span of migration `version` in `direction`.
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(super) fn start(version: u64, name: &str, direction: Direction) -> MigrationSpan {
        MigrationSpan {
            #[cfg(feature = "tracing")]
            span: tracing::info_span!(
                target: "migrate",
                "migrate.migration",
                version,
                name,
                direction = direction.as_str(),
                duration_ms = tracing::field::Empty,
                outcome = tracing::field::Empty,
            ),
        }
    }

    /// Runs `work` (this migration alone) inside the span.
    pub(super) async fn around<F: Future>(&self, work: F) -> F::Output {
        #[cfg(feature = "tracing")]
        {
            use tracing::Instrument as _;
            work.instrument(self.span.clone()).await
        }
        #[cfg(not(feature = "tracing"))]
        work.await
    }

    /// Closes the span of a migration that committed in `duration`.
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(super) fn done(self, duration: Duration) {
        #[cfg(feature = "tracing")]
        {
            self.span
                .record("duration_ms", duration.as_secs_f64() * 1000.0);
            self.span.record("outcome", "ok");
        }
    }

    /// Closes the span of the migration that failed (or a stop
    /// interrupted).
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(super) fn failed(self, e: &Error) {
        #[cfg(feature = "tracing")]
        self.span.record("outcome", kind(e));
    }

    /// Closes the span of a migration that did not run (it came after
    /// the failing one in its message).
    pub(super) fn not_run(self) {
        #[cfg(feature = "tracing")]
        self.span.record("outcome", "not_run");
    }
}

//! What operations return: reports, status, plans, history, progress
//! events, warnings and errors. Imports only `model`.

mod error;
mod failure;
mod finding;
mod history;
mod plan;
mod progress;
mod report;
mod seed_report;
mod status;
mod stopped;
mod warning;

pub use error::{DriverError, Error, ErrorCode, SqlState};
pub use failure::MigrationFailure;
pub use finding::Finding;
pub use history::{Event, EventKind};
pub use plan::{Direction, Plan, PlannedStep};
pub use progress::Progress;
pub(crate) use progress::{emit, Observer, Watchdog};
pub use report::{AppliedMigration, DownSource, Report, RolledBack};
pub use seed_report::{SeedOutcome, SeedReport, SeededFile};
pub(crate) use status::{examine, status};
pub use status::{AppliedEntry, PendingMigration, Status};
pub use stopped::Stopped;
pub use warning::Warning;

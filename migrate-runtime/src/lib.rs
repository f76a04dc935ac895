//! The runtime of `migrate`: the migration model, the folder scanner and
//! validator, checksums, the database backends and the runner.
//!
//! Services use it through the `migrate` crate and its
//! `embed_migrations!` macro; the macro calls [`scan`] at build time, and
//! [`Migrations::from_dir`] calls the same scanner at run time.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let migrations = migrate_runtime::Migrations::from_dir("migrations")?;
//! # #[cfg(feature = "sqlite")] {
//! let mut conn = rusqlite::Connection::open("app.db")?;
//! let report = migrations.run(&mut conn)?;
//! println!("{report}");
//! # }
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Without the runner, the model keeps items only the runner uses.
#![cfg_attr(not(feature = "runner"), allow(dead_code, unused_imports))]

// The layers, each importing only those before it in this order (see
// ARCHITECTURE.md): text, model, scan, outcome, backend (driver, dialect,
// protocol, drivers), runner.
#[cfg(feature = "runner")]
#[cfg_attr(not(any(feature = "postgres", feature = "sqlite")), allow(dead_code))]
mod backend;
mod model;
#[cfg(feature = "runner")]
mod outcome;
#[cfg(feature = "runner")]
mod runner;
mod scan;
mod text;

#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub use backend::AnyConnection;
#[cfg(feature = "runner")]
pub use backend::Database;
pub use model::{CodeError, CodeMigration, Engine, Migration, MigrationState, Migrations, Seed};
#[cfg(feature = "runner")]
pub use outcome::{
    AppliedEntry, AppliedMigration, Direction, DownSource, DriverError, Error, ErrorCode, Event,
    EventKind, Finding, MigrationFailure, PendingMigration, Plan, PlannedStep, Progress, Report,
    RolledBack, SeedOutcome, SeedReport, SeededFile, SqlState, Status, Warning,
};
#[cfg(feature = "runner")]
#[allow(deprecated)]
pub use runner::DEFAULT_LOCK_TIMEOUT;
#[cfg(feature = "runner")]
pub use runner::{
    Policy, Rollback, Runner, DEFAULT_LOCK_WAIT, DEFAULT_SLOW_THRESHOLD, DEFAULT_TABLE,
};
pub use scan::{scan, Problem, Rule, ScanError, ScannedSet};
pub use text::checksum::checksum;
pub use text::duration::parse_duration;

#[cfg(feature = "postgres")]
#[doc(no_inline)]
pub use postgres;
#[cfg(feature = "sqlite")]
#[doc(no_inline)]
pub use rusqlite;

/// What the code `embed_migrations!` generates calls. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::model::embedded::{code_marker, migration, migrations, seed, StaticScript};
    pub use crate::model::{Migration, Seed};
}

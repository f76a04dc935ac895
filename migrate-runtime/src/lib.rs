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

#[cfg_attr(not(any(feature = "postgres", feature = "sqlite")), allow(dead_code))]
mod backend;
mod checksum;
#[cfg_attr(
    not(any(feature = "postgres", feature = "sqlite")),
    allow(dead_code, unused_imports)
)]
mod code;
mod directives;
mod error;
mod history;
mod migration;
mod observe;
mod plan;
mod problem;
mod report;
mod runner;
mod scan;
mod seeds;
mod sql;
mod status;
mod version;

pub use backend::Database;
pub use code::{CodeError, CodeMigration};
pub use error::Error;
pub use history::Event;
pub use migration::{Migration, Migrations};
pub use observe::Progress;
pub use plan::{Direction, Plan, PlannedStep};
pub use problem::{Problem, Rule, ScanError};
pub use report::{AppliedMigration, DownSource, Report, RolledBack};
pub use runner::{
    Policy, Rollback, Runner, DEFAULT_LOCK_TIMEOUT, DEFAULT_SLOW_THRESHOLD, DEFAULT_TABLE,
};
pub use scan::{scan, ScannedSet};
pub use seeds::{Seed, SeedOutcome, SeedReport, SeededFile};
pub use status::{AppliedEntry, Finding, PendingMigration, Status};

#[cfg(feature = "postgres")]
#[doc(no_inline)]
pub use postgres;
#[cfg(feature = "sqlite")]
#[doc(no_inline)]
pub use rusqlite;

/// Support for the code `embed_migrations!` generates. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::checksum::checksum;
    pub use crate::directives::parse_duration;
    pub use crate::migration::private::{code_marker, migration, migrations, seed, StaticScript};
    pub use crate::migration::Migration;
    pub use crate::seeds::Seed;
}

//! SQL migrations checked at build time, embedded in the binary, and applied
//! safely on PostgreSQL and SQLite.
//!
//! ```no_run
//! static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("./migrations");
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let url = std::env::var("DATABASE_URL")?;
//!     let mut client = migrate::postgres::Client::connect(&url, migrate::postgres::NoTls)?;
//!     let report = MIGRATIONS.run(&mut client)?;
//!     println!("{report}");
//!     Ok(())
//! }
//! ```
//!
//! The folder holds `NNNN_name.up.sql` and `NNNN_name.down.sql` pairs
//! (versions in a gap-free sequence from 1, or 14-digit UTC timestamps).
//! A malformed folder fails the build with every problem named. At run
//! time, [`Migrations::run`] applies what is pending, each migration in its
//! own transaction with its tracking row, under a lock that is taken only
//! when something is pending; it refuses to run when an applied migration
//! was edited, is unknown to the binary, or would be applied out of order.
//!
//! To have cargo notice newly added files, add a one-line `build.rs`:
//!
//! ```text
//! // build.rs
//! fn main() {
//!     println!("cargo:rerun-if-changed=migrations");
//! }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Feature badges on docs.rs (`[package.metadata.docs.rs]` sets `docsrs`).
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use migrate_macros::embed_migrations;
#[cfg(any(feature = "postgres", feature = "sqlite", feature = "sqlite-unbundled"))]
pub use migrate_runtime::AnyConnection;
#[allow(deprecated)]
pub use migrate_runtime::DEFAULT_LOCK_TIMEOUT;
pub use migrate_runtime::{
    scan, scan_with, AppliedEntry, AppliedMigration, CodeError, CodeMigration, Database, Direction,
    DownSource, DriverError, Engine, Error, ErrorCode, Event, EventKind, Finding, Foreign, Layout,
    Migration, MigrationFailure, MigrationState, Migrations, PendingMigration, Plan, PlannedStep,
    Policy, Problem, Progress, Report, Resolution, Rollback, RolledBack, Rule, Runner, ScanError,
    ScanOptions, ScannedSet, Seed, SeedOutcome, SeedReport, SeededFile, Severity, SqlState, Status,
    Stop, Stopped, UnknownEngine, UnknownForeign, UnknownLayout, UnknownRule, Warning,
    DEFAULT_LOCK_WAIT, DEFAULT_SLOW_THRESHOLD, DEFAULT_TABLE,
};

#[cfg(feature = "cli")]
pub mod cli;

#[cfg(all(
    feature = "testing",
    any(feature = "postgres", feature = "sqlite-unbundled")
))]
pub mod testing;

/// The `postgres` crate this build uses, so that clients match.
#[cfg(feature = "postgres")]
pub use migrate_runtime::postgres;

/// PostgreSQL connection strings read as libpq reads them (`sslmode`,
/// `sslrootcert`, a bounded `connect_timeout`); TLS with feature `tls`.
#[cfg(feature = "postgres")]
pub use migrate_runtime::{PgConnectOptions, DEFAULT_CONNECT_TIMEOUT};

/// The `rusqlite` crate this build uses, so that connections match.
#[cfg(any(feature = "sqlite", feature = "sqlite-unbundled"))]
pub use migrate_runtime::rusqlite;

/// Async services on tokio (feature `tokio-postgres`): the client trait of
/// the `*_async` methods, a blocking `tokio_postgres` client, the future
/// of an async code migration.
#[cfg(feature = "tokio-postgres")]
pub use migrate_runtime::{AsyncDatabase, CodeFuture, TokioClient};

/// The `tokio-postgres` crate this build uses, so that clients match.
#[cfg(feature = "tokio-postgres")]
pub use migrate_runtime::tokio_postgres;

/// The `deadpool-postgres` crate this build uses, so that pooled clients
/// are [`AsyncDatabase`]s.
#[cfg(feature = "deadpool-postgres")]
pub use migrate_runtime::deadpool_postgres;

/// The `bb8` crate this build uses, so that pooled clients are
/// [`AsyncDatabase`]s.
#[cfg(feature = "bb8")]
pub use migrate_runtime::bb8;

#[doc(hidden)]
pub mod __private {
    pub use migrate_runtime::__private::*;
}

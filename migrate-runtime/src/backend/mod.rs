//! Databases: the [`Database`] connections migrations run on, the thin
//! [`Driver`] each one provides, the per-engine SQL [`dialect`], and the one
//! [`protocol`] that turns the runner's steps into tracking-table SQL.
//!
//! A driver only executes text, takes and releases the migration lock,
//! runs code migrations' functions and maps its errors; every decision and
//! every piece of tracking SQL is the protocol's. Driver methods return
//! boxed futures: a sync driver's future completes on its first poll (see
//! [`block_on`]), an async driver's awaits its client, and the same
//! protocol drives both.

mod any;
mod block;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod code;
pub(crate) mod dialect;
mod driver;
#[cfg(feature = "postgres")]
mod postgres;
pub(crate) mod protocol;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "postgres")]
mod tls;

#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub use any::AnyConnection;
pub(crate) use block::block_on;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub(crate) use driver::{guard, Fut};
pub(crate) use driver::{CodeCall, DbFailure, Driver, Position, Row};
#[cfg(feature = "postgres")]
pub use tls::{PgConnectOptions, DEFAULT_CONNECT_TIMEOUT};

/// A database connection that migrations can run on: `postgres::Client`,
/// `rusqlite::Connection`, or an [`AnyConnection`] chosen at run time.
/// Sealed.
pub trait Database: private::Sealed {}

pub(crate) mod private {
    /// Seals [`Database`](super::Database) and hands the runner a driver.
    pub trait Sealed {
        /// The driver for this connection.
        fn driver(&mut self) -> Box<dyn super::Driver + '_>;
    }
}

#[cfg(test)]
pub(crate) mod double;

//! Databases: the [`Database`] connections migrations run on, the thin
//! [`Driver`] each one provides, the per-engine SQL [`dialect`], and the one
//! [`protocol`] that turns the runner's steps into tracking-table SQL.
//!
//! A driver only executes text, takes and releases the migration lock,
//! runs code migrations' functions and maps its errors; every decision and
//! every piece of tracking SQL is the protocol's. Driver methods return
//! boxed futures: a sync driver's future completes on its first poll (see
//! [`block_on`]), an async driver's awaits its client, and the same
//! protocol drives both. Sync connections are [`Database`]s, async ones
//! [`AsyncDatabase`]s: neither is taken where the other is expected, so a
//! sync method never blocks on an async client and an async one never
//! blocks its runtime.

mod any;
mod block;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod cancel;
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
#[cfg(feature = "tokio-postgres")]
mod tokio_postgres;

#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub use any::AnyConnection;
pub(crate) use block::block_on;
#[cfg(feature = "tokio-postgres")]
pub(crate) use driver::guard_async;
#[cfg(any(feature = "postgres", feature = "sqlite", test))]
pub(crate) use driver::LockAnswer;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub(crate) use driver::{guard, Fut};
pub(crate) use driver::{Canceller, CodeCall, DbFailure, Driver, Position, Row};
#[cfg(feature = "postgres")]
pub use tls::{PgConnectOptions, DEFAULT_CONNECT_TIMEOUT};
#[cfg(feature = "tokio-postgres")]
pub use tokio_postgres::TokioClient;

/// A database connection that migrations can run on: `postgres::Client`,
/// `rusqlite::Connection`, or an [`AnyConnection`] chosen at run time.
/// Sealed.
pub trait Database: private::Sealed {}

/// An async database connection that migrations can run on from a tokio
/// runtime, with the `*_async` methods ([`Migrations::run_async`](crate::Migrations::run_async),
/// [`Runner::status_async`](crate::Runner::status_async), …):
/// `tokio_postgres::Client`, and with the features of the same names the
/// pooled clients of deadpool-postgres (`Object`, `ClientWrapper`) and bb8
/// (`PooledConnection` of any manager whose connection is a
/// `tokio_postgres::Client`). A client of any other pool is taken as the
/// `tokio_postgres::Client` it dereferences to (`&mut **conn`). Sealed.
#[cfg(feature = "tokio-postgres")]
pub trait AsyncDatabase: private::AsyncSealed + Send {}

pub(crate) mod private {
    /// Seals [`Database`](super::Database) and hands the runner a driver.
    pub trait Sealed {
        /// The driver for this connection.
        fn driver(&mut self) -> Box<dyn super::Driver + '_>;
    }

    /// Seals [`AsyncDatabase`](super::AsyncDatabase) and hands the runner
    /// a driver whose futures await the client (and so need its runtime).
    #[cfg(feature = "tokio-postgres")]
    pub trait AsyncSealed {
        /// The driver for this connection.
        fn async_driver(&mut self) -> Box<dyn super::Driver + '_>;
    }
}

#[cfg(test)]
pub(crate) mod double;

//! The test kit of the migrate workspace, shared by the integration tests
//! (`tests/integration`) and the CLI tests (`tests/cli`):
//!
//! - [`Server`]: the PostgreSQL server of the tests, from `MIGRATE_TEST_PG`
//!   (a `postgres://` URL or a libpq `key=value` string; default
//!   `host=127.0.0.1 port=5432 user=postgres`), as a client configuration
//!   or as a URL;
//! - [`PgDb`]: a fresh PostgreSQL database per test, dropped afterwards;
//!   without a server it is skipped loudly (`SKIPPED …` on stderr), except
//!   in CI (`CI=true`), where it fails;
//! - [`LiteDb`]: a SQLite file in a fresh temporary folder;
//! - [`Db`]: either of them, handing out [`AnyConnection`]s and URLs, for
//!   the tests written once and run on each engine;
//! - [`Inspect`]: reading rows and schema back, per engine;
//! - [`Proxy`]: a TCP proxy counting the round trips of PostgreSQL clients;
//! - [`AsyncPgDb`]: a fresh PostgreSQL database for tests on a tokio
//!   runtime, with `tokio_postgres` clients.

mod cluster;
mod db;
mod inspect;
mod lite;
mod pg;
mod proxy;
mod server;
mod tokio_pg;

pub use cluster::Cluster;
pub use db::Db;
pub use inspect::Inspect;
pub use lite::LiteDb;
pub use migrate_runtime::{AnyConnection, Engine};
pub use pg::PgDb;
pub use proxy::Proxy;
pub use server::{in_ci, Server};
pub use tokio_pg::{connect, off_runtime, AsyncPgDb};

//! Databases for tests (feature `testing`): a fresh database per test with
//! the set applied, cloned from a template built once per set, and
//! [`assert_reversible`], which proves that every down migration restores
//! the schema its up migration found.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("migrations");
//!
//! // PostgreSQL: `CREATE DATABASE … TEMPLATE`, one per test.
//! let db = migrate::testing::Template::new(&MIGRATIONS).postgres("postgres://postgres@127.0.0.1/test")?;
//! let mut client = db.connect()?;
//! # let _ = &mut client;
//!
//! // SQLite: a copy of the template file.
//! let db = migrate::testing::Template::new(&MIGRATIONS).sqlite()?;
//! let conn = db.connect_sqlite()?;
//! # let _ = conn;
//! # Ok(())
//! # }
//! ```

mod catalog;
mod database;
mod error;
#[cfg(feature = "postgres")]
mod postgres;
mod reversible;
#[cfg(feature = "sqlite-unbundled")]
mod sqlite;
mod template;

pub use catalog::SchemaDiff;
pub use database::TestDatabase;
pub use error::{NotReversible, TestingError};
pub use reversible::{assert_reversible, check_reversible, Scratch};
pub use template::Template;

//! Proving the downs: for each migration in order, the schema before its
//! up compared with the schema after its up and its down; then up again.

use super::catalog::{self, Snapshot};
use super::error::NotReversible;
use super::TestingError;
use crate::{Database, Migrations, Rollback, DEFAULT_TABLE};

/// A database whose schema [`check_reversible`] can read: a
/// `postgres::Client` or a `rusqlite::Connection` (sealed: the catalog
/// readers are the library's).
pub trait Scratch: Database + sealed::Catalog {}

#[cfg(feature = "postgres")]
impl Scratch for crate::postgres::Client {}

#[cfg(feature = "sqlite-unbundled")]
impl Scratch for crate::rusqlite::Connection {}

mod sealed {
    use super::{catalog, Snapshot, TestingError};

    /// Reads the schema's catalog.
    pub trait Catalog {
        /// Every object but the tracking tables (named `table` and
        /// `table_*`).
        fn snapshot(&mut self, table: &str) -> Result<Snapshot, TestingError>;
    }

    #[cfg(feature = "postgres")]
    impl Catalog for crate::postgres::Client {
        fn snapshot(&mut self, table: &str) -> Result<Snapshot, TestingError> {
            catalog::postgres(self, table).map_err(|source| TestingError::Postgres {
                doing: "reading the catalog",
                source,
            })
        }
    }

    #[cfg(feature = "sqlite-unbundled")]
    impl Catalog for crate::rusqlite::Connection {
        fn snapshot(&mut self, table: &str) -> Result<Snapshot, TestingError> {
            catalog::sqlite(self, table).map_err(|source| TestingError::Sqlite {
                doing: "reading the catalog",
                source,
            })
        }
    }
}

/// Applies each migration of the set in order on `db` (a database where
/// none is applied yet) and proves its down: the schema after its up and
/// its down must be the one before its up (tables, columns with their
/// types, defaults and nullability, indexes and their validity,
/// constraints, views, functions, triggers, sequences, enums, extensions;
/// SQLite's from `sqlite_master` and its pragmas); then it is applied
/// again, so that its up runs after its down too. Irreversible migrations
/// are applied and not rolled back. Leaves the whole set applied.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("migrations");
/// let mut conn = migrate::rusqlite::Connection::open_in_memory()?;
/// migrate::testing::check_reversible(&MIGRATIONS, &mut conn)?;
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// [`TestingError::NotReversible`] for the first migration whose down
/// does not restore the schema, with the difference;
/// [`TestingError::Unsuitable`] when migrations are applied already;
/// [`TestingError::Migrate`] when an up or a down fails.
pub fn check_reversible<D: Scratch + ?Sized>(
    migrations: &Migrations,
    db: &mut D,
) -> Result<(), TestingError> {
    let status = migrations.runner().status(db)?;
    if !status.applied().is_empty() {
        return Err(TestingError::Unsuitable(format!(
            "the database holds {} applied migrations already: prove the downs on a scratch database (migrate::testing::Template::new(&MIGRATIONS) with no migration applied, or an empty one)",
            status.applied().len()
        )));
    }
    for m in migrations {
        let before = db.snapshot(DEFAULT_TABLE)?;
        let up = || migrations.runner().to(m.version());
        up().run(db)?;
        if m.irreversible() {
            continue;
        }
        migrations.runner().rollback(db, Rollback::Last(1))?;
        let diff = before.diff(&db.snapshot(DEFAULT_TABLE)?);
        if !diff.is_empty() {
            return Err(TestingError::NotReversible(Box::new(NotReversible {
                version: m.version(),
                name: m.name().to_owned(),
                diff,
            })));
        }
        up().run(db)?;
    }
    Ok(())
}

/// [`check_reversible`] for a test: panics with the readable difference
/// (or the error) unless every down restores the schema.
///
/// # Panics
/// When [`check_reversible`] fails.
pub fn assert_reversible<D: Scratch + ?Sized>(migrations: &Migrations, db: &mut D) {
    if let Err(e) = check_reversible(migrations, db) {
        panic!("{e}");
    }
}

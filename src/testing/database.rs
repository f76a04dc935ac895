//! [`TestDatabase`]: one test's database, dropped with it.

use std::fmt;
#[cfg(feature = "sqlite-unbundled")]
use std::path::{Path, PathBuf};

use super::TestingError;

/// One test's database, the set applied; dropped (PostgreSQL) or removed
/// (SQLite) when this value is, also when the test panics. A test process
/// that is killed leaves its `migrate_test_*` databases behind.
///
/// Its `Debug` shows the database's name, never the connection string.
pub struct TestDatabase {
    inner: Inner,
}

enum Inner {
    #[cfg(feature = "postgres")]
    Postgres(super::postgres::PgDatabase),
    #[cfg(feature = "sqlite-unbundled")]
    Sqlite(PathBuf),
}

impl TestDatabase {
    #[cfg(feature = "postgres")]
    pub(crate) fn postgres(db: super::postgres::PgDatabase) -> Self {
        TestDatabase {
            inner: Inner::Postgres(db),
        }
    }

    #[cfg(feature = "sqlite-unbundled")]
    pub(crate) fn sqlite(path: PathBuf) -> Self {
        TestDatabase {
            inner: Inner::Sqlite(path),
        }
    }

    /// The database's name (PostgreSQL) or its file's name (SQLite).
    #[must_use]
    pub fn name(&self) -> String {
        match &self.inner {
            #[cfg(feature = "postgres")]
            Inner::Postgres(db) => db.name.clone(),
            #[cfg(feature = "sqlite-unbundled")]
            Inner::Sqlite(path) => path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        }
    }

    /// A connection string of the database, for a pool of the test's own:
    /// the admin URL naming this database (with its password, if it had
    /// one), or `sqlite:PATH`.
    #[must_use]
    pub fn url(&self) -> String {
        match &self.inner {
            #[cfg(feature = "postgres")]
            Inner::Postgres(db) => super::postgres::with_database(&db.admin_url, &db.name),
            #[cfg(feature = "sqlite-unbundled")]
            Inner::Sqlite(path) => format!("sqlite:{}", path.display()),
        }
    }

    /// The SQLite file, if it is one.
    #[cfg(feature = "sqlite-unbundled")]
    #[must_use]
    pub fn path(&self) -> Option<&Path> {
        match &self.inner {
            Inner::Sqlite(path) => Some(path),
            #[cfg(feature = "postgres")]
            Inner::Postgres(_) => None,
        }
    }

    /// A blocking PostgreSQL client of the database (TLS as the admin URL
    /// says).
    ///
    /// # Errors
    /// [`TestingError::Migrate`] when connecting fails, or when the
    /// database is SQLite's ([`crate::Error::InvalidOption`]).
    #[cfg(feature = "postgres")]
    pub fn connect(&self) -> Result<crate::postgres::Client, TestingError> {
        super::postgres::connect(&self.url())
    }

    /// An async PostgreSQL client of the database, its connection spawned
    /// on the current tokio runtime (without TLS: for TLS, give
    /// [`TestDatabase::url`] to a pool of your own).
    ///
    /// # Errors
    /// [`TestingError::Postgres`] when connecting fails.
    #[cfg(feature = "tokio-postgres")]
    pub async fn connect_async(&self) -> Result<crate::tokio_postgres::Client, TestingError> {
        let (client, connection) =
            crate::tokio_postgres::connect(&self.url(), crate::tokio_postgres::NoTls)
                .await
                .map_err(|source| TestingError::Postgres {
                    doing: "connecting to the test database",
                    source,
                })?;
        tokio::spawn(connection);
        Ok(client)
    }

    /// A SQLite connection of the database.
    ///
    /// # Errors
    /// [`TestingError::Sqlite`] when opening fails, or when the database is
    /// PostgreSQL's.
    #[cfg(feature = "sqlite-unbundled")]
    pub fn connect_sqlite(&self) -> Result<crate::rusqlite::Connection, TestingError> {
        let path = self.path().ok_or(TestingError::Unsuitable(
            "a PostgreSQL test database has no SQLite connection".to_owned(),
        ))?;
        crate::rusqlite::Connection::open(path).map_err(|source| TestingError::Sqlite {
            doing: "opening the test database",
            source,
        })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.inner {
            #[cfg(feature = "postgres")]
            Inner::Postgres(db) => db.drop_database(),
            #[cfg(feature = "sqlite-unbundled")]
            Inner::Sqlite(path) => super::sqlite::remove(path),
        }
    }
}

impl fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestDatabase")
            .field("name", &self.name())
            .finish_non_exhaustive()
    }
}

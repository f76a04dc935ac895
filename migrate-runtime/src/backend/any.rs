//! A connection chosen at run time from a URL.

#![cfg(any(feature = "postgres", feature = "sqlite"))]

use std::fmt;

use super::{Database, Driver};
use crate::model::Engine;
use crate::outcome::Error;

/// A connection to whichever database a URL names, for tools that learn
/// it at run time: `postgres://…` (or `postgresql://…`), or `sqlite:PATH`
/// (or `sqlite://PATH`, `sqlite::memory:`; SQLite's URI parameters after
/// `?`, as in `sqlite:app.db?mode=ro`). Runs migrations like the
/// connection it holds.
///
/// A PostgreSQL URL is read as libpq reads it ([`PgConnectOptions`]):
/// `sslmode` up to `verify-full` and `sslrootcert` (TLS with the `tls`
/// feature), and a `connect_timeout` of 10 seconds unless it says
/// otherwise.
///
/// [`PgConnectOptions`]: crate::PgConnectOptions
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let migrations = migrate_runtime::Migrations::from_dir("migrations")?;
/// let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite:app.db".to_owned());
/// let mut db = migrate_runtime::AnyConnection::open(&url)?;
/// println!("{}", migrations.run(&mut db)?);
/// # Ok(())
/// # }
/// ```
#[non_exhaustive]
pub enum AnyConnection {
    /// A PostgreSQL client.
    #[cfg(feature = "postgres")]
    Postgres(postgres::Client),
    /// A SQLite connection.
    #[cfg(feature = "sqlite")]
    Sqlite(rusqlite::Connection),
    /// A `tokio-postgres` client with a runtime of its own (feature
    /// `tokio-postgres`): the async driver, run from sync code.
    #[cfg(feature = "tokio-postgres")]
    TokioPostgres(super::TokioClient),
}

impl AnyConnection {
    /// Connects to the database `url` names; a SQLite file is created if
    /// it does not exist.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] for a URL of no known database (or one
    /// this build has no feature for) or settings it cannot honour (see
    /// [`PgConnectOptions::connect`](crate::PgConnectOptions::connect)),
    /// [`Error::Database`] when the connection fails or times out. Neither
    /// shows the URL, which may hold a password.
    pub fn open(url: &str) -> Result<Self, Error> {
        Self::connect(url, false)
    }

    /// As [`AnyConnection::open`], for reading only: a SQLite file that
    /// does not exist is not created, and reads as an empty database.
    ///
    /// # Errors
    /// As [`AnyConnection::open`].
    pub fn open_read_only(url: &str) -> Result<Self, Error> {
        Self::connect(url, true)
    }

    fn connect(url: &str, read_only: bool) -> Result<Self, Error> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Self::postgres(url);
        }
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            return Self::sqlite(path, read_only);
        }
        Err(Error::invalid_option(
            "database URL",
            "it must start with postgres://, postgresql:// or sqlite:",
        ))
    }

    #[cfg(feature = "postgres")]
    fn postgres(url: &str) -> Result<Self, Error> {
        super::PgConnectOptions::parse(url)?
            .connect()
            .map(AnyConnection::Postgres)
    }

    #[cfg(not(feature = "postgres"))]
    fn postgres(_url: &str) -> Result<Self, Error> {
        Err(Error::invalid_option(
            "database URL",
            "this build has no PostgreSQL support (feature `postgres`)",
        ))
    }

    #[cfg(feature = "sqlite")]
    fn sqlite(url_path: &str, read_only: bool) -> Result<Self, Error> {
        use rusqlite::OpenFlags;
        // `sqlite:app.db?mode=ro`: what follows `?` are SQLite's URI
        // parameters, not part of the file name.
        let (path, options) = url_path.split_once('?').unwrap_or((url_path, ""));
        if path.is_empty() {
            return Err(Error::invalid_option(
                "database URL",
                "a sqlite: URL needs a file (sqlite:app.db) or sqlite::memory:",
            ));
        }
        let opened = if path == ":memory:" || (read_only && !std::path::Path::new(path).exists()) {
            rusqlite::Connection::open_in_memory()
        } else if options.is_empty() {
            rusqlite::Connection::open(path)
        } else {
            let flags = OpenFlags::default() | OpenFlags::SQLITE_OPEN_URI;
            rusqlite::Connection::open_with_flags(format!("file:{path}?{options}"), flags)
        };
        opened
            .map(AnyConnection::Sqlite)
            .map_err(|e| Error::Database {
                engine: Engine::Sqlite,
                context: "opening the database",
                source: Box::new(e),
            })
    }

    #[cfg(not(feature = "sqlite"))]
    fn sqlite(_path: &str, _read_only: bool) -> Result<Self, Error> {
        Err(Error::invalid_option(
            "database URL",
            "this build has no SQLite support (feature `sqlite`)",
        ))
    }

    /// The database.
    #[must_use]
    pub fn engine(&self) -> Engine {
        match self {
            #[cfg(feature = "postgres")]
            AnyConnection::Postgres(_) => Engine::Postgres,
            #[cfg(feature = "sqlite")]
            AnyConnection::Sqlite(_) => Engine::Sqlite,
            #[cfg(feature = "tokio-postgres")]
            AnyConnection::TokioPostgres(_) => Engine::Postgres,
        }
    }
}

/// Shows only the database, never the connection's settings.
impl fmt::Debug for AnyConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AnyConnection")
            .field(&self.engine())
            .finish()
    }
}

impl Database for AnyConnection {}

impl super::private::Sealed for AnyConnection {
    fn driver(&mut self) -> Box<dyn Driver + '_> {
        match self {
            #[cfg(feature = "postgres")]
            AnyConnection::Postgres(c) => c.driver(),
            #[cfg(feature = "sqlite")]
            AnyConnection::Sqlite(c) => c.driver(),
            #[cfg(feature = "tokio-postgres")]
            AnyConnection::TokioPostgres(c) => c.driver(),
        }
    }
}

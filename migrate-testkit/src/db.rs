//! A test database on either engine.

use migrate_runtime::{AnyConnection, Engine, TokioClient};

use crate::{LiteDb, PgDb};

/// A fresh database of one engine, for the tests written once and run on
/// each: connections are [`AnyConnection`]s, opened from [`Db::url`].
pub enum Db {
    /// A fresh PostgreSQL database.
    Postgres(PgDb),
    /// A fresh PostgreSQL database whose connections from [`Db::open`] run
    /// the async driver (`tokio-postgres`), on a runtime of their own
    /// ([`AnyConnection::TokioPostgres`]): the contract on that driver.
    /// Connections a test opens from [`Db::url`] itself are sync ones.
    PostgresAsync(PgDb),
    /// A SQLite file in a fresh folder.
    Sqlite(LiteDb),
}

impl Db {
    /// A fresh PostgreSQL database; `None` when [`PgDb::create`] skips.
    #[must_use]
    pub fn postgres(test: &str) -> Option<Db> {
        PgDb::create(test).map(Db::Postgres)
    }

    /// A fresh PostgreSQL database opened by the async driver (see
    /// [`Db::PostgresAsync`]); `None` when [`PgDb::create`] skips.
    #[must_use]
    pub fn postgres_async(test: &str) -> Option<Db> {
        PgDb::create(test).map(Db::PostgresAsync)
    }

    /// A SQLite file in a fresh folder.
    #[must_use]
    pub fn sqlite() -> Db {
        Db::Sqlite(LiteDb::new())
    }

    /// A fresh database of `engine`; `None` when PostgreSQL skips.
    ///
    /// # Panics
    /// For an engine the kit does not know.
    #[must_use]
    pub fn create(engine: Engine, test: &str) -> Option<Db> {
        match engine {
            Engine::Postgres => Db::postgres(test),
            Engine::Sqlite => Some(Db::sqlite()),
            other => panic!("no test database for {other}"),
        }
    }

    /// The engine.
    #[must_use]
    pub fn engine(&self) -> Engine {
        match self {
            Db::Postgres(_) | Db::PostgresAsync(_) => Engine::Postgres,
            Db::Sqlite(_) => Engine::Sqlite,
        }
    }

    /// The URL [`AnyConnection::open`] takes: `postgres://…` or
    /// `sqlite:PATH`.
    #[must_use]
    pub fn url(&self) -> String {
        match self {
            Db::Postgres(pg) | Db::PostgresAsync(pg) => pg.url(),
            Db::Sqlite(lite) => lite.url(),
        }
    }

    /// A new connection.
    ///
    /// # Panics
    /// When the connection fails.
    #[must_use]
    pub fn open(&self) -> AnyConnection {
        match self {
            Db::Postgres(pg) => pg.open(),
            Db::PostgresAsync(pg) => AnyConnection::TokioPostgres(
                TokioClient::connect(&pg.url()).expect("connect to the test database"),
            ),
            Db::Sqlite(lite) => lite.open(),
        }
    }

    /// The PostgreSQL database, if this is one.
    #[must_use]
    pub fn as_postgres(&self) -> Option<&PgDb> {
        match self {
            Db::Postgres(pg) | Db::PostgresAsync(pg) => Some(pg),
            Db::Sqlite(_) => None,
        }
    }
}

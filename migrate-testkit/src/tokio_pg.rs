//! The async driver in the tests: reading back through a [`TokioClient`]
//! (the contract's third case, `Db::PostgresAsync`), and fresh databases
//! and clients for the tests on a tokio runtime ([`AsyncPgDb`]).

use migrate_runtime::tokio_postgres::{self, Client, NoTls, SimpleQueryMessage};
use migrate_runtime::{Engine, TokioClient};

use crate::{Inspect, PgDb};

impl Inspect for TokioClient {
    fn engine_of(&self) -> Engine {
        Engine::Postgres
    }

    fn execute_sql(&mut self, sql: &str) {
        self.block_on(self.client().batch_execute(sql))
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    fn rows(&mut self, sql: &str) -> Vec<Vec<Option<String>>> {
        self.block_on(self.client().simple_query(sql))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .into_iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(row) => Some(
                    (0..row.len())
                        .map(|i| row.get(i).map(str::to_owned))
                        .collect(),
                ),
                _ => None,
            })
            .collect()
    }
}

/// A fresh PostgreSQL database for the tests on a tokio runtime: a
/// [`PgDb`], made and dropped on a thread of its own, since the sync
/// client that makes and drops it cannot run on a runtime's thread (it
/// panics there). Clients are `tokio_postgres::Client`s whose connection
/// runs on the test's runtime.
pub struct AsyncPgDb {
    db: Option<PgDb>,
}

impl AsyncPgDb {
    /// Creates a fresh database named after `test`; `None` when
    /// [`PgDb::create`] skips (no server, outside CI).
    #[must_use]
    pub fn create(test: &str) -> Option<AsyncPgDb> {
        off_runtime(|| PgDb::create(test)).map(|db| AsyncPgDb { db: Some(db) })
    }

    /// The database.
    #[must_use]
    pub fn pg(&self) -> &PgDb {
        self.db.as_ref().expect("there until dropped")
    }

    /// A `postgres://` URL of the database.
    #[must_use]
    pub fn url(&self) -> String {
        self.pg().url()
    }

    /// A new client of the database, its connection spawned on the
    /// current runtime.
    ///
    /// # Panics
    /// When the connection fails, or outside a tokio runtime.
    pub async fn connect(&self) -> Client {
        connect(&self.url()).await
    }
}

impl Drop for AsyncPgDb {
    fn drop(&mut self) {
        if let Some(db) = self.db.take() {
            off_runtime(move || drop(db));
        }
    }
}

/// A new `tokio_postgres` client of `url`, its connection spawned on the
/// current runtime.
///
/// # Panics
/// When the connection fails, or outside a tokio runtime.
pub async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .expect("connect to the test database");
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// Runs `f` (sync database work: the kit's own clients) on a thread of
/// its own and waits for it: what a test on a tokio runtime does with sync
/// clients, which panic on a runtime's thread.
///
/// # Panics
/// When `f` panics.
pub fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().expect("the sync work panicked"))
}

//! A `tokio-postgres` client for sync code: the client and a
//! current-thread runtime of its own, which drives the client's
//! connection while a call blocks on it (as `postgres::Client` does). It
//! runs migrations with the sync methods, on the async driver.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use tokio::runtime::{Builder, Runtime};
use tokio::task::JoinHandle;
use tokio_postgres::Client;

use super::TokioPg;
use crate::backend::private::Sealed;
use crate::backend::{CodeCall, Database, DbFailure, Driver, Fut, LockAnswer, Row};
use crate::model::{CodeApi, Engine};
use crate::outcome::Error;

/// A `tokio_postgres::Client` with a current-thread runtime of its own,
/// for sync code: the sync methods ([`Migrations::run`](crate::Migrations::run),
/// [`Runner::status`](crate::Runner::status), …) take it, and run the
/// async driver on its runtime, so that the same program can use the
/// same client (and code migrations registered with
/// [`CodeMigration::tokio_postgres`](crate::CodeMigration::tokio_postgres))
/// from sync code and from async code.
///
/// Like `postgres::Client`, it blocks: inside a tokio runtime use the
/// client with the `*_async` methods instead (calling a sync method there
/// panics, as tokio does for any runtime started inside another).
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let migrations = migrate_runtime::Migrations::from_dir("migrations")?;
/// let mut client = migrate_runtime::TokioClient::connect("host=localhost user=postgres")?;
/// println!("{}", migrations.run(&mut client)?);
/// # Ok(())
/// # }
/// ```
pub struct TokioClient {
    /// `None` only while dropped (the client goes first, so that its
    /// connection ends the session cleanly).
    client: Option<Client>,
    connection: Option<JoinHandle<()>>,
    runtime: Runtime,
}

/// How long dropping a [`TokioClient`] waits for its connection to end
/// the session: a server that stopped answering must not hang the drop
/// (the connection waits for the answers of requests still in flight).
const GOODBYE: Duration = Duration::from_secs(1);

/// The current-thread runtime a [`TokioClient`] runs its client on.
pub(crate) fn client_runtime() -> Result<Runtime, Error> {
    Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| Error::Io {
            context: "starting the PostgreSQL client's runtime",
            source,
        })
}

impl TokioClient {
    /// Connects to `config`, a `postgres://` URL or a libpq `key=value`
    /// string, read as [`PgConnectOptions`] reads it: libpq's `sslmode`
    /// (TLS with the `tls` feature) and a bounded `connect_timeout`.
    ///
    /// [`PgConnectOptions`]: crate::PgConnectOptions
    ///
    /// # Errors
    /// As [`PgConnectOptions::connect_tokio`](crate::PgConnectOptions::connect_tokio).
    /// No error shows `config`, which may hold a password.
    pub fn connect(config: &str) -> Result<Self, Error> {
        crate::PgConnectOptions::parse(config)?.connect_tokio()
    }

    /// The client whose connection's task runs on `runtime`.
    pub(crate) fn from_parts(runtime: Runtime, client: Client, connection: JoinHandle<()>) -> Self {
        TokioClient {
            client: Some(client),
            connection: Some(connection),
            runtime,
        }
    }

    /// The client, for queries of the program's own: run its futures with
    /// [`TokioClient::block_on`], as in
    /// `conn.block_on(conn.client().simple_query("SELECT 1"))`.
    #[must_use]
    pub fn client(&self) -> &Client {
        self.client
            .as_ref()
            .expect("the client is there until dropped")
    }

    /// Runs `future` (a query of [`TokioClient::client`]) on the client's
    /// runtime, blocking the thread until it completes.
    ///
    /// # Panics
    /// Inside a tokio runtime, as tokio's own `block_on` does.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

/// Shows nothing of the connection's settings.
impl fmt::Debug for TokioClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokioClient").finish_non_exhaustive()
    }
}

impl Drop for TokioClient {
    fn drop(&mut self) {
        // Without its client, the connection says goodbye to the server
        // and ends; let it, unless this thread runs a runtime already.
        drop(self.client.take());
        if let Some(connection) = self.connection.take() {
            if tokio::runtime::Handle::try_current().is_err() {
                // The timer is made inside the runtime, which it needs.
                let _ = self
                    .runtime
                    .block_on(async { tokio::time::timeout(GOODBYE, connection).await });
            }
        }
    }
}

impl Database for TokioClient {}

impl Sealed for TokioClient {
    fn driver(&mut self) -> Box<dyn Driver + '_> {
        let TokioClient {
            client, runtime, ..
        } = self;
        let client = client.as_mut().expect("the client is there until dropped");
        Box::new(Blocking {
            runtime,
            inner: TokioPg::new(client),
        })
    }
}

/// The async driver, each call blocked on to completion on the client's
/// runtime: its futures are ready on their first poll, as a sync
/// driver's are.
struct Blocking<'a> {
    runtime: &'a Runtime,
    inner: TokioPg<'a>,
}

impl Driver for Blocking<'_> {
    fn engine(&self) -> Engine {
        Engine::Postgres
    }

    fn run<'a>(&'a mut self, sql: &'a str) -> Fut<'a, Result<Vec<Row>, DbFailure>> {
        Box::pin(async move { self.runtime.block_on(self.inner.run(sql)) })
    }

    fn try_lock<'a>(
        &'a mut self,
        key: i64,
        then: &'a str,
        within: std::time::Duration,
    ) -> Fut<'a, Result<LockAnswer, Error>> {
        Box::pin(async move {
            self.runtime
                .block_on(self.inner.try_lock(key, then, within))
        })
    }

    fn unlock<'a>(&'a mut self, key: i64, then: &'a str) -> Fut<'a, Result<(), Error>> {
        Box::pin(async move { self.runtime.block_on(self.inner.unlock(key, then)) })
    }

    fn pause(&mut self, pause: std::time::Duration) -> Fut<'_, ()> {
        Box::pin(async move { self.runtime.block_on(self.inner.pause(pause)) })
    }

    fn code<'a>(&'a mut self, call: CodeCall<'a>) -> Fut<'a, Result<(), DbFailure>> {
        Box::pin(async move { self.runtime.block_on(self.inner.code(call)) })
    }

    fn code_api(&self) -> CodeApi {
        self.inner.code_api()
    }

    fn cleanup_if_abandoned(&mut self, sql: String) {
        self.inner.cleanup_if_abandoned(sql);
    }

    fn canceller(&self) -> Option<crate::backend::Canceller> {
        self.inner.canceller()
    }

    fn max_batch(&self) -> usize {
        self.inner.max_batch()
    }
}

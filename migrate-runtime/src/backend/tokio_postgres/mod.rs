//! PostgreSQL through `tokio-postgres`: the async driver, as thin as the
//! sync one (`backend/postgres`) and sending the same messages, so that
//! the round trips are the same: the no-op boot is 1, a fresh apply of N
//! transactional migrations about N / 32, and so on.
//!
//! Its futures await the client, which needs the tokio runtime that
//! drives the client's connection: the async methods (`run_async`, …) run
//! it on the caller's runtime, and [`TokioClient`] on a runtime of its
//! own, for sync code. Errors are mapped by the sync driver's function:
//! `postgres::Error` is `tokio_postgres::Error`.

mod blocking;
mod code;
#[cfg(any(feature = "deadpool-postgres", feature = "bb8"))]
mod pools;

use std::time::Duration;

use futures_util::FutureExt as _;
use tokio_postgres::Client;

use super::postgres::{failure, lock_taken, rows, try_lock_sql, unlock_sql};
use super::private::AsyncSealed;
use super::{AsyncDatabase, CodeCall, DbFailure, Driver, Fut, LockAnswer, Row};
use crate::model::{CodeApi, Engine};
use crate::outcome::Error;

pub(crate) use blocking::client_runtime;
pub use blocking::TokioClient;

/// The most transactional migrations sent in one message, as on the sync
/// driver: a message costs a round trip and the server stops at its first
/// error.
const MAX_BATCH: usize = 32;

impl AsyncDatabase for Client {}

impl AsyncSealed for Client {
    fn async_driver(&mut self) -> Box<dyn Driver + '_> {
        Box::new(TokioPg::new(self))
    }
}

/// The driver over a client, its futures awaiting the client.
pub(super) struct TokioPg<'a> {
    client: &'a mut Client,
    /// The lock this session holds, if any.
    held: Option<i64>,
    /// What undoes the session's set-up for the writes.
    cleanup: String,
}

impl<'a> TokioPg<'a> {
    pub(super) fn new(client: &'a mut Client) -> Self {
        TokioPg {
            client,
            held: None,
            cleanup: String::new(),
        }
    }
}

/// Dropped while holding the lock, the operation's future was dropped
/// mid-run: what it sent runs to its end on the server, and the session
/// (a pool's, that lives on) must not keep the lock, the writing flag and
/// the bookkeeping statement. Each goes in a message of its own, queued
/// behind what is in flight without waiting (see [`queue`]): a `ROLLBACK`
/// of a transaction left open, the release, the clean-up.
impl Drop for TokioPg<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.held.take() {
            queue(self.client, "ROLLBACK");
            queue(self.client, &unlock_sql(key));
            if !self.cleanup.is_empty() {
                queue(self.client, &self.cleanup);
            }
        }
    }
}

impl Driver for TokioPg<'_> {
    fn engine(&self) -> Engine {
        Engine::Postgres
    }

    fn run<'a>(&'a mut self, sql: &'a str) -> Fut<'a, Result<Vec<Row>, DbFailure>> {
        Box::pin(async move {
            self.client
                .simple_query(sql)
                .await
                .map(rows)
                .map_err(failure)
        })
    }

    fn try_lock<'a>(
        &'a mut self,
        key: i64,
        then: &'a str,
        within: Duration,
    ) -> Fut<'a, Result<LockAnswer, Error>> {
        Box::pin(async move {
            let sql = try_lock_sql(key, then);
            let answer = tokio::time::timeout(within, self.client.simple_query(&sql)).await;
            let Ok(answer) = answer else {
                // The attempt may take the lock when the server runs it:
                // release it behind the attempt, so that the session does
                // not keep a lock no runner knows it holds (another runner
                // would wait for it as long as the connection lives).
                queue(self.client, &unlock_sql(key));
                return Ok(None);
            };
            let rows = answer.map(rows).map_err(|e| {
                failure(e).into_error(Engine::Postgres, "taking the migration lock")
            })?;
            let (got, rows) = lock_taken(rows);
            if got {
                self.held = Some(key);
            }
            Ok(Some((got, rows)))
        })
    }

    fn unlock<'a>(&'a mut self, key: i64, then: &'a str) -> Fut<'a, Result<(), Error>> {
        Box::pin(async move {
            let unlock = unlock_sql(key);
            self.held = None;
            let done = self
                .client
                .batch_execute(&format!("{then}\n{unlock}"))
                .await;
            if done.is_err() {
                // `then` failed and the rest of the message was skipped: a
                // session lock outlives a transaction, so release it alone.
                let _ = self.client.batch_execute(&unlock).await;
            }
            done.map_err(|e| {
                failure(e).into_error(Engine::Postgres, "releasing the migration lock")
            })
        })
    }

    fn pause(&mut self, pause: Duration) -> Fut<'_, ()> {
        // The timer is made on the first poll, on the runtime that polls
        // it: `tokio::time::sleep` itself needs a runtime when called,
        // which `TokioClient` enters only around the poll.
        Box::pin(async move { tokio::time::sleep(pause).await })
    }

    fn code<'a>(&'a mut self, call: CodeCall<'a>) -> Fut<'a, Result<(), DbFailure>> {
        Box::pin(code::run(self.client, call))
    }

    fn code_api(&self) -> CodeApi {
        CodeApi::TokioPostgres
    }

    fn cleanup_if_abandoned(&mut self, sql: String) {
        self.cleanup = sql;
    }

    fn canceller(&self) -> Option<super::Canceller> {
        Some(super::cancel::tokio_postgres(self.client.cancel_token()))
    }

    fn max_batch(&self) -> usize {
        MAX_BATCH
    }
}

/// Sends `sql` in a message of its own, behind what is in flight, without
/// waiting for it: tokio-postgres hands a query's message to its
/// connection on the query future's first poll, before it awaits the
/// answer, which the connection then reads and drops. (Releasing a lock
/// the session does not hold only makes the server warn.)
fn queue(client: &Client, sql: &str) {
    let _ = client.batch_execute(sql).now_or_never();
}

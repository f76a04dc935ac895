//! What a driver does for the protocol: execute text, lock, unlock, run a
//! code migration's function, and report its errors in one shape.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::model::{CodeApi, CodeError, Engine, Migration};
use crate::outcome::{Direction, DriverError, Error, ErrorCode};

/// A driver's future: boxed so that `dyn Driver` works, `Send` so that an
/// async service can run migrations on any task.
pub type Fut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Cancels, from any thread, what a connection runs now: a PostgreSQL
/// cancel request (a connection of its own to the server), SQLite's
/// interrupt. Blocks until the request is sent.
pub type Canceller = std::sync::Arc<dyn Fn() -> Result<(), DriverError> + Send + Sync>;

/// An attempt at the lock's answer: whether it took the lock, and the
/// rows of what followed it; `None` when no answer came in time.
pub type LockAnswer = Option<(bool, Vec<Row>)>;

/// A row a script returned: the first column's name (to tell the runner's
/// own rows apart from a migration's) and every value as text.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub label: String,
    pub values: Vec<Option<String>>,
}

impl Row {
    /// The value of column `i`, `None` for NULL or a missing column.
    pub fn get(&self, i: usize) -> Option<&str> {
        self.values.get(i).and_then(Option::as_deref)
    }
}

/// Where the database says an error is, in the text that was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// A 1-based character index (PostgreSQL).
    Char(usize),
    /// A 0-based byte offset (SQLite).
    Byte(usize),
}

/// A database error, as every driver reports it.
#[derive(Debug)]
pub struct DbFailure {
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    pub code: Option<ErrorCode>,
    pub position: Option<Position>,
    /// The script named a table (or schema) that does not exist.
    pub missing_table: bool,
    /// The database answered with this error (the connection is still
    /// there); false for a lost connection or a client-side error.
    pub answered: bool,
    /// The connection is gone (closed, or ended by the server): what the
    /// script did is unknown to this connection.
    pub lost: bool,
    pub source: Option<DriverError>,
}

impl DbFailure {
    /// A failure that is not the database's: a code migration's own error,
    /// or a script that cannot be split into statements.
    pub fn other(message: String, source: Option<DriverError>) -> Self {
        DbFailure {
            message,
            detail: None,
            hint: None,
            code: None,
            position: None,
            missing_table: false,
            answered: false,
            lost: false,
            source,
        }
    }

    /// The runner's error for a failure outside a migration's own SQL.
    pub fn into_error(self, engine: Engine, context: &'static str) -> Error {
        Error::Database {
            engine,
            context,
            source: self
                .source
                .unwrap_or_else(|| Box::<dyn std::error::Error + Send + Sync>::from(self.message)),
        }
    }
}

/// A code migration's function to run.
pub struct CodeCall<'a> {
    pub migration: &'a Migration,
    pub direction: Direction,
    /// `Some`: run it in a transaction of the driver's, with the session
    /// settings first and then the bookkeeping the closure makes of the
    /// function's time in milliseconds, and commit. `None`: run it on the
    /// connection itself.
    pub transaction: Option<(String, &'a (dyn Fn(f64) -> String + Sync))>,
}

/// A database connection as the protocol uses it.
pub trait Driver: Send {
    /// The database.
    fn engine(&self) -> Engine;

    /// Sends `sql` (one statement or several) as one message and returns
    /// the rows of every statement, in order. The server stops at the
    /// first error.
    fn run<'a>(&'a mut self, sql: &'a str) -> Fut<'a, Result<Vec<Row>, DbFailure>>;

    /// Tries once to take the migration lock `key`, without waiting and
    /// without leaving a transaction open, and runs `then` (empty for
    /// nothing) in the same message where the database allows, returning
    /// whether it took the lock and `then`'s rows.
    ///
    /// A driver that can stop waiting for its client (an async one) gives
    /// up after `within` and returns `None`: the attempt is then on its way
    /// or running, so it may still take the lock, and the driver queues
    /// the lock's release behind it. A sync client cannot stop waiting; its
    /// driver ignores `within`.
    fn try_lock<'a>(
        &'a mut self,
        key: i64,
        then: &'a str,
        within: Duration,
    ) -> Fut<'a, Result<LockAnswer, Error>>;

    /// Runs `then` (empty for nothing), then releases the lock `key`, in
    /// one message where the database allows; the lock is released even
    /// when `then` fails. `then` comes first so that what it stores (the
    /// digest of the state the run leaves) is in place before another
    /// runner can take the lock and begin writing.
    fn unlock<'a>(&'a mut self, key: i64, then: &'a str) -> Fut<'a, Result<(), Error>>;

    /// Waits `pause` (between attempts at the lock, before a retry).
    fn pause(&mut self, pause: Duration) -> Fut<'_, ()>;

    /// Runs a code migration's function for this database.
    fn code<'a>(&'a mut self, call: CodeCall<'a>) -> Fut<'a, Result<(), DbFailure>>;

    /// The client code migrations' functions take on this driver: those
    /// registered for it are the ones [`Driver::code`] runs.
    fn code_api(&self) -> CodeApi {
        CodeApi::sync(self.engine())
    }

    /// What undoes the session's set-up for the writes (`end_writes`
    /// without a digest), should the driver be dropped while it holds the
    /// lock: an async operation's future dropped mid-run (a timeout, a
    /// `select!`). A driver that can send without waiting then sends a
    /// `ROLLBACK`, the lock's release and this, each in a message of its
    /// own, behind what is in flight; a sync driver is never dropped
    /// mid-run and ignores it.
    fn cleanup_if_abandoned(&mut self, _sql: String) {}

    /// How to cancel, from another thread, the statement this connection
    /// runs; `None` where there is no way.
    fn canceller(&self) -> Option<Canceller> {
        None
    }

    /// How many transactional migrations one message may carry, each in
    /// its own `BEGIN … COMMIT`: more than one only where a message costs a
    /// round trip and the server stops at the first error in it.
    fn max_batch(&self) -> usize {
        1
    }
}

/// Runs a code migration's function, turning a panic into its error, so
/// that a panicking function fails like any other (its transaction rolled
/// back, its row marked) and the lock is still released.
pub fn guard<T>(f: impl FnOnce() -> Result<T, CodeError>) -> Result<T, CodeError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|p| Err(panicked(p)))
}

/// [`guard`] for an async function: a panic while it makes its future or
/// while the future runs is its error.
#[cfg(feature = "tokio-postgres")]
pub async fn guard_async<'f>(
    start: impl FnOnce() -> crate::model::CodeFuture<'f>,
) -> Result<(), CodeError> {
    use futures_util::FutureExt as _;
    use std::panic::AssertUnwindSafe;
    let work = std::panic::catch_unwind(AssertUnwindSafe(start)).map_err(panicked)?;
    AssertUnwindSafe(work)
        .catch_unwind()
        .await
        .unwrap_or_else(|p| Err(panicked(p)))
}

/// A code migration's panic as its error.
fn panicked(panic: Box<dyn std::any::Any + Send>) -> CodeError {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_owned());
    format!("the code migration panicked: {what}").into()
}

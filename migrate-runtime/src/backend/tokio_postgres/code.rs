//! Code migrations on PostgreSQL through `tokio-postgres`: the registered
//! async function gets the migration's transaction (whose bookkeeping the
//! protocol gives) or the client itself, and its future is awaited.

use std::time::Instant;

use tokio_postgres::Client;

use super::failure;
use crate::backend::code::{pick, CodeStep};
use crate::backend::{guard_async, CodeCall, DbFailure};
use crate::model::{CodeError, Engine};

/// Runs the function `call` names; a failure of the function or of the
/// bookkeeping rolls the transaction back (dropping it sends `ROLLBACK`).
pub(super) async fn run(client: &mut Client, call: CodeCall<'_>) -> Result<(), DbFailure> {
    let code = call.migration.code();
    let up = code.and_then(|c| c.tokio_postgres.clone());
    let down = code.and_then(|c| c.tokio_postgres_down.clone());
    match pick(&call, Engine::Postgres, up, down)? {
        CodeStep::Outside(f) => guard_async(|| f(client)).await.map_err(from_code),
        CodeStep::InTransaction(f, settings, record) => {
            let started = Instant::now();
            let mut tx = client.transaction().await.map_err(failure)?;
            if !settings.is_empty() {
                tx.batch_execute(settings).await.map_err(failure)?;
            }
            guard_async(|| f(&mut tx)).await.map_err(from_code)?;
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            tx.batch_execute(&record(ms)).await.map_err(failure)?;
            tx.commit().await.map_err(failure)
        }
    }
}

/// A function's error: a database error keeps the server's message,
/// detail, hint and SQLSTATE (the sync driver's mapping, for the same
/// error type).
fn from_code(e: CodeError) -> DbFailure {
    match e.downcast::<tokio_postgres::Error>() {
        Ok(pg) => failure(*pg),
        Err(other) => DbFailure::other(other.to_string(), Some(other)),
    }
}

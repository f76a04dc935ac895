//! Code migrations on PostgreSQL: the registered function gets the
//! migration's transaction (whose bookkeeping the protocol gives) or the
//! client itself.

use std::time::Instant;

use postgres::Client;

use super::failure;
use crate::backend::code::{pick, CodeStep};
use crate::backend::{guard, CodeCall, DbFailure};
use crate::model::{CodeError, Engine};

/// Runs the function `call` names; a failure of the function or of the
/// bookkeeping rolls the transaction back (dropping it).
pub(super) fn run(client: &mut Client, call: CodeCall<'_>) -> Result<(), DbFailure> {
    let code = call.migration.code();
    let up = code.and_then(|c| c.postgres.clone());
    let down = code.and_then(|c| c.postgres_down.clone());
    match pick(&call, Engine::Postgres, up, down)? {
        CodeStep::Outside(f) => guard(|| f(client)).map_err(from_code),
        CodeStep::InTransaction(f, settings, record) => {
            let started = Instant::now();
            let mut tx = client.transaction().map_err(failure)?;
            if !settings.is_empty() {
                tx.batch_execute(settings).map_err(failure)?;
            }
            guard(|| f(&mut tx)).map_err(from_code)?;
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            tx.batch_execute(&record(ms)).map_err(failure)?;
            tx.commit().map_err(failure)
        }
    }
}

/// A function's error: a database error keeps the server's message,
/// detail, hint and SQLSTATE.
fn from_code(e: CodeError) -> DbFailure {
    match e.downcast::<postgres::Error>() {
        Ok(pg) => failure(*pg),
        Err(other) => DbFailure::other(other.to_string(), Some(other)),
    }
}

//! Code migrations on SQLite: the registered function gets the migration's
//! `BEGIN IMMEDIATE` transaction (whose bookkeeping the protocol gives) or
//! the connection itself.

use std::time::Instant;

use rusqlite::{Connection, Transaction, TransactionBehavior};

use super::failure;
use crate::backend::code::{pick, CodeStep};
use crate::backend::{guard, CodeCall, DbFailure};
use crate::model::{CodeError, Engine};

/// Runs the function `call` names; a failure of the function or of the
/// bookkeeping rolls the transaction back (dropping it).
pub(super) fn run(conn: &mut Connection, call: CodeCall<'_>) -> Result<(), DbFailure> {
    let code = call.migration.code();
    let up = code.and_then(|c| c.sqlite.clone());
    let down = code.and_then(|c| c.sqlite_down.clone());
    match pick(&call, Engine::Sqlite, up, down)? {
        CodeStep::Outside(f) => guard(|| f(conn)).map_err(from_code),
        CodeStep::InTransaction(f, settings, record) => {
            let started = Instant::now();
            let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
                .map_err(failure)?;
            if !settings.is_empty() {
                tx.execute_batch(settings).map_err(failure)?;
            }
            guard(|| f(&tx)).map_err(from_code)?;
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            tx.execute_batch(&record(ms)).map_err(failure)?;
            tx.commit().map_err(failure)
        }
    }
}

/// A function's error: a database error keeps SQLite's code.
fn from_code(e: CodeError) -> DbFailure {
    match e.downcast::<rusqlite::Error>() {
        Ok(lite) => failure(*lite),
        Err(other) => DbFailure::other(other.to_string(), Some(other)),
    }
}

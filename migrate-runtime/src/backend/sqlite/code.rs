//! Code migrations on SQLite: the registered function gets the migration's
//! `BEGIN IMMEDIATE` transaction (whose bookkeeping the protocol gives) or
//! the connection itself.

use rusqlite::{Connection, Transaction, TransactionBehavior};

use super::failure;
use crate::backend::{guard, CodeCall, DbFailure};
use crate::model::{CodeError, Up};
use crate::outcome::Direction;

/// Runs the function `call` names; a failure of the function or of the
/// bookkeeping rolls the transaction back (dropping it).
pub(super) fn run(conn: &mut Connection, call: CodeCall<'_>) -> Result<(), DbFailure> {
    let code = call.migration.code();
    let up = code.and_then(|c| c.sqlite.clone());
    let down = code.and_then(|c| c.sqlite_down.clone());
    let started = std::time::Instant::now();
    match (call.direction, call.transaction, up) {
        (Direction::Up, None, Some(Up::Outside(f))) => guard(|| f(conn)).map_err(from_code),
        (direction, Some((settings, record)), up) => {
            let f = match (direction, up) {
                (Direction::Up, Some(Up::InTransaction(f))) => f,
                (Direction::Down, _) => down.ok_or_else(|| missing("down"))?,
                _ => return Err(missing("up")),
            };
            let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
                .map_err(failure)?;
            if !settings.is_empty() {
                tx.execute_batch(&settings).map_err(failure)?;
            }
            guard(|| f(&tx)).map_err(from_code)?;
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            tx.execute_batch(&record(ms)).map_err(failure)?;
            tx.commit().map_err(failure)
        }
        _ => Err(missing("up")),
    }
}

fn missing(which: &str) -> DbFailure {
    DbFailure::other(format!("it has no {which} function for SQLite"), None)
}

/// A function's error: a database error keeps SQLite's code.
fn from_code(e: CodeError) -> DbFailure {
    match e.downcast::<rusqlite::Error>() {
        Ok(lite) => failure(*lite),
        Err(other) => DbFailure::other(other.to_string(), Some(other)),
    }
}

//! Code migrations on PostgreSQL: the registered function gets the
//! migration's transaction (whose bookkeeping the protocol gives) or the
//! client itself.

use postgres::Client;

use super::failure;
use crate::backend::{CodeCall, DbFailure};
use crate::model::{CodeError, Up};
use crate::outcome::Direction;

/// Runs the function `call` names; a failure of the function or of the
/// bookkeeping rolls the transaction back (dropping it).
pub(super) fn run(client: &mut Client, call: CodeCall<'_>) -> Result<(), DbFailure> {
    let m = call.migration;
    let code = m.code();
    let up = code.and_then(|c| c.postgres.clone());
    let down = code.and_then(|c| c.postgres_down.clone());
    let started = std::time::Instant::now();
    match (call.direction, call.transaction, up) {
        (Direction::Up, None, Some(Up::Outside(f))) => {
            crate::backend::guard(|| f(client)).map_err(from_code)
        }
        (direction, Some((settings, record)), up) => {
            let f = match (direction, up) {
                (Direction::Up, Some(Up::InTransaction(f))) => f,
                (Direction::Down, _) => down.ok_or_else(|| missing("down"))?,
                _ => return Err(missing("up")),
            };
            let mut tx = client.transaction().map_err(failure)?;
            if !settings.is_empty() {
                tx.batch_execute(&settings).map_err(failure)?;
            }
            crate::backend::guard(|| f(&mut tx)).map_err(from_code)?;
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            tx.batch_execute(&record(ms)).map_err(failure)?;
            tx.commit().map_err(failure)
        }
        _ => Err(missing("up")),
    }
}

fn missing(which: &str) -> DbFailure {
    DbFailure::other(format!("it has no {which} function for PostgreSQL"), None)
}

/// A function's error: a database error keeps the server's message,
/// detail, hint and SQLSTATE.
fn from_code(e: CodeError) -> DbFailure {
    match e.downcast::<postgres::Error>() {
        Ok(pg) => failure(*pg),
        Err(other) => DbFailure::other(other.to_string(), Some(other)),
    }
}

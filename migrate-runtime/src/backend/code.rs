//! Which function of a code migration a call runs, decided once for every
//! driver: the driver then only calls it on its connection or in its
//! transaction.

use super::{CodeCall, DbFailure};
use crate::model::{Engine, Up};
use crate::outcome::Direction;

/// The function to run and how.
pub(crate) enum CodeStep<'a, Tx, Conn> {
    /// On the connection itself.
    Outside(Conn),
    /// In a transaction: the session settings first, then the function,
    /// then the bookkeeping made of its time in milliseconds.
    InTransaction(Tx, &'a str, &'a (dyn Fn(f64) -> String + Sync)),
}

/// Picks the function `call` asks for among a database's `up` and `down`.
pub(crate) fn pick<'a, Tx, Conn>(
    call: &'a CodeCall<'a>,
    engine: Engine,
    up: Option<Up<Tx, Conn>>,
    down: Option<Tx>,
) -> Result<CodeStep<'a, Tx, Conn>, DbFailure> {
    let missing =
        |which: &str| DbFailure::other(format!("it has no {which} function for {engine}"), None);
    match (call.direction, &call.transaction, up) {
        (Direction::Up, None, Some(Up::Outside(f))) => Ok(CodeStep::Outside(f)),
        (Direction::Up, Some((settings, record)), Some(Up::InTransaction(f))) => {
            Ok(CodeStep::InTransaction(f, settings, *record))
        }
        (Direction::Down, Some((settings, record)), _) => {
            let f = down.ok_or_else(|| missing("down"))?;
            Ok(CodeStep::InTransaction(f, settings, *record))
        }
        _ => Err(missing("up")),
    }
}

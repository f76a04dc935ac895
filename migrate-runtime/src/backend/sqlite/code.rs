//! Code migrations on SQLite: the registered function runs in the
//! migration's `BEGIN IMMEDIATE` transaction, which also records its
//! tracking row, or on the connection itself between the no-transaction
//! marks.

use std::time::Instant;

use rusqlite::{params, Transaction, TransactionBehavior};

use super::{actor, lite, log_event, version_i64, Lite};
use crate::backend::Tracking;
use crate::code::{CodeError, LiteTxFn, Up};
use crate::error::Error;
use crate::migration::Migration;

impl Lite<'_> {
    pub(super) fn apply_code(
        &mut self,
        t: &Tracking,
        m: &Migration,
        file: &str,
    ) -> Result<(), Error> {
        match m.code().and_then(|c| c.sqlite.clone()) {
            Some(Up::Outside(f)) => self.apply_one(t, m, |lite| {
                f(lite.conn).map_err(|e| failure(m, file, &e, true))
            }),
            Some(Up::InTransaction(f)) => self.in_transaction(t, m, file, &f, Direction::Up),
            None => Err(missing(m, "up")),
        }
    }

    pub(super) fn revert_code(
        &mut self,
        t: &Tracking,
        m: &Migration,
        file: &str,
    ) -> Result<(), Error> {
        match m.code().and_then(|c| c.sqlite_down.clone()) {
            Some(f) => self.in_transaction(t, m, file, &f, Direction::Down),
            None => Err(missing(m, "down")),
        }
    }

    /// Runs `f` in a transaction that also adds (up) or removes (down) the
    /// tracking row and logs the event; a failure rolls it all back and is
    /// logged.
    fn in_transaction(
        &mut self,
        t: &Tracking,
        m: &Migration,
        file: &str,
        f: &LiteTxFn,
        direction: Direction,
    ) -> Result<(), Error> {
        let started = Instant::now();
        let id = (m.version(), m.name(), m.checksum());
        let tx = Transaction::new_unchecked(self.conn, TransactionBehavior::Immediate)
            .map_err(lite("starting a code migration's transaction"))?;
        if let Err(e) = f(&tx) {
            drop(tx);
            let error = failure(m, file, &e, false);
            let _ = log_event(self.conn, t, id, "failure", None, Some(&error.to_string()));
            return Err(error);
        }
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let recorded = match direction {
            Direction::Up => tx
                .execute(
                    &format!(
                        "INSERT INTO {} (version, name, checksum, execution_ms, applied_by, no_transaction) \
                         VALUES (?1, ?2, ?3, ?4, ?5, 0)",
                        t.history
                    ),
                    params![version_i64(m), m.name(), m.checksum(), ms, actor()],
                )
                .and_then(|_| log_event(&tx, t, id, "apply", Some(ms), None)),
            Direction::Down => tx
                .execute(
                    &format!("DELETE FROM {} WHERE version = ?1", t.history),
                    [version_i64(m)],
                )
                .and_then(|_| {
                    log_event(&tx, t, id, "rollback", None, Some("down: Rust code (embedded)"))
                }),
        };
        recorded
            .and_then(|()| tx.commit())
            .map_err(lite("recording a code migration"))
    }
}

#[derive(Clone, Copy)]
enum Direction {
    Up,
    Down,
}

fn missing(m: &Migration, which: &str) -> Error {
    Error::InvalidCode {
        version: m.version(),
        name: m.name().to_owned(),
        reason: format!("it has no {which} function for SQLite"),
    }
}

/// A code migration's error as a migration failure, with SQLite's code
/// when it is a database error.
fn failure(m: &Migration, file: &str, e: &CodeError, partial: bool) -> Error {
    let code = match e.downcast_ref::<rusqlite::Error>() {
        Some(rusqlite::Error::SqliteFailure(f, _)) => Some(format!("{:?}", f.code)),
        _ => None,
    };
    Error::MigrationFailed {
        version: m.version(),
        name: m.name().to_owned(),
        file: file.to_owned(),
        line: None,
        column: None,
        message: e.to_string(),
        detail: None,
        hint: None,
        code,
        partial,
    }
}

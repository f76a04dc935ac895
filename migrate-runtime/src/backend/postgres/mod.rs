//! PostgreSQL through the synchronous `postgres` crate: a thin driver.
//!
//! Round trips (each one simple-query message), as the protocol sends
//! them:
//! - the no-op boot: 1 (the digest kept as the tracking table's comment);
//! - reading the tracking table: 1;
//! - transactional migrations: up to 32 of them (256 KiB of SQL) in one
//!   message, each `BEGIN`, the migration, its bookkeeping (one prepared
//!   statement) and `COMMIT`, so a fresh apply of N costs about N / 32;
//! - a no-transaction migration: 2 + one per statement;
//! - per run with work: 1 per lock attempt, 1 to set up (tables, session,
//!   prepared statement), 1 to re-read, 1 to finish (unlock, digest);
//! - the first run on a database without a tracking table: 1 to look for
//!   another tool's.
//!
//! A failure costs 3 more (`ROLLBACK`, reading what committed, the failure
//! event), plus one per statement when the server gave no error position
//! and the statement is found by replaying the migration in a transaction
//! that is rolled back.

mod code;

use std::time::Duration;

use postgres::error::SqlState as PgState;
use postgres::{Client, SimpleQueryMessage};

use super::{CodeCall, Database, DbFailure, Driver, Fut, LockAnswer, Position, Row};
use crate::model::Engine;
use crate::outcome::{Error, ErrorCode, SqlState};

/// The message of one attempt at the lock `key`: the attempt's answer
/// first, then `then`'s rows (the async driver sends the same).
pub(super) fn try_lock_sql(key: i64, then: &str) -> String {
    format!("SELECT pg_try_advisory_lock({key});\n{then}")
}

/// Splits the answer to [`try_lock_sql`]: whether the lock was taken, and
/// `then`'s rows.
pub(super) fn lock_taken(mut rows: Vec<Row>) -> (bool, Vec<Row>) {
    let got = !rows.is_empty() && rows.remove(0).get(0) == Some("t");
    (got, rows)
}

/// Releases the session lock `key`. Sent after `then`, in the same
/// message; sent alone again when that message failed, since a session
/// lock outlives the transaction the failure ended.
pub(super) fn unlock_sql(key: i64) -> String {
    format!("SELECT pg_advisory_unlock({key});")
}

/// The most transactional migrations sent in one message.
const MAX_BATCH: usize = 32;

impl Database for Client {}

impl super::private::Sealed for Client {
    fn driver(&mut self) -> Box<dyn Driver + '_> {
        Box::new(Pg { client: self })
    }
}

struct Pg<'a> {
    client: &'a mut Client,
}

impl Driver for Pg<'_> {
    fn engine(&self) -> Engine {
        Engine::Postgres
    }

    fn run<'a>(&'a mut self, sql: &'a str) -> Fut<'a, Result<Vec<Row>, DbFailure>> {
        Box::pin(async move { self.client.simple_query(sql).map(rows).map_err(failure) })
    }

    fn try_lock<'a>(
        &'a mut self,
        key: i64,
        then: &'a str,
        // A sync client cannot stop waiting for its answer.
        _within: Duration,
    ) -> Fut<'a, Result<LockAnswer, Error>> {
        Box::pin(async move {
            let rows = self.client.simple_query(&try_lock_sql(key, then)).map(rows);
            let rows = rows.map_err(|e| {
                failure(e).into_error(Engine::Postgres, "taking the migration lock")
            })?;
            Ok(Some(lock_taken(rows)))
        })
    }

    fn unlock<'a>(&'a mut self, key: i64, then: &'a str) -> Fut<'a, Result<(), Error>> {
        Box::pin(async move {
            let unlock = unlock_sql(key);
            let done = self.client.batch_execute(&format!("{then}\n{unlock}"));
            if done.is_err() {
                // `then` failed and the rest of the message was skipped: a
                // session lock outlives a transaction, so release it alone.
                let _ = self.client.batch_execute(&unlock);
            }
            done.map_err(|e| {
                failure(e).into_error(Engine::Postgres, "releasing the migration lock")
            })
        })
    }

    fn pause(&mut self, pause: Duration) -> Fut<'_, ()> {
        Box::pin(async move { std::thread::sleep(pause) })
    }

    fn code<'a>(&'a mut self, call: CodeCall<'a>) -> Fut<'a, Result<(), DbFailure>> {
        Box::pin(async move { code::run(self.client, call) })
    }

    fn canceller(&self) -> Option<super::Canceller> {
        Some(super::cancel::postgres(self.client.cancel_token()))
    }

    fn max_batch(&self) -> usize {
        MAX_BATCH
    }
}

/// The rows of every statement, each value as text.
pub(super) fn rows(messages: Vec<SimpleQueryMessage>) -> Vec<Row> {
    messages
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(Row {
                label: row
                    .columns()
                    .first()
                    .map_or_else(String::new, |c| c.name().to_owned()),
                values: (0..row.len())
                    .map(|i| row.get(i).map(str::to_owned))
                    .collect(),
            }),
            _ => None,
        })
        .collect()
}

/// The client's error in the protocol's shape: the server's message,
/// detail, hint, SQLSTATE and position when the server answered.
pub(super) fn failure(e: postgres::Error) -> DbFailure {
    let Some(db) = e.as_db_error() else {
        return DbFailure {
            message: e.to_string(),
            lost: e.is_closed(),
            ..DbFailure::other(String::new(), Some(Box::new(e)))
        };
    };
    let code = db.code();
    // Class 57P (the server ended the session: terminated, shutting down)
    // and 08 (connection exceptions) leave no session to ask.
    let lost = e.is_closed() || code.code().starts_with("57P") || code.code().starts_with("08");
    let position = match db.position() {
        Some(postgres::error::ErrorPosition::Original(p)) => {
            usize::try_from(*p).ok().map(Position::Char)
        }
        _ => None,
    };
    DbFailure {
        message: db.message().to_owned(),
        detail: db.detail().map(str::to_owned),
        hint: db.hint().map(str::to_owned),
        code: Some(ErrorCode::SqlState(SqlState::new(code.code()))),
        position,
        missing_table: *code == PgState::UNDEFINED_TABLE || *code == PgState::INVALID_SCHEMA_NAME,
        answered: true,
        lost,
        source: Some(Box::new(e)),
    }
}

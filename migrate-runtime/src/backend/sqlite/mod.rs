//! SQLite through `rusqlite` (bundled SQLite): a thin driver.
//!
//! SQLite runs in-process, so round trips cost nothing; the protocol runs
//! each migration statement by statement inside `BEGIN IMMEDIATE … COMMIT`,
//! which tells exactly which statement failed. The migration lock is an
//! exclusive lock on a file beside the database
//! (`<database>.migrate-lock`), released by the operating system if the
//! process dies; in-memory databases need none.

mod code;

use std::fs::{File, OpenOptions, TryLockError};
use std::time::Duration;

use rusqlite::fallible_iterator::FallibleIterator as _;
use rusqlite::types::ValueRef;
use rusqlite::{Batch, Connection};

use super::{CodeCall, Database, DbFailure, Driver, Fut, LockAnswer, Position, Row};
use crate::model::Engine;
use crate::outcome::{Error, ErrorCode};

/// What opening a symbolic link with `O_NOFOLLOW` fails with.
#[cfg(unix)]
const ELOOP: i32 = libc::ELOOP;
#[cfg(not(unix))]
const ELOOP: i32 = -1;

impl Database for Connection {}

impl super::private::Sealed for Connection {
    fn driver(&mut self) -> Box<dyn Driver + '_> {
        Box::new(Lite {
            conn: self,
            lock: None,
        })
    }
}

struct Lite<'a> {
    conn: &'a mut Connection,
    lock: Option<File>,
}

impl Driver for Lite<'_> {
    fn engine(&self) -> Engine {
        Engine::Sqlite
    }

    fn run<'a>(&'a mut self, sql: &'a str) -> Fut<'a, Result<Vec<Row>, DbFailure>> {
        Box::pin(async move { run(self.conn, sql).map_err(failure) })
    }

    fn try_lock<'a>(
        &'a mut self,
        _key: i64,
        then: &'a str,
        // The lock file never makes it wait; `then` waits at most the
        // busy timeout, which the session set to the lock wait.
        _within: Duration,
    ) -> Fut<'a, Result<LockAnswer, Error>> {
        Box::pin(async move {
            let got = self.lock_file()?;
            let rows = run(self.conn, then)
                .map_err(|e| failure(e).into_error(Engine::Sqlite, "taking the migration lock"))?;
            Ok(Some((got, rows)))
        })
    }

    fn unlock<'a>(&'a mut self, _key: i64, then: &'a str) -> Fut<'a, Result<(), Error>> {
        Box::pin(async move {
            let file = self.lock.take();
            let done = run(self.conn, then).map(drop);
            if let Some(file) = file {
                file.unlock().map_err(|source| Error::Io {
                    context: "releasing the migration lock file",
                    source,
                })?;
            }
            done.map_err(|e| failure(e).into_error(Engine::Sqlite, "releasing the migration lock"))
        })
    }

    fn pause(&mut self, pause: Duration) -> Fut<'_, ()> {
        Box::pin(async move { std::thread::sleep(pause) })
    }

    fn code<'a>(&'a mut self, call: CodeCall<'a>) -> Fut<'a, Result<(), DbFailure>> {
        Box::pin(async move { code::run(self.conn, call) })
    }

    fn canceller(&self) -> Option<super::Canceller> {
        Some(super::cancel::sqlite(self.conn.get_interrupt_handle()))
    }
}

impl Lite<'_> {
    /// Takes the lock file beside the database, if nobody holds it.
    fn lock_file(&mut self) -> Result<bool, Error> {
        let path = match self.conn.path() {
            Some(p) if !p.is_empty() => format!("{p}.migrate-lock"),
            // An in-memory or temporary database is private to this
            // connection: nobody else can migrate it.
            _ => return Ok(true),
        };
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            // Readable by its owner only, and never through a link planted
            // where the lock file goes.
            options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
        }
        let file = options.open(&path).map_err(|source| Error::Io {
            context: if source.raw_os_error() == Some(ELOOP) {
                "opening the migration lock file, which is a symbolic link (refused: remove it)"
            } else {
                "opening the migration lock file"
            },
            source,
        })?;
        match file.try_lock() {
            Ok(()) => {
                self.lock = Some(file);
                Ok(true)
            }
            Err(TryLockError::WouldBlock) => Ok(false),
            Err(TryLockError::Error(source)) => Err(Error::Io {
                context: "locking the migration lock file",
                source,
            }),
        }
    }
}

/// Runs every statement of `sql`, returning the rows of each, values as
/// text.
fn run(conn: &Connection, sql: &str) -> rusqlite::Result<Vec<Row>> {
    let mut out = Vec::new();
    let mut batch = Batch::new(conn, sql);
    while let Some(mut stmt) = batch.next()? {
        // `column_name`, not `column_names()`: the latter is a Vec before
        // rusqlite 0.41 and an iterator since (the dependency is a range).
        let label = stmt.column_name(0).unwrap_or_default().to_owned();
        let width = stmt.column_count();
        let mut rows = stmt.raw_query();
        while let Some(row) = rows.next()? {
            let values = (0..width)
                .map(|i| row.get_ref(i).map(text))
                .collect::<rusqlite::Result<_>>()?;
            out.push(Row {
                label: label.clone(),
                values,
            });
        }
    }
    Ok(out)
}

fn text(value: ValueRef<'_>) -> Option<String> {
    match value {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    }
}

/// rusqlite's error in the protocol's shape: the message, the extended
/// result code, and the byte offset of a syntax error in the statement.
pub(super) fn failure(e: rusqlite::Error) -> DbFailure {
    let (message, code, position) = match &e {
        rusqlite::Error::SqliteFailure(f, msg) => (
            msg.clone().unwrap_or_else(|| f.to_string()),
            Some(ErrorCode::Sqlite(f.extended_code)),
            None,
        ),
        rusqlite::Error::SqlInputError {
            error, msg, offset, ..
        } => (
            msg.clone(),
            Some(ErrorCode::Sqlite(error.extended_code)),
            usize::try_from(*offset).ok().map(Position::Byte),
        ),
        other => (other.to_string(), None, None),
    };
    DbFailure {
        missing_table: message.starts_with("no such table"),
        answered: code.is_some(),
        lost: false,
        message,
        detail: None,
        hint: None,
        code,
        position,
        source: Some(Box::new(e)),
    }
}

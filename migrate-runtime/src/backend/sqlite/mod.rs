//! SQLite through `rusqlite` (bundled SQLite).
//!
//! SQLite runs in-process, so round trips cost nothing; each migration runs
//! statement by statement inside `BEGIN IMMEDIATE … COMMIT`, which tells us
//! exactly which statement failed. The migration lock is an exclusive lock
//! on a file beside the database (`<database>.migrate-lock`), released by
//! the operating system if the process dies; in-memory databases need none.

use std::fs::{File, OpenOptions, TryLockError};
use std::time::Instant;

use rusqlite::{params, Connection, OptionalExtension};

mod code;
mod seeds;

use super::Change;
use super::{Applied, AppliedRow, Backend, Database, HistoryRow, Revert, RowState, Step, Tracking};
use crate::error::Error;
use crate::history::Event;
use crate::migration::Migration;
use crate::sql;

impl Database for Connection {}

impl super::private::Sealed for Connection {
    fn backend(&mut self) -> Box<dyn Backend + '_> {
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

fn lite(context: &'static str) -> impl FnOnce(rusqlite::Error) -> Error {
    move |source| Error::Sqlite { context, source }
}

/// Who applies: the operating system user, as SQLite has no users.
fn actor() -> Option<String> {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
}

fn version_i64(m: &Migration) -> i64 {
    i64::try_from(m.version()).expect("the scanner limits versions to 14 digits")
}

impl Backend for Lite<'_> {
    fn engine(&self) -> &'static str {
        "SQLite"
    }

    fn read_applied(
        &mut self,
        t: &Tracking,
        _refresh_cache: bool,
    ) -> Result<Vec<AppliedRow>, Error> {
        if !self.table_exists(t, &t.table)? {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT version, name, checksum, status FROM {} ORDER BY version",
                t.history
            ))
            .map_err(lite("reading the tracking table"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(AppliedRow {
                    version: u64::try_from(r.get::<_, i64>(0)?).unwrap_or_default(),
                    name: r.get(1)?,
                    checksum: r.get(2)?,
                    status: RowState::parse(&r.get::<_, String>(3)?),
                })
            })
            .map_err(lite("reading the tracking table"))?;
        rows.collect::<Result<_, _>>()
            .map_err(lite("reading the tracking table"))
    }

    fn read_rows(&mut self, t: &Tracking) -> Result<Vec<HistoryRow>, Error> {
        if !self.table_exists(t, &t.table)? {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT version, name, checksum, status, applied_at, execution_ms, applied_by, down_sql \
                 FROM {} ORDER BY version",
                t.history
            ))
            .map_err(lite("reading the tracking table"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(HistoryRow {
                    row: AppliedRow {
                        version: u64::try_from(r.get::<_, i64>(0)?).unwrap_or_default(),
                        name: r.get(1)?,
                        checksum: r.get(2)?,
                        status: RowState::parse(&r.get::<_, String>(3)?),
                    },
                    applied_at: r.get(4)?,
                    execution_ms: r.get(5)?,
                    applied_by: r.get(6)?,
                    down_sql: r.get(7)?,
                })
            })
            .map_err(lite("reading the tracking table"))?;
        rows.collect::<Result<_, _>>()
            .map_err(lite("reading the tracking table"))
    }

    fn read_events(&mut self, t: &Tracking, limit: usize) -> Result<Vec<Event>, Error> {
        if !self.table_exists(t, &format!("{}_events", t.table))? {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT id, version, name, event, checksum, at, execution_ms, actor, detail \
                 FROM {} ORDER BY id DESC LIMIT ?1",
                t.events
            ))
            .map_err(lite("reading the event log"))?;
        let rows = stmt
            .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
                Ok(Event {
                    id: r.get(0)?,
                    version: r
                        .get::<_, Option<i64>>(1)?
                        .and_then(|v| u64::try_from(v).ok()),
                    name: r.get(2)?,
                    event: r.get(3)?,
                    checksum: r.get(4)?,
                    at: r.get(5)?,
                    execution_ms: r.get(6)?,
                    actor: r.get(7)?,
                    detail: r.get(8)?,
                })
            })
            .map_err(lite("reading the event log"))?;
        rows.collect::<Result<_, _>>()
            .map_err(lite("reading the event log"))
    }

    fn revert(&mut self, t: &Tracking, step: &Revert<'_>) -> Result<(), Error> {
        if let Some(m) = step.code {
            return self.revert_code(t, m, &step.file);
        }
        let id = (step.version, step.name, step.checksum);
        let version = i64::try_from(step.version).unwrap_or(i64::MAX);
        let transactional = !step.no_transaction;
        if transactional {
            self.conn
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(lite("starting a rollback's transaction"))?;
        }
        let ran = self.run_statements(
            (step.version, step.name),
            step.sql,
            &step.file,
            !transactional,
        );
        if let Err(error) = ran {
            if transactional {
                let _ = self.conn.execute_batch("ROLLBACK");
            } else {
                let _ = self.conn.execute(
                    &format!(
                        "UPDATE {} SET status = 'failed' WHERE version = ?1",
                        t.history
                    ),
                    [version],
                );
            }
            let _ = self.log_event(t, id, "failure", None, Some(&error.to_string()));
            return Err(error);
        }
        let detail = format!("down SQL: {}", step.source);
        let recorded = self
            .conn
            .execute(
                &format!("DELETE FROM {} WHERE version = ?1", t.history),
                [version],
            )
            .and_then(|_| self.log_event(t, id, "rollback", None, Some(&detail)));
        self.finish(
            transactional,
            recorded,
            "removing a rolled back migration's tracking row",
        )
    }

    fn read_seeds(
        &mut self,
        t: &Tracking,
        env: &str,
    ) -> Result<std::collections::BTreeMap<String, String>, Error> {
        self.read_seed_table(t, env)
    }

    fn apply_seed(
        &mut self,
        t: &Tracking,
        seed: &crate::seeds::Seed,
        path: &str,
    ) -> Result<(), Error> {
        self.run_seed(t, seed, path)
    }

    fn record(&mut self, t: &Tracking, changes: &[Change<'_>]) -> Result<(), Error> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(lite("starting a transaction"))?;
        let mut result = Ok(());
        for c in changes {
            result = self.record_one(t, c);
            if result.is_err() {
                break;
            }
        }
        let result = result.and_then(|()| self.conn.execute_batch("COMMIT"));
        if let Err(source) = result {
            let _ = self.conn.execute_batch("ROLLBACK");
            return Err(lite("changing the tracking table")(source));
        }
        Ok(())
    }

    fn try_lock(&mut self, _t: &Tracking) -> Result<bool, Error> {
        let path = match self.conn.path() {
            Some(p) if !p.is_empty() => format!("{p}.migrate-lock"),
            // An in-memory or temporary database is private to this
            // connection: nobody else can migrate it.
            _ => return Ok(true),
        };
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| Error::Io {
                context: "opening the migration lock file",
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

    fn end_writes(&mut self, _t: &Tracking, _digest: Option<&str>) -> Result<(), Error> {
        match self.lock.take() {
            Some(file) => file.unlock().map_err(|source| Error::Io {
                context: "releasing the migration lock file",
                source,
            }),
            None => Ok(()),
        }
    }

    fn begin_writes(&mut self, t: &Tracking) -> Result<(), Error> {
        self.conn
            .execute_batch(&format!(
                "CREATE TABLE IF NOT EXISTS {history} (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'applied' CHECK (status IN ('applied', 'in_progress', 'failed')),
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    execution_ms REAL,
    applied_by TEXT,
    no_transaction INTEGER NOT NULL DEFAULT 0,
    down_sql TEXT
);
CREATE TABLE IF NOT EXISTS {events} (
    id INTEGER PRIMARY KEY,
    version INTEGER,
    name TEXT,
    event TEXT NOT NULL,
    checksum TEXT,
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    execution_ms REAL,
    actor TEXT,
    detail TEXT
);",
                history = t.history,
                events = t.events,
            ))
            .map_err(lite("creating the tracking tables"))
    }

    fn apply(&mut self, t: &Tracking, batch: &[Step<'_>]) -> Applied {
        let mut applied = Applied {
            durations: Vec::with_capacity(batch.len()),
            error: None,
        };
        for step in batch {
            let started = Instant::now();
            let (m, file) = (step.migration, step.file.as_str());
            let result = match m.code() {
                Some(_) => self.apply_code(t, m, file),
                None => self.apply_one(t, m, |lite| {
                    lite.run_statements(
                        (m.version(), m.name()),
                        m.up_sql(),
                        file,
                        m.no_transaction(),
                    )
                }),
            };
            match result {
                Ok(()) => applied.durations.push(started.elapsed()),
                Err(e) => {
                    applied.error = Some(e);
                    break;
                }
            }
        }
        applied
    }
}

impl Lite<'_> {
    /// Ends the bookkeeping of a migration: commits its transaction if it
    /// has one and the bookkeeping succeeded, rolls it back otherwise.
    fn finish(
        &mut self,
        transactional: bool,
        recorded: rusqlite::Result<()>,
        context: &'static str,
    ) -> Result<(), Error> {
        let result = recorded.and_then(|()| {
            if transactional {
                self.conn.execute_batch("COMMIT")
            } else {
                Ok(())
            }
        });
        if let Err(source) = result {
            if transactional {
                let _ = self.conn.execute_batch("ROLLBACK");
            }
            return Err(lite(context)(source));
        }
        Ok(())
    }

    fn record_one(&mut self, t: &Tracking, change: &Change<'_>) -> rusqlite::Result<()> {
        let v = |version: u64| i64::try_from(version).unwrap_or(i64::MAX);
        match *change {
            Change::Stamp { version, name, checksum, down_sql } => self.conn.execute(
                &format!(
                    "INSERT INTO {} (version, name, checksum, applied_by, no_transaction, down_sql) \
                     VALUES (?1, ?2, ?3, ?4, 0, ?5)",
                    t.history
                ),
                params![v(version), name, checksum, actor(), down_sql],
            )?,
            Change::Rechecksum { version, new, down_sql, .. } => self.conn.execute(
                &format!("UPDATE {} SET checksum = ?2, down_sql = ?3 WHERE version = ?1", t.history),
                params![v(version), new, down_sql],
            )?,
            Change::Unmark { version, .. } => self
                .conn
                .execute(&format!("DELETE FROM {} WHERE version = ?1", t.history), [v(version)])?,
        };
        let (version, name, kind, checksum, detail) = change.event();
        self.log_event(t, (version, name, checksum), kind, None, Some(&detail))
    }

    /// Whether a table exists in the tracking tables' schema.
    fn table_exists(&mut self, t: &Tracking, table: &str) -> Result<bool, Error> {
        let master = match &t.schema {
            Some(s) => format!("{}.sqlite_master", super::quote_ident(s)),
            None => "sqlite_master".to_owned(),
        };
        self.conn
            .query_row(
                &format!("SELECT 1 FROM {master} WHERE type = 'table' AND name = ?1"),
                [table],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map(|found| found.is_some())
            .map_err(lite("reading the tracking table"))
    }

    /// Applies a migration by running `work`: in a transaction with its
    /// tracking row, or outside one between an `in_progress` mark and an
    /// `applied` (or `failed`) one. A row left marked by an interrupted
    /// resumable code migration is marked again.
    fn apply_one(
        &mut self,
        t: &Tracking,
        m: &Migration,
        work: impl FnOnce(&mut Self) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let started = Instant::now();
        let transactional = !m.no_transaction();
        if transactional {
            self.conn
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(lite("starting a migration's transaction"))?;
        } else {
            self.conn
                .execute(
                    &format!(
                        "INSERT INTO {} (version, name, checksum, status, applied_by, no_transaction, down_sql) \
                         VALUES (?1, ?2, ?3, 'in_progress', ?4, 1, ?5) \
                         ON CONFLICT (version) DO UPDATE SET status = 'in_progress', checksum = excluded.checksum",
                        t.history
                    ),
                    params![version_i64(m), m.name(), m.checksum(), actor(), m.down_sql()],
                )
                .and_then(|_| self.insert_event(t, m, "start", None, None))
                .map_err(lite("marking a no-transaction migration in progress"))?;
        }
        if let Err(error) = work(self) {
            if transactional {
                let _ = self.conn.execute_batch("ROLLBACK");
            } else {
                let _ = self.conn.execute(
                    &format!(
                        "UPDATE {} SET status = 'failed' WHERE version = ?1",
                        t.history
                    ),
                    [version_i64(m)],
                );
            }
            // Failing to log must not hide the migration's own error.
            let _ = self.insert_event(t, m, "failure", None, Some(&error.to_string()));
            return Err(error);
        }
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let recorded = if transactional {
            self.conn.execute(
                &format!(
                    "INSERT INTO {} (version, name, checksum, execution_ms, applied_by, no_transaction, down_sql) \
                     VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)",
                    t.history
                ),
                params![version_i64(m), m.name(), m.checksum(), ms, actor(), m.down_sql()],
            )
        } else {
            self.conn.execute(
                &format!(
                    "UPDATE {} SET status = 'applied', execution_ms = ?2, \
                     applied_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE version = ?1",
                    t.history
                ),
                params![version_i64(m), ms],
            )
        };
        let recorded = recorded.and_then(|_| self.insert_event(t, m, "apply", Some(ms), None));
        self.finish(transactional, recorded, "recording an applied migration")
    }

    fn run_statements(
        &mut self,
        (version, name): (u64, &str),
        up: &str,
        file: &str,
        partial: bool,
    ) -> Result<(), Error> {
        for s in sql::split(up).unwrap_or_default() {
            let text = &up[s.start..s.end];
            if let Err(e) = self.conn.execute_batch(text) {
                let mut offset = s.start;
                if let rusqlite::Error::SqlInputError { offset: o, .. } = &e {
                    if let Ok(o) = usize::try_from(*o) {
                        offset += o.min(text.len());
                    }
                }
                let (line, column) = sql::line_col(up, offset);
                let (message, code) = match &e {
                    rusqlite::Error::SqliteFailure(f, msg) => (
                        msg.clone().unwrap_or_else(|| f.to_string()),
                        Some(format!("{:?}", f.code)),
                    ),
                    rusqlite::Error::SqlInputError { error, msg, .. } => {
                        (msg.clone(), Some(format!("{:?}", error.code)))
                    }
                    other => (other.to_string(), None),
                };
                return Err(Error::MigrationFailed {
                    version,
                    name: name.to_owned(),
                    file: file.to_owned(),
                    line: Some(line),
                    column: Some(column),
                    message,
                    detail: None,
                    hint: None,
                    code,
                    partial,
                });
            }
        }
        Ok(())
    }

    fn insert_event(
        &mut self,
        t: &Tracking,
        m: &Migration,
        event: &str,
        ms: Option<f64>,
        detail: Option<&str>,
    ) -> rusqlite::Result<()> {
        self.log_event(t, (m.version(), m.name(), m.checksum()), event, ms, detail)
    }

    fn log_event(
        &mut self,
        t: &Tracking,
        id: (u64, &str, &str),
        event: &str,
        ms: Option<f64>,
        detail: Option<&str>,
    ) -> rusqlite::Result<()> {
        log_event(self.conn, t, id, event, ms, detail)
    }
}

/// Appends an event to the log.
fn log_event(
    conn: &Connection,
    t: &Tracking,
    (version, name, checksum): (u64, &str, &str),
    event: &str,
    ms: Option<f64>,
    detail: Option<&str>,
) -> rusqlite::Result<()> {
    conn.execute(
        &format!(
            "INSERT INTO {} (version, name, event, checksum, execution_ms, actor, detail) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            t.events
        ),
        params![
            i64::try_from(version).unwrap_or(i64::MAX),
            name,
            event,
            checksum,
            ms,
            actor(),
            detail
        ],
    )
    .map(drop)
}

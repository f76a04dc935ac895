//! PostgreSQL through the synchronous `postgres` crate.
//!
//! Round trips (each one simple-query message):
//! - the no-op boot: 1 (`SELECT digest` from the one-row state table);
//! - reading the tracking table: 1;
//! - transactional migrations: each is `BEGIN`, the migration, its tracking
//!   row and event (one prepared statement) and `COMMIT`; up to 32 of them
//!   (256 KiB of SQL) go in one message, so a fresh apply of N costs about
//!   N / 32 round trips. The server stops at the first error in a message:
//!   the ones before stay committed, the ones after never run;
//! - a no-transaction migration: 2 + one per statement (mark in progress,
//!   each statement, mark applied);
//! - per run with work: 1 per lock attempt, 1 to set up (tables, session,
//!   prepared statement), 1 to re-read, 1 to finish (digest, unlock).
//!
//! A failure costs 2 more (`ROLLBACK`, the failure event), plus one per
//! statement when the server gave no error position and the statement must
//! be found by replaying the migration in a transaction that is rolled back.

mod code;
mod failure;
mod no_transaction;
mod record;
mod revert;
mod seeds;
mod tracking;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use postgres::error::SqlState;
use postgres::{Client, SimpleQueryMessage};

use self::failure::Failure;
use self::tracking::{literal, opt_literal, APPLIED_MS, RECORD};
use super::{Applied, AppliedRow, Backend, Cache, Database, HistoryRow, RowState, Step, Tracking};
use super::{Change, Revert};
use crate::error::Error;
use crate::history::Event;
use crate::migration::Migration;
use crate::sql;

/// Replaying a failed migration to find its failing statement is skipped
/// when the failed attempt took longer than this.
const REPLAY_LIMIT: Duration = Duration::from_secs(2);

/// The most transactional migrations sent in one message.
const MAX_BATCH: usize = 32;

/// The text sent before a transactional migration's SQL.
const PREFIX: &str = "BEGIN;\n";

impl Database for Client {}

impl super::private::Sealed for Client {
    fn backend(&mut self) -> Box<dyn Backend + '_> {
        Box::new(Pg {
            client: self,
            began: false,
        })
    }
}

struct Pg<'a> {
    client: &'a mut Client,
    /// Whether `begin_writes` set the session up (and `end_writes` must
    /// undo it).
    began: bool,
}

fn pg(context: &'static str) -> impl FnOnce(postgres::Error) -> Error {
    move |source| Error::Postgres { context, source }
}

fn is_missing_table(e: &postgres::Error) -> bool {
    e.code() == Some(&SqlState::UNDEFINED_TABLE) || e.code() == Some(&SqlState::INVALID_SCHEMA_NAME)
}

impl Backend for Pg<'_> {
    fn engine(&self) -> &'static str {
        "PostgreSQL"
    }

    fn cached_digest(&mut self, t: &Tracking, quiet: bool) -> Result<Cache, Error> {
        if quiet {
            let exists = self
                .client
                .simple_query(&format!(
                    "SELECT to_regclass({}) IS NOT NULL",
                    literal(&t.state)
                ))
                .map_err(pg("reading the tracking table"))?;
            let exists = exists.iter().any(|m| match m {
                SimpleQueryMessage::Row(row) => row.get(0) == Some("t"),
                _ => false,
            });
            if !exists {
                return Ok(Cache::Missing);
            }
        }
        match self
            .client
            .simple_query(&format!("SELECT digest FROM {}", t.state))
        {
            Ok(messages) => Ok(Cache::Stored(messages.iter().find_map(|m| match m {
                SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
                _ => None,
            }))),
            Err(e) if is_missing_table(&e) => Ok(Cache::Missing),
            Err(e) => Err(pg("reading the tracking table")(e)),
        }
    }

    fn read_applied(
        &mut self,
        t: &Tracking,
        refresh_cache: bool,
    ) -> Result<Vec<AppliedRow>, Error> {
        let mut query = if refresh_cache {
            tracking::refresh_digest(t)
        } else {
            String::new()
        };
        query.push_str(&format!(
            "SELECT version, name, checksum, status FROM {} ORDER BY version",
            t.history
        ));
        let messages = match self.client.simple_query(&query) {
            Ok(m) => m,
            Err(e) if is_missing_table(&e) => return Ok(Vec::new()),
            Err(e) => return Err(pg("reading the tracking table")(e)),
        };
        let mut rows = Vec::new();
        for message in messages {
            if let SimpleQueryMessage::Row(row) = message {
                let text = |i: usize| row.get(i).unwrap_or_default().to_owned();
                rows.push(AppliedRow {
                    version: text(0).parse().unwrap_or_default(),
                    name: text(1),
                    checksum: text(2),
                    status: RowState::parse(&text(3)),
                });
            }
        }
        Ok(rows)
    }

    fn read_rows(&mut self, t: &Tracking) -> Result<Vec<HistoryRow>, Error> {
        let query = format!(
            "SELECT version, name, checksum, status, {applied_at}, execution_ms, applied_by, down_sql \
             FROM {} ORDER BY version",
            t.history,
            applied_at = utc_text("applied_at"),
        );
        Ok(self
            .rows_of(&query, "reading the tracking table")?
            .iter()
            .map(|r| HistoryRow {
                row: AppliedRow {
                    version: r.get(0).and_then(|v| v.parse().ok()).unwrap_or_default(),
                    name: r.get(1).unwrap_or_default().to_owned(),
                    checksum: r.get(2).unwrap_or_default().to_owned(),
                    status: RowState::parse(r.get(3).unwrap_or_default()),
                },
                applied_at: r.get(4).unwrap_or_default().to_owned(),
                execution_ms: r.get(5).and_then(|v| v.parse().ok()),
                applied_by: r.get(6).map(str::to_owned),
                down_sql: r.get(7).map(str::to_owned),
            })
            .collect())
    }

    fn read_events(&mut self, t: &Tracking, limit: usize) -> Result<Vec<Event>, Error> {
        let query = format!(
            "SELECT id, version, name, event, checksum, {at}, execution_ms, actor, detail \
             FROM {} ORDER BY id DESC LIMIT {limit}",
            t.events,
            at = utc_text("at"),
        );
        Ok(self
            .rows_of(&query, "reading the event log")?
            .iter()
            .map(|r| Event {
                id: r.get(0).and_then(|v| v.parse().ok()).unwrap_or_default(),
                version: r.get(1).and_then(|v| v.parse().ok()),
                name: r.get(2).map(str::to_owned),
                event: r.get(3).unwrap_or_default().to_owned(),
                checksum: r.get(4).map(str::to_owned),
                at: r.get(5).unwrap_or_default().to_owned(),
                execution_ms: r.get(6).and_then(|v| v.parse().ok()),
                actor: r.get(7).map(str::to_owned),
                detail: r.get(8).map(str::to_owned),
            })
            .collect())
    }

    fn try_lock(&mut self, t: &Tracking) -> Result<bool, Error> {
        let messages = self
            .client
            .simple_query(&format!("SELECT pg_try_advisory_lock({})", t.lock_key))
            .map_err(pg("taking the migration lock"))?;
        Ok(messages.iter().any(|m| match m {
            SimpleQueryMessage::Row(row) => row.get(0) == Some("t"),
            _ => false,
        }))
    }

    fn begin_writes(&mut self, t: &Tracking) -> Result<(), Error> {
        self.client
            .batch_execute(&tracking::begin_writes(t))
            .map_err(pg("creating the tracking tables"))?;
        self.began = true;
        Ok(())
    }

    fn end_writes(&mut self, t: &Tracking, digest: Option<&str>) -> Result<(), Error> {
        let began = std::mem::take(&mut self.began);
        self.client
            .batch_execute(&tracking::end_writes(t, digest, began))
            .map_err(pg("releasing the migration lock"))
    }

    fn max_batch(&self) -> usize {
        MAX_BATCH
    }

    fn revert(&mut self, t: &Tracking, step: &Revert<'_>) -> Result<(), Error> {
        self.revert_step(t, step)
    }

    fn record(&mut self, t: &Tracking, changes: &[Change<'_>]) -> Result<(), Error> {
        self.record_changes(t, changes)
    }

    fn read_seeds(&mut self, t: &Tracking, env: &str) -> Result<BTreeMap<String, String>, Error> {
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

    fn apply(&mut self, t: &Tracking, batch: &[Step<'_>]) -> Applied {
        let started = Instant::now();
        let alone = match batch {
            [step] if step.migration.is_code() => self.apply_code(t, step),
            [step] if step.migration.no_transaction() => {
                self.outside(t, step, |pg| pg.run_statements(step))
            }
            _ => return self.apply_in_transactions(t, batch),
        };
        match alone {
            Ok(()) => Applied {
                durations: vec![started.elapsed()],
                error: None,
            },
            Err(e) => Applied {
                durations: Vec::new(),
                error: Some(e),
            },
        }
    }
}

/// A timestamp column as UTC text, the format SQLite stores.
fn utc_text(column: &str) -> String {
    format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
}

impl Pg<'_> {
    /// The rows of a read-only query; none when its table does not exist.
    fn rows_of(
        &mut self,
        query: &str,
        context: &'static str,
    ) -> Result<Vec<postgres::SimpleQueryRow>, Error> {
        match self.client.simple_query(query) {
            Ok(messages) => Ok(messages
                .into_iter()
                .filter_map(|m| match m {
                    SimpleQueryMessage::Row(row) => Some(row),
                    _ => None,
                })
                .collect()),
            Err(e) if is_missing_table(&e) => Ok(Vec::new()),
            Err(e) => Err(pg(context)(e)),
        }
    }

    /// Sends a batch of transactional migrations in one message, each as
    /// `BEGIN; <sql>; EXECUTE <record>; COMMIT;`. The server runs them in
    /// order and skips the rest of the message at the first error, so the
    /// ones before a failure stay committed and the ones after it never run.
    /// Each recorded row returns its server-side execution time.
    fn apply_in_transactions(&mut self, t: &Tracking, batch: &[Step<'_>]) -> Applied {
        let mut script = String::new();
        let mut chars = 0;
        let mut starts = Vec::with_capacity(batch.len());
        for step in batch {
            let m = step.migration;
            let head = format!("{PREFIX}{}", step.timeout_settings(true));
            script.push_str(&head);
            chars += head.chars().count();
            starts.push(chars);
            script.push_str(m.up_sql());
            chars += m.up_sql().chars().count();
            let tail = format!(
                "\n;\nEXECUTE {RECORD}({v}, {name}, {sum}, {down});\nCOMMIT;\n",
                v = m.version(),
                name = literal(m.name()),
                sum = literal(m.checksum()),
                down = opt_literal(m.down_sql()),
            );
            chars += tail.chars().count();
            script.push_str(&tail);
        }
        let started = Instant::now();
        let e = match self.client.simple_query(&script) {
            Ok(messages) => {
                // Only the bookkeeping's rows: a migration's own SELECT
                // returns rows too.
                let durations = messages
                    .iter()
                    .filter_map(|m| match m {
                        SimpleQueryMessage::Row(row)
                            if row.columns().first().map(|c| c.name()) == Some(APPLIED_MS) =>
                        {
                            row.get(0)?.parse::<f64>().ok()
                        }
                        _ => None,
                    })
                    .take(batch.len())
                    .map(|ms| Duration::from_secs_f64(ms.max(0.0) / 1000.0))
                    .collect();
                return Applied {
                    durations,
                    error: None,
                };
            }
            Err(e) => e,
        };
        // The session is in the failed migration's aborted transaction (or
        // the connection is gone, and the server rolls back for us).
        let _ = self.client.batch_execute("ROLLBACK");
        let durations = self.committed(t, batch, &e, &starts);
        let failed = durations.len().min(batch.len() - 1);
        let (m, file) = (batch[failed].migration, &batch[failed].file);
        let mut failure = Failure::new(&e, m.up_sql(), starts[failed]);
        if failure.line.is_none() && e.as_db_error().is_some() && started.elapsed() < REPLAY_LIMIT {
            if let Some(found) = self.locate(&batch[failed]) {
                failure = found;
            }
        }
        let error = failure.into_error(m.version(), m.name(), file, false);
        self.record_failure(t, m, &error);
        Applied {
            durations,
            error: Some(error),
        }
    }

    /// After a batch failed: how long each migration that committed took,
    /// in order (read back from the tracking table); the one after them is
    /// the one that failed. If that read fails too (the connection is gone),
    /// the error position tells which migration failed.
    fn committed(
        &mut self,
        t: &Tracking,
        batch: &[Step<'_>],
        e: &postgres::Error,
        starts: &[usize],
    ) -> Vec<Duration> {
        let versions: Vec<String> = batch
            .iter()
            .map(|s| s.migration.version().to_string())
            .collect();
        let query = format!(
            "SELECT version, execution_ms FROM {} WHERE version IN ({}) ORDER BY version",
            t.history,
            versions.join(", ")
        );
        if let Ok(messages) = self.client.simple_query(&query) {
            let done: BTreeMap<u64, f64> = messages
                .iter()
                .filter_map(|m| match m {
                    SimpleQueryMessage::Row(row) => Some((
                        row.get(0)?.parse().ok()?,
                        row.get(1).and_then(|ms| ms.parse().ok()).unwrap_or(0.0),
                    )),
                    _ => None,
                })
                .collect();
            return batch
                .iter()
                .map_while(|s| done.get(&s.migration.version()))
                .map(|ms| Duration::from_secs_f64(ms.max(0.0) / 1000.0))
                .collect();
        }
        let position = e.as_db_error().and_then(|d| d.position());
        let failed = match position {
            Some(postgres::error::ErrorPosition::Original(pos)) => {
                let index = usize::try_from(*pos)
                    .unwrap_or(usize::MAX)
                    .saturating_sub(1);
                starts.iter().rposition(|&s| s <= index).unwrap_or(0)
            }
            _ => 0,
        };
        vec![Duration::ZERO; failed]
    }

    /// Replays the migration statement by statement inside a transaction
    /// that is rolled back, to find the statement that fails.
    ///
    /// The replay is bounded: each statement may wait for a lock and run
    /// for at most [`REPLAY_LIMIT`] (or the migration's own, shorter,
    /// timeouts), so that it can never block where the attempt did not.
    fn locate(&mut self, step: &Step<'_>) -> Option<Failure> {
        let up = step.migration.up_sql();
        let statements = sql::split(up).ok()?;
        let bounded = Step {
            migration: step.migration,
            file: String::new(),
            lock_timeout: Some(
                step.lock_timeout
                    .map_or(REPLAY_LIMIT, |d| d.min(REPLAY_LIMIT)),
            ),
            statement_timeout: Some(
                step.statement_timeout
                    .map_or(REPLAY_LIMIT, |d| d.min(REPLAY_LIMIT)),
            ),
        };
        self.client
            .batch_execute(&format!("BEGIN;\n{}", bounded.timeout_settings(true)))
            .ok()?;
        let mut found = None;
        for s in &statements {
            let text = &up[s.start..s.end];
            if let Err(e) = self.client.batch_execute(text) {
                let mut f = Failure::new(&e, text, 0);
                f.shift(up, s.start);
                found = Some(f);
                break;
            }
        }
        let _ = self.client.batch_execute("ROLLBACK");
        found
    }

    /// Appends a failure to the event log; a failure to log is not allowed
    /// to hide the migration's own error.
    fn record_failure(&mut self, t: &Tracking, m: &Migration, error: &Error) {
        self.record_event(
            t,
            m.version(),
            m.name(),
            m.checksum(),
            "failure",
            &error.to_string(),
        );
    }

    /// Appends an event outside any transaction, ignoring a failure to log.
    fn record_event(
        &mut self,
        t: &Tracking,
        version: u64,
        name: &str,
        checksum: &str,
        event: &str,
        detail: &str,
    ) {
        let _ = self.client.batch_execute(&format!(
            "INSERT INTO {} (version, name, event, checksum, detail) VALUES ({version}, {}, {}, {}, {})",
            t.events,
            literal(name),
            literal(event),
            literal(checksum),
            literal(detail),
        ));
    }
}

//! The protocol: the one sequence of tracking-table reads and writes that
//! every engine and driver follows, written once over [`Driver`] and
//! [`Dialect`]. The runner decides what to run; the protocol runs it, keeps
//! the tracking tables true, and turns database errors into the runner's.

mod foreign;
mod indexes;
mod locate;
mod steps;
mod units;

use std::collections::BTreeMap;
use std::time::Duration;

pub(crate) use self::foreign::ForeignRow;
pub(crate) use self::steps::{Revert, Step};
use super::dialect::{Change, Dialect, DIGEST_COLUMN, DIGEST_PREFIX, SCHEMA_COLUMN};
use super::{DbFailure, Driver, Row};
use crate::model::{AppliedRow, Engine, HistoryRow, MigrationState, Tracking};
use crate::outcome::{Error, Event, EventKind};

/// The cached digest of the applied state, read by the no-op boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cache {
    /// The engine keeps no cache (reading the table is as cheap).
    Unsupported,
    /// The tracking tables do not exist: nothing is applied.
    Missing,
    /// The stored digest; `None` after any change it does not reflect.
    Stored(Option<String>),
}

/// What one attempt at the migration lock found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// The lock is this session's.
    Taken,
    /// Another session holds it; the cached digest, when it was watched.
    Busy(Option<Cache>),
    /// No answer came in time (the server stalled): the attempt may still
    /// run, and its lock is released behind it.
    Unanswered,
}

/// The cached digest in the probe's row (`None`: no row).
fn cache_of(row: Option<&Row>) -> Cache {
    if row.and_then(|r| r.get(0)) != Some("t") {
        return Cache::Missing;
    }
    Cache::Stored(
        row.and_then(|r| r.get(1))
            .and_then(|c| c.strip_prefix(DIGEST_PREFIX))
            .map(str::to_owned),
    )
}

/// A connection's driver and the tracking tables it works on.
pub(crate) struct Session<'s> {
    db: &'s mut dyn Driver,
    sql: Dialect,
    /// Whether `begin_writes` set the session up (and `end_writes` must
    /// undo it).
    began: bool,
}

impl<'s> Session<'s> {
    pub(crate) fn new(db: &'s mut dyn Driver, t: &'s Tracking) -> Self {
        let engine = db.engine();
        Session {
            db,
            sql: Dialect::new(engine, t),
            began: false,
        }
    }

    pub(crate) fn engine(&self) -> Engine {
        self.sql.engine
    }

    pub(crate) fn tracking(&self) -> &Tracking {
        &self.sql.t
    }

    fn db_error(&self, context: &'static str) -> impl FnOnce(DbFailure) -> Error {
        let engine = self.engine();
        move |f| f.into_error(engine, context)
    }

    /// The rows of a read-only query; none when its table does not exist.
    async fn rows(&mut self, query: &str, context: &'static str) -> Result<Vec<Row>, Error> {
        match self.db.run(query).await {
            Ok(rows) => Ok(rows),
            Err(f) if f.missing_table => Ok(Vec::new()),
            Err(f) => Err(self.db_error(context)(f)),
        }
    }

    /// Reads the cached digest: one round trip that never fails on the
    /// server (a missing table is an answer, not an error the server logs).
    pub(crate) async fn cached_digest(&mut self) -> Result<Cache, Error> {
        let Some(query) = self.sql.cached_digest() else {
            return Ok(Cache::Unsupported);
        };
        let rows = self.rows(&query, "reading the tracking table").await?;
        Ok(cache_of(rows.first()))
    }

    /// Reads the tracking table, ordered by version; empty when it does not
    /// exist yet. One round trip. With `refresh_cache`, also brings the
    /// cached digest up to date with the table, never waiting for a lock.
    pub(crate) async fn read_applied(
        &mut self,
        refresh_cache: bool,
    ) -> Result<Vec<AppliedRow>, Error> {
        let mut query = if refresh_cache {
            self.sql.refresh_digest()
        } else {
            String::new()
        };
        query.push_str(&self.sql.select_applied());
        let rows = self.rows(&query, "reading the tracking table").await?;
        rows.iter().map(|r| self.applied_row(r)).collect()
    }

    /// Reads every row of the tracking table with its details, ordered by
    /// version; empty when the table does not exist. Read-only.
    pub(crate) async fn read_rows(&mut self) -> Result<Vec<HistoryRow>, Error> {
        let query = self.sql.select_rows();
        let rows = self.rows(&query, "reading the tracking table").await?;
        rows.iter()
            .map(|r| {
                Ok(HistoryRow {
                    row: self.applied_row(r)?,
                    applied_at: r.get(4).unwrap_or_default().to_owned(),
                    execution_ms: r.get(5).and_then(|v| v.parse().ok()),
                    applied_by: r.get(6).map(str::to_owned),
                    down_sql: r.get(7).map(str::to_owned),
                })
            })
            .collect()
    }

    /// Reads the newest `limit` events, newest first; empty when the table
    /// does not exist. Read-only.
    pub(crate) async fn read_events(&mut self, limit: usize) -> Result<Vec<Event>, Error> {
        let query = self.sql.select_events(limit);
        let rows = self.rows(&query, "reading the event log").await?;
        let table = &self.sql.t.events;
        rows.iter()
            .map(|r| {
                let kind = r.get(3).unwrap_or_default();
                Ok(Event {
                    id: r.get(0).and_then(|v| v.parse().ok()).unwrap_or_default(),
                    version: r.get(1).map(|v| parse_version(v, table)).transpose()?,
                    name: r.get(2).map(str::to_owned),
                    kind: EventKind::parse(kind)
                        .ok_or_else(|| unexpected(table, format!("event kind `{kind}`")))?,
                    checksum: r.get(4).map(str::to_owned),
                    at: r.get(5).unwrap_or_default().to_owned(),
                    execution_ms: r.get(6).and_then(|v| v.parse().ok()),
                    actor: r.get(7).map(str::to_owned),
                    detail: r.get(8).map(str::to_owned),
                })
            })
            .collect()
    }

    fn applied_row(&self, r: &Row) -> Result<AppliedRow, Error> {
        let table = &self.sql.t.history;
        let state = r.get(3).unwrap_or_default();
        Ok(AppliedRow {
            version: parse_version(r.get(0).unwrap_or_default(), table)?,
            name: r.get(1).unwrap_or_default().to_owned(),
            checksum: r.get(2).unwrap_or_default().to_owned(),
            state: MigrationState::parse(state)
                .ok_or_else(|| unexpected(table, format!("status `{state}`")))?,
        })
    }

    /// The invalid indexes of the database, as (index, table) names:
    /// left by a `CREATE INDEX CONCURRENTLY` that failed (or is running).
    pub(crate) async fn invalid_indexes(&mut self) -> Result<Vec<(String, String)>, Error> {
        let Some(query) = self.sql.invalid_indexes(None) else {
            return Ok(Vec::new());
        };
        let rows = self.rows(&query, "reading the indexes").await?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    r.get(0).unwrap_or_default().to_owned(),
                    r.get(1).unwrap_or_default().to_owned(),
                )
            })
            .collect())
    }

    /// Makes the connection wait up to `wait` for another writer (SQLite's
    /// busy timeout), returning the setting it had, to restore.
    pub(crate) async fn wait_for_writers(
        &mut self,
        wait: Duration,
    ) -> Result<Option<String>, Error> {
        let Some(read) = self.sql.busy_timeout() else {
            return Ok(None);
        };
        let rows = self
            .db
            .run(read)
            .await
            .map_err(self.db_error("reading the busy timeout"))?;
        let before = rows.first().and_then(|r| r.get(0)).map(str::to_owned);
        let set = self.sql.set_busy_timeout(wait.as_millis());
        self.db
            .run(&set)
            .await
            .map_err(self.db_error("setting the busy timeout"))?;
        Ok(before)
    }

    /// Restores what [`Session::wait_for_writers`] changed.
    pub(crate) async fn restore_wait(&mut self, before: Option<String>) {
        if let Some(ms) = before.and_then(|ms| ms.parse::<u128>().ok()) {
            let _ = self.db.run(&self.sql.set_busy_timeout(ms)).await;
        }
    }

    /// Tries once to take the migration lock, giving up on an answer after
    /// `within` where the driver can. With `watch`, the same message reads
    /// the cached digest, for a runner that leaves once another one has
    /// applied its set.
    pub(crate) async fn try_lock(
        &mut self,
        watch: bool,
        within: Duration,
    ) -> Result<Attempt, Error> {
        let key = self.sql.t.lock_key;
        let probe = self.sql.cached_digest().filter(|_| watch);
        let then = [
            self.sql.resolve_schema(),
            probe.as_deref().unwrap_or_default(),
        ]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(";\n");
        let Some((got, rows)) = self.db.try_lock(key, &then, within).await? else {
            return Ok(Attempt::Unanswered);
        };
        if !got {
            let probe = rows.iter().find(|r| r.label == DIGEST_COLUMN);
            return Ok(Attempt::Busy(probe.map(|r| cache_of(Some(r)))));
        }
        let schema = rows.iter().find(|r| r.label == SCHEMA_COLUMN);
        if let Some(schema) = schema.and_then(|r| r.get(0)) {
            // From now on a migration's `SET search_path` cannot move them.
            self.sql = self.sql.in_schema(schema);
        }
        Ok(Attempt::Taken)
    }

    /// How to cancel what the connection runs, from another thread.
    pub(crate) fn canceller(&self) -> Option<crate::backend::Canceller> {
        self.db.canceller()
    }

    /// How many transactional migrations one [`Session::apply`] may take.
    pub(crate) fn max_batch(&self) -> usize {
        self.db.max_batch()
    }

    /// Waits between attempts.
    pub(crate) async fn pause(&mut self, pause: Duration) {
        self.db.pause(pause).await;
    }

    /// Under the lock, before the first write: creates the tracking tables
    /// if they do not exist and voids the cached digest.
    pub(crate) async fn begin_writes(&mut self) -> Result<(), Error> {
        let sql = self.sql.begin_writes();
        self.db
            .cleanup_if_abandoned(self.sql.end_writes(None, true));
        self.db
            .run(&sql)
            .await
            .map_err(self.db_error("creating the tracking tables"))?;
        self.began = true;
        if let Some(query) = self.sql.history_definition() {
            let rows = self
                .rows(&query, "reading the tracking table's definition")
                .await?;
            let definition = rows.first().and_then(|r| r.get(0)).unwrap_or_default();
            if let Some(upgrade) = self.sql.upgrade_history(definition) {
                if let Err(f) = self.db.run(&upgrade).await {
                    let _ = self.db.run("ROLLBACK").await;
                    return Err(self.db_error("bringing the tracking table up to date")(f));
                }
            }
        }
        Ok(())
    }

    /// Releases the migration lock, storing the applied state's digest when
    /// the run succeeded (`None` leaves the cache void).
    pub(crate) async fn end_writes(&mut self, digest: Option<&str>) -> Result<(), Error> {
        let began = std::mem::take(&mut self.began);
        let then = self.sql.end_writes(digest, began);
        let key = self.sql.t.lock_key;
        self.db.unlock(key, &then).await
    }

    /// Makes baseline or repair changes and logs their events, all in one
    /// transaction.
    pub(crate) async fn record(&mut self, changes: &[Change<'_>]) -> Result<(), Error> {
        let mut sql = self.sql.begin().to_owned();
        for c in changes {
            sql.push_str(&self.sql.change(c));
        }
        sql.push_str("COMMIT;");
        if let Err(f) = self.db.run(&sql).await {
            let _ = self.db.run("ROLLBACK").await;
            return Err(self.db_error("changing the tracking table")(f));
        }
        Ok(())
    }

    /// Under the lock: creates the seeds table if needed and reads the
    /// checksum of each file of `env` that ran, by file.
    pub(crate) async fn read_seeds(
        &mut self,
        env: &str,
    ) -> Result<BTreeMap<String, String>, Error> {
        let sql = self.sql.read_seeds(env);
        let rows = self
            .db
            .run(&sql)
            .await
            .map_err(self.db_error("reading the seeds table"))?;
        Ok(rows
            .iter()
            .filter_map(|r| Some((r.get(0)?.to_owned(), r.get(1)?.to_owned())))
            .collect())
    }
}

fn parse_version(text: &str, table: &str) -> Result<u64, Error> {
    text.parse()
        .map_err(|_| unexpected(table, format!("version `{text}`")))
}

fn unexpected(table: &str, what: String) -> Error {
    Error::UnexpectedTracking {
        table: table.to_owned(),
        reason: format!("{what}, which migrate never writes (edited by hand?)"),
    }
}

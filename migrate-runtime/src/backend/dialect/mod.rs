//! Every piece of tracking-table SQL, for each engine: the statements are
//! shared, and only the engine's own words differ (literals, timestamps,
//! who applied, durations measured by the server or by the runner). The
//! table definitions and PostgreSQL's cached digest are in `postgres.rs`
//! and `sqlite.rs`.

mod changes;
mod foreign;
mod postgres;
mod tables;

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

pub(crate) use self::changes::Change;
pub(crate) use self::postgres::{APPLIED_MS, DIGEST_COLUMN, DIGEST_PREFIX};

/// The column of [`Dialect::resolve_schema`]'s answer.
pub(crate) const SCHEMA_COLUMN: &str = "migrate_schema";
use crate::model::{quote_ident, Engine, Migration, MigrationState, Tracking};
use crate::outcome::EventKind;

/// The SQL of one engine's tracking tables.
#[derive(Clone)]
pub(crate) struct Dialect {
    pub(crate) engine: Engine,
    pub(crate) t: Arc<Tracking>,
}

/// The statements around a migration that changes tables other rows
/// reference (see [`Dialect::foreign_keys`]).
pub(crate) struct ForeignKeys {
    pub(crate) read: &'static str,
    pub(crate) off: &'static str,
    pub(crate) check: &'static str,
    pub(crate) on: &'static str,
}

/// An event to log: who it concerns, what happened, and the details.
pub(crate) struct EventRow<'a> {
    pub(crate) version: Option<u64>,
    pub(crate) name: &'a str,
    pub(crate) kind: EventKind,
    pub(crate) checksum: &'a str,
    pub(crate) ms: Option<f64>,
    pub(crate) detail: Option<&'a str>,
}

/// Who runs this process, for SQLite, which has no database user: `USER`
/// (`USERNAME` on Windows), else the operating system's account database
/// (unset in many containers and services).
fn os_user() -> Option<String> {
    let set = |name| std::env::var(name).ok().filter(|u: &String| !u.is_empty());
    set("USER").or_else(|| set("USERNAME")).or_else(account)
}

/// The operating system's name for this process's user.
#[cfg(feature = "sqlite")]
fn account() -> Option<String> {
    whoami::username().ok().filter(|u| !u.is_empty())
}

/// Without SQLite, nothing asks (PostgreSQL records `current_user`).
#[cfg(not(feature = "sqlite"))]
fn account() -> Option<String> {
    None
}

impl Dialect {
    pub(crate) fn new(engine: Engine, t: &Tracking) -> Self {
        Dialect {
            engine,
            t: Arc::new(t.clone()),
        }
    }

    /// The statement, sent with the first attempt at the lock, that names
    /// the schema the tracking tables resolve to, where that can change
    /// during a run (PostgreSQL without a configured schema: a migration
    /// may `SET search_path`).
    pub(crate) fn resolve_schema(&self) -> &'static str {
        if self.pg() && self.t.schema.is_none() {
            "SELECT current_schema() AS migrate_schema"
        } else {
            ""
        }
    }

    /// This dialect with the tracking tables qualified by `schema`.
    pub(crate) fn in_schema(&self, schema: &str) -> Self {
        Dialect {
            engine: self.engine,
            t: Arc::new(self.t.in_schema(schema)),
        }
    }

    fn pg(&self) -> bool {
        self.engine == Engine::Postgres
    }

    /// A string literal: `E'…'` on PostgreSQL (correct whatever
    /// `standard_conforming_strings` says), `'…'` on SQLite.
    pub(crate) fn literal(&self, text: &str) -> String {
        if self.pg() {
            format!("E'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
        } else {
            format!("'{}'", text.replace('\'', "''"))
        }
    }

    pub(crate) fn opt_literal(&self, text: Option<&str>) -> String {
        text.map_or_else(|| "NULL".to_owned(), |t| self.literal(t))
    }

    /// The time now, as the tracking tables store it.
    fn now(&self) -> &'static str {
        if self.pg() {
            "clock_timestamp()"
        } else {
            "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
        }
    }

    /// Who applies: the database user, or on SQLite (which has no users)
    /// the operating system's.
    fn actor(&self) -> String {
        if self.pg() {
            return "current_user".to_owned();
        }
        self.opt_literal(os_user().as_deref())
    }

    /// Opens a migration's transaction.
    pub(crate) fn begin(&self) -> &'static str {
        if self.pg() {
            "BEGIN;\n"
        } else {
            // Takes the write lock now, not at the first write.
            "BEGIN IMMEDIATE;\n"
        }
    }

    /// Run first in a migration's transaction: notes when it began, where
    /// the server measures the time itself (see [`Dialect::record_apply`]).
    pub(crate) fn start_clock(&self) -> String {
        if self.pg() {
            postgres::start_clock()
        } else {
            String::new()
        }
    }

    /// The invalid indexes of the database (`None`: the engine has none),
    /// as rows of index and table names; only those named `among` when
    /// given.
    pub(crate) fn invalid_indexes(&self, among: Option<&[String]>) -> Option<String> {
        if !self.pg() {
            return None;
        }
        let only = among.map_or_else(String::new, |names| {
            let list: Vec<String> = names.iter().map(|n| self.literal(n)).collect();
            format!(" AND c.relname IN ({})", list.join(", "))
        });
        Some(format!(
            "SELECT c.relname, t.relname FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE NOT i.indisvalid AND n.nspname NOT IN ('pg_catalog', 'information_schema'){only} \
             ORDER BY 1"
        ))
    }

    /// How long the connection waits for another writer, where the engine
    /// has such a setting: the statement that reads it (in milliseconds).
    pub(crate) fn busy_timeout(&self) -> Option<&'static str> {
        (self.engine == Engine::Sqlite).then_some("PRAGMA busy_timeout")
    }

    /// Sets how long the connection waits for another writer.
    pub(crate) fn set_busy_timeout(&self, ms: u128) -> String {
        format!("PRAGMA busy_timeout = {}", ms.min(i32::MAX as u128))
    }

    /// Where foreign keys must be turned off around a migration's
    /// transaction (SQLite: `PRAGMA foreign_keys` is a no-op inside one, so
    /// a table rebuild would cascade), the statements that read, turn off,
    /// check and turn on enforcement.
    pub(crate) fn foreign_keys(&self) -> Option<ForeignKeys> {
        (self.engine == Engine::Sqlite).then_some(ForeignKeys {
            read: "PRAGMA foreign_keys",
            off: "PRAGMA foreign_keys = OFF",
            check: "PRAGMA foreign_key_check",
            on: "PRAGMA foreign_keys = ON",
        })
    }

    /// `SET` (`SET LOCAL` inside a transaction) statements for timeouts,
    /// each ending in a newline; SQLite has none.
    pub(crate) fn timeouts(
        &self,
        local: bool,
        lock: Option<Duration>,
        statement: Option<Duration>,
    ) -> String {
        let mut out = String::new();
        if !self.pg() {
            return out;
        }
        let scope = if local { "SET LOCAL" } else { "SET" };
        for (name, value) in [("lock_timeout", lock), ("statement_timeout", statement)] {
            if let Some(d) = value {
                let _ = writeln!(out, "{scope} {name} = '{}ms';", d.as_millis().max(1));
            }
        }
        out
    }

    /// Opens a script's transaction with its timeouts.
    pub(crate) fn open_transaction(
        &self,
        lock: Option<Duration>,
        statement: Option<Duration>,
    ) -> String {
        format!("{}{}", self.begin(), self.timeouts(true, lock, statement))
    }

    /// Undoes [`Dialect::timeouts`] set for the session.
    pub(crate) fn reset_timeouts(&self) -> &'static str {
        if self.pg() {
            "RESET lock_timeout; RESET statement_timeout;"
        } else {
            ""
        }
    }

    /// Creates what is missing of the tracking tables; on PostgreSQL also
    /// voids the cached digest and sets the session up for the writes to
    /// come. Sent once, under the lock.
    pub(crate) fn begin_writes(&self) -> String {
        if self.pg() {
            postgres::begin_writes(self)
        } else {
            tables::history_and_events(self.engine, &self.t)
        }
    }

    /// On SQLite, the query of the tracking table's definition, to learn
    /// whether an earlier release made it (PostgreSQL brings it up to date
    /// in [`Dialect::begin_writes`]).
    pub(crate) fn history_definition(&self) -> Option<String> {
        (!self.pg()).then(|| {
            let master = self.t.schema.as_deref().map_or_else(
                || "sqlite_master".to_owned(),
                |s| format!("{}.sqlite_master", quote_ident(s)),
            );
            format!(
                "SELECT sql FROM {master} WHERE type = 'table' AND name = {}",
                self.literal(&self.t.table)
            )
        })
    }

    /// What brings a tracking table of `definition` up to date, if it was
    /// made by an earlier release.
    pub(crate) fn upgrade_history(&self, definition: &str) -> Option<String> {
        tables::check_outdated(definition).then(|| tables::rebuild_history(&self.t))
    }

    /// Stores the final digest (when the run succeeded) and undoes what
    /// [`Dialect::begin_writes`] set up for the session, if it ran.
    pub(crate) fn end_writes(&self, digest: Option<&str>, began: bool) -> String {
        if self.pg() && began {
            postgres::end_writes(self, digest)
        } else {
            String::new()
        }
    }

    /// The query of the cached digest, on an engine that keeps one: whether
    /// the tracking table exists and the digest kept with it. It never
    /// fails, whatever exists.
    pub(crate) fn cached_digest(&self) -> Option<String> {
        self.pg().then(|| postgres::cached_digest(self))
    }

    /// Brings the cached digest up to date with the table, never waiting
    /// (sent before [`Dialect::select_applied`]).
    pub(crate) fn refresh_digest(&self) -> String {
        if self.pg() {
            postgres::refresh_digest(self)
        } else {
            String::new()
        }
    }

    pub(crate) fn select_applied(&self) -> String {
        format!(
            "SELECT version, name, checksum, status FROM {} ORDER BY version",
            self.t.history
        )
    }

    pub(crate) fn select_rows(&self) -> String {
        format!(
            "SELECT version, name, checksum, status, {}, execution_ms, applied_by, down_sql \
             FROM {} ORDER BY version",
            self.utc("applied_at"),
            self.t.history,
        )
    }

    pub(crate) fn select_events(&self, limit: usize) -> String {
        format!(
            "SELECT id, version, name, event, checksum, {}, execution_ms, actor, detail \
             FROM {} ORDER BY id DESC LIMIT {limit}",
            self.utc("at"),
            self.t.events,
        )
    }

    /// A timestamp column as UTC text, the format SQLite stores.
    fn utc(&self, column: &str) -> String {
        if self.pg() {
            format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
        } else {
            column.to_owned()
        }
    }

    /// The time each of `versions` took, for those in the table.
    pub(crate) fn select_durations(&self, versions: &[u64]) -> String {
        let list: Vec<String> = versions.iter().map(u64::to_string).collect();
        format!(
            "SELECT version, execution_ms FROM {} WHERE version IN ({}) ORDER BY version",
            self.t.history,
            list.join(", ")
        )
    }

    /// Appends an event to the log.
    pub(crate) fn event(&self, e: &EventRow<'_>) -> String {
        format!(
            "INSERT INTO {} (version, name, event, checksum, execution_ms, actor, detail) \
             VALUES ({}, {}, '{}', {}, {}, {}, {});\n",
            self.t.events,
            e.version
                .map_or_else(|| "NULL".to_owned(), |v| v.to_string()),
            self.literal(e.name),
            e.kind.as_str(),
            self.literal(e.checksum),
            e.ms.map_or_else(|| "NULL".to_owned(), |ms| ms.to_string()),
            self.actor(),
            self.opt_literal(e.detail),
        )
    }

    /// Records an applied transactional migration and its event, inside
    /// its transaction. PostgreSQL measures the time itself (from the
    /// transaction's start) in a prepared statement that also returns it
    /// (column [`APPLIED_MS`]); elsewhere the runner's `ms` is stored.
    pub(crate) fn record_apply(&self, m: &Migration, ms: f64) -> String {
        if self.pg() {
            return postgres::record_apply(self, m);
        }
        let mut sql = format!(
            "INSERT INTO {} (version, name, checksum, execution_ms, applied_by, no_transaction, down_sql) \
             VALUES ({}, {}, {}, {ms}, {}, false, {});\n",
            self.t.history,
            m.version(),
            self.literal(m.name()),
            self.literal(m.checksum()),
            self.actor(),
            self.opt_literal(m.down_sql()),
        );
        sql.push_str(&self.event(&EventRow {
            version: Some(m.version()),
            name: m.name(),
            kind: EventKind::Apply,
            checksum: m.checksum(),
            ms: Some(ms),
            detail: None,
        }));
        sql
    }

    /// Marks a no-transaction migration `in_progress` (again, for an
    /// interrupted resumable one) and logs its `start`.
    pub(crate) fn mark_in_progress(&self, m: &Migration) -> String {
        let mut sql = format!(
            "INSERT INTO {history} (version, name, checksum, status, applied_by, no_transaction, down_sql) \
             VALUES ({v}, {name}, {sum}, 'in_progress', {actor}, true, {down}) \
             ON CONFLICT (version) DO UPDATE SET status = 'in_progress', \
             checksum = EXCLUDED.checksum, applied_at = {now};\n",
            history = self.t.history,
            v = m.version(),
            name = self.literal(m.name()),
            sum = self.literal(m.checksum()),
            actor = self.actor(),
            down = self.opt_literal(m.down_sql()),
            now = self.now(),
        );
        sql.push_str(&self.event(&EventRow {
            version: Some(m.version()),
            name: m.name(),
            kind: EventKind::Start,
            checksum: m.checksum(),
            ms: None,
            detail: None,
        }));
        sql
    }

    /// Marks a no-transaction migration applied, with the time since its
    /// `in_progress` mark (PostgreSQL) or the runner's `ms`, and logs it.
    pub(crate) fn mark_applied(&self, m: &Migration, ms: f64) -> String {
        let elapsed = if self.pg() {
            "extract(epoch FROM clock_timestamp() - applied_at) * 1000".to_owned()
        } else {
            ms.to_string()
        };
        format!(
            "UPDATE {history} SET status = 'applied', execution_ms = {elapsed}, applied_at = {now} \
             WHERE version = {v};\n\
             INSERT INTO {events} (version, name, event, checksum, execution_ms, actor) \
             SELECT {v}, {name}, 'apply', {sum}, execution_ms, {actor} FROM {history} WHERE version = {v};\n",
            history = self.t.history,
            events = self.t.events,
            now = self.now(),
            v = m.version(),
            name = self.literal(m.name()),
            sum = self.literal(m.checksum()),
            actor = self.actor(),
        )
    }

    /// Marks an applied migration whose no-transaction down migration
    /// begins, and logs its `start` (detail `down`).
    pub(crate) fn mark_rolling_back(&self, version: u64, name: &str, checksum: &str) -> String {
        let mut sql = format!(
            "UPDATE {} SET status = '{}' WHERE version = {version};\n",
            self.t.history,
            MigrationState::RollingBack.as_str()
        );
        sql.push_str(&self.event(&EventRow {
            version: Some(version),
            name,
            kind: EventKind::Start,
            checksum,
            ms: None,
            detail: Some("down"),
        }));
        sql
    }

    /// Marks a migration whose up (or, with `down`, down) migration failed
    /// outside a transaction.
    pub(crate) fn mark_failed(&self, version: u64, down: bool) -> String {
        let state = if down {
            MigrationState::RollbackFailed
        } else {
            MigrationState::Failed
        };
        format!(
            "UPDATE {} SET status = '{}' WHERE version = {version};\n",
            self.t.history,
            state.as_str()
        )
    }

    /// Removes a rolled back migration's row and logs the rollback.
    pub(crate) fn forget(&self, version: u64, name: &str, checksum: &str, detail: &str) -> String {
        let mut sql = format!(
            "DELETE FROM {} WHERE version = {version};\n",
            self.t.history
        );
        sql.push_str(&self.event(&EventRow {
            version: Some(version),
            name,
            kind: EventKind::Rollback,
            checksum,
            ms: None,
            detail: Some(detail),
        }));
        sql
    }

    /// Creates the seeds table if needed and reads what ran for `env`.
    pub(crate) fn read_seeds(&self, env: &str) -> String {
        let create = tables::seeds(self.engine, &self.t);
        format!(
            "{create}\nSELECT file, checksum FROM {} WHERE env = {};",
            self.t.seeds,
            self.literal(env)
        )
    }

    /// Records a seed file that ran, and its event.
    pub(crate) fn record_seed(&self, env: &str, file: &str, checksum: &str) -> String {
        let mut sql = format!(
            "INSERT INTO {seeds} (env, file, checksum, applied_by) VALUES ({env}, {file}, {sum}, {actor}) \
             ON CONFLICT (env, file) DO UPDATE SET checksum = EXCLUDED.checksum, \
             applied_at = {now}, applied_by = EXCLUDED.applied_by;\n",
            seeds = self.t.seeds,
            env = self.literal(env),
            file = self.literal(file),
            sum = self.literal(checksum),
            actor = self.actor(),
            now = self.now(),
        );
        sql.push_str(&self.event(&EventRow {
            version: None,
            name: file,
            kind: EventKind::Seed,
            checksum,
            ms: None,
            detail: Some(env),
        }));
        sql
    }
}

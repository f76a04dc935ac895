//! Database backends: what the runner needs from a database, implemented for
//! `postgres::Client` and `rusqlite::Connection`.

#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

use crate::error::Error;
use crate::migration::Migration;

/// The tracking tables of a runner: names, quoted forms and lock key.
#[derive(Debug, Clone)]
pub struct Tracking {
    /// `"schema"."table"` or `"table"`.
    pub history: String,
    /// `"schema"."table_seeds"`: the seed files run, with their checksums.
    pub seeds: String,
    /// `"schema"."table_events"` or `"table_events"`.
    pub events: String,
    /// `"schema"."table_state"`: one row caching the applied state's digest.
    pub state: String,
    /// The trigger function that clears the cached digest whenever the
    /// tracking table changes.
    pub state_reset: String,
    /// The schema, unquoted, if one was set.
    pub schema: Option<String>,
    /// The table name, unquoted.
    pub table: String,
    /// The advisory lock key (PostgreSQL).
    pub lock_key: i64,
}

impl Tracking {
    pub(crate) fn new(schema: Option<&str>, table: &str) -> Result<Self, Error> {
        check_identifier("table", table)?;
        if let Some(s) = schema {
            check_identifier("schema", s)?;
        }
        let events_name = format!("{table}_events");
        let state_name = format!("{table}_state");
        let reset_name = format!("{table}_state_reset");
        let qualify = |name: &str| match schema {
            Some(s) => format!("{}.{}", quote_ident(s), quote_ident(name)),
            None => quote_ident(name),
        };
        Ok(Tracking {
            history: qualify(table),
            seeds: qualify(&format!("{table}_seeds")),
            events: qualify(&events_name),
            state: qualify(&state_name),
            state_reset: qualify(&reset_name),
            schema: schema.map(str::to_owned),
            table: table.to_owned(),
            lock_key: lock_key(schema.unwrap_or(""), table),
        })
    }

    /// The table's name for messages: `schema.table` or `table`.
    pub(crate) fn display_name(&self) -> String {
        match &self.schema {
            Some(s) => format!("{s}.{}", self.table),
            None => self.table.clone(),
        }
    }
}

fn check_identifier(option: &'static str, name: &str) -> Result<(), Error> {
    // PostgreSQL truncates identifiers past 63 bytes; `_state_reset` adds 12.
    let limit = if option == "table" { 63 - 12 } else { 63 };
    let reason = if name.is_empty() {
        "must not be empty".to_owned()
    } else if name.len() > limit {
        format!("`{name}` is longer than {limit} bytes")
    } else if name.contains('\0') || name.contains("$migrate$") {
        "must not contain a NUL character or `$migrate$`".to_owned()
    } else {
        return Ok(());
    };
    Err(Error::InvalidOption { option, reason })
}

/// Quotes an identifier, doubling any `"`.
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A stable 64-bit key from the schema and table: the first eight bytes of
/// their SHA-256.
fn lock_key(schema: &str, table: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("migrate\0{schema}\0{table}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// The state of a row of the tracking table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowState {
    /// Applied and committed.
    Applied,
    /// A no-transaction migration that started and did not finish.
    InProgress,
    /// A no-transaction migration that failed halfway.
    Failed,
}

impl RowState {
    pub(crate) fn parse(text: &str) -> Self {
        match text {
            "applied" => RowState::Applied,
            "failed" => RowState::Failed,
            _ => RowState::InProgress,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RowState::Applied => "applied",
            RowState::InProgress => "in_progress",
            RowState::Failed => "failed",
        }
    }
}

/// A row of the tracking table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedRow {
    pub version: u64,
    pub name: String,
    pub checksum: String,
    pub status: RowState,
}

/// A migration to apply, with its up file's path for messages.
pub struct Step<'a> {
    pub migration: &'a Migration,
    pub file: String,
    /// How long each statement may wait for a lock (PostgreSQL).
    pub lock_timeout: Option<std::time::Duration>,
    /// How long each statement may run (PostgreSQL).
    pub statement_timeout: Option<std::time::Duration>,
}

impl Step<'_> {
    /// `SET` statements for the step's timeouts (`SET LOCAL` inside its
    /// transaction), each ending in a newline.
    pub fn timeout_settings(&self, local: bool) -> String {
        let scope = if local { "SET LOCAL" } else { "SET" };
        let mut out = String::new();
        for (name, value) in [
            ("lock_timeout", self.lock_timeout),
            ("statement_timeout", self.statement_timeout),
        ] {
            if let Some(d) = value {
                out.push_str(&format!("{scope} {name} = '{}ms';\n", d.as_millis().max(1)));
            }
        }
        out
    }
}

/// One rollback: the down SQL of an applied migration, from the set or
/// from its tracking row.
pub struct Revert<'a> {
    pub version: u64,
    pub name: &'a str,
    pub checksum: &'a str,
    pub sql: &'a str,
    pub no_transaction: bool,
    /// The down file's path, or a description of the stored copy.
    pub file: String,
    /// `embedded` or `stored`, recorded in the event log.
    pub source: &'static str,
    /// The embedded code migration whose down function runs instead of
    /// `sql`.
    pub code: Option<&'a Migration>,
}

/// A change to the tracking table made without running any migration
/// (baseline, repair), recorded with its event.
pub enum Change<'a> {
    /// Marks a migration applied without running it (event `baseline`).
    Stamp {
        version: u64,
        name: &'a str,
        checksum: &'a str,
        down_sql: Option<&'a str>,
    },
    /// Rewrites a recorded checksum (and stored down SQL) to the set's
    /// (event `repair`).
    Rechecksum {
        version: u64,
        name: &'a str,
        old: &'a str,
        new: &'a str,
        down_sql: Option<&'a str>,
    },
    /// Removes the mark of an unfinished no-transaction migration, so that
    /// it runs again (event `repair`).
    Unmark {
        version: u64,
        name: &'a str,
        checksum: &'a str,
        state: &'a str,
    },
}

impl Change<'_> {
    /// The event logged for the change: version, name, kind, checksum and
    /// detail.
    pub fn event(&self) -> (u64, &str, &'static str, &str, String) {
        match *self {
            Change::Stamp {
                version,
                name,
                checksum,
                ..
            } => (
                version,
                name,
                "baseline",
                checksum,
                "marked applied without running".to_owned(),
            ),
            Change::Rechecksum {
                version,
                name,
                old,
                new,
                ..
            } => (
                version,
                name,
                "repair",
                new,
                format!("checksum {old} replaced by {new}"),
            ),
            Change::Unmark {
                version,
                name,
                checksum,
                state,
            } => (
                version,
                name,
                "repair",
                checksum,
                format!("`{state}` mark removed: the migration runs again"),
            ),
        }
    }
}

/// What [`Backend::apply`] did: the time each applied migration took, in
/// order, and the failure that stopped it.
pub struct Applied {
    pub durations: Vec<std::time::Duration>,
    pub error: Option<Error>,
}

/// The cached digest of the applied state, read by the no-op boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cache {
    /// The backend keeps no cache (reading the table is as cheap).
    Unsupported,
    /// The tracking tables do not exist: nothing is applied.
    Missing,
    /// The stored digest; `None` after any change it does not reflect.
    Stored(Option<String>),
}

/// A row of the tracking table with everything status reports show.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    pub row: AppliedRow,
    /// UTC, `YYYY-MM-DDTHH:MM:SS.ffffffZ` (SQLite: milliseconds).
    pub applied_at: String,
    pub execution_ms: Option<f64>,
    pub applied_by: Option<String>,
    pub down_sql: Option<String>,
}

/// What the runner needs from a database connection.
pub trait Backend {
    /// The database's name for messages: `PostgreSQL` or `SQLite` (as code
    /// migrations name them).
    fn engine(&self) -> &'static str;

    /// Reads every row of the tracking table with its details, ordered by
    /// version; empty when the table does not exist. Read-only.
    fn read_rows(&mut self, t: &Tracking) -> Result<Vec<HistoryRow>, Error>;

    /// Reads the newest `limit` events, newest first; empty when the table
    /// does not exist. Read-only.
    fn read_events(
        &mut self,
        t: &Tracking,
        limit: usize,
    ) -> Result<Vec<crate::history::Event>, Error>;

    /// Reads the cached digest of the applied state: one round trip, in
    /// which a missing table is an error the server logs. `quiet` first asks
    /// the catalog whether the table exists (one more round trip, no error),
    /// for the repeated reads of a runner waiting for the lock.
    fn cached_digest(&mut self, _t: &Tracking, _quiet: bool) -> Result<Cache, Error> {
        Ok(Cache::Unsupported)
    }

    /// Reads the tracking table, ordered by version; empty when it does not
    /// exist yet. One round trip. With `refresh_cache`, also brings the
    /// cached digest up to date with the table, never waiting for a lock.
    fn read_applied(&mut self, t: &Tracking, refresh_cache: bool)
        -> Result<Vec<AppliedRow>, Error>;

    /// Tries once to take the migration lock, without waiting and without
    /// leaving a transaction open.
    fn try_lock(&mut self, t: &Tracking) -> Result<bool, Error>;

    /// Under the lock, before the first write: creates the tracking tables
    /// if they do not exist and voids the cached digest.
    fn begin_writes(&mut self, t: &Tracking) -> Result<(), Error>;

    /// Releases the migration lock, storing the applied state's digest when
    /// the run succeeded (`None` leaves the cache void).
    fn end_writes(&mut self, t: &Tracking, digest: Option<&str>) -> Result<(), Error>;

    /// Runs a down migration and removes its tracking row, logging a
    /// `rollback` event, in one transaction unless the down SQL is marked
    /// `-- migrate:no-transaction` (then a failure marks the row `failed`).
    fn revert(&mut self, t: &Tracking, step: &Revert<'_>) -> Result<(), Error>;

    /// Under the lock: creates the seeds table if needed and reads the
    /// checksum of each file of `env` that ran, by file.
    fn read_seeds(
        &mut self,
        t: &Tracking,
        env: &str,
    ) -> Result<std::collections::BTreeMap<String, String>, Error>;

    /// Runs a seed file and records it (with a `seed` event) in one
    /// transaction; a failure rolls it all back. `path` names the file in
    /// messages.
    fn apply_seed(
        &mut self,
        t: &Tracking,
        seed: &crate::seeds::Seed,
        path: &str,
    ) -> Result<(), Error>;

    /// Makes the changes and logs their events, all in one transaction.
    fn record(&mut self, t: &Tracking, changes: &[Change<'_>]) -> Result<(), Error>;

    /// The most migrations [`Backend::apply`] takes at once.
    fn max_batch(&self) -> usize {
        1
    }

    /// Applies migrations in order, each with its tracking row in a
    /// transaction of its own (a no-transaction migration always comes
    /// alone). Stops at the first failure: the result holds how long each
    /// applied migration took and the failure, if any.
    fn apply(&mut self, t: &Tracking, batch: &[Step<'_>]) -> Applied;
}

/// A database connection that migrations can run on: `postgres::Client` or
/// `rusqlite::Connection`. Sealed.
pub trait Database: private::Sealed {}

pub(crate) mod private {
    /// Seals [`Database`](super::Database) and hands the runner a backend.
    pub trait Sealed {
        /// The backend for this connection.
        fn backend(&mut self) -> Box<dyn super::Backend + '_>;
    }
}

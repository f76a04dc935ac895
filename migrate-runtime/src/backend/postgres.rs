//! PostgreSQL through the synchronous `postgres` crate.
//!
//! Round trips (each one simple-query message):
//! - reading the tracking table: 1 (the no-op boot costs exactly this);
//! - a transactional migration: 1 — `BEGIN`, the migration, its tracking
//!   row, its event and `COMMIT` go in one message;
//! - a no-transaction migration: 2 + one per statement (mark in progress,
//!   each statement, mark applied);
//! - the lock: 1 per attempt, 1 to release; creating the tables: 1.
//!
//! A failure costs 2 more (`ROLLBACK`, the failure event), plus one per
//! statement when the server gave no error position and the statement must
//! be found by replaying the migration in a transaction that is rolled back.

use std::time::{Duration, Instant};

use postgres::error::{DbError, ErrorPosition, SqlState};
use postgres::{Client, SimpleQueryMessage};

use super::{AppliedRow, Backend, Cache, Database, Status, Tracking};
use crate::error::Error;
use crate::migration::Migration;
use crate::sql;

/// Replaying a failed migration to find its failing statement is skipped
/// when the failed attempt took longer than this.
const REPLAY_LIMIT: Duration = Duration::from_secs(2);

/// The text sent before a transactional migration's SQL.
const PREFIX: &str = "BEGIN;\n";

impl Database for Client {}

impl super::private::Sealed for Client {
    fn backend(&mut self) -> Box<dyn Backend + '_> {
        Box::new(Pg { client: self })
    }
}

struct Pg<'a> {
    client: &'a mut Client,
}

fn pg(context: &'static str) -> impl FnOnce(postgres::Error) -> Error {
    move |source| Error::Postgres { context, source }
}

/// An `E'…'` literal, correct whatever `standard_conforming_strings` says.
fn literal(text: &str) -> String {
    format!("E'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
}

fn opt_literal(text: Option<&str>) -> String {
    text.map_or_else(|| "NULL".to_owned(), literal)
}

fn is_missing_table(e: &postgres::Error) -> bool {
    e.code() == Some(&SqlState::UNDEFINED_TABLE) || e.code() == Some(&SqlState::INVALID_SCHEMA_NAME)
}

/// The applied state's digest computed by the server from the tracking
/// table: the same as `checksum::StateDigest` (NULL while any row is not
/// applied, or when there is none).
fn server_digest(t: &Tracking) -> String {
    format!(
        "SELECT CASE WHEN bool_and(status = 'applied') THEN encode(sha256(convert_to(\
         string_agg(version::text || ':' || checksum || E'\\n', '' ORDER BY version), 'UTF8')), 'hex') END \
         FROM {}",
        t.history
    )
}

/// Sets the cached digest; runs in the transaction that changed the table.
fn set_digest(t: &Tracking, digest: &str) -> String {
    format!(
        "UPDATE {} SET digest = {}, updated_at = clock_timestamp();",
        t.state,
        literal(digest)
    )
}

impl Backend for Pg<'_> {
    fn cached_digest(&mut self, t: &Tracking) -> Result<Cache, Error> {
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
        let mut query = String::new();
        if refresh_cache {
            // Never waits: if the state row is locked, a change is under way
            // and whoever makes it sets the digest.
            query.push_str(&format!(
                "DO $migrate$ DECLARE d text; BEGIN
    PERFORM FROM {state} FOR UPDATE SKIP LOCKED;
    IF FOUND THEN
        d := ({digest});
        UPDATE {state} SET digest = d, updated_at = clock_timestamp() WHERE digest IS DISTINCT FROM d;
    END IF;
END $migrate$;\n",
                state = t.state,
                digest = server_digest(t),
            ));
        }
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
                    status: Status::parse(&text(3)),
                });
            }
        }
        Ok(rows)
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

    fn unlock(&mut self, t: &Tracking) -> Result<(), Error> {
        self.client
            .batch_execute(&format!("SELECT pg_advisory_unlock({})", t.lock_key))
            .map_err(pg("releasing the migration lock"))
    }

    fn ensure_tables(&mut self, t: &Tracking) -> Result<(), Error> {
        let schema = t.schema.as_deref().map_or_else(String::new, |s| {
            format!("CREATE SCHEMA IF NOT EXISTS {};\n", super::quote_ident(s))
        });
        let sql = format!(
            "{schema}CREATE TABLE IF NOT EXISTS {history} (
    version BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'applied' CHECK (status IN ('applied', 'in_progress', 'failed')),
    applied_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    execution_ms DOUBLE PRECISION,
    applied_by TEXT NOT NULL DEFAULT current_user,
    no_transaction BOOLEAN NOT NULL DEFAULT false,
    down_sql TEXT
);
CREATE TABLE IF NOT EXISTS {events} (
    id BIGSERIAL PRIMARY KEY,
    version BIGINT,
    name TEXT,
    event TEXT NOT NULL,
    checksum TEXT,
    at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    execution_ms DOUBLE PRECISION,
    actor TEXT NOT NULL DEFAULT current_user,
    detail TEXT
);
CREATE TABLE IF NOT EXISTS {state} (
    digest TEXT,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
INSERT INTO {state} (digest) SELECT NULL WHERE NOT EXISTS (SELECT FROM {state});
CREATE OR REPLACE FUNCTION {reset}() RETURNS trigger LANGUAGE plpgsql AS $migrate$
BEGIN
    -- Any change to the tracking table, by migrate or by hand, voids the
    -- cached digest; migrate sets it again in the same transaction.
    EXECUTE format('UPDATE %I.%I SET digest = NULL, updated_at = clock_timestamp()',
                   TG_TABLE_SCHEMA, TG_TABLE_NAME || '_state');
    RETURN NULL;
END
$migrate$;
DO $migrate$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_trigger
                   WHERE tgrelid = {history_name}::regclass AND tgname = 'migrate_state_reset') THEN
        CREATE TRIGGER migrate_state_reset
            AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {history}
            FOR EACH STATEMENT EXECUTE FUNCTION {reset}();
    END IF;
END
$migrate$;",
            history = t.history,
            events = t.events,
            state = t.state,
            reset = t.state_reset,
            history_name = literal(&t.history),
        );
        self.client
            .batch_execute(&sql)
            .map_err(pg("creating the tracking tables"))
    }

    fn apply(
        &mut self,
        t: &Tracking,
        m: &Migration,
        file: &str,
        digest_after: &str,
    ) -> Result<(), Error> {
        if m.no_transaction() {
            self.apply_statements(t, m, file, digest_after)
        } else {
            self.apply_in_transaction(t, m, file, digest_after)
        }
    }
}

/// Milliseconds since the start of the current transaction, server side.
const ELAPSED_MS: &str = "extract(epoch FROM clock_timestamp() - now()) * 1000";

impl Pg<'_> {
    fn apply_in_transaction(
        &mut self,
        t: &Tracking,
        m: &Migration,
        file: &str,
        digest_after: &str,
    ) -> Result<(), Error> {
        let (v, name, sum) = (m.version(), literal(m.name()), literal(m.checksum()));
        let script = format!(
            "{PREFIX}{up}\n;\n\
             INSERT INTO {history} (version, name, checksum, execution_ms, no_transaction, down_sql) \
             VALUES ({v}, {name}, {sum}, {ELAPSED_MS}, false, {down});\n\
             INSERT INTO {events} (version, name, event, checksum, execution_ms) \
             VALUES ({v}, {name}, 'apply', {sum}, {ELAPSED_MS});\n\
             {state}\n\
             COMMIT;",
            up = m.up_sql(),
            history = t.history,
            events = t.events,
            down = opt_literal(m.down_sql()),
            state = set_digest(t, digest_after),
        );
        let started = Instant::now();
        let Err(e) = self.client.batch_execute(&script) else {
            return Ok(());
        };
        // The session is in an aborted transaction (or the connection is
        // gone, and the server rolls back for us).
        let _ = self.client.batch_execute("ROLLBACK");
        let mut failure = Failure::new(&e, m.up_sql(), PREFIX.chars().count());
        if failure.line.is_none() && e.as_db_error().is_some() && started.elapsed() < REPLAY_LIMIT {
            if let Some(found) = self.locate(m.up_sql()) {
                failure = found;
            }
        }
        let error = failure.into_error(m, file, false);
        self.record_failure(t, m, &error);
        Err(error)
    }

    /// Replays the migration statement by statement inside a transaction
    /// that is rolled back, to find the statement that fails.
    fn locate(&mut self, up: &str) -> Option<Failure> {
        let statements = sql::split(up).ok()?;
        self.client.batch_execute("BEGIN").ok()?;
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

    fn apply_statements(
        &mut self,
        t: &Tracking,
        m: &Migration,
        file: &str,
        digest_after: &str,
    ) -> Result<(), Error> {
        let (v, name, sum) = (m.version(), literal(m.name()), literal(m.checksum()));
        self.client
            .batch_execute(&format!(
                "INSERT INTO {history} (version, name, checksum, status, no_transaction, down_sql) \
                 VALUES ({v}, {name}, {sum}, 'in_progress', true, {down});\n\
                 INSERT INTO {events} (version, name, event, checksum) VALUES ({v}, {name}, 'start', {sum});",
                history = t.history,
                events = t.events,
                down = opt_literal(m.down_sql()),
            ))
            .map_err(pg("marking a no-transaction migration in progress"))?;
        let up = m.up_sql();
        let statements = sql::split(up).unwrap_or_default();
        for s in &statements {
            let text = &up[s.start..s.end];
            if let Err(e) = self.client.batch_execute(text) {
                let mut failure = Failure::new(&e, text, 0);
                failure.shift(up, s.start);
                let error = failure.into_error(m, file, true);
                let _ = self.client.batch_execute(&format!(
                    "UPDATE {} SET status = 'failed' WHERE version = {v}",
                    t.history
                ));
                self.record_failure(t, m, &error);
                return Err(error);
            }
        }
        self.client
            .batch_execute(&format!(
                "UPDATE {history} SET status = 'applied', \
                 execution_ms = extract(epoch FROM clock_timestamp() - applied_at) * 1000, \
                 applied_at = clock_timestamp() WHERE version = {v};\n\
                 INSERT INTO {events} (version, name, event, checksum, execution_ms) \
                 SELECT {v}, {name}, 'apply', {sum}, execution_ms FROM {history} WHERE version = {v};\n\
                 {state}",
                history = t.history,
                events = t.events,
                state = set_digest(t, digest_after),
            ))
            .map_err(pg("marking a no-transaction migration applied"))
    }

    /// Appends a failure to the event log; a failure to log is not allowed
    /// to hide the migration's own error.
    fn record_failure(&mut self, t: &Tracking, m: &Migration, error: &Error) {
        let _ = self.client.batch_execute(&format!(
            "INSERT INTO {} (version, name, event, checksum, detail) VALUES ({}, {}, 'failure', {}, {})",
            t.events,
            m.version(),
            literal(m.name()),
            literal(m.checksum()),
            literal(&error.to_string()),
        ));
    }
}

/// A server error, mapped onto the migration file.
struct Failure {
    line: Option<usize>,
    column: Option<usize>,
    message: String,
    detail: Option<String>,
    hint: Option<String>,
    code: Option<String>,
}

impl Failure {
    /// Maps the error of a query whose text was `prefix_chars` characters of
    /// runner text followed by `text`. The position is then relative to
    /// `text` (see [`Failure::shift`]).
    fn new(e: &postgres::Error, text: &str, prefix_chars: usize) -> Self {
        let Some(db) = e.as_db_error() else {
            return Failure {
                line: None,
                column: None,
                message: e.to_string(),
                detail: None,
                hint: None,
                code: None,
            };
        };
        let (line, column) =
            position(db, text, prefix_chars).map_or((None, None), |(l, c)| (Some(l), Some(c)));
        Failure {
            line,
            column,
            message: db.message().to_owned(),
            detail: db.detail().map(str::to_owned),
            hint: db.hint().map(str::to_owned),
            code: Some(db.code().code().to_owned()),
        }
    }

    /// Moves a position found within a statement that starts at byte `start`
    /// of `up`; without a position, points at the statement's start.
    fn shift(&mut self, up: &str, start: usize) {
        let (sl, sc) = sql::line_col(up, start);
        match (self.line, self.column) {
            (Some(1), Some(c)) => self.column = Some(sc + c - 1),
            (Some(_), _) => {}
            _ => {
                self.line = Some(sl);
                self.column = Some(sc);
                return;
            }
        }
        self.line = self.line.map(|l| l + sl - 1);
    }

    fn into_error(self, m: &Migration, file: &str, partial: bool) -> Error {
        Error::MigrationFailed {
            version: m.version(),
            name: m.name().to_owned(),
            file: file.to_owned(),
            line: self.line,
            column: self.column,
            message: self.message,
            detail: self.detail,
            hint: self.hint,
            code: self.code,
            partial,
        }
    }
}

/// The line and column in `text` of the server's error position, if it
/// falls inside `text`.
fn position(db: &DbError, text: &str, prefix_chars: usize) -> Option<(usize, usize)> {
    let Some(ErrorPosition::Original(pos)) = db.position() else {
        return None;
    };
    let index = usize::try_from(*pos).ok()?.checked_sub(1 + prefix_chars)?;
    let byte = sql::char_to_byte(text, index);
    (byte < text.len()).then(|| sql::line_col(text, byte))
}

//! Scripts run in a transaction of their own with their bookkeeping — a
//! migration, a rollback, a seed file — and the one way a failure is
//! handled: roll back (or mark the row `failed`), log a `failure` event,
//! return the error with its file, line and column.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::locate::{in_message, in_statement, Located};
use super::Session;
use crate::backend::dialect::{EventRow, ForeignKeys, APPLIED_MS};
use crate::backend::{DbFailure, Position};
use crate::model::{Migration, Span};
use crate::outcome::{Direction, Error, ErrorCode, EventKind, MigrationFailure, Report, SqlState};
use crate::text::lexer;

/// Replaying a failed migration to find its failing statement is skipped
/// when the failed attempt took longer than this; the replay's statements
/// are bounded by it too.
const REPLAY_LIMIT: Duration = Duration::from_secs(2);

/// What a failure concerns.
#[derive(Clone, Copy)]
pub(crate) struct Subject<'a> {
    pub(crate) version: u64,
    pub(crate) name: &'a str,
    pub(crate) checksum: &'a str,
    /// The file, for messages.
    pub(crate) file: &'a str,
    pub(crate) kind: Kind,
}

/// A migration applied or rolled back, or a seed file.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Migration(Direction),
    Seed,
}

impl<'a> Subject<'a> {
    pub(crate) fn migration(m: &'a Migration, file: &'a str, direction: Direction) -> Self {
        Subject {
            version: m.version(),
            name: m.name(),
            checksum: m.checksum(),
            file,
            kind: Kind::Migration(direction),
        }
    }

    /// The error for `f`, located at `at`; `partial` when what ran before
    /// the failure stays.
    fn error(&self, f: DbFailure, at: Located, partial: bool) -> Error {
        let (line, column) = at.map_or((None, None), |(l, c)| (Some(l), Some(c)));
        match self.kind {
            Kind::Seed => Error::SeedFailed {
                file: self.file.to_owned(),
                line,
                message: f.message,
                code: f.code,
            },
            Kind::Migration(direction) => Error::MigrationFailed(Box::new(MigrationFailure {
                version: self.version,
                name: self.name.to_owned(),
                file: self.file.to_owned(),
                direction,
                line,
                column,
                message: f.message,
                detail: f.detail,
                hint: f.hint,
                code: f.code,
                partial,
                report: Report::default(),
                source: f.source,
            })),
        }
    }
}

/// What a failed script left to undo.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum After {
    /// Its transaction is open: roll it back.
    Rollback,
    /// Its transaction is gone already.
    Nothing,
    /// It ran outside a transaction: mark its row `failed`.
    MarkFailed,
}

/// What a transactional script records before its `COMMIT`.
pub(crate) enum Bookkeeping<'a> {
    /// An applied migration's row and event.
    Apply(&'a Migration),
    /// Any other tracking SQL (a rollback's, a seed file's).
    Text(String),
}

/// A script run in a transaction of its own, with its bookkeeping.
pub(crate) struct Unit<'a> {
    pub(crate) subject: Subject<'a>,
    pub(crate) sql: &'a str,
    /// Where its statements are, when the scanner found them.
    pub(crate) statements: Option<&'a [Span]>,
    pub(crate) lock_timeout: Option<Duration>,
    pub(crate) statement_timeout: Option<Duration>,
    pub(crate) bookkeeping: Bookkeeping<'a>,
}

impl Session<'_> {
    fn bookkeeping(&self, b: &Bookkeeping<'_>, ms: f64) -> String {
        match b {
            Bookkeeping::Apply(m) => self.sql.record_apply(m, ms),
            Bookkeeping::Text(sql) => sql.clone(),
        }
    }

    /// The failure handling, the same for every script: undo what `after`
    /// says, log a `failure` event (a failure to log never hides the
    /// error), and return the error.
    pub(super) async fn fail(
        &mut self,
        s: &Subject<'_>,
        f: DbFailure,
        at: Located,
        after: After,
    ) -> Error {
        if f.lost {
            // Nothing can be undone or logged on a connection that is gone,
            // and nothing it says about the script can be trusted.
            return lost(s.version, s.version, f);
        }
        match after {
            After::Rollback => {
                let _ = self.db.run("ROLLBACK").await;
            }
            After::MarkFailed => {
                let down = s.kind == Kind::Migration(Direction::Down);
                let _ = self.db.run(&self.sql.mark_failed(s.version, down)).await;
            }
            After::Nothing => {}
        }
        let error = s.error(f, at, after == After::MarkFailed);
        let detail = error.to_string();
        let event = self.sql.event(&EventRow {
            version: (s.kind != Kind::Seed).then_some(s.version),
            name: s.name,
            kind: EventKind::Failure,
            checksum: s.checksum,
            ms: None,
            detail: Some(&detail),
        });
        let _ = self.db.run(&event).await;
        error
    }

    /// Runs `script` statement by statement, at the places the scanner
    /// found (`None` for SQL stored in a tracking row, split here); a
    /// failure comes with its place in the script.
    pub(super) async fn statements(
        &mut self,
        script: &str,
        spans: Option<&[Span]>,
    ) -> Result<(), (DbFailure, Located)> {
        let split;
        let spans = match spans {
            Some(spans) => spans,
            None => {
                split = split_stored(script)?;
                &split
            }
        };
        for &(start, end) in spans {
            if let Err(f) = self.db.run(&script[start..end]).await {
                let at = in_statement(&f, script, start, end);
                return Err((f, at));
            }
        }
        Ok(())
    }

    /// Runs each unit in a transaction of its own, in order, stopping at
    /// the first failure: how long each committed one took, and the
    /// failure. One message for several when the driver allows.
    pub(super) async fn transact(&mut self, units: &[Unit<'_>]) -> (Vec<Duration>, Option<Error>) {
        if self.db.max_batch() > 1 {
            return self.transact_in_one_message(units).await;
        }
        let mut durations = Vec::with_capacity(units.len());
        for u in units {
            match self.transact_one(u).await {
                Ok(d) => durations.push(d),
                Err(e) => return (durations, Some(e)),
            }
        }
        (durations, None)
    }

    /// `BEGIN`, the statements one by one (so a failure names its
    /// statement), the bookkeeping and `COMMIT`; where foreign keys are
    /// enforced on SQLite, with enforcement off around the transaction and
    /// a check of every foreign key before the commit, as SQLite's
    /// documentation prescribes for schema changes.
    async fn transact_one(&mut self, u: &Unit<'_>) -> Result<Duration, Error> {
        let keys = self.sql.foreign_keys();
        let enforced = match &keys {
            Some(k) => self.foreign_keys_off(k).await?,
            None => false,
        };
        let out = self
            .transact_checked(u, keys.as_ref().filter(|_| enforced))
            .await;
        if let (true, Some(k)) = (enforced, &keys) {
            // Restored on every path; a failure to restore must not hide
            // the migration's own outcome.
            let _ = self.db.run(k.on).await;
        }
        out
    }

    /// Turns foreign key enforcement off if it is on; whether it was.
    async fn foreign_keys_off(&mut self, k: &ForeignKeys) -> Result<bool, Error> {
        let read = self.db.run(k.read).await;
        let on = read.map_err(self.db_error("reading the foreign key setting"))?;
        if on.first().and_then(|r| r.get(0)) != Some("1") {
            return Ok(false);
        }
        self.db
            .run(k.off)
            .await
            .map_err(self.db_error("turning foreign keys off"))?;
        Ok(true)
    }

    async fn transact_checked(
        &mut self,
        u: &Unit<'_>,
        check: Option<&ForeignKeys>,
    ) -> Result<Duration, Error> {
        let started = Instant::now();
        let begin = self
            .sql
            .open_transaction(u.lock_timeout, u.statement_timeout);
        self.db
            .run(&begin)
            .await
            .map_err(self.db_error("starting a transaction"))?;
        if let Err((f, at)) = self.statements(u.sql, u.statements).await {
            return Err(self.fail(&u.subject, f, at, After::Rollback).await);
        }
        if let Some(k) = check {
            if let Some(f) = self.broken_foreign_keys(k).await {
                return Err(self.fail(&u.subject, f, None, After::Rollback).await);
            }
        }
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let commit = format!("{}COMMIT;", self.bookkeeping(&u.bookkeeping, ms));
        if let Err(f) = self.db.run(&commit).await {
            let _ = self.db.run("ROLLBACK").await;
            return Err(self.db_error("recording in the tracking table")(f));
        }
        // The duration recorded, so that the report, `status` and the
        // history agree (as on PostgreSQL, where the server measures it).
        Ok(Duration::from_secs_f64(ms / 1000.0))
    }

    /// The rows the script left referencing nothing, as a failure naming
    /// their tables; `None` when every foreign key holds.
    async fn broken_foreign_keys(&mut self, k: &ForeignKeys) -> Option<DbFailure> {
        let rows = match self.db.run(k.check).await {
            Ok(rows) if rows.is_empty() => return None,
            Ok(rows) => rows,
            Err(f) => return Some(f),
        };
        let shown: Vec<String> = rows
            .iter()
            .take(5)
            .map(|r| {
                let (table, rowid, parent) = (r.get(0), r.get(1), r.get(2));
                format!(
                    "{} row {} references a missing row of {}",
                    table.unwrap_or("?"),
                    rowid.unwrap_or("?"),
                    parent.unwrap_or("?")
                )
            })
            .collect();
        let more = rows.len().saturating_sub(shown.len());
        let more = if more > 0 {
            format!(" (and {more} more)")
        } else {
            String::new()
        };
        let message = format!(
            "foreign key violation after the migration: {}{more}",
            shown.join("; ")
        );
        Some(DbFailure::other(message, None))
    }

    /// Sends the units in one message, each as `BEGIN; <sql>; <bookkeeping>;
    /// COMMIT;`. The server runs them in order and skips the rest of the
    /// message at the first error, so the ones before a failure stay
    /// committed and the ones after it never run. Each applied migration's
    /// bookkeeping returns its server-side time.
    async fn transact_in_one_message(
        &mut self,
        units: &[Unit<'_>],
    ) -> (Vec<Duration>, Option<Error>) {
        let mut script = String::new();
        let mut chars = 0;
        let mut starts = Vec::with_capacity(units.len());
        for u in units {
            let head = self
                .sql
                .open_transaction(u.lock_timeout, u.statement_timeout)
                + &self.sql.start_clock();
            script.push_str(&head);
            chars += head.chars().count();
            starts.push(chars);
            script.push_str(u.sql);
            chars += u.sql.chars().count();
            let tail = format!("\n;\n{}COMMIT;\n", self.bookkeeping(&u.bookkeeping, 0.0));
            chars += tail.chars().count();
            script.push_str(&tail);
        }
        let started = Instant::now();
        let f = match self.db.run(&script).await {
            // Only the bookkeeping's rows: a migration's own SELECT returns
            // rows too.
            Ok(rows) => {
                // All of them committed: a time the server did not return
                // (it always does) must not make them look unapplied.
                let mut times = server_times(&rows, units.len());
                times.resize(units.len(), Duration::ZERO);
                return (times, None);
            }
            Err(f) => f,
        };
        if f.lost {
            let (first, last) = (
                units[0].subject.version,
                units[units.len() - 1].subject.version,
            );
            return (Vec::new(), Some(lost(first, last, f)));
        }
        // The session is in the failed script's aborted transaction (or
        // the connection is gone, and the server rolls back for us).
        let _ = self.db.run("ROLLBACK").await;
        let mut durations = if units.len() > 1 {
            self.committed(units, &f, &starts).await
        } else {
            Vec::new()
        };
        let mut failed = durations.len().min(units.len() - 1);
        // The server parses a whole message before it runs any of it: an
        // error placed in a later script than the first one that did not
        // commit stopped them all. Send the scripts before it again, as if
        // each had been sent alone, and blame the one the server names.
        let named = at_position(&f, &starts).filter(|&i| i > failed);
        if let Some(i) = named {
            let (again, error) = Box::pin(self.transact_in_one_message(&units[failed..i])).await;
            durations.extend(again);
            if error.is_some() {
                return (durations, error);
            }
            failed = i;
        }
        let u = &units[failed];
        let mut at = in_message(&f, u.sql, starts[failed]);
        // A cancelled statement (a cancel request, a statement timeout) is
        // not replayed: that would run it again after being told to stop,
        // or until the same timeout.
        let cancelled = f.code == Some(ErrorCode::SqlState(SqlState::QUERY_CANCELED));
        if at.is_none() && f.answered && !cancelled && started.elapsed() < REPLAY_LIMIT {
            // The replay's place is taken only for the same error: another
            // one (the replay's own timeout) says nothing of the first.
            if let Some((again, place)) = self.replay(u).await {
                if again.code == f.code && again.message == f.message {
                    at = place;
                }
            }
        }
        let error = self.fail(&u.subject, f, at, After::Nothing).await;
        (durations, Some(error))
    }

    /// After a message failed: how long each migration that committed
    /// took, in order (read back from the tracking table); the one after
    /// them is the one that failed. If that read fails too (the connection
    /// is gone), the error position tells which one failed.
    async fn committed(
        &mut self,
        units: &[Unit<'_>],
        f: &DbFailure,
        starts: &[usize],
    ) -> Vec<Duration> {
        let versions: Vec<u64> = units.iter().map(|u| u.subject.version).collect();
        let query = self.sql.select_durations(&versions);
        if let Ok(rows) = self.db.run(&query).await {
            let done: BTreeMap<u64, f64> = rows
                .iter()
                .filter_map(|r| {
                    let ms = r.get(1).and_then(|ms| ms.parse().ok()).unwrap_or(0.0);
                    Some((r.get(0)?.parse().ok()?, ms))
                })
                .collect();
            return versions
                .iter()
                .map_while(|v| done.get(v))
                .map(|&ms| millis(ms))
                .collect();
        }
        vec![Duration::ZERO; at_position(f, starts).unwrap_or(0)]
    }

    /// Replays the script statement by statement inside a transaction that
    /// is rolled back, to find the statement that fails. Each statement
    /// may wait for a lock and run for at most [`REPLAY_LIMIT`] (or the
    /// script's own, shorter, timeouts), so that the replay can never block
    /// where the attempt did not.
    async fn replay(&mut self, u: &Unit<'_>) -> Option<(DbFailure, Located)> {
        let bound = |d: Option<Duration>| Some(d.map_or(REPLAY_LIMIT, |d| d.min(REPLAY_LIMIT)));
        let begin = self
            .sql
            .open_transaction(bound(u.lock_timeout), bound(u.statement_timeout));
        self.db.run(&begin).await.ok()?;
        let found = self.statements(u.sql, u.statements).await.err();
        let _ = self.db.run("ROLLBACK").await;
        found
    }
}

/// The error for a connection lost while `first..=last` were applied.
fn lost(first: u64, last: u64, f: DbFailure) -> Error {
    let source = f.source.unwrap_or_else(|| f.message.into());
    Error::ConnectionLost {
        first,
        last,
        source,
    }
}

/// The script of a message the server's error position falls in, given
/// where each script starts (in characters).
fn at_position(f: &DbFailure, starts: &[usize]) -> Option<usize> {
    match f.position {
        Some(Position::Char(pos)) => {
            let index = pos.saturating_sub(1);
            starts.iter().rposition(|&s| s <= index)
        }
        _ => None,
    }
}

/// The statements of SQL stored in a tracking row (the scanner checked it
/// when it was embedded; a failure to split it is reported, not ignored).
fn split_stored(script: &str) -> Result<Vec<Span>, (DbFailure, Located)> {
    let statements = lexer::split(script).map_err(|u| {
        let message = format!("the stored SQL has an unterminated {}", u.what);
        let at = Some(lexer::line_col(script, u.start));
        (DbFailure::other(message, None), at)
    })?;
    Ok(statements.iter().map(|s| (s.start, s.end)).collect())
}

/// The server-side times the bookkeeping returned, told apart by their
/// column's name.
fn server_times(rows: &[crate::backend::Row], most: usize) -> Vec<Duration> {
    rows.iter()
        .filter(|r| r.label == APPLIED_MS)
        .filter_map(|r| r.get(0)?.parse::<f64>().ok())
        .take(most)
        .map(millis)
        .collect()
}

fn millis(ms: f64) -> Duration {
    Duration::from_secs_f64(ms.max(0.0) / 1000.0)
}

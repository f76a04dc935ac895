//! The steps the runner asks for: apply migrations (in one transaction
//! each, or outside one between `in_progress` and `applied` marks, or as a
//! code migration's function), roll one back, run a seed file.

use std::time::{Duration, Instant};

use super::locate::Located;
use super::units::{After, Bookkeeping, Kind, Subject, Unit};
use super::Session;
use crate::backend::{CodeCall, DbFailure};
use crate::model::{Migration, Seed, Span};
use crate::outcome::{Direction, Error};

/// A migration to apply, with its up file's path and its timeouts.
pub(crate) struct Step<'a> {
    pub(crate) migration: &'a Migration,
    pub(crate) file: String,
    /// How long each statement may wait for a lock (PostgreSQL).
    pub(crate) lock_timeout: Option<Duration>,
    /// How long each statement may run (PostgreSQL).
    pub(crate) statement_timeout: Option<Duration>,
}

impl Step<'_> {
    fn timeouts(&self) -> (Option<Duration>, Option<Duration>) {
        (self.lock_timeout, self.statement_timeout)
    }
}

/// What [`Session::apply`] did: the time each applied migration took, in
/// order, and the failure that stopped it.
pub(crate) struct Applied {
    pub(crate) durations: Vec<Duration>,
    pub(crate) error: Option<Error>,
}

/// One rollback: the down SQL of an applied migration, from the set or
/// from its tracking row, or the down function of a code migration.
pub(crate) struct Revert<'a> {
    pub(crate) version: u64,
    pub(crate) name: &'a str,
    pub(crate) checksum: &'a str,
    pub(crate) sql: &'a str,
    /// Where the statements of embedded down SQL are (`None`: stored SQL).
    pub(crate) statements: Option<&'a [Span]>,
    pub(crate) no_transaction: bool,
    /// The down file's path, or a description of the stored copy.
    pub(crate) file: String,
    /// `embedded` or `stored`, recorded in the event log.
    pub(crate) source: &'static str,
    /// The embedded code migration whose down function runs instead of
    /// `sql`.
    pub(crate) code: Option<&'a Migration>,
}

/// What runs outside a transaction.
enum Work<'a> {
    Sql(&'a str, Option<&'a [Span]>),
    Code(&'a Migration, Direction),
}

impl Session<'_> {
    /// Applies migrations in order, each with its tracking row in a
    /// transaction of its own (a no-transaction or code migration always
    /// comes alone). Stops at the first failure.
    pub(crate) async fn apply(&mut self, batch: &[Step<'_>]) -> Applied {
        let started = Instant::now();
        let alone = match batch {
            [step] if step.migration.is_code() => self.apply_code(step).await,
            [step] if step.migration.no_transaction() => {
                let m = step.migration;
                let subject = Subject::migration(m, &step.file, Direction::Up);
                let (begin, sql) = (self.sql.mark_in_progress(m), self.sql.clone());
                let work = Work::Sql(m.up_sql(), Some(m.up_statements()));
                self.outside(&subject, begin, work, step.timeouts(), &|ms| {
                    sql.mark_applied(m, ms)
                })
                .await
            }
            _ => {
                let units: Vec<Unit<'_>> = batch
                    .iter()
                    .map(|s| Unit {
                        subject: Subject::migration(s.migration, &s.file, Direction::Up),
                        sql: s.migration.up_sql(),
                        statements: Some(s.migration.up_statements()),
                        lock_timeout: s.lock_timeout,
                        statement_timeout: s.statement_timeout,
                        bookkeeping: Bookkeeping::Apply(s.migration),
                    })
                    .collect();
                let (durations, error) = self.transact(&units).await;
                return Applied { durations, error };
            }
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

    /// A code migration: its function in a transaction with its tracking
    /// row, or on the connection between the marks.
    async fn apply_code(&mut self, step: &Step<'_>) -> Result<(), Error> {
        let m = step.migration;
        let subject = Subject::migration(m, &step.file, Direction::Up);
        let sql = self.sql.clone();
        if m.no_transaction() {
            let begin = sql.mark_in_progress(m);
            let work = Work::Code(m, Direction::Up);
            return self
                .outside(&subject, begin, work, step.timeouts(), &|ms| {
                    sql.mark_applied(m, ms)
                })
                .await;
        }
        let settings =
            sql.start_clock() + &sql.timeouts(true, step.lock_timeout, step.statement_timeout);
        self.code_in_transaction(
            &subject,
            Direction::Up,
            settings,
            &|ms| sql.record_apply(m, ms),
            m,
        )
        .await
    }

    /// Runs a code migration's function in the driver's transaction, which
    /// also runs `record`; a failure rolls it all back.
    async fn code_in_transaction(
        &mut self,
        subject: &Subject<'_>,
        direction: Direction,
        settings: String,
        record: &(dyn Fn(f64) -> String + Sync),
        m: &Migration,
    ) -> Result<(), Error> {
        let call = CodeCall {
            migration: m,
            direction,
            transaction: Some((settings, record)),
        };
        match self.db.code(call).await {
            Ok(()) => Ok(()),
            Err(f) => Err(self.fail(subject, f, None, After::Nothing).await),
        }
    }

    /// Runs `work` outside a transaction: `begin` first (the `in_progress`
    /// mark), the step's timeouts set for the session while it runs, then
    /// `finish` with the time it took; a failure marks the row `failed`.
    async fn outside(
        &mut self,
        subject: &Subject<'_>,
        begin: String,
        work: Work<'_>,
        (lock, statement): (Option<Duration>, Option<Duration>),
        finish: &(dyn Fn(f64) -> String + Sync),
    ) -> Result<(), Error> {
        let started = Instant::now();
        if !begin.is_empty() {
            self.db
                .run(&begin)
                .await
                .map_err(self.db_error("marking a no-transaction migration in progress"))?;
        }
        let settings = self.sql.timeouts(false, lock, statement);
        if !settings.is_empty() {
            self.db
                .run(&settings)
                .await
                .map_err(self.db_error("setting a no-transaction migration's timeouts"))?;
        }
        let result = match work {
            Work::Sql(sql, spans) => self.statements(sql, spans).await,
            Work::Code(migration, direction) => {
                let call = CodeCall {
                    migration,
                    direction,
                    transaction: None,
                };
                self.db.code(call).await.map_err(|f| (f, None))
            }
        };
        if !settings.is_empty() {
            let _ = self.db.run(self.sql.reset_timeouts()).await;
        }
        let result = match (result, &work) {
            (Ok(()), Work::Sql(sql, Some(spans))) => self.indexes_valid(sql, spans).await,
            (other, _) => other,
        };
        if let Err((f, at)) = result {
            return Err(self.fail(subject, f, at, After::MarkFailed).await);
        }
        let done = finish(started.elapsed().as_secs_f64() * 1000.0);
        self.db
            .run(&done)
            .await
            .map_err(self.db_error("marking a no-transaction migration applied"))?;
        Ok(())
    }

    /// After a no-transaction script: a failure when an index it builds is
    /// invalid (a failed concurrent build left it, and `IF NOT EXISTS`
    /// skipped it), so that the migration is never recorded applied.
    async fn indexes_valid(
        &mut self,
        sql: &str,
        spans: &[Span],
    ) -> Result<(), (DbFailure, Located)> {
        let names = super::indexes::built(sql, spans);
        let Some(query) = self
            .sql
            .invalid_indexes(Some(&names))
            .filter(|_| !names.is_empty())
        else {
            return Ok(());
        };
        let rows = self.db.run(&query).await.map_err(|f| (f, None))?;
        let Some(index) = rows.first().and_then(|r| r.get(0)) else {
            return Ok(());
        };
        let message = format!(
            "index {index} is invalid: a CREATE INDEX CONCURRENTLY that failed left it, and this migration did not build it again; drop it (DROP INDEX CONCURRENTLY {index}), fix its cause, run `repair`, then run again"
        );
        Err((DbFailure::other(message, None), None))
    }

    /// Runs a down migration and removes its tracking row, logging a
    /// `rollback` event, in one transaction unless the down SQL is marked
    /// `-- migrate:no-transaction`: then the row is marked `rolling_back`
    /// while it runs, and `rollback_failed` if it fails.
    pub(crate) async fn revert(&mut self, r: &Revert<'_>) -> Result<(), Error> {
        let subject = Subject {
            version: r.version,
            name: r.name,
            checksum: r.checksum,
            file: &r.file,
            kind: Kind::Migration(Direction::Down),
        };
        if let Some(m) = r.code {
            let forget =
                self.sql
                    .forget(r.version, r.name, r.checksum, "down: Rust code (embedded)");
            let record = move |_| forget.clone();
            return self
                .code_in_transaction(&subject, Direction::Down, String::new(), &record, m)
                .await;
        }
        let forget = self.sql.forget(
            r.version,
            r.name,
            r.checksum,
            &format!("down SQL: {}", r.source),
        );
        if r.no_transaction {
            let record = move |_| forget.clone();
            let begin = self.sql.mark_rolling_back(r.version, r.name, r.checksum);
            return self
                .outside(
                    &subject,
                    begin,
                    Work::Sql(r.sql, r.statements),
                    (None, None),
                    &record,
                )
                .await;
        }
        let unit = Unit {
            subject,
            sql: r.sql,
            statements: r.statements,
            lock_timeout: None,
            statement_timeout: None,
            bookkeeping: Bookkeeping::Text(forget),
        };
        match self.transact(&[unit]).await {
            (_, Some(e)) => Err(e),
            (_, None) => Ok(()),
        }
    }

    /// Runs a seed file and records it (with a `seed` event) in one
    /// transaction; a failure rolls it all back. `path` names the file in
    /// messages.
    pub(crate) async fn apply_seed(&mut self, seed: &Seed, path: &str) -> Result<(), Error> {
        let unit = Unit {
            subject: Subject {
                version: 0,
                name: seed.file(),
                checksum: seed.checksum(),
                file: path,
                kind: Kind::Seed,
            },
            sql: seed.sql(),
            statements: Some(&seed.statements),
            lock_timeout: None,
            statement_timeout: None,
            bookkeeping: Bookkeeping::Text(self.sql.record_seed(
                seed.env(),
                seed.file(),
                seed.checksum(),
            )),
        };
        match self.transact(&[unit]).await {
            (_, Some(e)) => Err(e),
            (_, None) => Ok(()),
        }
    }
}

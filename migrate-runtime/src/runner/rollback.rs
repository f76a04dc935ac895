//! Rollback: the last N, down to a version, or everything, newest first,
//! each down migration in its own transaction with its tracking row
//! removed. Migrations the binary no longer embeds are rolled back with the
//! down SQL stored in their tracking row.

use std::path::Path;
use std::time::Instant;

use super::lock::locked;
use super::stop::{interrupted, stopped};
use super::trace::MigrationSpan;
use super::Runner;
use crate::backend::protocol::{Revert, Session};
use crate::backend::Driver;
use crate::model::{CodeApi, HistoryRow, Migration, MigrationState, Span};
use crate::outcome::{
    Direction, DownSource, Error, Plan, PlannedStep, Report, RolledBack, Warning,
};
use crate::scan::directives_of_stored;

/// How far to roll back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rollback {
    /// The newest `n` applied migrations.
    Last(usize),
    /// Every applied migration newer than this version (which stays).
    To(u64),
    /// Every applied migration.
    All,
}

/// One planned rollback step.
pub(super) struct Down<'r> {
    pub(super) row: &'r HistoryRow,
    /// The code migration whose down function runs instead of SQL.
    pub(super) code: Option<&'r Migration>,
    pub(super) sql: String,
    /// Where the statements of embedded down SQL are.
    pub(super) statements: Option<&'r [Span]>,
    pub(super) no_transaction: bool,
    pub(super) file: String,
    pub(super) source: DownSource,
}

/// The steps of a rollback, newest first, and the irreversible migration
/// that stops it, if any.
pub(super) struct DownPlan<'r> {
    pub(super) steps: Vec<Down<'r>>,
    pub(super) blocked_by: Option<&'r HistoryRow>,
}

operations! {
    /// Rolls back applied migrations, newest first. Each down migration runs
    /// in its own transaction (unless its file is marked
    /// `-- migrate:no-transaction`) with its tracking row removed and a
    /// `rollback` event logged. A migration the set no longer embeds is
    /// rolled back with the down SQL stored when it was applied; the report
    /// says which copy ran.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # #[cfg(feature = "sqlite")] {
    /// # let migrations = migrate_runtime::Migrations::from_dir("migrations")?;
    /// let mut conn = rusqlite::Connection::open("app.db")?;
    /// use migrate_runtime::Rollback;
    ///
    /// let runner = migrations.runner();
    /// println!("{}", runner.plan_rollback(&mut conn, Rollback::To(2))?);
    /// let report = runner.rollback(&mut conn, Rollback::To(2))?;
    /// for r in report.rolled_back() {
    ///     println!("rolled back {} with the {:?} down SQL", r.version(), r.source());
    /// }
    /// # }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::Irreversible`] when the rollback reaches a migration without
    /// down SQL (the newer ones are rolled back, it and the older ones are
    /// not); [`Error::HalfApplied`] when a no-transaction migration is
    /// unfinished; [`Error::MigrationFailed`] when a down migration fails
    /// (its transaction rolls back; the ones before stay rolled back); a
    /// lock timeout or a database error.
    pub fn rollback, rollback_async(how: Rollback) -> Report = rollback_with;

    /// What [`Runner::rollback`] would do, with the exact down SQL,
    /// executing nothing.
    ///
    /// # Errors
    /// As [`Runner::rollback`], before anything would run.
    pub fn plan_rollback, plan_rollback_async(how: Rollback) -> Plan = plan_rollback_with;
}

impl Runner<'_> {
    async fn rollback_with(&self, d: &mut dyn Driver, how: Rollback) -> Result<Report, Error> {
        let t = self.tracking()?;
        let api = d.code_api();
        self.on(d, &t, async |s| self.rollback_on(s, how, api).await)
            .await
    }

    async fn plan_rollback_with(&self, d: &mut dyn Driver, how: Rollback) -> Result<Plan, Error> {
        let t = self.tracking()?;
        let api = d.code_api();
        let rows = self.on(d, &t, async |s| s.read_rows().await).await?;
        let plan = self.plan_down(&rows, &t.display_name(), how, api)?;
        let warnings = plan
            .blocked_by
            .map(|row| Warning::Irreversible {
                version: row.row.version,
                name: row.row.name.clone(),
            })
            .into_iter()
            .collect();
        Ok(Plan {
            steps: plan
                .steps
                .iter()
                .map(|d| PlannedStep {
                    version: d.row.row.version,
                    name: d.row.row.name.clone(),
                    direction: Direction::Down,
                    file: d.file.clone(),
                    sql: d.sql.clone(),
                    transactional: !d.no_transaction,
                })
                .collect(),
            warnings,
        })
    }

    pub(super) async fn rollback_on(
        &self,
        s: &mut Session<'_>,
        how: Rollback,
        api: CodeApi,
    ) -> Result<Report, Error> {
        let started = Instant::now();
        locked(s, self.wait(), async |s, state| {
            let rows = s.read_rows().await?;
            let table = s.tracking().display_name();
            let plan = self.plan_down(&rows, &table, how, api)?;
            let mut report = Report::default();
            for (i, d) in plan.steps.iter().enumerate() {
                let left = || plan.steps[i..].iter().map(|d| d.row.row.version);
                if self.stop_requested() {
                    let remaining = &rows[..rows.len() - report.rolled_back.len()];
                    report.version = remaining.last().map(|r| r.row.version);
                    report.elapsed = started.elapsed();
                    return Err(stopped(Direction::Down, left()).with_report(report));
                }
                let began = Instant::now();
                let row = &d.row.row;
                let revert = Revert {
                    version: row.version,
                    name: &row.name,
                    checksum: &row.checksum,
                    sql: &d.sql,
                    statements: d.statements,
                    no_transaction: d.no_transaction,
                    file: d.file.clone(),
                    source: match d.source {
                        DownSource::Embedded => "embedded",
                        DownSource::Stored => "stored",
                    },
                    code: d.code,
                };
                let running = self.stop.as_ref().map(|stop| stop.running(s.canceller()));
                let span = MigrationSpan::start(row.version, &row.name, Direction::Down);
                let reverted = span.around(s.revert(&revert)).await;
                drop(running);
                match &reverted {
                    Ok(()) => span.done(began.elapsed()),
                    Err(e) => span.failed(e),
                }
                if let Err(e) = reverted {
                    let remaining = &rows[..rows.len() - report.rolled_back.len()];
                    report.version = remaining.last().map(|r| r.row.version);
                    report.elapsed = started.elapsed();
                    let e = if self.cancelled() {
                        interrupted(e, Direction::Down, left())
                    } else {
                        e
                    };
                    return Err(e.with_report(report));
                }
                report.rolled_back.push(RolledBack {
                    version: row.version,
                    name: row.name.clone(),
                    duration: began.elapsed(),
                    source: d.source,
                });
            }
            let remaining = &rows[..rows.len() - report.rolled_back.len()];
            state.extend(
                remaining
                    .iter()
                    .map(|r| (r.row.version, r.row.checksum.clone())),
            );
            if let Some(row) = plan.blocked_by {
                return Err(Error::Irreversible {
                    version: row.row.version,
                    name: row.row.name.clone(),
                    rolled_back: report.rolled_back.len(),
                });
            }
            report.version = remaining.last().map(|r| r.row.version);
            report.elapsed = started.elapsed();
            Ok(report)
        })
        .await
    }

    /// The rows to roll back, newest first, with their down SQL, up to the
    /// first one that has none (a code migration: none for the client
    /// `api`).
    pub(super) fn plan_down<'r>(
        &'r self,
        rows: &'r [HistoryRow],
        table: &str,
        how: Rollback,
        api: CodeApi,
    ) -> Result<DownPlan<'r>, Error> {
        let set = self.migrations;
        if let Some(r) = rows.iter().find(|r| r.row.state != MigrationState::Applied) {
            return Err(Error::HalfApplied {
                version: r.row.version,
                file: set
                    .get(r.row.version)
                    .map_or_else(|| r.row.name.clone(), |m| set.path_of(m.up_file())),
                state: r.row.state,
                table: table.to_owned(),
            });
        }
        let chosen: Vec<&HistoryRow> = match how {
            Rollback::Last(n) => rows.iter().rev().take(n).collect(),
            Rollback::To(v) => rows
                .iter()
                .rev()
                .take_while(|r| r.row.version > v)
                .collect(),
            Rollback::All => rows.iter().rev().collect(),
        };
        let mut plan = DownPlan {
            steps: Vec::with_capacity(chosen.len()),
            blocked_by: None,
        };
        for row in chosen {
            let down = self.down_of(row, table, api)?;
            match down {
                Some(d) => plan.steps.push(d),
                None => {
                    plan.blocked_by = Some(row);
                    break;
                }
            }
        }
        Ok(plan)
    }

    /// How to undo one applied row: the embedded down SQL or down
    /// function, or the down SQL stored in the row; `None` when there is
    /// none (irreversible).
    fn down_of<'r>(
        &'r self,
        row: &'r HistoryRow,
        table: &str,
        api: CodeApi,
    ) -> Result<Option<Down<'r>>, Error> {
        let set = self.migrations;
        let down = match set.get(row.row.version) {
            Some(m) if m.is_code() => m.code().filter(|c| c.has_down_for(api)).map(|c| Down {
                row,
                code: Some(m),
                sql: format!(
                    "-- Rust code: the down function of code version {}",
                    c.code_version()
                ),
                statements: None,
                no_transaction: false,
                file: set.path_of(m.up_file()),
                source: DownSource::Embedded,
            }),
            Some(m) => m.down_sql().map(|sql| Down {
                row,
                code: None,
                sql: sql.to_owned(),
                statements: Some(m.down_statements()),
                no_transaction: m.down_no_transaction(),
                file: set.path_of(m.down_file().unwrap_or_default()),
                source: DownSource::Embedded,
            }),
            None => return stored_down(row, table),
        };
        Ok(down)
    }
}

/// The down SQL stored with a row that the set no longer embeds, with its
/// directives read again by the scanner's rules.
fn stored_down<'r>(row: &'r HistoryRow, table: &str) -> Result<Option<Down<'r>>, Error> {
    let Some(sql) = &row.down_sql else {
        return Ok(None);
    };
    let file = format!("the down SQL stored with migration {}", row.row.version);
    let directives = directives_of_stored(Path::new(&file), sql).map_err(|problems| {
        let reasons: Vec<String> = problems.iter().map(ToString::to_string).collect();
        Error::UnexpectedTracking {
            table: table.to_owned(),
            reason: reasons.join("; "),
        }
    })?;
    Ok(Some(Down {
        row,
        code: None,
        sql: sql.clone(),
        statements: None,
        no_transaction: directives.no_transaction,
        file,
        source: DownSource::Stored,
    }))
}

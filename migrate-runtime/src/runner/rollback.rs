//! Rollback: the last N, down to a version, or everything, newest first,
//! each down migration in its own transaction with its tracking row
//! removed. Migrations the binary no longer embeds are rolled back with the
//! down SQL stored in their tracking row.

use std::time::Instant;

use super::{LockGuard, Runner};
use crate::backend::{Backend, Database, HistoryRow, Revert, RowState, Tracking};
use crate::checksum::StateDigest;
use crate::directives;
use crate::error::Error;
use crate::migration::Migration;
use crate::plan::{Direction, Plan, PlannedStep};
use crate::report::{DownSource, Report, RolledBack};

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
struct Down<'r> {
    row: &'r HistoryRow,
    /// The code migration whose down function runs instead of SQL.
    code: Option<&'r Migration>,
    sql: String,
    no_transaction: bool,
    file: String,
    source: DownSource,
}

/// The steps of a rollback, newest first, and the irreversible migration
/// that stops it, if any.
struct DownPlan<'r> {
    steps: Vec<Down<'r>>,
    blocked_by: Option<&'r HistoryRow>,
}

impl Runner<'_> {
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
    pub fn rollback<D: Database>(&self, db: &mut D, how: Rollback) -> Result<Report, Error> {
        let t = Tracking::new(self.schema.as_deref(), &self.table)?;
        self.rollback_on(&mut *db.backend(), &t, how)
    }

    /// What [`Runner::rollback`] would do, with the exact down SQL,
    /// executing nothing.
    ///
    /// # Errors
    /// As [`Runner::rollback`], before anything would run.
    pub fn plan_rollback<D: Database>(&self, db: &mut D, how: Rollback) -> Result<Plan, Error> {
        let t = Tracking::new(self.schema.as_deref(), &self.table)?;
        let mut db = db.backend();
        let rows = db.read_rows(&t)?;
        let plan = self.plan_down(&rows, &t, how, db.engine())?;
        let mut warnings = Vec::new();
        if let Some(row) = plan.blocked_by {
            warnings.push(format!(
                "migration {} ({}) is irreversible: the rollback would stop before it",
                row.row.version, row.row.name
            ));
        }
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

    fn rollback_on(
        &self,
        db: &mut dyn Backend,
        t: &Tracking,
        how: Rollback,
    ) -> Result<Report, Error> {
        let started = Instant::now();
        let Some(mut db) = LockGuard::acquire(db, t, self.lock_timeout, |_| Ok(false))? else {
            unreachable!("a rollback waits for the lock until it has it")
        };
        db.begin_writes(t)?;
        let rows = db.read_rows(t)?;
        let plan = self.plan_down(&rows, t, how, db.engine())?;
        let mut rolled_back = Vec::with_capacity(plan.steps.len());
        for d in &plan.steps {
            let began = Instant::now();
            db.revert(
                t,
                &Revert {
                    version: d.row.row.version,
                    name: &d.row.row.name,
                    checksum: &d.row.row.checksum,
                    sql: &d.sql,
                    no_transaction: d.no_transaction,
                    file: d.file.clone(),
                    source: match d.source {
                        DownSource::Embedded => "embedded",
                        DownSource::Stored => "stored",
                    },
                    code: d.code,
                },
            )?;
            rolled_back.push(RolledBack {
                version: d.row.row.version,
                name: d.row.row.name.clone(),
                duration: began.elapsed(),
                source: d.source,
            });
        }
        let gone = rolled_back.len();
        let remaining = &rows[..rows.len() - gone];
        let mut digest = StateDigest::default();
        for r in remaining {
            digest.push(r.row.version, &r.row.checksum);
        }
        db.release(&digest.hex())?;
        if let Some(row) = plan.blocked_by {
            return Err(Error::Irreversible {
                version: row.row.version,
                name: row.row.name.clone(),
                rolled_back: gone,
            });
        }
        Ok(Report {
            applied: Vec::new(),
            rolled_back,
            version: remaining.last().map(|r| r.row.version),
            elapsed: started.elapsed(),
            warnings: Vec::new(),
        })
    }

    /// The rows to roll back, newest first, with their down SQL, up to the
    /// first one that has none.
    fn plan_down<'r>(
        &'r self,
        rows: &'r [HistoryRow],
        t: &Tracking,
        how: Rollback,
        engine: &str,
    ) -> Result<DownPlan<'r>, Error> {
        let set = self.migrations;
        if let Some(r) = rows.iter().find(|r| r.row.status != RowState::Applied) {
            return Err(Error::HalfApplied {
                version: r.row.version,
                file: set
                    .get(r.row.version)
                    .map_or_else(|| r.row.name.clone(), |m| set.path_of(m.up_file())),
                status: r.row.status.as_str().to_owned(),
                table: t.display_name(),
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
            let embedded = set.get(row.row.version);
            let down = match embedded {
                Some(m) if m.is_code() => {
                    m.code().filter(|c| c.has_down_for(engine)).map(|c| Down {
                        row,
                        code: Some(m),
                        sql: format!(
                            "-- Rust code: the down function of code version {}",
                            c.code_version()
                        ),
                        no_transaction: false,
                        file: set.path_of(m.up_file()),
                        source: DownSource::Embedded,
                    })
                }
                Some(m) => m.down_sql().map(|sql| Down {
                    row,
                    code: None,
                    sql: sql.to_owned(),
                    no_transaction: m.down_no_transaction(),
                    file: set.path_of(m.down_file().unwrap_or_default()),
                    source: DownSource::Embedded,
                }),
                None => row.down_sql.as_ref().map(|sql| Down {
                    row,
                    code: None,
                    sql: sql.clone(),
                    no_transaction: directives::of(sql).no_transaction,
                    file: format!("the down SQL stored with migration {}", row.row.version),
                    source: DownSource::Stored,
                }),
            };
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
}

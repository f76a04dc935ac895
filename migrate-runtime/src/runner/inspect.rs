//! Read-only operations: status, verify, history and the dry run of an
//! apply. None takes the lock or writes anything.

use super::Runner;
use crate::backend::Driver;
use crate::outcome::{status, Direction, Error, Event, Finding, Plan, PlannedStep, Status};

operations! {
    /// The database's state against the set: current and latest versions,
    /// pending and applied migrations (with when, how long and who), and
    /// every problem. Read-only; takes no lock.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # #[cfg(feature = "sqlite")] {
    /// # let migrations = migrate_runtime::Migrations::from_dir("migrations")?;
    /// let mut conn = rusqlite::Connection::open("app.db")?;
    /// let status = migrations.runner().status(&mut conn)?;
    /// println!(
    ///     "version {:?} of {:?}, {} pending",
    ///     status.current_version(),
    ///     status.latest_version(),
    ///     status.pending().len()
    /// );
    /// for problem in status.problems() {
    ///     eprintln!("{problem}");
    /// }
    /// // For a health endpoint:
    /// let json = serde_json::to_string(&status)?;
    /// # let _ = json;
    /// # }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// A database error, or an invalid table or schema name.
    pub fn status, status_async() -> Status = status_with;

    /// Every problem between the database and the set (drift, unknown
    /// applied, out of order, half applied); empty when consistent.
    /// Read-only; takes no lock.
    ///
    /// # Errors
    /// As [`Runner::status`].
    pub fn verify, verify_async() -> Vec<Finding> = verify_with;

    /// The newest `limit` entries of the event log, newest first.
    /// Read-only.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # #[cfg(feature = "sqlite")] {
    /// # let migrations = migrate_runtime::Migrations::from_dir("migrations")?;
    /// let mut conn = rusqlite::Connection::open("app.db")?;
    /// for event in migrations.runner().history(&mut conn, 20)? {
    ///     println!("{} {} {:?} {:?}", event.at(), event.kind(), event.version(), event.detail());
    /// }
    /// # }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`Runner::status`].
    pub fn history, history_async(limit: usize) -> Vec<Event> = history_with;

    /// What [`Runner::run`] would apply, with the exact SQL, executing
    /// nothing: the database is left as it is (no tracking table is
    /// created either).
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # #[cfg(feature = "sqlite")] {
    /// # let migrations = migrate_runtime::Migrations::from_dir("migrations")?;
    /// let mut conn = rusqlite::Connection::open("app.db")?;
    /// let plan = migrations.runner().to(3).plan(&mut conn)?;
    /// for step in plan.steps() {
    ///     println!("{} {} in a transaction: {}", step.version(), step.name(), step.transactional());
    ///     println!("{}", step.sql());
    /// }
    /// # }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// The refusals [`Runner::run`] would make, a database error, or an
    /// invalid option.
    pub fn plan, plan_async() -> Plan = plan_with;
}

impl Runner<'_> {
    async fn status_with(&self, d: &mut dyn Driver) -> Result<Status, Error> {
        let t = self.tracking()?;
        let (rows, indexes, foreign) = self
            .on(d, &t, async |s| {
                let rows = s.read_rows().await?;
                let foreign = if rows.is_empty() {
                    foreign_findings(s).await?
                } else {
                    Vec::new()
                };
                Ok((rows, s.invalid_indexes().await?, foreign))
            })
            .await?;
        let mut status = status(self.migrations, &rows);
        status.problems.extend(foreign);
        let invalid = indexes
            .into_iter()
            .map(|(name, table)| Finding::InvalidIndex { name, table });
        status.problems.extend(invalid);
        Ok(status)
    }

    async fn verify_with(&self, d: &mut dyn Driver) -> Result<Vec<Finding>, Error> {
        Ok(self.status_with(d).await?.problems)
    }

    async fn history_with(&self, d: &mut dyn Driver, limit: usize) -> Result<Vec<Event>, Error> {
        let t = self.tracking()?;
        self.on(d, &t, async |s| s.read_events(limit).await).await
    }

    async fn plan_with(&self, d: &mut dyn Driver) -> Result<Plan, Error> {
        let t = self.tracking()?;
        self.check_target()?;
        let rows = self
            .on(d, &t, async |s| {
                let rows = s.read_applied(false).await?;
                if !rows.is_empty() {
                    return Ok(rows);
                }
                // What the run would adopt first, or its refusal.
                match self.foreign_before(s).await? {
                    Some(tool) => self.adoptable(s, tool).await,
                    None => Ok(rows),
                }
            })
            .await?;
        let (pending, warnings) = self.check(&rows, &t, true)?;
        Ok(Plan {
            steps: pending
                .iter()
                .map(|m| PlannedStep {
                    version: m.version(),
                    name: m.name().to_owned(),
                    direction: Direction::Up,
                    file: self.migrations.path_of(m.up_file()),
                    sql: m.planned_up(),
                    transactional: !m.no_transaction(),
                })
                .collect(),
            warnings,
        })
    }
}

/// On a database without rows of ours: another tool's tracking tables, if
/// our table is not there either.
async fn foreign_findings(
    s: &mut crate::backend::protocol::Session<'_>,
) -> Result<Vec<Finding>, Error> {
    let tables = s.probe_foreign().await?;
    if tables.ours {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    for tool in tables.found {
        let rows = s.read_foreign(tool).await?.len();
        found.push(Finding::Foreign {
            tool,
            table: tool.table().to_owned(),
            rows,
        });
    }
    Ok(found)
}

//! Seed data: an environment's seed files, under the migration lock, each
//! in its own transaction; only new or changed files run.

use super::lock::locked;
use super::Runner;
use crate::backend::Driver;
use crate::model::MigrationState;
use crate::outcome::{Error, Finding, SeedOutcome, SeedReport, SeededFile};

operations! {
    /// Runs the seed files of `env` (`seeds/<env>/*.sql`) in name order,
    /// each in a transaction of its own with its record, skipping the files
    /// that ran before with the same checksum. A failing file rolls back
    /// alone and is reported; the others still run.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # #[cfg(feature = "sqlite")] {
    /// # let migrations = migrate_runtime::Migrations::from_dir("migrations")?;
    /// let mut conn = rusqlite::Connection::open("app.db")?;
    /// migrations.run(&mut conn)?;
    /// let report = migrations.runner().seed(&mut conn, "development")?;
    /// println!("{report}");
    /// if report.has_failures() {
    ///     std::process::exit(1);
    /// }
    /// # }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidOption`] when the set has no seed file for `env`;
    /// [`Error::HalfApplied`] while a no-transaction migration is
    /// unfinished; a lock timeout or a database error. A failing seed file
    /// is not an error of the call: see [`SeedReport::has_failures`].
    pub fn seed, seed_async(env: &str) -> SeedReport = seed_with;

    /// As [`Runner::seed`], but every file of `env` runs, also those that
    /// ran before unchanged ([`SeedOutcome::Forced`]): after the tables
    /// they fill were rolled back and applied again, say.
    ///
    /// # Errors
    /// As [`Runner::seed`].
    pub fn reseed, reseed_async(env: &str) -> SeedReport = reseed_with;
}

impl Runner<'_> {
    async fn seed_with(&self, d: &mut dyn Driver, env: &str) -> Result<SeedReport, Error> {
        self.seed_files(d, env, false).await
    }

    async fn reseed_with(&self, d: &mut dyn Driver, env: &str) -> Result<SeedReport, Error> {
        self.seed_files(d, env, true).await
    }

    async fn seed_files(
        &self,
        d: &mut dyn Driver,
        env: &str,
        force: bool,
    ) -> Result<SeedReport, Error> {
        let t = self.tracking()?;
        let set = self.migrations;
        let seeds: Vec<_> = set.seeds(env).collect();
        if seeds.is_empty() {
            return Err(Error::invalid_option(
                "seed environment",
                format!("no seed files in {}", set.path_of(&format!("seeds/{env}"))),
            ));
        }
        let table = t.display_name();
        self.on(d, &t, async |s| {
            locked(s, self.wait(), async |s, state| {
                let rows = s.read_applied(false).await?;
                if let Some(r) = rows.iter().find(|r| r.state != MigrationState::Applied) {
                    let finding = Finding::HalfApplied {
                        version: r.version,
                        name: r.name.clone(),
                        state: r.state,
                    };
                    return Err(finding.into_error(set, &table));
                }
                // Seeds change no migration: the applied state stays as read.
                state.extend(rows.into_iter().map(|r| (r.version, r.checksum)));
                let done = s.read_seeds(env).await?;
                let mut files = Vec::with_capacity(seeds.len());
                for seed in seeds {
                    let outcome = match done.get(seed.file()) {
                        Some(sum) if sum == seed.checksum() && force => SeedOutcome::Forced,
                        Some(sum) if sum == seed.checksum() => SeedOutcome::Unchanged,
                        Some(_) => SeedOutcome::Changed,
                        None => SeedOutcome::New,
                    };
                    let mut error = None;
                    let outcome = if outcome == SeedOutcome::Unchanged {
                        outcome
                    } else {
                        match s.apply_seed(seed, &set.path_of(seed.file())).await {
                            Ok(()) => outcome,
                            Err(e) => {
                                error = Some(e.to_string());
                                SeedOutcome::Failed
                            }
                        }
                    };
                    files.push(SeededFile {
                        file: seed.file().to_owned(),
                        outcome,
                        error,
                    });
                }
                Ok(SeedReport {
                    env: env.to_owned(),
                    files,
                })
            })
            .await
        })
        .await
    }
}

//! Baseline and repair: changes to the tracking table that run no
//! migration, each logged as an event.

use super::lock::locked;
use super::Runner;
use crate::backend::dialect::Change;
use crate::backend::Driver;
use crate::model::MigrationState;
use crate::outcome::{examine, Error, Finding};

/// What an operator found of a migration left unfinished by a
/// no-transaction run (see [`Runner::resolve`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Resolution {
    /// Everything the migration makes is there (completed by hand, or its
    /// failed rollback undone): record it applied.
    Applied,
    /// Nothing the migration makes is there (undone by hand, or its
    /// rollback finished by hand): remove its row, so that it runs again.
    RolledBack,
}

operations! {
    /// Marks every migration of the set up to and including `version` as
    /// applied without running it, to adopt a database whose schema already
    /// has them. Returns the versions marked; those already applied with the
    /// same checksum are left as they are.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # #[cfg(feature = "sqlite")] {
    /// # let migrations = migrate_runtime::Migrations::from_dir("migrations")?;
    /// let mut conn = rusqlite::Connection::open("app.db")?;
    /// // The schema of versions 1 to 5 exists already: record them, run the rest.
    /// let stamped = migrations.runner().baseline(&mut conn, 5)?;
    /// println!("marked {stamped:?} applied");
    /// migrations.run(&mut conn)?;
    /// # }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidOption`] if the set lacks `version`;
    /// [`Error::InvalidCode`] if a code migration up to `version` has no
    /// functions registered;
    /// [`Error::ChecksumMismatch`] (changing nothing) if one of them is
    /// applied with another checksum; [`Error::HalfApplied`] if any
    /// migration is unfinished; a lock timeout or a database error.
    pub fn baseline, baseline_async(version: u64) -> Vec<u64> = baseline_with;

    /// After an intentional edit of applied migrations, or once an
    /// unfinished no-transaction migration has been undone by hand:
    /// rewrites drifted checksums (and stored down SQL) to the set's, and
    /// removes `in_progress`/`failed` marks so those migrations run again.
    /// Each change is logged as a `repair` event. Returns what it resolved;
    /// unknown and out-of-order migrations are not repairable and stay, and
    /// so do the marks of a rollback that did not finish (`rolling_back`,
    /// `rollback_failed`): whether the migration's objects are still there
    /// is for the operator to say, with [`Runner::resolve`].
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # #[cfg(feature = "sqlite")] {
    /// # let migrations = migrate_runtime::Migrations::from_dir("migrations")?;
    /// let mut conn = rusqlite::Connection::open("app.db")?;
    /// // After an intentional edit of an applied file:
    /// for change in migrations.runner().repair(&mut conn)? {
    ///     println!("repaired: {change}");
    /// }
    /// # }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// A lock timeout or a database error.
    pub fn repair, repair_async() -> Vec<Finding> = repair_with;

    /// Records what the operator found of migration `version`, left
    /// unfinished by a no-transaction run (marked `in_progress` or `failed`
    /// while applying, `rolling_back` or `rollback_failed` while rolling
    /// back): [`Resolution::Applied`] marks it applied,
    /// [`Resolution::RolledBack`] removes its row so that it runs again.
    /// Logged as a `resolve` event. Returns the mark it resolved.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # #[cfg(feature = "sqlite")] {
    /// # let migrations = migrate_runtime::Migrations::from_dir("migrations")?;
    /// use migrate_runtime::Resolution;
    /// let mut conn = rusqlite::Connection::open("app.db")?;
    /// // Migration 7's down failed halfway; its index was built again by hand:
    /// migrations.runner().resolve(&mut conn, 7, Resolution::Applied)?;
    /// # }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidOption`] (changing nothing) if `version` has no
    /// unfinished mark; a lock timeout or a database error.
    pub fn resolve, resolve_async(version: u64, resolution: Resolution) -> Finding = resolve_with;
}

impl Runner<'_> {
    async fn baseline_with(&self, d: &mut dyn Driver, version: u64) -> Result<Vec<u64>, Error> {
        let t = self.tracking()?;
        if self.migrations.get(version).is_none() {
            return Err(Error::invalid_option(
                "baseline version",
                format!("version {version} is not in the set"),
            ));
        }
        let set = self.migrations;
        if let Some(m) = set
            .iter()
            .take_while(|m| m.version() <= version)
            .find(|m| m.is_unregistered())
        {
            return Err(Error::InvalidCode {
                version: m.version(),
                name: m.name().to_owned(),
                reason: "register its functions before a baseline, which records its code version"
                    .to_owned(),
            });
        }
        let table = t.display_name();
        self.on(d, &t, async |s| {
            locked(s, self.wait(), async |s, state| {
                let rows = s.read_applied(false).await?;
                let (findings, _) = examine(set, &rows, Some(version));
                for f in findings {
                    // An unfinished migration anywhere stops a baseline: the
                    // applied state it leaves must be all applied.
                    let concerns = match &f {
                        Finding::Drift { version: v, .. } => *v <= version,
                        Finding::HalfApplied { .. } => true,
                        _ => false,
                    };
                    if concerns {
                        return Err(f.into_error(set, &table));
                    }
                }
                state.extend(rows.iter().map(|r| (r.version, r.checksum.clone())));
                let mut changes = Vec::new();
                for m in set.iter().take_while(|m| m.version() <= version) {
                    if state.contains_key(&m.version()) {
                        continue;
                    }
                    state.insert(m.version(), m.checksum().to_owned());
                    changes.push(Change::Stamp {
                        version: m.version(),
                        name: m.name(),
                        checksum: m.checksum(),
                        down_sql: m.down_sql(),
                    });
                }
                let stamped = changes.iter().map(Change::version).collect();
                if !changes.is_empty() {
                    s.record(&changes).await?;
                }
                Ok(stamped)
            })
            .await
        })
        .await
    }

    async fn repair_with(&self, d: &mut dyn Driver) -> Result<Vec<Finding>, Error> {
        let t = self.tracking()?;
        let set = self.migrations;
        self.on(d, &t, async |s| {
            locked(s, self.wait(), async |s, state| {
                let rows = s.read_applied(false).await?;
                state.extend(rows.iter().map(|r| (r.version, r.checksum.clone())));
                let (findings, _) = examine(set, &rows, None);
                let mut resolved = Vec::new();
                let mut changes = Vec::new();
                for f in &findings {
                    match f {
                        Finding::Drift {
                            version,
                            expected,
                            found,
                            ..
                        } => {
                            let Some(m) = set.get(*version) else {
                                continue;
                            };
                            state.insert(*version, found.clone());
                            changes.push(Change::Rechecksum {
                                version: *version,
                                name: m.name(),
                                old: expected,
                                new: found,
                                down_sql: m.down_sql(),
                            });
                        }
                        Finding::HalfApplied {
                            version,
                            name,
                            state: mark,
                        } if !mark.is_rollback() => {
                            let Some(row) = rows.iter().find(|r| r.version == *version) else {
                                continue;
                            };
                            state.remove(version);
                            changes.push(Change::Unmark {
                                version: *version,
                                name,
                                checksum: &row.checksum,
                                state: mark.as_str(),
                            });
                        }
                        _ => continue,
                    }
                    resolved.push(f.clone());
                }
                if !changes.is_empty() {
                    s.record(&changes).await?;
                }
                Ok(resolved)
            })
            .await
        })
        .await
    }

    async fn resolve_with(
        &self,
        d: &mut dyn Driver,
        version: u64,
        resolution: Resolution,
    ) -> Result<Finding, Error> {
        let t = self.tracking()?;
        let table = t.display_name();
        self.on(d, &t, async |s| {
            locked(s, self.wait(), async |s, state| {
                let rows = s.read_applied(false).await?;
                // Other unfinished rows stay unfinished: their stand-in
                // checksums keep the digest from matching any set.
                state.extend(rows.iter().map(|r| {
                    let sum = match r.state {
                        MigrationState::Applied => r.checksum.clone(),
                        other => format!("{other}:{}", r.checksum),
                    };
                    (r.version, sum)
                }));
                let Some(row) = rows.iter().find(|r| r.version == version) else {
                    return Err(Error::invalid_option(
                        "resolve version",
                        format!("migration {version} has no row in {table}: nothing to resolve"),
                    ));
                };
                if row.state == MigrationState::Applied {
                    return Err(Error::invalid_option(
                        "resolve version",
                        format!("migration {version} is applied and finished: nothing to resolve"),
                    ));
                }
                let applied = resolution == Resolution::Applied;
                if applied {
                    state.insert(version, row.checksum.clone());
                } else {
                    state.remove(&version);
                }
                s.record(&[Change::Resolve {
                    version,
                    name: &row.name,
                    checksum: &row.checksum,
                    state: row.state,
                    applied,
                }])
                .await?;
                Ok(Finding::HalfApplied {
                    version,
                    name: row.name.clone(),
                    state: row.state,
                })
            })
            .await
        })
        .await
    }
}

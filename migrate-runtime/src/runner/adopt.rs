//! Adopting a database migrated by another tool: its tracking table read
//! as that tool writes it, each version mapped to the set and recorded
//! applied (with an `adopt` event naming the tool), the foreign table left
//! as it is; as an operation of its own, or inside a run that then
//! applies the rest.

use std::collections::BTreeMap;

use sha2::{Digest as _, Sha384};

use super::lock::locked;
use super::Runner;
use crate::backend::dialect::Change;
use crate::backend::protocol::{ForeignRow, Session};
use crate::backend::Driver;
use crate::model::{AppliedRow, Foreign, MigrationState, Migrations};
use crate::outcome::Error;

operations! {
    /// Records as applied, without running them, the migrations another
    /// tool applied to this database (read from its tracking table, which
    /// stays as it is), each with an `adopt` event naming the tool. `tool`:
    /// which tool's table to read; `None` takes the only one there is. Only
    /// a database without a tracking table of ours is adopted. Returns the
    /// versions recorded.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # #[cfg(feature = "postgres")] {
    /// # let migrations = migrate_runtime::Migrations::from_dir("migrations")?;
    /// let mut client = postgres::Client::connect("host=localhost user=postgres", postgres::NoTls)?;
    /// let adopted = migrations
    ///     .runner()
    ///     .adopt_foreign(&mut client, Some(migrate_runtime::Foreign::Sqlx))?;
    /// println!("recorded {} migrations applied by sqlx", adopted.len());
    /// # }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidOption`] when there is no such table (or several,
    /// and `tool` is `None`) or the tracking table of ours exists;
    /// [`Error::Adoption`] for what the tool left unfinished (sqlx's
    /// `success = false`, golang-migrate's `dirty`, Flyway's failed row),
    /// a file changed since sqlx applied it, a version the set cannot
    /// hold; the refusals of a run ([`Error::UnknownApplied`],
    /// [`Error::OutOfOrder`], under the runner's policies) before anything
    /// changes; a lock timeout or a database error.
    pub fn adopt_foreign, adopt_foreign_async(tool: Option<Foreign>) -> Vec<u64> = adopt_with;

    /// What [`Runner::adopt_foreign`] would record, changing nothing: the
    /// tool whose table it reads, and the versions.
    ///
    /// # Errors
    /// As [`Runner::adopt_foreign`], before anything would change.
    pub fn plan_adoption, plan_adoption_async(tool: Option<Foreign>) -> (Foreign, Vec<u64>) = plan_adoption_with;
}

impl Runner<'_> {
    /// At boot: when the database has no tracking table of ours but
    /// `tool`'s, adopt what `tool` applied inside the same locked run, then
    /// apply the rest. Without it such a database is refused
    /// ([`Error::ForeignTracking`]) rather than migrated again.
    #[must_use]
    pub fn adopt(mut self, tool: Foreign) -> Self {
        self.adopt = Some(tool);
        self
    }

    /// Before the lock, on a database without our tracking table (or,
    /// on SQLite, with no row in it): the tool to adopt under the lock
    /// (the one [`Runner::adopt`] names, when its table is there), `None`
    /// when no other tool's table is there, or the refusal of a database
    /// another tool migrated.
    pub(super) async fn foreign_before(
        &self,
        s: &mut Session<'_>,
    ) -> Result<Option<Foreign>, Error> {
        let tables = s.probe_foreign().await?;
        if tables.ours || tables.found.is_empty() {
            return Ok(None);
        }
        if let Some(tool) = self.adopt.filter(|t| tables.found.contains(t)) {
            // Its refusals now, before the lock: under it the tracking
            // tables are made before anything is adopted.
            let rows = self.adoptable(s, tool).await?;
            self.check(&rows, s.tracking(), true)?;
            return Ok(Some(tool));
        }
        let tool = tables.found[0];
        let rows = s.read_foreign(tool).await?.len();
        Err(Error::ForeignTracking {
            tool,
            table: tool.table().to_owned(),
            rows,
            ours: s.tracking().display_name(),
        })
    }

    async fn plan_adoption_with(
        &self,
        d: &mut dyn Driver,
        tool: Option<Foreign>,
    ) -> Result<(Foreign, Vec<u64>), Error> {
        let t = self.tracking()?;
        self.on(d, &t, async |s| {
            let tool = self.adoption_target(s, tool).await?;
            let rows = self.adoptable(s, tool).await?;
            self.check(&rows, s.tracking(), true)?;
            let known = rows
                .iter()
                .map(|r| r.version)
                .filter(|v| self.migrations.get(*v).is_some());
            Ok((tool, known.collect()))
        })
        .await
    }

    /// The tool to adopt on a database without our tracking table.
    async fn adoption_target(
        &self,
        s: &mut Session<'_>,
        tool: Option<Foreign>,
    ) -> Result<Foreign, Error> {
        let tables = s.probe_foreign().await?;
        if tables.ours {
            return Err(Error::invalid_option(
                "adopt",
                format!(
                    "{} exists: this database is migrate's already",
                    s.tracking().display_name()
                ),
            ));
        }
        chosen(tool, &tables.found)
    }

    async fn adopt_with(
        &self,
        d: &mut dyn Driver,
        tool: Option<Foreign>,
    ) -> Result<Vec<u64>, Error> {
        let t = self.tracking()?;
        self.on(d, &t, async |s| {
            let tool = self.adoption_target(s, tool).await?;
            // Its refusals before the lock, which makes the tracking tables.
            let rows = self.adoptable(s, tool).await?;
            self.check(&rows, s.tracking(), true)?;
            locked(s, self.wait(), async |s, state| {
                let versions = self.adopt_locked(s, tool).await?;
                state.extend(
                    versions
                        .iter()
                        .filter_map(|v| self.migrations.get(*v))
                        .map(|m| (m.version(), m.checksum().to_owned())),
                );
                Ok(versions)
            })
            .await
        })
        .await
    }

    /// What adopting `tool` would record, as tracking rows, changing
    /// nothing (for a dry run).
    pub(super) async fn adoptable(
        &self,
        s: &mut Session<'_>,
        tool: Foreign,
    ) -> Result<Vec<AppliedRow>, Error> {
        let rows = s.read_foreign(tool).await?;
        applied_by(self.migrations, tool, &rows)
    }

    /// Under the lock, on a database without a tracking table of ours:
    /// reads `tool`'s table, checks it against the set, records what it
    /// applied. The versions recorded.
    pub(super) async fn adopt_locked(
        &self,
        s: &mut Session<'_>,
        tool: Foreign,
    ) -> Result<Vec<u64>, Error> {
        let applied = self.adoptable(s, tool).await?;
        // The refusals of a run, on the rows as they would be recorded.
        self.check(&applied, s.tracking(), true)?;
        let source = format!("adopted from {tool} ({})", tool.table());
        let changes: Vec<Change<'_>> = applied
            .iter()
            .filter_map(|r| self.migrations.get(r.version))
            .map(|m| Change::Adopt {
                version: m.version(),
                name: m.name(),
                checksum: m.checksum(),
                down_sql: m.down_sql(),
                source: &source,
            })
            .collect();
        let versions = changes.iter().map(Change::version).collect();
        if !changes.is_empty() {
            s.record(&changes).await?;
        }
        Ok(versions)
    }
}

/// The tool to adopt: the one asked for, which must have its table, or the
/// only one found.
fn chosen(tool: Option<Foreign>, found: &[Foreign]) -> Result<Foreign, Error> {
    let names = || {
        found
            .iter()
            .map(|t| t.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (tool, found) {
        (Some(t), _) if found.contains(&t) => Ok(t),
        (Some(t), _) => Err(Error::invalid_option(
            "adopt",
            format!("no {} table here ({} is {t}'s)", t.table(), t.table()),
        )),
        (None, [only]) => Ok(*only),
        (None, []) => Err(Error::invalid_option(
            "adopt",
            "no other tool's tracking table here: nothing to adopt".to_owned(),
        )),
        (None, _) => Err(Error::invalid_option(
            "adopt",
            format!(
                "the tables of several tools are here ({}): say which to adopt",
                names()
            ),
        )),
    }
}

/// What `tool` applied, as tracking rows of the set's versions (a version
/// the set lacks keeps its foreign name, and is then refused as unknown).
fn applied_by(
    set: &Migrations,
    tool: Foreign,
    rows: &[ForeignRow],
) -> Result<Vec<AppliedRow>, Error> {
    let refuse = |version: Option<u64>, reason: String| Error::Adoption {
        tool,
        table: tool.table().to_owned(),
        version,
        reason,
    };
    let mut versions: BTreeMap<u64, Option<String>> = BTreeMap::new();
    for row in rows {
        match tool {
            Foreign::Yoyo => match set.iter().find(|m| Some(m.name()) == row.name.as_deref()) {
                Some(m) => {
                    versions.insert(m.version(), None);
                }
                None => {
                    return Err(refuse(
                        None,
                        format!(
                            "yoyo applied `{}`, which this set does not have",
                            row.version
                        ),
                    ))
                }
            },
            Foreign::GolangMigrate | Foreign::Flyway if up_to(tool, row) => {
                let current = number(tool, &row.version).map_err(|r| refuse(None, r))?;
                if tool == Foreign::GolangMigrate && row.flag == Some(true) {
                    return Err(refuse(Some(current), format!("golang-migrate left version {current} dirty (a migration failed halfway): fix the database and `migrate force` it with golang-migrate, then adopt")));
                }
                versions.extend(
                    set.iter()
                        .map(|m| (m.version(), None))
                        .filter(|&(v, _)| v <= current),
                );
                versions.entry(current).or_default();
            }
            _ => {
                let v = number(tool, &row.version).map_err(|r| refuse(None, r))?;
                if tool == Foreign::Goose && (v == 0 || row.flag == Some(false)) {
                    continue;
                }
                if matches!(tool, Foreign::Sqlx | Foreign::Flyway) && row.flag == Some(false) {
                    return Err(refuse(Some(v), format!("{tool} recorded migration {v} as failed (success = false): finish or undo it with {tool}, then adopt")));
                }
                if tool == Foreign::Sqlx {
                    check_sqlx_checksum(set, v, row).map_err(|r| refuse(Some(v), r))?;
                }
                versions.insert(v, row.name.clone());
            }
        }
    }
    Ok(versions
        .into_iter()
        .map(|(v, foreign_name)| {
            let m = set.get(v);
            let unknown = || foreign_name.unwrap_or_else(|| format!("applied by {tool}"));
            AppliedRow {
                version: v,
                name: m.map_or_else(unknown, |m| m.name().to_owned()),
                checksum: m.map_or_else(String::new, |m| m.checksum().to_owned()),
                state: MigrationState::Applied,
            }
        })
        .collect())
}

/// Whether a row records a state up to its version rather than one
/// migration: golang-migrate's one row, Flyway's baseline.
fn up_to(tool: Foreign, row: &ForeignRow) -> bool {
    tool == Foreign::GolangMigrate || row.name.as_deref() == Some("BASELINE")
}

/// A foreign version as a number; diesel's without its dashes.
fn number(tool: Foreign, text: &str) -> Result<u64, String> {
    let digits: String = text.chars().filter(|&c| c != '-').collect();
    digits
        .parse::<u64>()
        .ok()
        .filter(|&v| i64::try_from(v).is_ok())
        .ok_or_else(|| format!("{tool}'s version `{text}` is not a whole number migrate can hold"))
}

/// sqlx's checksum is the SHA-384 of the file as sqlx read it; the set
/// holds it with LF line endings and no BOM, so the file's CRLF and BOM
/// spellings are tried too.
fn check_sqlx_checksum(set: &Migrations, version: u64, row: &ForeignRow) -> Result<(), String> {
    let (Some(m), Some(recorded)) = (set.get(version), row.checksum.as_deref()) else {
        return Ok(());
    };
    let text = m.up_sql();
    let crlf = text.replace('\n', "\r\n");
    let spellings = [
        text.to_owned(),
        crlf.clone(),
        format!("\u{feff}{text}"),
        format!("\u{feff}{crlf}"),
    ];
    let matches = spellings
        .iter()
        .any(|s| hex(&Sha384::digest(s.as_bytes())) == recorded);
    if matches {
        return Ok(());
    }
    Err(format!(
        "{} changed since sqlx applied it (sqlx recorded SHA-384 {recorded}, the file's is {}): restore the file as it was applied, then adopt, and put the change in a new migration",
        m.up_file(),
        hex(&Sha384::digest(text.as_bytes()))
    ))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

//! Reading other tools' tracking tables: which a database holds, and the
//! rows of one, as that tool wrote them.

use super::Session;
use crate::model::Foreign;
use crate::outcome::Error;

/// What the probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ForeignTables {
    /// Whether our tracking table exists.
    pub(crate) ours: bool,
    /// The tools whose tables exist.
    pub(crate) found: Vec<Foreign>,
}

/// One row of a tool's tracking table, in one shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ForeignRow {
    pub(crate) version: String,
    pub(crate) name: Option<String>,
    /// A checksum, as hex (sqlx's SHA-384).
    pub(crate) checksum: Option<String>,
    /// sqlx's `success`, golang-migrate's `dirty`, goose's `is_applied`,
    /// Flyway's `success`.
    pub(crate) flag: Option<bool>,
}

/// A boolean as either engine writes it as text.
fn truth(value: Option<&str>) -> Option<bool> {
    match value? {
        "t" | "true" | "1" => Some(true),
        "f" | "false" | "0" => Some(false),
        _ => None,
    }
}

impl Session<'_> {
    /// Which other tools' tables the database holds, and whether ours
    /// exists. One query, never a server error.
    pub(crate) async fn probe_foreign(&mut self) -> Result<ForeignTables, Error> {
        let rows = self
            .rows(
                &self.sql.probe_foreign(),
                "looking for other tools' tracking tables",
            )
            .await?;
        let row = rows.first();
        let at = |i: usize| truth(row.and_then(|r| r.get(i))).unwrap_or(false);
        let dirty = at(8);
        let tools = [
            Foreign::Diesel,
            Foreign::Sqlx,
            if dirty {
                Foreign::GolangMigrate
            } else {
                Foreign::Dbmate
            },
            Foreign::Goose,
            Foreign::Refinery,
            Foreign::Flyway,
            Foreign::Yoyo,
        ];
        let found = tools
            .into_iter()
            .enumerate()
            .filter(|&(i, _)| at(i))
            .map(|(_, t)| t)
            .collect();
        Ok(ForeignTables { ours: at(7), found })
    }

    /// The rows of `tool`'s tracking table.
    pub(crate) async fn read_foreign(&mut self, tool: Foreign) -> Result<Vec<ForeignRow>, Error> {
        let query = self.sql.select_foreign(tool);
        let rows = self
            .db
            .run(&query)
            .await
            .map_err(self.db_error("reading the other tool's tracking table"))?;
        Ok(rows
            .iter()
            .map(|r| ForeignRow {
                version: r.get(0).unwrap_or_default().to_owned(),
                name: r.get(1).map(str::to_owned),
                checksum: r.get(2).map(str::to_ascii_lowercase),
                flag: truth(r.get(3)),
            })
            .collect())
    }
}

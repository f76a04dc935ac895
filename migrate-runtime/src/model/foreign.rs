//! The other migration tools whose tracking tables a database may hold,
//! and what each table is called.

use std::fmt;
use std::str::FromStr;

/// Another migration tool, whose tracking table `migrate adopt` (and
/// [`Runner::adopt`](crate::Runner::adopt)) reads to record what it applied.
///
/// ```
/// use migrate_runtime::Foreign;
/// assert_eq!("sqlx".parse::<Foreign>(), Ok(Foreign::Sqlx));
/// assert_eq!(Foreign::Diesel.table(), "__diesel_schema_migrations");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum Foreign {
    /// diesel: `__diesel_schema_migrations`.
    Diesel,
    /// sqlx: `_sqlx_migrations`, with each file's SHA-384 and whether it
    /// succeeded.
    Sqlx,
    /// dbmate: `schema_migrations` of versions.
    Dbmate,
    /// goose: `goose_db_version`, a row per up and down.
    Goose,
    /// golang-migrate: `schema_migrations`, the current version and a
    /// `dirty` flag.
    GolangMigrate,
    /// refinery: `refinery_schema_history`.
    Refinery,
    /// Flyway: `flyway_schema_history`.
    Flyway,
    /// yoyo: `_yoyo_migration`, by migration id.
    Yoyo,
}

impl Foreign {
    /// Every tool.
    pub const ALL: [Foreign; 8] = [
        Foreign::Diesel,
        Foreign::Sqlx,
        Foreign::Dbmate,
        Foreign::Goose,
        Foreign::GolangMigrate,
        Foreign::Refinery,
        Foreign::Flyway,
        Foreign::Yoyo,
    ];

    /// The tool's name, as `--from` takes it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Foreign::Diesel => "diesel",
            Foreign::Sqlx => "sqlx",
            Foreign::Dbmate => "dbmate",
            Foreign::Goose => "goose",
            Foreign::GolangMigrate => "golang-migrate",
            Foreign::Refinery => "refinery",
            Foreign::Flyway => "flyway",
            Foreign::Yoyo => "yoyo",
        }
    }

    /// The tool's tracking table, by its default name.
    #[must_use]
    pub fn table(self) -> &'static str {
        match self {
            Foreign::Diesel => "__diesel_schema_migrations",
            Foreign::Sqlx => "_sqlx_migrations",
            Foreign::Dbmate | Foreign::GolangMigrate => "schema_migrations",
            Foreign::Goose => "goose_db_version",
            Foreign::Refinery => "refinery_schema_history",
            Foreign::Flyway => "flyway_schema_history",
            Foreign::Yoyo => "_yoyo_migration",
        }
    }
}

impl fmt::Display for Foreign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A tool name that is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownForeign(String);

impl fmt::Display for UnknownForeign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Foreign::ALL.iter().map(|t| t.name()).collect();
        write!(f, "unknown tool `{}` (known: {})", self.0, names.join(", "))
    }
}

impl std::error::Error for UnknownForeign {}

impl FromStr for Foreign {
    type Err = UnknownForeign;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Foreign::ALL
            .iter()
            .copied()
            .find(|t| t.name() == text)
            .ok_or_else(|| UnknownForeign(text.to_owned()))
    }
}

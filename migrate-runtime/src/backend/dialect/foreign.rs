//! Other tools' tracking tables: whether they exist, and their rows read
//! as each tool writes them, in one shape (version, name, checksum, flag),
//! every value as text.

use super::Dialect;
use crate::model::{quote_ident, Foreign};

/// The probe's columns, in order: one per table a tool may have (dbmate and
/// golang-migrate share `schema_migrations`), then whether our tracking
/// table exists, then whether `schema_migrations` has golang-migrate's
/// `dirty` column.
pub(crate) const PROBED: [&str; 7] = [
    "__diesel_schema_migrations",
    "_sqlx_migrations",
    "schema_migrations",
    "goose_db_version",
    "refinery_schema_history",
    "flyway_schema_history",
    "_yoyo_migration",
];

impl Dialect {
    /// One query: which of [`PROBED`] exist (in the current schema), then
    /// whether our tracking table does, then whether `schema_migrations`
    /// has a `dirty` column. Never an error where a table is missing.
    pub(crate) fn probe_foreign(&self) -> String {
        let exists = |name: &str| {
            if self.pg() {
                format!(
                    "to_regclass({}) IS NOT NULL",
                    self.literal(&quote_ident(name))
                )
            } else {
                format!(
                    "(SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = {})",
                    self.literal(name)
                )
            }
        };
        let mut columns: Vec<String> = PROBED.iter().map(|t| exists(t)).collect();
        columns.push(if self.pg() {
            format!("to_regclass({}) IS NOT NULL", self.literal(&self.t.history))
        } else {
            // SQLite's history is `"schema"."table"` or `"table"`.
            format!(
                "(SELECT count(*) FROM {} WHERE type = 'table' AND name = {})",
                self.t.schema.as_deref().map_or_else(
                    || "sqlite_master".to_owned(),
                    |s| format!("{}.sqlite_master", quote_ident(s))
                ),
                self.literal(&self.t.table)
            )
        });
        columns.push(if self.pg() {
            "EXISTS (SELECT FROM pg_attribute WHERE attrelid = to_regclass('schema_migrations') \
             AND attname = 'dirty' AND NOT attisdropped)"
                .to_owned()
        } else {
            "(SELECT count(*) FROM pragma_table_info('schema_migrations') WHERE name = 'dirty')"
                .to_owned()
        });
        format!("SELECT {}", columns.join(", "))
    }

    /// The rows of `tool`'s tracking table: version, name, checksum (hex)
    /// and a flag (sqlx's `success`, golang-migrate's `dirty`, goose's
    /// `is_applied`, Flyway's `success`), each as text or NULL. goose keeps
    /// a row per up and per down: the newest row of each version says.
    pub(crate) fn select_foreign(&self, tool: Foreign) -> String {
        let t = quote_ident(tool.table());
        let text = |column: &str| format!("CAST({column} AS TEXT)");
        let hex = if self.pg() {
            "encode(checksum, 'hex')"
        } else {
            "lower(hex(checksum))"
        };
        match tool {
            Foreign::Diesel | Foreign::Dbmate => {
                format!("SELECT {}, NULL, NULL, NULL FROM {t}", text("version"))
            }
            Foreign::Sqlx => format!(
                "SELECT {}, description, {hex}, {} FROM {t} ORDER BY version",
                text("version"),
                text("success")
            ),
            Foreign::GolangMigrate => format!(
                "SELECT {}, NULL, NULL, {} FROM {t}",
                text("version"),
                text("dirty")
            ),
            Foreign::Goose => format!(
                "SELECT {}, NULL, NULL, {} FROM {t} g \
                 WHERE id = (SELECT max(id) FROM {t} WHERE version_id = g.version_id)",
                text("version_id"),
                text("is_applied")
            ),
            Foreign::Refinery => {
                format!("SELECT {}, name, checksum, NULL FROM {t}", text("version"))
            }
            Foreign::Flyway => format!(
                "SELECT version, type, NULL, {} FROM {t} WHERE version IS NOT NULL",
                text("success")
            ),
            Foreign::Yoyo => format!("SELECT migration_id, migration_id, NULL, NULL FROM {t}"),
        }
    }
}

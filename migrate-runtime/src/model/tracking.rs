//! The tracking tables: their names, the lock key, and their rows.

use std::fmt;

use sha2::{Digest, Sha256};

/// The tracking tables of a runner: names, quoted forms and lock key.
#[derive(Debug, Clone)]
pub(crate) struct Tracking {
    /// `"schema"."table"` or `"table"`.
    pub(crate) history: String,
    /// `"schema"."table_seeds"`: the seed files run, with their checksums.
    pub(crate) seeds: String,
    /// `"schema"."table_events"` or `"table_events"`.
    pub(crate) events: String,
    /// The trigger function that voids the cached digest (the tracking
    /// table's comment) whenever the table is changed by hand.
    pub(crate) digest_void: String,
    /// `"schema"."table_state"`: where the previous release kept the
    /// digest (dropped by the first run of this one).
    pub(crate) legacy_state: String,
    /// The previous release's trigger function, dropped with its table.
    pub(crate) legacy_state_reset: String,
    /// The schema, unquoted, if one was set.
    pub(crate) schema: Option<String>,
    /// The table name, unquoted.
    pub(crate) table: String,
    /// The advisory lock key (PostgreSQL).
    pub(crate) lock_key: i64,
}

/// Why a table or schema name cannot be used: the option and the reason.
pub(crate) type BadName = (&'static str, String);

impl Tracking {
    pub(crate) fn new(schema: Option<&str>, table: &str) -> Result<Self, BadName> {
        check_identifier("table", table)?;
        if let Some(s) = schema {
            check_identifier("schema", s)?;
        }
        let qualify = |name: &str| match schema {
            Some(s) => format!("{}.{}", quote_ident(s), quote_ident(name)),
            None => quote_ident(name),
        };
        Ok(Tracking {
            history: qualify(table),
            seeds: qualify(&format!("{table}_seeds")),
            events: qualify(&format!("{table}_events")),
            digest_void: qualify(&format!("{table}_digest_void")),
            legacy_state: qualify(&format!("{table}_state")),
            legacy_state_reset: qualify(&format!("{table}_state_reset")),
            schema: schema.map(str::to_owned),
            table: table.to_owned(),
            lock_key: lock_key(schema.unwrap_or(""), table),
        })
    }

    /// The same tables qualified by `schema` (the one they resolved to),
    /// with the same lock key.
    pub(crate) fn in_schema(&self, schema: &str) -> Self {
        match Tracking::new(Some(schema), &self.table) {
            Ok(t) => Tracking {
                lock_key: self.lock_key,
                ..t
            },
            Err(_) => self.clone(),
        }
    }

    /// The table's name for messages: `schema.table` or `table`.
    pub(crate) fn display_name(&self) -> String {
        match &self.schema {
            Some(s) => format!("{s}.{}", self.table),
            None => self.table.clone(),
        }
    }
}

fn check_identifier(option: &'static str, name: &str) -> Result<(), BadName> {
    // PostgreSQL truncates identifiers past 63 bytes; `_state_reset` and
    // `_digest_void` add 12.
    let limit = if option == "table" { 63 - 12 } else { 63 };
    let reason = if name.is_empty() {
        "must not be empty".to_owned()
    } else if name.len() > limit {
        format!("`{name}` is longer than {limit} bytes")
    } else if name.contains('\0') || name.contains("$migrate$") {
        "must not contain a NUL character or `$migrate$`".to_owned()
    } else {
        return Ok(());
    };
    Err((option, reason))
}

/// Quotes an identifier, doubling any `"` (the same in PostgreSQL and
/// SQLite).
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A stable 64-bit key from the schema and table: the first eight bytes of
/// their SHA-256.
fn lock_key(schema: &str, table: &str) -> i64 {
    let digest = Sha256::digest(format!("migrate\0{schema}\0{table}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// The state of a migration in the tracking table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum MigrationState {
    /// Applied and committed.
    Applied,
    /// A no-transaction migration that started and did not finish (or is
    /// still running).
    InProgress,
    /// A no-transaction migration that failed halfway.
    Failed,
    /// A no-transaction down migration that started and did not finish (or
    /// is still running): what the migration made may be partly gone.
    RollingBack,
    /// A no-transaction down migration that failed halfway: what the
    /// migration made may be partly gone.
    RollbackFailed,
}

impl MigrationState {
    /// Every state, as the tracking table's `status` column allows them.
    pub(crate) const ALL: [MigrationState; 5] = [
        MigrationState::Applied,
        MigrationState::InProgress,
        MigrationState::Failed,
        MigrationState::RollingBack,
        MigrationState::RollbackFailed,
    ];

    /// Whether the mark was left by a rollback (a down migration) rather
    /// than by applying (an up migration).
    #[must_use]
    pub fn is_rollback(self) -> bool {
        matches!(
            self,
            MigrationState::RollingBack | MigrationState::RollbackFailed
        )
    }

    /// The text stored in the tracking table's `status` column.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            MigrationState::Applied => "applied",
            MigrationState::InProgress => "in_progress",
            MigrationState::Failed => "failed",
            MigrationState::RollingBack => "rolling_back",
            MigrationState::RollbackFailed => "rollback_failed",
        }
    }

    /// The state stored as `text`, if it is one.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for MigrationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A row of the tracking table: what the runner's checks read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppliedRow {
    pub(crate) version: u64,
    pub(crate) name: String,
    pub(crate) checksum: String,
    pub(crate) state: MigrationState,
}

/// A row of the tracking table with everything status reports show.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HistoryRow {
    pub(crate) row: AppliedRow,
    /// UTC, `YYYY-MM-DDTHH:MM:SS.ffffffZ` (SQLite: milliseconds).
    pub(crate) applied_at: String,
    pub(crate) execution_ms: Option<f64>,
    pub(crate) applied_by: Option<String>,
    pub(crate) down_sql: Option<String>,
}

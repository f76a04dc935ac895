//! One migration: version, name, scripts and checksum.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::code::CodeMigration;

/// One migration: a version, a name, the up SQL and (unless irreversible)
/// the down SQL, with the checksum of the up SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub(crate) version: u64,
    pub(crate) name: Cow<'static, str>,
    pub(crate) up: Script,
    pub(crate) down: Option<Script>,
    pub(crate) checksum: Cow<'static, str>,
    pub(crate) irreversible: bool,
    pub(crate) body: Body,
}

/// What a migration runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Body {
    /// The up SQL.
    Sql,
    /// Rust functions, once registered for the marker file.
    Code(Option<Arc<CodeMigration>>),
}

/// The digest of a set with a code migration whose functions are not
/// registered: it matches no applied state, so the no-op boot reads the
/// table.
pub(crate) const UNREGISTERED_DIGEST: &str = "unregistered code migration";

/// The checksum a code marker has until its functions are registered.
pub(crate) const UNREGISTERED_CHECKSUM: &str = "code:?";

/// One SQL file of a migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Script {
    /// The file name, relative to the set's folder.
    pub(crate) file: Cow<'static, str>,
    /// The text, with line endings normalised to LF and any BOM stripped.
    pub(crate) sql: Cow<'static, str>,
    /// The file's `-- migrate:` directives, read by the scanner.
    pub(crate) directives: Directives,
    /// Where each statement starts and ends in `sql`, found by the
    /// scanner, so that nothing lexes an embedded file at run time.
    pub(crate) statements: Cow<'static, [Span]>,
}

/// The byte range of a statement in its file's text: first token to last.
pub(crate) type Span = (usize, usize);

/// The `-- migrate:` directives of a file, read once by the scanner and
/// embedded as data.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Directives {
    /// `-- migrate:no-transaction`.
    pub(crate) no_transaction: bool,
    /// `-- migrate:irreversible` (up files only).
    pub(crate) irreversible: bool,
    /// `-- migrate:lock-timeout 5s`: how long a statement may wait for a
    /// lock (PostgreSQL `lock_timeout`).
    pub(crate) lock_timeout: Option<Duration>,
    /// `-- migrate:statement-timeout 10min`: how long a statement may run.
    pub(crate) statement_timeout: Option<Duration>,
}

impl Migration {
    /// The version: a sequence number or a 14-digit UTC timestamp.
    #[must_use]
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The name, in snake case, as in the file name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The up SQL (LF line endings, no BOM).
    #[must_use]
    pub fn up_sql(&self) -> &str {
        &self.up.sql
    }

    /// The up file's name, relative to the migrations folder.
    #[must_use]
    pub fn up_file(&self) -> &str {
        &self.up.file
    }

    /// The down SQL, absent for an irreversible migration.
    #[must_use]
    pub fn down_sql(&self) -> Option<&str> {
        self.down.as_ref().map(|d| &*d.sql)
    }

    /// The down file's name, relative to the migrations folder.
    #[must_use]
    pub fn down_file(&self) -> Option<&str> {
        self.down.as_ref().map(|d| &*d.file)
    }

    /// Whether the down SQL runs outside a transaction.
    #[must_use]
    pub fn down_no_transaction(&self) -> bool {
        self.down
            .as_ref()
            .is_some_and(|d| d.directives.no_transaction)
    }

    /// The checksum of the up SQL, as `sha256:<hex>`.
    #[must_use]
    pub fn checksum(&self) -> &str {
        &self.checksum
    }

    /// Whether the up SQL runs outside a transaction, statement by statement
    /// (`-- migrate:no-transaction`).
    #[must_use]
    pub fn no_transaction(&self) -> bool {
        self.up.directives.no_transaction
    }

    /// The up file's directives.
    pub(crate) fn up_directives(&self) -> &Directives {
        &self.up.directives
    }

    /// How long each statement may wait for a lock: the up file's
    /// `-- migrate:lock-timeout` (PostgreSQL).
    #[must_use]
    pub fn lock_timeout(&self) -> Option<Duration> {
        self.up.directives.lock_timeout
    }

    /// How long each statement may run: the up file's
    /// `-- migrate:statement-timeout` (PostgreSQL).
    #[must_use]
    pub fn statement_timeout(&self) -> Option<Duration> {
        self.up.directives.statement_timeout
    }

    /// Where each statement of the up SQL starts and ends.
    pub(crate) fn up_statements(&self) -> &[Span] {
        &self.up.statements
    }

    /// Where each statement of the down SQL starts and ends.
    pub(crate) fn down_statements(&self) -> &[Span] {
        self.down.as_ref().map_or(&[], |d| &d.statements)
    }

    /// For `embed_migrations!`: the statements of the up (or down) file,
    /// as byte ranges. Not public API.
    #[doc(hidden)]
    #[must_use]
    pub fn __embedded_statements(&self, down: bool) -> &[(usize, usize)] {
        if down {
            self.down_statements()
        } else {
            self.up_statements()
        }
    }

    /// For `embed_migrations!`: the directives of the up (or down) file as
    /// the macro embeds them: no transaction, lock and statement timeouts
    /// in milliseconds. Not public API.
    #[doc(hidden)]
    #[must_use]
    pub fn __embedded_directives(&self, down: bool) -> (bool, Option<u64>, Option<u64>) {
        let d = if down {
            self.down.as_ref().map(|s| s.directives).unwrap_or_default()
        } else {
            self.up.directives
        };
        let ms = |t: Option<Duration>| t.map(|t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX));
        (
            d.no_transaction,
            ms(d.lock_timeout),
            ms(d.statement_timeout),
        )
    }

    /// Whether the migration is marked `-- migrate:irreversible` (a code
    /// migration: has no down function).
    #[must_use]
    pub fn irreversible(&self) -> bool {
        self.irreversible
    }

    /// Whether this is a code migration (a `.code` marker file).
    #[must_use]
    pub fn is_code(&self) -> bool {
        matches!(self.body, Body::Code(_))
    }

    /// The code version of a registered code migration.
    #[must_use]
    pub fn code_version(&self) -> Option<&str> {
        self.code().map(CodeMigration::code_version)
    }

    /// The registered functions of a code migration.
    pub(crate) fn code(&self) -> Option<&CodeMigration> {
        match &self.body {
            Body::Code(Some(c)) => Some(c),
            _ => None,
        }
    }

    /// Whether this is a code marker with no functions registered.
    pub(crate) fn is_unregistered(&self) -> bool {
        matches!(self.body, Body::Code(None))
    }

    /// What a dry run shows for the up step: the SQL, or for a code
    /// migration a comment naming the code and the marker's text.
    pub(crate) fn planned_up(&self) -> String {
        match self.code_version() {
            None if !self.is_code() => self.up.sql.to_string(),
            cv => format!(
                "-- Rust code (code version {}); the marker file says:\n{}",
                cv.unwrap_or("?, not registered"),
                self.up.sql
            ),
        }
    }
}

impl fmt::Display for Migration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.version, self.name)
    }
}

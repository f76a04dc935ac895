//! The rules of the scanner and its lint: each with a name (shown in
//! messages, written in `-- migrate:allow`, `migrate.toml` and the macro's
//! arguments), the engines it concerns and, for the rules about what a
//! statement does, a default [`Severity`].

use std::fmt;
use std::str::FromStr;

use crate::model::Engine;

/// A validation rule of the migrations folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// The folder does not exist or cannot be read.
    MissingFolder,
    /// A file or folder that is neither a migration, hidden, nor a README;
    /// or an entry named like a migration that is not a regular file (a
    /// folder, a FIFO, a socket, a device).
    UnexpectedFile,
    /// A `.sql` file whose name does not fit `NNNN_snake_name.up.sql` or
    /// `NNNN_snake_name.down.sql`.
    InvalidName,
    /// A 14-digit version that is not a valid UTC date and time.
    InvalidTimestamp,
    /// Two migrations with the same version.
    DuplicateVersion,
    /// A missing version in a sequence.
    SequenceGap,
    /// Sequence numbers and timestamps in the same set.
    MixedSchemes,
    /// An up file without a down file (and not irreversible).
    MissingDown,
    /// A down file without its up file.
    DownWithoutUp,
    /// An irreversible migration that also has a down file.
    IrreversibleWithDown,
    /// An up file with no statement.
    EmptyUp,
    /// A file that is not valid UTF-8.
    NotUtf8,
    /// A NUL byte in a file, which SQL text cannot hold (SQLite silently
    /// ignores what follows it).
    NulByte,
    /// A string, identifier, comment or dollar-quoted body left open.
    UnterminatedLiteral,
    /// `BEGIN`, `COMMIT` or `ROLLBACK` in a migration that runs in a
    /// transaction of the runner's.
    TransactionControl,
    /// A `-- migrate:` directive that does not exist or is misplaced.
    InvalidDirective,
    /// A file that exists but cannot be read.
    Unreadable,
    /// A down file with no statement in the native layout: rolling back
    /// would remove the tracking row and change nothing.
    EmptyDown,
    /// Files of two layouts in one folder.
    MixedLayouts,
    /// A file of the sections layout whose markers cannot be read as one
    /// up and at most one down section.
    InvalidSection,
    /// Another tool's migration in Rust, Go or Python, which migrate
    /// cannot run: it becomes a code migration.
    ForeignCode,
    /// Versions whose order as text (diesel's) is not their order as
    /// numbers (migrate's).
    VersionOrder,
    /// yoyo's `-- depends:` headers that are not one chain in the files'
    /// order.
    InvalidDepends,
    /// A statement that cannot run inside a transaction block
    /// (`CREATE INDEX CONCURRENTLY`, `VACUUM`, …) in a migration that runs
    /// in one.
    NeedsNoTransaction,
    /// A psql meta-command (`\set`, `\i`, `\connect`), which is not SQL.
    PsqlMetaCommand,
    /// `COPY … FROM STDIN`, whose rows a migration cannot send.
    CopyFromStdin,
    /// A value added to an enum type used in the transaction that added it.
    EnumValueInTransaction,
    /// SQLite's `PRAGMA foreign_keys` in a migration that runs in a
    /// transaction, where SQLite ignores it.
    PragmaInTransaction,
    /// A statement PostgreSQL's parser refuses (checked with feature
    /// `pg-syntax`, by the server's own grammar).
    SyntaxError,
    /// `CREATE INDEX` without `CONCURRENTLY` on an existing table, which blocks
    /// its writes while the index builds.
    IndexWithoutConcurrently,
    /// `DROP INDEX` without `CONCURRENTLY`, which locks the index's table
    /// against reads and writes.
    DropIndexWithoutConcurrently,
    /// `REINDEX` without `CONCURRENTLY`, which blocks writes (and reads
    /// through the index) while it rebuilds.
    ReindexWithoutConcurrently,
    /// `REFRESH MATERIALIZED VIEW` without `CONCURRENTLY`, which blocks reads
    /// of the view while it runs.
    RefreshWithoutConcurrently,
    /// `ADD COLUMN … NOT NULL` without a default, which fails on a table that
    /// has rows.
    AddColumnNotNull,
    /// A column added with a volatile default (`random()`, `gen_random_uuid()`,
    /// `clock_timestamp()`, a `serial` type), an identity or a stored
    /// generated column: the table is rewritten under an `ACCESS EXCLUSIVE`
    /// lock.
    VolatileDefault,
    /// `ALTER COLUMN … TYPE`, which rewrites the table (and its indexes) under
    /// an `ACCESS EXCLUSIVE` lock unless the types are binary compatible.
    AlterColumnType,
    /// `ALTER COLUMN … SET NOT NULL` without a validated check, which scans
    /// the table under an `ACCESS EXCLUSIVE` lock.
    SetNotNull,
    /// A foreign key added to an existing table without `NOT VALID`, which
    /// scans it while both tables are locked against writes.
    ForeignKeyWithoutNotValid,
    /// A check constraint added to an existing table without `NOT VALID`,
    /// which scans it under an `ACCESS EXCLUSIVE` lock.
    CheckWithoutNotValid,
    /// A unique, primary key or exclusion constraint added to an existing
    /// table without `USING INDEX`, which builds its index under an
    /// `ACCESS EXCLUSIVE` lock.
    UniqueWithoutIndex,
    /// `VACUUM FULL`, `CLUSTER`, `SET LOGGED` / `SET UNLOGGED` or
    /// `SET TABLESPACE`: the table rewritten under an `ACCESS EXCLUSIVE`
    /// lock.
    TableRewrite,
    /// A column renamed: the code still running reads the old name.
    RenameColumn,
    /// A table renamed: the code still running reads the old name.
    RenameTable,
    /// A column dropped: its data is lost and the code still running may read
    /// it.
    DropColumn,
    /// A table dropped: its data is lost and the code still running may read
    /// it.
    DropTable,
    /// A statement that locks an existing table in a migration with no lock
    /// timeout: it queues behind the longest transaction and every query on
    /// the table queues behind it.
    MissingLockTimeout,
}

/// How a rule about what a statement does is reported: set per rule in
/// `migrate.toml`'s `[lint]` table and by the macro's `deny`, `warn` and
/// `allow` arguments.
///
/// ```
/// use migrate_runtime::{Rule, Severity};
/// assert_eq!("warn".parse::<Severity>(), Ok(Severity::Warn));
/// assert_eq!(Rule::DropColumn.default_severity(), Some(Severity::Warn));
/// assert_eq!(Rule::NeedsNoTransaction.default_severity(), Some(Severity::Deny));
/// assert_eq!(Rule::SequenceGap.default_severity(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Severity {
    /// A problem: the build (and `migrate check`) fails.
    Deny,
    /// A warning: `migrate check` prints it, the build goes on.
    Warn,
    /// Not reported.
    Allow,
}

impl Severity {
    /// Its name: `deny`, `warn` or `allow`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Severity::Deny => "deny",
            Severity::Warn => "warn",
            Severity::Allow => "allow",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "deny" => Ok(Severity::Deny),
            "warn" => Ok(Severity::Warn),
            "allow" => Ok(Severity::Allow),
            _ => Err(format!(
                "unknown severity `{text}` (known: deny, warn, allow)"
            )),
        }
    }
}

impl Rule {
    /// Every rule, in the order of the enum.
    pub(crate) const ALL: [Rule; RULES] = [
        Rule::MissingFolder,
        Rule::UnexpectedFile,
        Rule::InvalidName,
        Rule::InvalidTimestamp,
        Rule::DuplicateVersion,
        Rule::SequenceGap,
        Rule::MixedSchemes,
        Rule::MissingDown,
        Rule::DownWithoutUp,
        Rule::IrreversibleWithDown,
        Rule::EmptyUp,
        Rule::NotUtf8,
        Rule::NulByte,
        Rule::UnterminatedLiteral,
        Rule::TransactionControl,
        Rule::InvalidDirective,
        Rule::Unreadable,
        Rule::EmptyDown,
        Rule::MixedLayouts,
        Rule::InvalidSection,
        Rule::ForeignCode,
        Rule::VersionOrder,
        Rule::InvalidDepends,
        Rule::NeedsNoTransaction,
        Rule::PsqlMetaCommand,
        Rule::CopyFromStdin,
        Rule::EnumValueInTransaction,
        Rule::PragmaInTransaction,
        Rule::SyntaxError,
        Rule::IndexWithoutConcurrently,
        Rule::DropIndexWithoutConcurrently,
        Rule::ReindexWithoutConcurrently,
        Rule::RefreshWithoutConcurrently,
        Rule::AddColumnNotNull,
        Rule::VolatileDefault,
        Rule::AlterColumnType,
        Rule::SetNotNull,
        Rule::ForeignKeyWithoutNotValid,
        Rule::CheckWithoutNotValid,
        Rule::UniqueWithoutIndex,
        Rule::TableRewrite,
        Rule::RenameColumn,
        Rule::RenameTable,
        Rule::DropColumn,
        Rule::DropTable,
        Rule::MissingLockTimeout,
    ];

    /// The rules about what a statement does: structural ones, which fail
    /// at run time (denied by default), then the lint of lock and rewrite
    /// hazards and of changes the running code cannot follow (warned by
    /// default). Each can be allowed by `-- migrate:allow <rule>` and set
    /// to a severity.
    pub(crate) fn is_statement_rule(self) -> bool {
        self.default_severity().is_some()
    }

    /// The rules about what a statement does, by name.
    pub(crate) fn statement_rules() -> impl Iterator<Item = Rule> {
        Rule::ALL.into_iter().filter(|r| r.is_statement_rule())
    }

    /// The severity of a rule about what a statement does, unless
    /// configured otherwise (`None`: a rule of the folder's shape, always
    /// a problem).
    #[must_use]
    pub fn default_severity(self) -> Option<Severity> {
        match self {
            Rule::NeedsNoTransaction
            | Rule::PsqlMetaCommand
            | Rule::CopyFromStdin
            | Rule::EnumValueInTransaction
            | Rule::PragmaInTransaction
            | Rule::SyntaxError => Some(Severity::Deny),
            Rule::IndexWithoutConcurrently
            | Rule::DropIndexWithoutConcurrently
            | Rule::ReindexWithoutConcurrently
            | Rule::RefreshWithoutConcurrently
            | Rule::AddColumnNotNull
            | Rule::VolatileDefault
            | Rule::AlterColumnType
            | Rule::SetNotNull
            | Rule::ForeignKeyWithoutNotValid
            | Rule::CheckWithoutNotValid
            | Rule::UniqueWithoutIndex
            | Rule::TableRewrite
            | Rule::RenameColumn
            | Rule::RenameTable
            | Rule::DropColumn
            | Rule::DropTable
            | Rule::MissingLockTimeout => Some(Severity::Warn),
            _ => None,
        }
    }

    /// Whether the rule concerns migrations run on `engine` (a folder
    /// whose engine is not declared is checked for both).
    #[must_use]
    pub fn concerns(self, engine: Engine) -> bool {
        match self {
            Rule::PragmaInTransaction => engine == Engine::Sqlite,
            Rule::NeedsNoTransaction
            | Rule::SyntaxError
            | Rule::CopyFromStdin
            | Rule::EnumValueInTransaction
            | Rule::IndexWithoutConcurrently
            | Rule::DropIndexWithoutConcurrently
            | Rule::ReindexWithoutConcurrently
            | Rule::RefreshWithoutConcurrently
            | Rule::AddColumnNotNull
            | Rule::VolatileDefault
            | Rule::AlterColumnType
            | Rule::SetNotNull
            | Rule::ForeignKeyWithoutNotValid
            | Rule::CheckWithoutNotValid
            | Rule::UniqueWithoutIndex
            | Rule::TableRewrite
            | Rule::MissingLockTimeout => engine == Engine::Postgres,
            _ => true,
        }
    }

    /// The rule's short name, as shown in messages.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Rule::MissingFolder => "missing-folder",
            Rule::UnexpectedFile => "unexpected-file",
            Rule::InvalidName => "invalid-name",
            Rule::InvalidTimestamp => "invalid-timestamp",
            Rule::DuplicateVersion => "duplicate-version",
            Rule::SequenceGap => "sequence-gap",
            Rule::MixedSchemes => "mixed-schemes",
            Rule::MissingDown => "missing-down",
            Rule::DownWithoutUp => "down-without-up",
            Rule::IrreversibleWithDown => "irreversible-with-down",
            Rule::EmptyUp => "empty-up",
            Rule::NotUtf8 => "not-utf8",
            Rule::NulByte => "nul-byte",
            Rule::UnterminatedLiteral => "unterminated-literal",
            Rule::TransactionControl => "transaction-control",
            Rule::InvalidDirective => "invalid-directive",
            Rule::Unreadable => "unreadable",
            Rule::EmptyDown => "empty-down",
            Rule::MixedLayouts => "mixed-layouts",
            Rule::InvalidSection => "invalid-section",
            Rule::ForeignCode => "foreign-code",
            Rule::VersionOrder => "version-order",
            Rule::InvalidDepends => "invalid-depends",
            Rule::NeedsNoTransaction => "needs-no-transaction",
            Rule::PsqlMetaCommand => "psql-meta-command",
            Rule::CopyFromStdin => "copy-from-stdin",
            Rule::EnumValueInTransaction => "enum-value-in-transaction",
            Rule::PragmaInTransaction => "pragma-in-transaction",
            Rule::SyntaxError => "syntax-error",
            Rule::IndexWithoutConcurrently => "index-without-concurrently",
            Rule::DropIndexWithoutConcurrently => "drop-index-without-concurrently",
            Rule::ReindexWithoutConcurrently => "reindex-without-concurrently",
            Rule::RefreshWithoutConcurrently => "refresh-without-concurrently",
            Rule::AddColumnNotNull => "add-column-not-null",
            Rule::VolatileDefault => "volatile-default",
            Rule::AlterColumnType => "alter-column-type",
            Rule::SetNotNull => "set-not-null",
            Rule::ForeignKeyWithoutNotValid => "foreign-key-without-not-valid",
            Rule::CheckWithoutNotValid => "check-without-not-valid",
            Rule::UniqueWithoutIndex => "unique-without-index",
            Rule::TableRewrite => "table-rewrite",
            Rule::RenameColumn => "rename-column",
            Rule::RenameTable => "rename-table",
            Rule::DropColumn => "drop-column",
            Rule::DropTable => "drop-table",
            Rule::MissingLockTimeout => "missing-lock-timeout",
        }
    }
}

/// The number of rules.
const RULES: usize = 46;

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A rule's name that is no rule about what a statement does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRule(pub(crate) String);

impl fmt::Display for UnknownRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<&str> = Rule::statement_rules().map(Rule::name).collect();
        if Rule::ALL.iter().any(|r| r.name() == self.0) {
            write!(
                f,
                "`{}` is a rule of the folder's shape, always an error; only the rules about what a statement does can be set or allowed (known: {})",
                self.0,
                known.join(", ")
            )
        } else {
            write!(
                f,
                "no rule `{}` about what a statement does (known: {})",
                self.0,
                known.join(", ")
            )
        }
    }
}

impl std::error::Error for UnknownRule {}

impl FromStr for Rule {
    type Err = UnknownRule;

    /// A rule about what a statement does, by name (the rules of the
    /// folder's shape cannot be configured, so they are not found).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Rule::statement_rules()
            .find(|r| r.name() == text)
            .ok_or_else(|| UnknownRule(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_parse_back() {
        let mut names: Vec<&str> = Rule::ALL.iter().map(|r| r.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Rule::ALL.len());
        for rule in Rule::statement_rules() {
            assert_eq!(rule.name().parse::<Rule>(), Ok(rule));
        }
        assert!(
            "sequence-gap".parse::<Rule>().is_err(),
            "a rule of the shape is not configurable"
        );
        assert!("bogus"
            .parse::<Rule>()
            .unwrap_err()
            .to_string()
            .contains("drop-column"));
    }
}

//! The runtime of `migrate`: the migration model, the folder scanner and
//! validator, checksums, the database backends and the runner.
//!
//! Services use it through the `migrate` crate and its
//! `embed_migrations!` macro; the macro calls [`scan`] at build time, and
//! [`Migrations::from_dir`] calls the same scanner at run time.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let migrations = migrate_runtime::Migrations::from_dir("migrations")?;
//! # #[cfg(feature = "sqlite")] {
//! let mut conn = rusqlite::Connection::open("app.db")?;
//! let report = migrations.run(&mut conn)?;
//! println!("{report}");
//! # }
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Feature badges on docs.rs (`[package.metadata.docs.rs]` sets `docsrs`).
#![cfg_attr(docsrs, feature(doc_cfg))]
// Without the runner, the model keeps items only the runner uses.
#![cfg_attr(not(feature = "runner"), allow(dead_code, unused_imports))]

// The layers, each importing only those before it in this order (see
// ARCHITECTURE.md): text, model, scan, outcome, backend (driver, dialect,
// protocol, drivers), runner.
#[cfg(feature = "runner")]
#[cfg_attr(not(any(feature = "postgres", feature = "sqlite")), allow(dead_code))]
mod backend;
mod model;
#[cfg(feature = "runner")]
mod outcome;
#[cfg(feature = "runner")]
mod runner;
mod scan;
mod text;

#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub use backend::AnyConnection;
#[cfg(feature = "runner")]
pub use backend::Database;
#[cfg(feature = "tokio-postgres")]
pub use backend::{AsyncDatabase, TokioClient};
#[cfg(feature = "postgres")]
pub use backend::{PgConnectOptions, DEFAULT_CONNECT_TIMEOUT};
#[cfg(feature = "tokio-postgres")]
pub use model::CodeFuture;
pub use model::{
    CodeError, CodeMigration, Engine, Foreign, Migration, MigrationState, Migrations, Seed,
    UnknownEngine, UnknownForeign,
};
#[cfg(feature = "runner")]
pub use outcome::{
    AppliedEntry, AppliedMigration, Direction, DownSource, DriverError, Error, ErrorCode, Event,
    EventKind, Finding, MigrationFailure, PendingMigration, Plan, PlannedStep, Progress, Report,
    RolledBack, SeedOutcome, SeedReport, SeededFile, SqlState, Status, Stopped, Warning,
};
#[cfg(feature = "runner")]
#[allow(deprecated)]
pub use runner::DEFAULT_LOCK_TIMEOUT;
#[cfg(feature = "runner")]
pub use runner::{
    Policy, Resolution, Rollback, Runner, Stop, DEFAULT_LOCK_WAIT, DEFAULT_SLOW_THRESHOLD,
    DEFAULT_TABLE,
};
pub use scan::{
    scan, scan_with, Layout, Problem, Rule, ScanError, ScanOptions, ScannedSet, Severity,
    UnknownLayout, UnknownRule,
};
pub use text::checksum::checksum;
pub use text::duration::parse_duration;

#[cfg(feature = "bb8")]
#[doc(no_inline)]
pub use bb8;
#[cfg(feature = "deadpool-postgres")]
#[doc(no_inline)]
pub use deadpool_postgres;
#[cfg(feature = "postgres")]
#[doc(no_inline)]
pub use postgres;
#[cfg(feature = "sqlite")]
#[doc(no_inline)]
pub use rusqlite;
#[cfg(feature = "tokio-postgres")]
#[doc(no_inline)]
pub use tokio_postgres;

/// What the code `embed_migrations!` generates calls. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::model::embedded::{code_marker, migration, migrations, seed, StaticScript};
    pub use crate::model::{Migration, Seed};
}

/// Thin wrappers over the lexer and the scanner's parsers for the
/// `cargo fuzz` targets in `fuzz/` (cargo-fuzz builds with `--cfg
/// fuzzing`). Not public API; absent from every other build.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod __fuzz {
    use std::path::Path;
    use std::time::Duration;

    use crate::scan::problem::FileProblems;
    use crate::text::{checksum, lexer};
    use crate::Problem;

    /// One statement as the lexer found it.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Statement {
        /// Byte offset of its first token.
        pub start: usize,
        /// Byte offset just past its last token.
        pub end: usize,
        /// Its upper-cased leading keywords (up to three).
        pub keywords: Vec<String>,
        /// Whether it opens, ends or aborts a transaction.
        pub transaction_control: bool,
    }

    /// A script cut into statements, with its line comments' offsets.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Lexed {
        /// The statements, in order.
        pub statements: Vec<Statement>,
        /// Byte offsets of the `--` of every line comment outside literals.
        pub line_comments: Vec<usize>,
    }

    /// The lexer (`text::lexer::lex`): the statements and line comments,
    /// or where an unterminated literal or comment opens and what it is.
    ///
    /// # Errors
    /// The offset and kind of an unterminated literal or comment.
    pub fn lex(sql: &str) -> Result<Lexed, (usize, &'static str)> {
        let lexed = lexer::lex(sql).map_err(|u| (u.start, u.what))?;
        Ok(Lexed {
            statements: lexed
                .statements
                .iter()
                .map(|s| Statement {
                    start: s.start,
                    end: s.end,
                    keywords: s.keywords.clone(),
                    transaction_control: s.is_transaction_control(),
                })
                .collect(),
            line_comments: lexed.line_comments,
        })
    }

    /// The 1-based line and column of a byte offset (`text::lexer::line_col`).
    #[must_use]
    pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
        lexer::line_col(text, offset)
    }

    /// The line and column of each offset, mapped in turn by one
    /// `text::lexer::Positions`, as the scanner maps statements.
    #[must_use]
    pub fn positions(text: &str, offsets: &[usize]) -> Vec<(usize, usize)> {
        let mut positions = lexer::Positions::new(text);
        offsets.iter().map(|&o| positions.line_col(o)).collect()
    }

    /// A migration file name the scanner accepted.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct FileName {
        /// The version.
        pub version: u64,
        /// Whether the version is a 14-digit timestamp (else a sequence).
        pub timestamp: bool,
        /// The snake-case name.
        pub name: String,
        /// `up`, `down` or `code`.
        pub direction: &'static str,
    }

    /// The scanner's file-name parser (`scan::names::parse_file_name`).
    ///
    /// # Errors
    /// The problems the scanner reports for the name.
    pub fn file_name(file_name: &str) -> Result<FileName, Vec<Problem>> {
        use crate::scan::{version::Scheme, Direction};
        let mut problems = Vec::new();
        let path = Path::new("migrations").join("f");
        match crate::scan::names::parse_file_name(&path, file_name, &mut problems) {
            Some(e) => {
                assert!(problems.is_empty(), "accepted with problems: {problems:?}");
                Ok(FileName {
                    version: e.version,
                    timestamp: e.scheme == Scheme::Timestamp,
                    name: e.name,
                    direction: match e.direction {
                        Direction::Up => "up",
                        Direction::Down => "down",
                        Direction::Code => "code",
                        Direction::Seed => "seed",
                    },
                })
            }
            None => Err(problems),
        }
    }

    /// The version parser (`scan::version::parse`): the version and
    /// whether it is a timestamp.
    ///
    /// # Errors
    /// The rule's name and the message.
    pub fn version(digits: &str) -> Result<(u64, bool), (&'static str, String)> {
        use crate::scan::version::{parse, Scheme};
        parse(digits)
            .map(|(v, s)| (v, s == Scheme::Timestamp))
            .map_err(|(rule, message)| (rule.name(), message))
    }

    /// A file's directives.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct Directives {
        /// `-- migrate:no-transaction`.
        pub no_transaction: bool,
        /// `-- migrate:irreversible`.
        pub irreversible: bool,
        /// `-- migrate:lock-timeout`.
        pub lock_timeout: Option<Duration>,
        /// `-- migrate:statement-timeout`.
        pub statement_timeout: Option<Duration>,
    }

    impl From<crate::model::Directives> for Directives {
        fn from(d: crate::model::Directives) -> Self {
            Directives {
                no_transaction: d.no_transaction,
                irreversible: d.irreversible,
                lock_timeout: d.lock_timeout,
                statement_timeout: d.statement_timeout,
            }
        }
    }

    /// The scanner's normalisation (`text::checksum::normalize`: no BOM,
    /// LF line endings).
    #[must_use]
    pub fn normalize(text: &str) -> String {
        checksum::normalize(text)
    }

    /// A file's directives as the scanner reads them (`scan::directives::parse`
    /// on the lexed text, problems listed per file as the scanner lists
    /// them), or `None` when the text does not lex.
    #[must_use]
    pub fn directives(text: &str, is_up: bool) -> Option<(Directives, Vec<Problem>)> {
        let lexed = lexer::lex(text).ok()?;
        let mut problems = Vec::new();
        let path = Path::new("f.sql");
        let d = crate::scan::directives::parse(
            text,
            &lexed,
            is_up,
            &mut FileProblems::new(path, &mut problems),
        );
        Some((d.into(), problems))
    }

    /// The directives of stored down SQL (`scan::directives::of_stored`).
    ///
    /// # Errors
    /// Its problems.
    pub fn directives_of_stored(text: &str) -> Result<Directives, Vec<Problem>> {
        crate::scan::directives_of_stored(Path::new("stored.sql"), text).map(Into::into)
    }
}

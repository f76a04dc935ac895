//! What the scanner reports: a [`Problem`] per broken rule, gathered in a
//! [`ScanError`].

use std::fmt;
use std::path::{Path, PathBuf};

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
}

impl Rule {
    /// The rules about what a statement does, which `-- migrate:allow
    /// <rule>` silences for a statement or a file.
    pub(crate) const ALLOWABLE: [Rule; 5] = [
        Rule::NeedsNoTransaction,
        Rule::PsqlMetaCommand,
        Rule::CopyFromStdin,
        Rule::EnumValueInTransaction,
        Rule::PragmaInTransaction,
    ];

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
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One broken rule: the file, the line (1-based; none for a folder), the
/// rule and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub(crate) file: PathBuf,
    pub(crate) line: Option<usize>,
    /// The 1-based column (in characters), for a problem at a statement.
    pub(crate) column: Option<usize>,
    pub(crate) rule: Rule,
    pub(crate) message: String,
}

impl Problem {
    pub(crate) fn new(file: impl Into<PathBuf>, line: usize, rule: Rule, message: String) -> Self {
        Problem {
            file: file.into(),
            line: Some(line),
            column: None,
            rule,
            message,
        }
    }

    /// A problem with a whole file, reported at its first line.
    pub(crate) fn whole_file(file: impl Into<PathBuf>, rule: Rule, message: String) -> Self {
        Problem::new(file, 1, rule, message)
    }

    /// A problem with a folder, or anything else that has no lines (a FIFO,
    /// a socket).
    pub(crate) fn folder(path: impl Into<PathBuf>, rule: Rule, message: String) -> Self {
        Problem {
            file: path.into(),
            line: None,
            column: None,
            rule,
            message,
        }
    }

    /// The file (or folder) at fault, as the scanner was given it joined with
    /// the file's name.
    #[must_use]
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The 1-based line at fault (1 for problems of a whole file, none for
    /// a folder).
    #[must_use]
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// The 1-based column (in characters) of the statement at fault, for
    /// the rules about what a statement does.
    #[must_use]
    pub fn column(&self) -> Option<usize> {
        self.column
    }

    /// The rule that is broken.
    #[must_use]
    pub fn rule(&self) -> Rule {
        self.rule
    }

    /// What is wrong, without the file, line or rule.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Formats the problem with its file shown relative to `base` when it
    /// lies below it (the macro shows paths relative to the crate).
    #[must_use]
    pub fn display_relative_to(&self, base: &Path) -> String {
        let file = self.file.strip_prefix(base).unwrap_or(&self.file).display();
        match (self.line, self.column) {
            (Some(line), Some(col)) => {
                format!("{file}:{line}:{col}: {} [{}]", self.message, self.rule)
            }
            (Some(line), None) => format!("{file}:{line}: {} [{}]", self.message, self.rule),
            (None, _) => format!("{file}: {} [{}]", self.message, self.rule),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_relative_to(Path::new("")))
    }
}

/// How many problems of one rule a file lists; the rest are counted in one
/// more problem of that rule.
pub(crate) const LISTED_PER_RULE: usize = 20;

/// The problems of one file's text, as many as [`LISTED_PER_RULE`] of each
/// rule: a file with thousands of them neither floods the build's output
/// nor costs more than the ones it lists. When dropped, it adds for each
/// rule with more a problem saying how many more, at the line of the first
/// one not listed.
pub(crate) struct FileProblems<'a> {
    path: &'a Path,
    out: &'a mut Vec<Problem>,
    /// Per rule: how many were reported, and the line of the first one not
    /// listed.
    counts: Vec<(Rule, usize, usize)>,
}

impl<'a> FileProblems<'a> {
    pub(crate) fn new(path: &'a Path, out: &'a mut Vec<Problem>) -> Self {
        FileProblems {
            path,
            out,
            counts: Vec::new(),
        }
    }

    pub(crate) fn path(&self) -> &'a Path {
        self.path
    }

    /// Reports a problem at `line`; its message is made only if it is listed.
    pub(crate) fn report(&mut self, line: usize, rule: Rule, message: impl FnOnce() -> String) {
        self.report_at(line, None, rule, message);
    }

    /// [`FileProblems::report`] at a column too.
    pub(crate) fn report_at(
        &mut self,
        line: usize,
        column: Option<usize>,
        rule: Rule,
        message: impl FnOnce() -> String,
    ) {
        let i = match self.counts.iter().position(|(r, ..)| *r == rule) {
            Some(i) => i,
            None => {
                self.counts.push((rule, 0, 0));
                self.counts.len() - 1
            }
        };
        let (_, n, first_unlisted) = &mut self.counts[i];
        *n += 1;
        if *n <= LISTED_PER_RULE {
            let mut problem = Problem::new(self.path, line, rule, message());
            problem.column = column;
            self.out.push(problem);
        } else if *n == LISTED_PER_RULE + 1 {
            *first_unlisted = line;
        }
    }

    /// Reports a problem with the whole file, at its first line.
    pub(crate) fn whole_file(&mut self, rule: Rule, message: String) {
        self.report(1, rule, || message);
    }
}

impl Drop for FileProblems<'_> {
    fn drop(&mut self) {
        for &(rule, n, line) in &self.counts {
            if let Some(more) = n.checked_sub(LISTED_PER_RULE).filter(|&m| m > 0) {
                self.out.push(Problem::new(
                    self.path,
                    line,
                    rule,
                    format!(
                        "and {more} more of this rule from this line on, not listed (a file lists at most {LISTED_PER_RULE} of each rule)"
                    ),
                ));
            }
        }
    }
}

/// Every problem found in a migrations folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError {
    pub(crate) problems: Vec<Problem>,
}

impl ScanError {
    /// The problems, ordered by file and line.
    #[must_use]
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
}

impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "{n} problem{} in the migrations folder",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScanError {}

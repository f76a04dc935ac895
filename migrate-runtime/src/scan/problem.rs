//! What the scanner reports: a [`Problem`] per broken rule, gathered in a
//! [`ScanError`].

use std::fmt;
use std::path::{Path, PathBuf};

pub use super::rule::Rule;

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

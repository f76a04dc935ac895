//! The rules of one file's text: readable, UTF-8 without NUL bytes,
//! literals closed, valid directives, a statement in an up file, no transaction control in a file
//! that runs in the runner's transaction.

use std::fs;
use std::path::Path;

use super::problem::{FileProblems, Problem, Rule};
use super::Direction;
use super::{checks, directives};
use crate::model::{Directives, Span};
use crate::text::checksum::normalize;
use crate::text::lexer::{self as sql, Lexed};

/// A file read and checked.
pub(super) struct Read {
    /// The normalised text (no BOM, LF line endings).
    pub(super) text: String,
    pub(super) directives: Directives,
    /// Where each statement starts and ends (none for a code marker).
    pub(super) statements: Vec<Span>,
    /// Whether normalising changed the text.
    pub(super) changed: bool,
}

/// Reads and checks one file: its normalised text, its directives, and
/// whether normalising changed it; `None` when a problem stops the checks.
/// A file lists at most [`LISTED_PER_RULE`](super::problem::LISTED_PER_RULE)
/// problems of each rule.
pub(super) fn read(path: &Path, direction: Direction, problems: &mut Vec<Problem>) -> Option<Read> {
    let (text, changed) = load(path, problems)?;
    let mut read = check(path, text, direction, false, problems)?;
    read.changed = changed;
    Some(read)
}

/// A file's normalised text (UTF-8, no BOM, LF, no NUL byte) and whether
/// normalising changed it; `None` after a problem.
pub(super) fn load(path: &Path, problems: &mut Vec<Problem>) -> Option<(String, bool)> {
    let mut problems = FileProblems::new(path, problems);
    let raw = read_utf8(&mut problems)?;
    let text = normalize(&raw);
    let changed = text.len() != raw.len();
    check_nul(&text, &mut problems)?;
    Some((text, changed))
}

/// Checks the text of one script of the file at `path` (the whole file, or
/// a section of it with the other lines blanked). `no_transaction`: the
/// layout runs it outside a transaction whatever its directives say.
pub(super) fn check(
    path: &Path,
    text: String,
    direction: Direction,
    no_transaction: bool,
    problems: &mut Vec<Problem>,
) -> Option<Read> {
    let mut problems = FileProblems::new(path, problems);
    if direction == Direction::Code {
        // A marker's text is free: it describes the code.
        return Some(Read {
            text,
            directives: Directives::default(),
            statements: Vec::new(),
            changed: false,
        });
    }
    let lexed = lex(&text, &mut problems)?;
    let is_up = direction == Direction::Up;
    let mut directives = directives::parse(&text, &lexed, is_up, &mut problems);
    directives.no_transaction |= no_transaction;
    if is_up && lexed.statements.is_empty() {
        problems.whole_file(Rule::EmptyUp, "up file holds no SQL statement".to_owned());
    }
    // A seed file always runs in a transaction of its own, whatever its
    // header says.
    let transactional = direction == Direction::Seed || !directives.no_transaction;
    if transactional {
        check_transaction_control(&text, &lexed, &mut problems);
    }
    let allows = directives::allows(&text, &lexed, &mut problems);
    let script = checks::Script {
        transactional,
        linted: is_up,
        lock_timeout: directives.lock_timeout.is_some(),
        allows: &allows,
    };
    checks::check(&text, &lexed, &script, &mut problems);
    let statements = lexed.statements.iter().map(|s| (s.start, s.end)).collect();
    Some(Read {
        text,
        directives,
        statements,
        changed: false,
    })
}

/// The text lexed, or the problem of a literal left open.
pub(super) fn lex(text: &str, problems: &mut FileProblems<'_>) -> Option<Lexed> {
    match sql::lex(text) {
        Ok(l) => Some(l),
        Err(open) => {
            let (line, col) = sql::line_col(text, open.start);
            problems.report(line, Rule::UnterminatedLiteral, || {
                format!("{} opened at column {col} is never closed", open.what)
            });
            None
        }
    }
}

/// The file's text as it is on disk, or the problem: unreadable, or not
/// UTF-8 (at the line and column of the first bad byte).
fn read_utf8(problems: &mut FileProblems<'_>) -> Option<String> {
    let bytes = match fs::read(problems.path()) {
        Ok(b) => b,
        Err(e) => {
            problems.whole_file(Rule::Unreadable, format!("cannot read the file: {e}"));
            return None;
        }
    };
    match String::from_utf8(bytes) {
        Ok(s) => Some(s),
        Err(e) => {
            let bytes = e.as_bytes();
            let valid = e.utf8_error().valid_up_to();
            let good = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
            let (line, column) = sql::line_col(good, good.len());
            problems.report(line, Rule::NotUtf8, || {
                format!(
                    "file is not valid UTF-8: byte 0x{:02x} at column {column}",
                    bytes[valid]
                )
            });
            None
        }
    }
}

/// A NUL byte: valid UTF-8, but no SQL text holds one (SQLite takes the
/// text up to it and silently drops the rest of the statement). Reported
/// once, at the first, with how many more there are; `None` stops the
/// file's checks, as for a file that is not UTF-8.
fn check_nul(text: &str, problems: &mut FileProblems<'_>) -> Option<()> {
    let Some(first) = text.bytes().position(|b| b == 0) else {
        return Some(());
    };
    let (line, column) = sql::line_col(text, first);
    let more = match text.bytes().filter(|&b| b == 0).count() - 1 {
        0 => String::new(),
        1 => " (and 1 more)".to_owned(),
        n => format!(" (and {n} more)"),
    };
    problems.report(line, Rule::NulByte, || {
        format!(
            "file holds a NUL byte at column {column}{more}, which SQL text cannot hold (SQLite silently drops the rest of the statement); remove it, or save the file as UTF-8 if it is UTF-16"
        )
    });
    None
}

/// `BEGIN`, `COMMIT`, `ROLLBACK` … in a file run in a transaction of the
/// runner's: a problem at each statement's line.
fn check_transaction_control(text: &str, lexed: &Lexed, problems: &mut FileProblems<'_>) {
    // Statements come in order: each line is counted from the one before.
    let mut positions = sql::Positions::new(text);
    for s in lexed
        .statements
        .iter()
        .filter(|s| s.is_transaction_control())
    {
        let (line, _) = positions.line_col(s.start);
        problems.report(line, Rule::TransactionControl, || {
            format!(
                "`{}` controls transactions, but the runner already runs each migration in a transaction of its own; remove it, or add `-- migrate:no-transaction` to run the file outside a transaction",
                &text[s.start..s.end].split_whitespace().take(2).collect::<Vec<_>>().join(" ")
            )
        });
    }
}

//! The rules of one file's text: readable, UTF-8, literals closed, valid
//! directives, a statement in an up file, no transaction control in a file
//! that runs in the runner's transaction.

use std::fs;
use std::path::Path;

use super::directives;
use super::problem::{Problem, Rule};
use super::Direction;
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
pub(super) fn read(path: &Path, direction: Direction, problems: &mut Vec<Problem>) -> Option<Read> {
    let raw = read_utf8(path, problems)?;
    let text = normalize(&raw);
    let changed = text.len() != raw.len();
    if direction == Direction::Code {
        // A marker's text is free: it describes the code.
        return Some(Read {
            text,
            directives: Directives::default(),
            statements: Vec::new(),
            changed,
        });
    }
    let lexed = match sql::lex(&text) {
        Ok(l) => l,
        Err(open) => {
            let (line, col) = sql::line_col(&text, open.start);
            problems.push(Problem::new(
                path,
                line,
                Rule::UnterminatedLiteral,
                format!("{} opened at column {col} is never closed", open.what),
            ));
            return None;
        }
    };
    let is_up = direction == Direction::Up;
    let directives = directives::parse(path, &text, &lexed, is_up, problems);
    if is_up && lexed.statements.is_empty() {
        problems.push(Problem::whole_file(
            path,
            Rule::EmptyUp,
            "up file holds no SQL statement".to_owned(),
        ));
    }
    if !directives.no_transaction {
        check_transaction_control(path, &text, &lexed, problems);
    }
    let statements = lexed.statements.iter().map(|s| (s.start, s.end)).collect();
    Some(Read {
        text,
        directives,
        statements,
        changed,
    })
}

/// The file's text as it is on disk, or the problem: unreadable, or not
/// UTF-8 (at the line and column of the first bad byte).
fn read_utf8(path: &Path, problems: &mut Vec<Problem>) -> Option<String> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            problems.push(Problem::whole_file(
                path,
                Rule::Unreadable,
                format!("cannot read the file: {e}"),
            ));
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
            problems.push(Problem::new(
                path,
                line,
                Rule::NotUtf8,
                format!(
                    "file is not valid UTF-8: byte 0x{:02x} at column {column}",
                    bytes[valid]
                ),
            ));
            None
        }
    }
}

/// `BEGIN`, `COMMIT`, `ROLLBACK` … in a file run in a transaction of the
/// runner's: a problem at each statement's line.
fn check_transaction_control(path: &Path, text: &str, lexed: &Lexed, problems: &mut Vec<Problem>) {
    for s in lexed
        .statements
        .iter()
        .filter(|s| s.is_transaction_control())
    {
        let (line, _) = sql::line_col(text, s.start);
        problems.push(Problem::new(
            path,
            line,
            Rule::TransactionControl,
            format!(
                "`{}` controls transactions, but the runner already runs each migration in a transaction of its own; remove it, or add `-- migrate:no-transaction` to run the file outside a transaction",
                &text[s.start..s.end].split_whitespace().take(2).collect::<Vec<_>>().join(" ")
            ),
        ));
    }
}

//! Server errors mapped onto migration files: line and column from the
//! error position, with the server's message, detail, hint and SQLSTATE.

use postgres::error::{DbError, ErrorPosition};

use crate::error::Error;
use crate::sql;

/// A server error, mapped onto the migration file.
pub(super) struct Failure {
    pub(super) line: Option<usize>,
    column: Option<usize>,
    message: String,
    detail: Option<String>,
    hint: Option<String>,
    code: Option<String>,
}

impl Failure {
    /// Maps the error of a query whose text was `prefix_chars` characters of
    /// runner text followed by `text`. The position is then relative to
    /// `text` (see [`Failure::shift`]).
    pub(super) fn new(e: &postgres::Error, text: &str, prefix_chars: usize) -> Self {
        let Some(db) = e.as_db_error() else {
            return Failure {
                line: None,
                column: None,
                message: e.to_string(),
                detail: None,
                hint: None,
                code: None,
            };
        };
        let (line, column) =
            position(db, text, prefix_chars).map_or((None, None), |(l, c)| (Some(l), Some(c)));
        Failure {
            line,
            column,
            message: db.message().to_owned(),
            detail: db.detail().map(str::to_owned),
            hint: db.hint().map(str::to_owned),
            code: Some(db.code().code().to_owned()),
        }
    }

    /// Moves a position found within a statement that starts at byte `start`
    /// of `up`; without a position, points at the statement's start.
    pub(super) fn shift(&mut self, up: &str, start: usize) {
        let (sl, sc) = sql::line_col(up, start);
        match (self.line, self.column) {
            (Some(1), Some(c)) => self.column = Some(sc + c - 1),
            (Some(_), _) => {}
            _ => {
                self.line = Some(sl);
                self.column = Some(sc);
                return;
            }
        }
        self.line = self.line.map(|l| l + sl - 1);
    }

    pub(super) fn into_seed_error(self, file: &str) -> Error {
        Error::SeedFailed {
            file: file.to_owned(),
            line: self.line,
            message: self.message,
            code: self.code,
        }
    }

    pub(super) fn into_error(self, version: u64, name: &str, file: &str, partial: bool) -> Error {
        Error::MigrationFailed {
            version,
            name: name.to_owned(),
            file: file.to_owned(),
            line: self.line,
            column: self.column,
            message: self.message,
            detail: self.detail,
            hint: self.hint,
            code: self.code,
            partial,
        }
    }
}

/// The line and column in `text` of the server's error position, if it
/// falls inside `text`.
fn position(db: &DbError, text: &str, prefix_chars: usize) -> Option<(usize, usize)> {
    let Some(ErrorPosition::Original(pos)) = db.position() else {
        return None;
    };
    let index = usize::try_from(*pos).ok()?.checked_sub(1 + prefix_chars)?;
    let byte = sql::char_to_byte(text, index);
    (byte < text.len()).then(|| sql::line_col(text, byte))
}

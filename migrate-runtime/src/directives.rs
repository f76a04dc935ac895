//! `-- migrate:` directives: header comments of a migration file.

use crate::problem::{Problem, Rule};
use std::path::Path;

/// The directives a file carries.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Directives {
    pub no_transaction: bool,
    pub irreversible: bool,
}

const PREFIX: &str = "-- migrate:";

/// Reads the directives of `text`, whose header (the comments and blank
/// lines before the first statement) ends at byte `header_end`. A directive
/// that is unknown, not allowed in this kind of file, or placed after the
/// first statement is a problem.
pub(crate) fn parse(
    path: &Path,
    text: &str,
    header_end: usize,
    is_up: bool,
    problems: &mut Vec<Problem>,
) -> Directives {
    let mut found = Directives::default();
    let mut offset = 0;
    for (index, line) in text.split('\n').enumerate() {
        let line_start = offset;
        offset += line.len() + 1;
        let trimmed = line.trim();
        let Some(rest) = trimmed.strip_prefix(PREFIX) else {
            continue;
        };
        let directive = rest.trim();
        let line_no = index + 1;
        let mut problem = |message: String| {
            problems.push(Problem::new(path, line_no, Rule::InvalidDirective, message));
        };
        if line_start >= header_end {
            problem(format!(
                "directive `{PREFIX}{directive}` must stand in the header, before the first statement"
            ));
            continue;
        }
        match directive {
            "no-transaction" => found.no_transaction = true,
            "irreversible" if is_up => found.irreversible = true,
            "irreversible" => problem(
                "`-- migrate:irreversible` belongs in the up file, not the down file".to_owned(),
            ),
            "up" | "down" => problem(format!(
                "`{PREFIX}{directive}` sections are not supported; write NNNN_name.up.sql and NNNN_name.down.sql"
            )),
            other => problem(format!(
                "unknown directive `{PREFIX}{other}` (known: no-transaction, irreversible)"
            )),
        }
    }
    found
}

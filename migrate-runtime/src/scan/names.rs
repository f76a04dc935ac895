//! File names: `NNNN_snake_name.up.sql`, `NNNN_snake_name.down.sql` and
//! the `NNNN_snake_name.code` marker of a code migration.

use std::path::Path;

use super::problem::{Problem, Rule};
use super::{version, Direction, FileEntry};

/// Parses a migration file's name; a name that breaks a rule is a problem
/// (at line 1) and `None`. The entry has no text yet.
pub(crate) fn parse_file_name(
    path: &Path,
    file_name: &str,
    problems: &mut Vec<Problem>,
) -> Option<FileEntry> {
    let mut problem =
        |rule, message: String| problems.push(Problem::whole_file(path, rule, message));
    let (stem, direction) = if let Some(s) = file_name.strip_suffix(".up.sql") {
        (s, Direction::Up)
    } else if let Some(s) = file_name.strip_suffix(".down.sql") {
        (s, Direction::Down)
    } else if let Some(s) = file_name.strip_suffix(".code") {
        (s, Direction::Code)
    } else if file_name.ends_with(".sql") {
        problem(
            Rule::InvalidName,
            "file name must end in .up.sql or .down.sql (in a sqlx folder a single .sql file is an irreversible migration: say so with `layout = \"sqlx\"`)".to_owned(),
        );
        return None;
    } else {
        problem(
            Rule::UnexpectedFile,
            "unexpected file; a migration is named NNNN_name.up.sql or NNNN_name.down.sql (NNNN_name.code marks a code migration)"
                .to_owned(),
        );
        return None;
    };
    let Some((digits, name)) = stem.split_once('_') else {
        problem(
            Rule::InvalidName,
            "file name must be a version, an underscore and a name, as in 0001_create_users.up.sql"
                .to_owned(),
        );
        return None;
    };
    let (version, scheme) = match version::parse(digits) {
        Ok(v) => v,
        Err((rule, message)) => {
            problem(rule, message);
            return None;
        }
    };
    if !is_snake_name(name) {
        problem(
            Rule::InvalidName,
            format!("name `{name}` must be lowercase letters and digits in words joined by single underscores"),
        );
        return None;
    }
    Some(FileEntry {
        file_name: file_name.to_owned(),
        version,
        scheme,
        name: name.to_owned(),
        direction,
        text: None,
    })
}

fn is_snake_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('_').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

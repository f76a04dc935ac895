//! Where a database error is in the migration file: line and column from
//! the error position, relative to the text that was sent.

use crate::backend::{DbFailure, Position};
use crate::text::lexer::{char_to_byte, line_col};

/// A 1-based line and column in a script, when known.
pub(crate) type Located = Option<(usize, usize)>;

/// Where a failure is when the message sent held `script` after
/// `chars_before` characters of the runner's own text; `None` when the
/// database gave no position or one outside the script.
pub(crate) fn in_message(f: &DbFailure, script: &str, chars_before: usize) -> Located {
    let index = match f.position? {
        Position::Char(pos) => pos.checked_sub(1 + chars_before)?,
        Position::Byte(_) => return None,
    };
    let byte = char_to_byte(script, index);
    (byte < script.len()).then(|| line_col(script, byte))
}

/// Where a failure is when the statement at bytes `start..end` of `script`
/// was sent alone: the error position in it, or its first line.
pub(crate) fn in_statement(f: &DbFailure, script: &str, start: usize, end: usize) -> Located {
    let len = end - start;
    let offset = match f.position {
        Some(Position::Char(pos)) => {
            let byte = char_to_byte(&script[start..end], pos.saturating_sub(1));
            if byte < len {
                byte
            } else {
                0
            }
        }
        Some(Position::Byte(byte)) => byte.min(len),
        None => 0,
    };
    Some(line_col(script, start + offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(position: Option<Position>) -> DbFailure {
        DbFailure {
            position,
            ..DbFailure::other("boom".to_owned(), None)
        }
    }

    #[test]
    fn a_position_in_a_message_maps_past_the_runner_text() {
        let script = "CREATE TABLE a (x int);\nSELEC 1;\n";
        // "BEGIN;\n" is 7 characters; the error is at `SELEC`, character
        // 25 of the script (0-based 24), so 1-based 32 in the message.
        assert_eq!(
            in_message(&at(Some(Position::Char(32))), script, 7),
            Some((2, 1))
        );
        assert_eq!(
            in_message(&at(Some(Position::Char(3))), script, 7),
            None,
            "in the runner's text"
        );
        assert_eq!(
            in_message(&at(Some(Position::Char(999))), script, 7),
            None,
            "past the script"
        );
        assert_eq!(in_message(&at(None), script, 7), None);
    }

    #[test]
    fn a_position_in_a_statement_maps_into_the_file() {
        let script = "SELECT 1;\n\n  SELECT nope FROM t;\n";
        let start = script.find("SELECT nope").unwrap();
        let end = script
            .find(';')
            .map(|_| script.rfind(';').unwrap())
            .unwrap();
        // PostgreSQL: 1-based characters; SQLite: 0-based bytes.
        assert_eq!(
            in_statement(&at(Some(Position::Char(8))), script, start, end),
            Some((3, 10))
        );
        assert_eq!(
            in_statement(&at(Some(Position::Byte(7))), script, start, end),
            Some((3, 10))
        );
        assert_eq!(
            in_statement(&at(None), script, start, end),
            Some((3, 3)),
            "the statement's start"
        );
    }

    #[test]
    fn characters_not_bytes() {
        let script = "SELECT 'é';\nSELEC 1;";
        // `SELEC` is the 13th character (0-based 12) but byte 13.
        assert_eq!(
            in_message(&at(Some(Position::Char(13))), script, 0),
            Some((2, 1))
        );
    }
}

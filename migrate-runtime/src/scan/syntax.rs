//! PostgreSQL's own grammar on each statement (feature `pg-syntax`): the
//! parser of the server's source (libpg_query, through the `pg_query`
//! crate), so that a statement the server would refuse as a syntax error
//! fails the build at its line and column with the server's message.
//!
//! Why `pg_query` and not `pg_parse`, which reports where a statement
//! failed: `pg_parse` 0.15 (libpg_query 18.0) does not link on glibc
//! before 2.38 (Debian 12, Ubuntu 22.04: `strlcpy`, libpg_query #338), and
//! its earlier releases report no position either. `pg_query` 18.1 has
//! libpg_query's fix but keeps only the message; the position is found
//! again here (see [`error`]).

use pg_query::Error;

/// A statement's syntax error: the parser's message, and the byte offset
/// in the statement of the token it failed at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SyntaxError {
    pub(super) message: String,
    pub(super) offset: usize,
}

/// What PostgreSQL's parser says of `statement` (one statement, its `;`
/// optional): `None` when it parses.
///
/// The parser reports the token it failed at, which `pg_query` does not
/// pass on; it is found by parsing prefixes of the statement that end at
/// a token's end (its scanner's tokens): a prefix that stops before that
/// token parses, or fails "at end of input", and one that takes it in
/// fails there. The first such prefix, by bisection, is a few parses of a
/// statement that failed, and none of one that did not.
pub(super) fn error(statement: &str) -> Option<SyntaxError> {
    let message = match parse(statement)? {
        Failure::AtEnd(message) => {
            // After the last character that is not blank, as the server
            // shows it.
            let offset = statement.trim_end().len();
            return Some(SyntaxError { message, offset });
        }
        Failure::Near(message) => message,
    };
    let offset = match pg_query::scan(statement) {
        Ok(scanned) => {
            let ends: Vec<(usize, usize)> = scanned
                .tokens
                .iter()
                .filter_map(|t| {
                    Some((usize::try_from(t.start).ok()?, usize::try_from(t.end).ok()?))
                })
                .collect();
            // The first token whose prefix fails other than at its end.
            let first = ends.partition_point(|&(_, end)| {
                let prefix = statement.get(..end).unwrap_or(statement);
                !matches!(parse(prefix), Some(Failure::Near(_)))
            });
            ends.get(first).map(|&(start, _)| start)
        }
        Err(_) => None,
    }
    // A token the scanner itself refuses (`0x`, `$1a`): the text the
    // message quotes, where it first appears.
    .or_else(|| near(&message).and_then(|quoted| statement.find(quoted)))
    .unwrap_or(0);
    Some(SyntaxError { message, offset })
}

/// How a parse failed: at the end of the text, or at a token in it.
enum Failure {
    AtEnd(String),
    Near(String),
}

/// Parses `text`: `None` when it parses (or fails otherwise than by its
/// grammar, which is no syntax error of the text).
///
/// `split_with_parser` runs the same raw parser as `pg_query::parse`
/// without building and decoding the parse tree: 8-14 times faster, which
/// an unoptimised proc macro feels.
fn parse(text: &str) -> Option<Failure> {
    match pg_query::split_with_parser(text) {
        Err(Error::Split(message)) if message.ends_with("at end of input") => {
            Some(Failure::AtEnd(message))
        }
        Err(Error::Split(message)) => Some(Failure::Near(message)),
        _ => None,
    }
}

/// The text a message quotes: `… at or near "X"`.
fn near(message: &str) -> Option<&str> {
    let (_, quoted) = message.rsplit_once("at or near \"")?;
    quoted.strip_suffix('"')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(statement: &str) -> Option<(String, &str)> {
        error(statement).map(|e| (e.message, &statement[e.offset..]))
    }

    #[test]
    fn valid_statements_parse() {
        for sql in [
            "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY)",
            "CREATE INDEX CONCURRENTLY t_id ON t (id);",
            "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
            "CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END",
            "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'ok' AFTER 'sad'",
            "-- a comment\nSELECT 1 /* another */",
        ] {
            assert_eq!(error(sql), None, "{sql}");
        }
    }

    #[test]
    fn the_error_is_at_the_token_the_parser_failed_at() {
        let (message, rest) = at("CREATE TABL users (id int)").unwrap();
        assert_eq!(message, "syntax error at or near \"TABL\"");
        assert!(rest.starts_with("TABL users"), "{rest}");
        // Not the first occurrence of the quoted text.
        let (message, rest) = at("CREATE TABLE t (a int, b int,, c int)").unwrap();
        assert_eq!(message, "syntax error at or near \",\"");
        assert_eq!(rest, ", c int)");
        let (_, rest) = at("SELECT a, b FROM t WHERE a = 1 b = 2").unwrap();
        assert_eq!(rest, "b = 2");
    }

    #[test]
    fn offsets_are_bytes_past_multibyte_text() {
        let sql = "COMMENT ON TABLE t IS 'déjà vu'; SELEC 1";
        let e = error(sql).unwrap();
        assert_eq!(&sql[e.offset..], "SELEC 1");
    }

    #[test]
    fn a_statement_cut_short_fails_at_its_end() {
        let sql = "ALTER TABLE t ADD COLUMN  \n";
        let e = error(sql).unwrap();
        assert_eq!(e.message, "syntax error at end of input");
        assert_eq!(e.offset, sql.trim_end().len());
    }

    #[test]
    fn a_token_the_scanner_refuses_is_found_by_its_text() {
        let (message, rest) = at("SELECT 1, 0x").unwrap();
        assert!(
            message.starts_with("invalid hexadecimal integer"),
            "{message}"
        );
        assert_eq!(rest, "0x");
    }
}

//! `-- migrate:` directives: header comments of a migration file.

use std::path::Path;

use super::problem::{FileProblems, Problem, Rule};
use crate::model::Directives;
use crate::text::duration::parse_duration;
use crate::text::lexer::{self as sql, Lexed};

const PREFIX: &str = "-- migrate:";

/// Reads the directives of `text`: `-- migrate:` line comments (found by
/// the lexer, so never inside a string or body). The header is what comes
/// before the first statement, at byte `header_end`. A directive that is
/// unknown, not allowed in this kind of file, or placed after the first
/// statement is a problem.
pub(crate) fn parse(
    text: &str,
    lexed: &Lexed,
    is_up: bool,
    problems: &mut FileProblems<'_>,
) -> Directives {
    let header_end = lexed.statements.first().map_or(text.len(), |s| s.start);
    let mut found = Directives::default();
    // Comments come in order: each line is counted from the one before.
    let mut positions = sql::Positions::new(text);
    for &start in &lexed.line_comments {
        let comment = text[start..].lines().next().unwrap_or_default();
        let Some(rest) = comment.strip_prefix(PREFIX) else {
            continue;
        };
        let directive = rest.trim();
        let (line_no, _) = positions.line_col(start);
        let mut problem = |message: String| {
            problems.report(line_no, Rule::InvalidDirective, || message);
        };
        // `allow` stands anywhere (read by `allows`).
        if directive.split_whitespace().next() == Some("allow") {
            continue;
        }
        if start >= header_end {
            problem(format!(
                "directive `{PREFIX}{directive}` must stand in the header, before the first statement"
            ));
            continue;
        }
        let (name, value) = directive
            .split_once(char::is_whitespace)
            .map_or((directive, ""), |(n, v)| (n, v.trim()));
        match name {
            "lock-timeout" | "statement-timeout" => match parse_duration(value) {
                Some(d) if name == "lock-timeout" => found.lock_timeout = Some(d),
                Some(d) => found.statement_timeout = Some(d),
                None => problem(format!(
                    "`{PREFIX}{name}` needs a duration such as 500ms, 5s or 2min, not `{value}`"
                )),
            },
            _ if !value.is_empty() => problem(format!(
                "unknown directive `{PREFIX}{directive}` (known: no-transaction, irreversible, lock-timeout, statement-timeout)"
            )),
            "no-transaction" => found.no_transaction = true,
            "irreversible" if is_up => found.irreversible = true,
            "irreversible" => problem(
                "`-- migrate:irreversible` belongs in the up file, not the down file".to_owned(),
            ),
            "up" | "down" => problem(format!(
                "`{PREFIX}{directive}` sections are not supported; write NNNN_name.up.sql and NNNN_name.down.sql"
            )),
            other => problem(format!(
                "unknown directive `{PREFIX}{other}` (known: no-transaction, irreversible, lock-timeout, statement-timeout)"
            )),
        }
    }
    found
}

/// The directives of SQL that was valid when stored (the down SQL kept in
/// a tracking row), read again with the scanner's rules; `what` names it in
/// the problems.
///
/// # Errors
/// The problems of the text: it no longer lexes, or its directives are
/// invalid.
pub(crate) fn of_stored(what: &Path, text: &str) -> Result<Directives, Vec<Problem>> {
    let lexed = sql::lex(text).map_err(|u| {
        let (line, _) = sql::line_col(text, u.start);
        vec![Problem::new(
            what,
            line,
            Rule::UnterminatedLiteral,
            format!("unterminated {}", u.what),
        )]
    })?;
    let mut problems = Vec::new();
    let d = parse(
        text,
        &lexed,
        false,
        &mut FileProblems::new(what, &mut problems),
    );
    if problems.is_empty() {
        Ok(d)
    } else {
        Err(problems)
    }
}

/// A `-- migrate:allow <rule>`: its line, the rule, and whether the
/// comment stands on a line of its own (it then allows the statement on
/// the next line; else the statement it ends the line of).
pub(crate) type Allow = (usize, Rule, bool);

/// The `-- migrate:allow <rule> …` comments of `text`, each rule one of
/// the rules about what a statement does (another name is a problem). In the header one
/// allows the rule in the whole file; beside a statement, in that one.
pub(crate) fn allows(text: &str, lexed: &Lexed, problems: &mut FileProblems<'_>) -> Vec<Allow> {
    let mut found = Vec::new();
    let mut positions = sql::Positions::new(text);
    for &start in &lexed.line_comments {
        let comment = text[start..].lines().next().unwrap_or_default();
        let Some(rest) = comment.strip_prefix(PREFIX) else {
            continue;
        };
        let mut words = rest.split_whitespace();
        if words.next() != Some("allow") {
            continue;
        }
        let (line, _) = positions.line_col(start);
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let own_line = text[line_start..start].trim().is_empty();
        // Names apart by blanks or commas.
        let names: Vec<&str> = words
            .flat_map(|w| w.split(','))
            .filter(|w| !w.is_empty())
            .collect();
        if names.is_empty() {
            problems.report(line, Rule::InvalidDirective, || {
                "`-- migrate:allow` needs the rule it allows, as in `-- migrate:allow needs-no-transaction`".to_owned()
            });
        }
        for name in names {
            match name.parse::<Rule>() {
                Ok(rule) => found.push((line, rule, own_line)),
                Err(e) => problems.report(line, Rule::InvalidDirective, || {
                    format!("`-- migrate:allow {name}`: {e}")
                }),
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn parse_text(text: &str, is_up: bool) -> (Directives, Vec<Problem>) {
        let mut problems = Vec::new();
        let lexed = sql::lex(text).expect("lexes");
        let path = Path::new("f.sql");
        let d = parse(
            text,
            &lexed,
            is_up,
            &mut FileProblems::new(path, &mut problems),
        );
        (d, problems)
    }

    #[test]
    fn header_directives_are_read() {
        let (d, problems) = parse_text(
            "-- a comment\n-- migrate:no-transaction\n\n-- migrate:irreversible\nCREATE INDEX CONCURRENTLY i ON t (x);\n",
            true,
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert!(d.no_transaction && d.irreversible);
    }

    #[test]
    fn directive_text_inside_literals_is_not_a_directive() {
        let (d, problems) = parse_text(
            "INSERT INTO notes VALUES ('\n-- migrate:foo\n');\nCREATE FUNCTION f() RETURNS int AS $$\n-- migrate:no-transaction\nSELECT 1 $$ LANGUAGE sql;\n/*\n-- migrate:bar\n*/\n",
            true,
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert!(!d.no_transaction);
    }

    #[test]
    fn timeouts_take_a_duration() {
        let (d, problems) = parse_text(
            "-- migrate:lock-timeout 250ms\n-- migrate:statement-timeout 2min\nSELECT 1;\n",
            true,
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(d.lock_timeout, Some(Duration::from_millis(250)));
        assert_eq!(d.statement_timeout, Some(Duration::from_secs(120)));
        for bad in [
            "-- migrate:lock-timeout\n",
            "-- migrate:lock-timeout 5 s\n",
            "-- migrate:lock-timeout 0s\n",
            "-- migrate:statement-timeout 1h\n",
            "-- migrate:irreversible yes\n",
        ] {
            let (_, problems) = parse_text(&format!("{bad}SELECT 1;\n"), true);
            assert_eq!(problems.len(), 1, "{bad}");
        }
    }

    #[test]
    fn misplaced_and_unknown_directives_are_problems() {
        let (_, problems) = parse_text(
            "-- migrate:bogus\nSELECT 1;\n-- migrate:no-transaction\n",
            true,
        );
        let lines: Vec<_> = problems.iter().map(|p| (p.line, p.rule)).collect();
        assert_eq!(
            lines,
            vec![
                (Some(1), Rule::InvalidDirective),
                (Some(3), Rule::InvalidDirective)
            ]
        );
        let (_, problems) = parse_text("-- migrate:irreversible\nSELECT 1;\n", false);
        assert_eq!(problems.len(), 1, "irreversible belongs in the up file");
    }
}

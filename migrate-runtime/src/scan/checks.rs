//! What a statement does that fails where it stands, found at build time:
//! a statement PostgreSQL refuses inside a transaction block in a
//! migration that runs in one, a psql meta-command, `COPY … FROM STDIN`, an
//! enum value used in the transaction that added it, SQLite's
//! `PRAGMA foreign_keys` where SQLite ignores it. Each is a problem at the
//! statement's line and column, with the fix in its message, unless a
//! `-- migrate:allow <rule>` silences it.

use super::directives::Allow;
use super::lint::Lint;
use super::problem::{FileProblems, Rule};
use crate::text::lexer::{Lexed, Positions, Statement};
use crate::text::tokens::{find, starts, tokens, Kind, Token};

/// The statements PostgreSQL refuses to run inside a transaction block,
/// and how they start.
const OUTSIDE_ONLY: &[&[&str]] = &[
    &["CREATE", "INDEX", "CONCURRENTLY"],
    &["CREATE", "UNIQUE", "INDEX", "CONCURRENTLY"],
    &["DROP", "INDEX", "CONCURRENTLY"],
    &["VACUUM"],
    &["ALTER", "SYSTEM"],
    &["CREATE", "DATABASE"],
    &["DROP", "DATABASE"],
    &["CREATE", "TABLESPACE"],
    &["DROP", "TABLESPACE"],
];

/// What a script is, for its checks.
pub(super) struct Script<'a> {
    /// It runs in a transaction.
    pub(super) transactional: bool,
    /// It is an up script, which the lint reads.
    pub(super) linted: bool,
    /// Its header sets a lock timeout.
    pub(super) lock_timeout: bool,
    /// Its `-- migrate:allow` comments.
    pub(super) allows: &'a [Allow],
}

/// One script's statements checked, and linted if it is an up script.
pub(super) fn check(
    text: &str,
    lexed: &Lexed,
    script: &Script<'_>,
    problems: &mut FileProblems<'_>,
) {
    let Script {
        transactional,
        allows,
        ..
    } = *script;
    let mut lint = script
        .linted
        .then(|| Lint::new(transactional, script.lock_timeout));
    let header_end = lexed.statements.first().map_or(text.len(), |s| s.start);
    let header_lines = Positions::new(text).line_col(header_end).0;
    let mut positions = Positions::new(text);
    // In the header: the whole file (a comment on the line just before
    // the first statement too).
    let file_allows: Vec<Rule> = allows
        .iter()
        .filter(|(line, ..)| *line < header_lines)
        .map(|(_, r, _)| *r)
        .collect();
    let mut added_values: Vec<(String, String, usize)> = Vec::new();
    #[cfg(feature = "pg-syntax")]
    let mut after_copy = false;
    for s in &lexed.statements {
        let (line, col) = positions.line_col(s.start);
        let last_line = positions.line_col(s.end).0;
        let allowed = |rule: Rule| {
            file_allows.contains(&rule)
                || allows.iter().any(|&(l, r, own)| {
                    r == rule
                        && if own {
                            l + 1 == line
                        } else {
                            l >= line && l <= last_line
                        }
                })
        };
        let meta = meta_command(text, s);
        // The rows after `COPY … FROM STDIN` are no statements.
        #[cfg(feature = "pg-syntax")]
        if !after_copy && !allowed(Rule::SyntaxError) && meta.is_none() {
            syntax(text, s, problems);
        }
        let mut report = |rule: Rule, message: String| {
            if !allowed(rule) {
                problems.report_at(line, Some(col), rule, || message);
            }
        };
        let t = tokens(text, s.start, s.end);
        if let Some(lint) = &mut lint {
            lint.statement(&t, &mut report);
        }
        if let Some(message) = meta {
            report(Rule::PsqlMetaCommand, message);
            continue;
        }
        if copy_from_stdin(&t) {
            #[cfg(feature = "pg-syntax")]
            {
                after_copy = true;
            }
            report(
                Rule::CopyFromStdin,
                "`COPY … FROM STDIN` reads the rows that follow it in a psql script, but a migration's file is sent as SQL and its rows would be read as statements: load them with `INSERT … VALUES`, or `COPY` from a file the server reads".to_owned(),
            );
        }
        if !transactional {
            continue;
        }
        if let Some(words) = OUTSIDE_ONLY.iter().find(|w| starts(&t, 0, w)) {
            report(
                Rule::NeedsNoTransaction,
                format!(
                    "`{}` cannot run inside a transaction block, and this migration runs in one: add `-- migrate:no-transaction` to the header (the file then runs statement by statement, outside a transaction)",
                    words.join(" ")
                ),
            );
        }
        if starts(&t, 0, &["REINDEX"]) && find(&t, 1, "CONCURRENTLY").is_some() {
            report(
                Rule::NeedsNoTransaction,
                "`REINDEX … CONCURRENTLY` cannot run inside a transaction block, and this migration runs in one: add `-- migrate:no-transaction` to the header".to_owned(),
            );
        }
        if is_foreign_keys_pragma(&t) {
            report(
                Rule::PragmaInTransaction,
                "SQLite ignores `PRAGMA foreign_keys` inside a transaction, and this migration runs in one: remove it (migrate turns foreign keys off around each migration and checks every one before it commits), or add `-- migrate:no-transaction`".to_owned(),
            );
        }
        for (value, ty, at) in &added_values {
            if t.iter()
                .any(|k| matches!(&k.kind, Kind::Str(v) if v == value))
            {
                report(
                    Rule::EnumValueInTransaction,
                    format!(
                        "`'{value}'` is used here, but `ALTER TYPE {ty} ADD VALUE` on line {at} added it in the same transaction, where PostgreSQL refuses to use it (unsafe use of new value): use it in a later migration, or run this one with `-- migrate:no-transaction`"
                    ),
                );
            }
        }
        if let Some((value, ty)) = added_value(&t) {
            added_values.push((value, ty, line));
        }
    }
}

/// A psql meta-command (a statement that starts with `\`): its message.
fn meta_command(text: &str, s: &Statement) -> Option<String> {
    let rest = text[s.start..s.end].strip_prefix('\\')?;
    let command: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
    Some(format!(
        "`\\{command}` is a psql meta-command, not SQL: the server refuses it; write the SQL it stands for (psql's variables, `\\i` includes and `\\connect` do not exist when migrate runs a file)"
    ))
}

/// `COPY … FROM STDIN`.
fn copy_from_stdin(t: &[Token]) -> bool {
    starts(t, 0, &["COPY"])
        && t.windows(2)
            .any(|w| w[0].is("FROM") && (w[1].is("STDIN") || w[1].is("PSTDIN")))
}

/// `PRAGMA foreign_keys …` (or `PRAGMA main.foreign_keys`).
fn is_foreign_keys_pragma(t: &[Token]) -> bool {
    starts(t, 0, &["PRAGMA"]) && t.iter().skip(1).take(3).any(|k| k.is("FOREIGN_KEYS"))
}

/// `ALTER TYPE <name> ADD VALUE [IF NOT EXISTS] '<value>'`: the value and
/// the type.
fn added_value(t: &[Token]) -> Option<(String, String)> {
    if !starts(t, 0, &["ALTER", "TYPE"]) {
        return None;
    }
    let add = t
        .windows(2)
        .position(|w| w[0].is("ADD") && w[1].is("VALUE"))?;
    let ty: Vec<String> = t[2..add].iter().filter_map(Token::name).collect();
    t[add + 2..].iter().find_map(|k| match &k.kind {
        Kind::Str(v) => Some((v.clone(), ty.join("."))),
        _ => None,
    })
}

/// A statement PostgreSQL's parser refuses: a problem at the token it
/// failed at, with the parser's message.
#[cfg(feature = "pg-syntax")]
fn syntax(text: &str, s: &Statement, problems: &mut FileProblems<'_>) {
    if let Some(e) = super::syntax::error(&text[s.start..s.end]) {
        let (line, col) = crate::text::lexer::line_col(text, s.start + e.offset);
        problems.report_at(line, Some(col), Rule::SyntaxError, || {
            format!(
                "PostgreSQL's parser refuses the statement: {} (a SQLite folder declares `engine = \"sqlite\"`, which skips this check)",
                e.message
            )
        });
    }
}

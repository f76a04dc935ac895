//! One file, an up and a down section: dbmate (`-- migrate:up`,
//! `-- migrate:down`, `transaction:false` on the marker's line), goose
//! (`-- +goose Up`, `-- +goose Down`, `-- +goose NO TRANSACTION`,
//! `-- +goose StatementBegin` … `StatementEnd`) and the `-- Up Migration` /
//! `-- Down Migration` form.
//!
//! A section's text is the file's with every other line blanked, so that
//! line numbers in problems and in the server's errors are the file's.

use crate::text::lexer;

/// A section marker, or another annotation of goose.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Marker {
    Up {
        no_transaction: bool,
    },
    Down {
        no_transaction: bool,
    },
    /// goose's `NO TRANSACTION`, for both sections.
    NoTransaction,
    StatementBegin,
    StatementEnd,
    /// An annotation this reader does not know (`-- +goose ENVSUB ON`, a
    /// dbmate option other than `transaction:`).
    Unknown(String),
}

/// What a file's markers say: each section's text, whether it runs
/// without a transaction, and goose's statement blocks; or why the file
/// cannot be read as sections (the line, the message).
#[derive(Debug, Default)]
pub(crate) struct Sections {
    pub(crate) up: Option<Section>,
    pub(crate) down: Option<Section>,
}

/// One section.
#[derive(Debug)]
pub(crate) struct Section {
    /// The file's text, the lines outside the section (and the markers)
    /// blanked.
    pub(crate) text: String,
    pub(crate) no_transaction: bool,
    /// goose's `StatementBegin` … `StatementEnd` blocks, as the lines
    /// between the two markers (1-based, both excluded): the statements
    /// that start inside one are one statement.
    pub(crate) blocks: Vec<(usize, usize)>,
}

/// Whether a file's first lines hold a section marker (for telling the
/// layout, before the file is read in full).
pub(crate) fn has_markers(head: &str) -> bool {
    head.lines()
        .any(|l| matches!(marker(l), Some(Marker::Up { .. } | Marker::Down { .. })))
}

/// The marker on `line`, if it is one.
fn marker(line: &str) -> Option<Marker> {
    let line = line.trim();
    let comment = line.strip_prefix("--")?.trim_start();
    if let Some(rest) = comment.strip_prefix("migrate:") {
        let (word, options) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let no_transaction = match dbmate_options(options) {
            Ok(nt) => nt,
            Err(option) => return Some(Marker::Unknown(format!("dbmate option `{option}`"))),
        };
        return match word {
            "up" => Some(Marker::Up { no_transaction }),
            "down" => Some(Marker::Down { no_transaction }),
            // Our own directives (`-- migrate:no-transaction`, …).
            _ => None,
        };
    }
    if let Some(rest) = comment.strip_prefix("+goose") {
        let annotation = rest.trim();
        return Some(match annotation.to_ascii_lowercase().as_str() {
            "up" => Marker::Up {
                no_transaction: false,
            },
            "down" => Marker::Down {
                no_transaction: false,
            },
            "no transaction" => Marker::NoTransaction,
            "statementbegin" => Marker::StatementBegin,
            "statementend" => Marker::StatementEnd,
            _ => Marker::Unknown(format!("goose annotation `+goose {annotation}`")),
        });
    }
    match comment {
        "Up Migration" => Some(Marker::Up {
            no_transaction: false,
        }),
        "Down Migration" => Some(Marker::Down {
            no_transaction: false,
        }),
        _ => None,
    }
}

/// dbmate's options after a marker: `transaction:false` (or `true`).
fn dbmate_options(options: &str) -> Result<bool, &str> {
    let mut no_transaction = false;
    for option in options.split_whitespace() {
        match option {
            "transaction:false" => no_transaction = true,
            "transaction:true" => no_transaction = false,
            other => return Err(other),
        }
    }
    Ok(no_transaction)
}

/// Splits `text` (a whole file) into its sections. Markers count only as
/// line comments of their own line, never inside a string or a body; the
/// text must lex (the caller reports it otherwise).
///
/// # Errors
/// The 1-based line and the message of the first marker problem: none,
/// two up (or down) markers, an unknown annotation, a statement before the
/// first marker, a `StatementBegin` without its end.
pub(crate) fn split(text: &str, lexed: &lexer::Lexed) -> Result<Sections, (usize, String)> {
    let lines: Vec<&str> = text.split('\n').collect();
    let starts = line_starts(&lines);
    let line_of = |offset: usize| starts.partition_point(|&s| s <= offset);
    let mut found: Vec<(usize, Marker)> = Vec::new();
    for &at in &lexed.line_comments {
        let line = line_of(at);
        let own = text[starts[line - 1]..at].trim().is_empty();
        if let (true, Some(m)) = (own, marker(lines[line - 1])) {
            found.push((line, m));
        }
    }
    let mut up: Option<(usize, bool)> = None;
    let mut down: Option<(usize, bool)> = None;
    let mut no_transaction = false;
    let mut blocks = Vec::new();
    let mut open: Option<usize> = None;
    for (line, m) in &found {
        match m {
            Marker::Up { no_transaction } => place(&mut up, *line, *no_transaction, "up")?,
            Marker::Down { no_transaction } => place(&mut down, *line, *no_transaction, "down")?,
            Marker::NoTransaction => no_transaction = true,
            Marker::StatementBegin => open = Some(*line),
            Marker::StatementEnd => match open.take() {
                Some(begin) => blocks.push((begin, *line)),
                None => {
                    return Err((
                        *line,
                        "`StatementEnd` without a `StatementBegin`".to_owned(),
                    ))
                }
            },
            Marker::Unknown(what) => {
                return Err((*line, format!("{what} is not supported; remove it")))
            }
        }
    }
    if let Some(line) = open {
        return Err((
            line,
            "`StatementBegin` without its `StatementEnd`".to_owned(),
        ));
    }
    let Some((up_line, up_nt)) = up else {
        return Err((
            1,
            "no up section: the file needs `-- migrate:up`, `-- +goose Up` or `-- Up Migration` before its SQL".to_owned(),
        ));
    };
    let first = down.map_or(up_line, |(d, _)| d.min(up_line));
    if let Some(s) = lexed
        .statements
        .first()
        .filter(|s| line_of(s.start) < first)
    {
        return Err((
            line_of(s.start),
            "a statement before the first section marker belongs to no section; move it below `up`"
                .to_owned(),
        ));
    }
    let markers: Vec<usize> = found.iter().map(|(l, _)| *l).collect();
    let end_of = |from: usize| {
        [up_line, down.map_or(usize::MAX, |(d, _)| d)]
            .into_iter()
            .filter(|&l| l > from)
            .min()
            .unwrap_or(lines.len() + 1)
    };
    let section = |from: usize, nt: bool| {
        let until = end_of(from);
        let text = blank_outside(&lines, from + 1, until, &markers);
        let blocks = blocks
            .iter()
            .copied()
            .filter(|&(b, _)| b > from && b < until)
            .collect();
        Section {
            text,
            no_transaction: nt || no_transaction,
            blocks,
        }
    };
    Ok(Sections {
        up: Some(section(up_line, up_nt)),
        down: down.map(|(line, nt)| section(line, nt)),
    })
}

/// Records a section's marker line, refusing a second one.
fn place(
    slot: &mut Option<(usize, bool)>,
    line: usize,
    no_transaction: bool,
    which: &str,
) -> Result<(), (usize, String)> {
    if let Some((first, _)) = slot {
        return Err((
            line,
            format!("a second {which} section (the first starts on line {first}); a file has one up and at most one down section"),
        ));
    }
    *slot = Some((line, no_transaction));
    Ok(())
}

/// The byte offset where each line starts.
fn line_starts(lines: &[&str]) -> Vec<usize> {
    let mut starts = Vec::with_capacity(lines.len());
    let mut at = 0;
    for l in lines {
        starts.push(at);
        at += l.len() + 1;
    }
    starts
}

/// The lines `from..until` (1-based, `until` excluded) as they are, every
/// other line and every marker line empty.
fn blank_outside(lines: &[&str], from: usize, until: usize, markers: &[usize]) -> String {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let n = i + 1;
            if n >= from && n < until && !markers.contains(&n) {
                *l
            } else {
                ""
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `statements` of `text` with those that start inside one of `blocks`
/// (line ranges, see [`Section::blocks`]) merged into one each.
pub(crate) fn merge_blocks(
    text: &str,
    statements: Vec<(usize, usize)>,
    blocks: &[(usize, usize)],
) -> Vec<(usize, usize)> {
    let lines: Vec<&str> = text.split('\n').collect();
    let starts = line_starts(&lines);
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(statements.len());
    let mut last_block = None;
    for (start, end) in statements {
        let line = starts.partition_point(|&s| s <= start);
        let block = blocks.iter().position(|&(b, e)| line > b && line < e);
        match (block, last_block, out.last_mut()) {
            (Some(b), Some(l), Some(prev)) if b == l => prev.1 = end,
            _ => out.push((start, end)),
        }
        last_block = block;
    }
    out
}

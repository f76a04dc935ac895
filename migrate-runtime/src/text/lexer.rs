//! A small SQL lexer: enough to split a script into statements, find header
//! comments and map byte offsets to lines and columns.
//!
//! It understands `--` and nested `/* */` comments, `'…'` strings (with `''`
//! and, for `E'…'`, backslash escapes), `"…"`, `` `…` `` and `[…]`
//! identifiers, `$tag$…$tag$` bodies, and the `BEGIN … END` bodies of
//! SQLite triggers and PostgreSQL `BEGIN ATOMIC` functions, where a `;` does
//! not end the statement. It does not parse SQL: the server does that.

/// One statement of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Statement {
    /// Byte offset of the first token (after leading comments and blanks).
    pub start: usize,
    /// Byte offset just past the statement's last token (before the `;`).
    pub end: usize,
    /// Upper-cased leading keywords (up to three), used to classify it.
    pub keywords: Vec<String>,
}

/// A literal or comment that runs to the end of the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unterminated {
    /// Byte offset where it opens.
    pub start: usize,
    /// What it is, for the error message.
    pub what: &'static str,
}

/// A script cut into statements, with where its `--` comments start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lexed {
    pub statements: Vec<Statement>,
    /// Byte offsets of the `--` of every line comment outside literals.
    pub line_comments: Vec<usize>,
}

/// Splits `sql` into statements.
///
/// # Errors
/// Returns where an unterminated string, identifier, comment or dollar-quoted
/// body starts.
#[cfg_attr(not(any(feature = "postgres", feature = "sqlite")), allow(dead_code))]
pub(crate) fn split(sql: &str) -> Result<Vec<Statement>, Unterminated> {
    lex(sql).map(|l| l.statements)
}

/// Splits `sql` into statements and finds its line comments.
///
/// # Errors
/// As [`split`].
pub(crate) fn lex(sql: &str) -> Result<Lexed, Unterminated> {
    let b = sql.as_bytes();
    let mut statements = Vec::new();
    let mut line_comments = Vec::new();
    let mut current = Current::default();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'-' && b.get(i + 1) == Some(&b'-') {
            line_comments.push(i);
            i = line_end(b, i);
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i = block_comment_end(b, i)?;
        } else if c == b';' && current.depth == 0 && current.parens == 0 {
            statements.extend(current.finish());
            i += 1;
        } else {
            i = current.token(sql, i)?;
        }
    }
    statements.extend(current.finish());
    Ok(Lexed {
        statements,
        line_comments,
    })
}

/// The statement being read.
#[derive(Default)]
struct Current {
    /// Where its first token starts; `None` before it.
    start: Option<usize>,
    /// Just past its last token so far.
    end: usize,
    keywords: Vec<String>,
    /// In a trigger or `BEGIN ATOMIC` body, where `;` does not end it.
    compound: bool,
    /// `BEGIN`/`CASE` … `END` nesting inside such a body.
    depth: usize,
    /// Open parentheses: a `;` inside them does not end the statement
    /// (PostgreSQL's `CREATE RULE … DO ALSO (INSERT …; INSERT …)`).
    parens: usize,
    /// The word just before, upper-cased; empty after any other token.
    prev_word: String,
}

impl Current {
    /// Reads the token (not a blank or comment) at `i`; returns its end.
    fn token(&mut self, sql: &str, i: usize) -> Result<usize, Unterminated> {
        let b = sql.as_bytes();
        self.start.get_or_insert(i);
        let mut was_word = false;
        let next = match b[i] {
            b'\'' => quoted_end(b, i, b'\'', false, "string")?,
            b'"' => quoted_end(b, i, b'"', false, "quoted identifier")?,
            b'`' => quoted_end(b, i, b'`', false, "quoted identifier")?,
            b'[' if !self.keywords.is_empty() && sqlite_bracket(&self.prev_word) => {
                quoted_end(b, i, b']', false, "bracketed identifier")?
            }
            b'$' => match dollar_tag(b, i) {
                Some(tag_end) => dollar_body_end(b, i, tag_end)?,
                None => i + 1,
            },
            c if c == b'_' || c.is_ascii_alphabetic() || c >= 0x80 => {
                let w_end = word_end(b, i);
                let word = sql[i..w_end].to_ascii_uppercase();
                // E'…' and e'…' strings take backslash escapes.
                if (word == "E") && b.get(w_end) == Some(&b'\'') {
                    quoted_end(b, w_end, b'\'', true, "string")?
                } else {
                    was_word = true;
                    self.word(word);
                    w_end
                }
            }
            b'(' => {
                self.parens += 1;
                i + 1
            }
            b')' => {
                self.parens = self.parens.saturating_sub(1);
                i + 1
            }
            _ => i + 1,
        };
        if !was_word {
            self.prev_word.clear();
        }
        self.end = next;
        Ok(next)
    }

    /// A word: one of the (up to three) keywords that classify the
    /// statement, and the nesting of a compound body.
    fn word(&mut self, word: String) {
        if self.keywords.len() < 3 {
            self.keywords.push(word.clone());
            if is_trigger_start(&self.keywords) {
                self.compound = true;
            }
        }
        if word == "ATOMIC" && self.prev_word == "BEGIN" {
            self.compound = true;
            self.depth += 1;
        } else if self.compound {
            match word.as_str() {
                "BEGIN" | "CASE" => self.depth += 1,
                "END" => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
        }
        self.prev_word = word;
    }

    /// Ends the statement (at a `;` outside a body, or the end of the
    /// script): the statement, if a token was read.
    fn finish(&mut self) -> Option<Statement> {
        let statement = self.start.take().map(|start| Statement {
            start,
            end: self.end,
            keywords: std::mem::take(&mut self.keywords),
        });
        self.compound = false;
        self.parens = 0;
        self.prev_word.clear();
        statement
    }
}

fn is_trigger_start(kw: &[String]) -> bool {
    // CREATE TRIGGER, CREATE TEMP TRIGGER, CREATE TEMPORARY TRIGGER. PostgreSQL
    // triggers have no BEGIN … END body, so counting there is harmless: a
    // PostgreSQL CREATE TRIGGER never contains BEGIN or CASE outside quotes.
    kw.first().map(String::as_str) == Some("CREATE") && kw.iter().any(|w| w == "TRIGGER")
}

fn sqlite_bracket(prev_word: &str) -> bool {
    // `[` opens an identifier in SQLite, but is an array subscript or type
    // suffix in PostgreSQL (`int[]`, `a[1]`). Only treat it as an identifier
    // right after a keyword that expects a name.
    matches!(
        prev_word,
        "TABLE" | "INTO" | "FROM" | "UPDATE" | "ON" | "INDEX" | "VIEW" | "JOIN" | "EXISTS"
    )
}

pub(super) fn line_end(b: &[u8], i: usize) -> usize {
    b[i..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| i + p + 1)
}

pub(super) fn block_comment_end(b: &[u8], start: usize) -> Result<usize, Unterminated> {
    let mut depth = 0usize;
    let mut i = start;
    while i + 1 < b.len() {
        match (b[i], b[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return Ok(i);
                }
            }
            _ => i += 1,
        }
    }
    Err(Unterminated {
        start,
        what: "block comment",
    })
}

pub(super) fn quoted_end(
    b: &[u8],
    start: usize,
    close: u8,
    backslash: bool,
    what: &'static str,
) -> Result<usize, Unterminated> {
    let mut i = start + 1;
    while i < b.len() {
        let c = b[i];
        if backslash && c == b'\\' {
            i += 2;
            continue;
        }
        if c == close {
            // A doubled quote is an escaped quote.
            if b.get(i + 1) == Some(&close) && close != b']' {
                i += 2;
                continue;
            }
            return Ok(i + 1);
        }
        i += 1;
    }
    Err(Unterminated { start, what })
}

/// If a dollar-quote tag (`$$` or `$name$`) opens at `i`, returns the offset
/// just past it.
pub(super) fn dollar_tag(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    if b.get(j).is_some_and(u8::is_ascii_digit) {
        return None; // `$1` is a parameter
    }
    while let Some(&c) = b.get(j) {
        if c == b'$' {
            return Some(j + 1);
        }
        if !(c == b'_' || c.is_ascii_alphanumeric() || c >= 0x80) {
            return None;
        }
        j += 1;
    }
    None
}

pub(super) fn dollar_body_end(
    b: &[u8],
    start: usize,
    tag_end: usize,
) -> Result<usize, Unterminated> {
    let tag = &b[start..tag_end];
    b[tag_end..]
        .windows(tag.len())
        .position(|w| w == tag)
        .map(|p| tag_end + p + tag.len())
        .ok_or(Unterminated {
            start,
            what: "dollar-quoted string",
        })
}

pub(super) fn word_end(b: &[u8], i: usize) -> usize {
    let mut j = i;
    while j < b.len()
        && (b[j] == b'_' || b[j] == b'$' || b[j].is_ascii_alphanumeric() || b[j] >= 0x80)
    {
        j += 1;
    }
    j
}

/// The 1-based line and column (in characters) of byte offset `offset`: of
/// the character it falls in, or just past the last one.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    Positions::new(text).line_col(offset)
}

/// Maps byte offsets of one text to lines and columns as [`line_col`] does,
/// each from where the one before left off: mapping every statement of a
/// file, in order, reads the file once instead of once per statement.
pub(crate) struct Positions<'a> {
    text: &'a str,
    /// The offset mapped last (a character boundary), and its position.
    offset: usize,
    line: usize,
    col: usize,
}

impl<'a> Positions<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Positions {
            text,
            offset: 0,
            line: 1,
            col: 1,
        }
    }

    /// The 1-based line and column of `offset`; in time proportional to its
    /// distance from the offset before, or to `offset` if it lies before.
    pub(crate) fn line_col(&mut self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(self.text, offset.min(self.text.len()));
        if offset < self.offset {
            *self = Positions::new(self.text);
        }
        for c in self.text[self.offset..offset].chars() {
            if c == '\n' {
                self.line += 1;
                self.col = 1;
            } else {
                self.col += 1;
            }
        }
        self.offset = offset;
        (self.line, self.col)
    }
}

/// The byte offset of the character at 0-based index `chars`.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn char_to_byte(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(b, _)| b)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl Statement {
    /// Whether this statement opens, ends or aborts a transaction (which a
    /// migration run inside the runner's own transaction must not do).
    pub(crate) fn is_transaction_control(&self) -> bool {
        let kw: Vec<&str> = self.keywords.iter().map(String::as_str).collect();
        match kw.as_slice() {
            ["BEGIN", "ATOMIC", ..] => false,
            ["BEGIN" | "COMMIT" | "END" | "ABORT", ..] => true,
            ["START", "TRANSACTION", ..] => true,
            ["ROLLBACK", "TO", ..] => false,
            ["ROLLBACK", "TRANSACTION" | "WORK", "TO", ..] => false,
            ["ROLLBACK", ..] => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests;

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

fn line_end(b: &[u8], i: usize) -> usize {
    b[i..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| i + p + 1)
}

fn block_comment_end(b: &[u8], start: usize) -> Result<usize, Unterminated> {
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

fn quoted_end(
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
fn dollar_tag(b: &[u8], i: usize) -> Option<usize> {
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

fn dollar_body_end(b: &[u8], start: usize, tag_end: usize) -> Result<usize, Unterminated> {
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

fn word_end(b: &[u8], i: usize) -> usize {
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
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<&str> {
        split(sql)
            .unwrap()
            .iter()
            .map(|s| &sql[s.start..s.end])
            .collect()
    }

    #[test]
    fn splits_on_semicolons_outside_literals() {
        let sql = "-- head\nCREATE TABLE a (x text default ';');\n/* ; */ INSERT INTO a VALUES ($$;$$), ($t$ $$ ; $t$);\nSELECT E'\\';' ; select 1";
        assert_eq!(
            texts(sql),
            vec![
                "CREATE TABLE a (x text default ';')",
                "INSERT INTO a VALUES ($$;$$), ($t$ $$ ; $t$)",
                "SELECT E'\\';'",
                "select 1"
            ]
        );
    }

    #[test]
    fn a_rule_s_action_list_is_one_statement() {
        // Issue 10: a no-transaction file ran the rule's actions apart.
        let sql = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));\nSELECT (1);\n";
        let statements = split(sql).unwrap();
        assert_eq!(statements.len(), 2, "{statements:?}");
        assert!(sql[statements[0].start..statements[0].end].ends_with("(2))"));
        // An unbalanced `)` does not hide the next statement's `;`.
        assert_eq!(split("SELECT 1);\nSELECT 2;").unwrap().len(), 2);
    }

    #[test]
    fn keeps_trigger_and_atomic_bodies_whole() {
        let sql = "CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET n = CASE WHEN 1 THEN 2 END; DELETE FROM c; END;\nCREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END; SELECT 3;";
        let t = texts(sql);
        assert_eq!(t.len(), 3, "{t:?}");
        assert!(t[0].ends_with("END"));
        assert!(t[1].ends_with("END"));
        assert_eq!(t[2], "SELECT 3");
    }

    #[test]
    fn nested_block_comments_and_parameters() {
        let sql = "/* a /* b */ ; */ SELECT $1; SELECT arr[1] FROM t;";
        assert_eq!(texts(sql), vec!["SELECT $1", "SELECT arr[1] FROM t"]);
    }

    #[test]
    fn reports_unterminated_literals() {
        for (sql, what, start) in [
            ("SELECT 'abc", "string", 7),
            ("SELECT $x$ abc $y$", "dollar-quoted string", 7),
            ("SELECT 1 /* never closed", "block comment", 9),
            ("SELECT \"abc", "quoted identifier", 7),
        ] {
            let e = split(sql).unwrap_err();
            assert_eq!((e.what, e.start), (what, start), "{sql}");
        }
    }

    #[test]
    fn classifies_transaction_control() {
        let kinds: Vec<bool> = split(
            "BEGIN; COMMIT; END; ROLLBACK; START TRANSACTION; ROLLBACK TO SAVEPOINT s; SAVEPOINT s; SELECT 1; ABORT",
        )
        .unwrap()
        .iter()
        .map(Statement::is_transaction_control)
        .collect();
        assert_eq!(
            kinds,
            vec![true, true, true, true, true, false, false, false, true]
        );
    }

    #[test]
    fn maps_offsets_to_lines_and_columns() {
        let text = "ab\nçd\nef";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 3), (2, 1));
        assert_eq!(line_col(text, 5), (2, 2)); // after the two-byte ç
        assert_eq!(line_col(text, 8), (3, 2));
        assert_eq!(char_to_byte(text, 4), 5);
    }

    #[test]
    fn line_col_counts_characters_of_any_width() {
        // 1, 2, 3 and 4 bytes: a, é, €, 😀.
        let text = "a\u{e9}\u{20ac}\u{1f600}b\n\u{1f600}x";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 1), (1, 2)); // é
        assert_eq!(line_col(text, 3), (1, 3)); // €
        assert_eq!(line_col(text, 6), (1, 4)); // 😀
        assert_eq!(line_col(text, 10), (1, 5)); // b
        assert_eq!(line_col(text, 11), (1, 6)); // the newline ends line 1
        assert_eq!(line_col(text, 12), (2, 1));
        assert_eq!(line_col(text, 16), (2, 2)); // x, after a 4-byte character
    }

    #[test]
    fn line_col_of_an_offset_inside_a_character_or_past_the_end() {
        let text = "\u{20ac}\n\u{1f600}";
        // Inside a character: the character's own position.
        assert_eq!(line_col(text, 1), (1, 1));
        assert_eq!(line_col(text, 2), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        assert_eq!(line_col(text, 7), (2, 1));
        // At or past the end: just after the last character.
        assert_eq!(line_col(text, text.len()), (2, 2));
        assert_eq!(line_col(text, text.len() + 10), (2, 2));
        assert_eq!(line_col("", 0), (1, 1));
        assert_eq!(line_col("", 3), (1, 1));
        assert_eq!(line_col("a\n", 2), (2, 1));
    }

    #[test]
    fn positions_map_offsets_in_any_order_like_line_col() {
        let text = "ab\n\u{e9}\u{1f600}c\n\n\u{20ac}x\n";
        let mut forward = Positions::new(text);
        let offsets: Vec<usize> = (0..=text.len() + 2).collect();
        for &o in offsets
            .iter()
            .chain(offsets.iter().rev())
            .chain([&7, &1, &12])
        {
            assert_eq!(forward.line_col(o), line_col_by_counting(text, o), "{o}");
        }
    }

    /// `line_col` as it was written first: counting from the start.
    fn line_col_by_counting(text: &str, offset: usize) -> (usize, usize) {
        let before = &text[..floor_char_boundary(text, offset.min(text.len()))];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |p| p + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    #[test]
    fn char_to_byte_with_multibyte_text() {
        let text = "a\u{e9}\u{20ac}\u{1f600}b";
        let bytes: Vec<usize> = (0..=6).map(|c| char_to_byte(text, c)).collect();
        assert_eq!(bytes, [0, 1, 3, 6, 10, 11, 11]);
        assert_eq!(char_to_byte("", 0), 0);
        assert_eq!(char_to_byte("", 5), 0);
        // The inverse of line_col on one line.
        for c in 0..5 {
            assert_eq!(line_col(text, char_to_byte(text, c)), (1, c + 1));
        }
    }

    #[test]
    fn finds_line_comments_outside_literals_only() {
        let sql =
            "-- one\nSELECT '--no', \"--no\", $$ -- no $$; -- two\n/* -- no */ SELECT 1 --three";
        let lexed = lex(sql).unwrap();
        let found: Vec<&str> = lexed
            .line_comments
            .iter()
            .map(|&i| sql[i..].lines().next().unwrap())
            .collect();
        assert_eq!(found, ["-- one", "-- two", "--three"]);
    }

    #[test]
    fn statement_bounds_and_keywords() {
        let sql = "  -- lead\n  create unique index i on t (x) -- tail\n ;\n\nvacuum";
        let statements = split(sql).unwrap();
        let bounds: Vec<(&str, &[String])> = statements
            .iter()
            .map(|s| (&sql[s.start..s.end], s.keywords.as_slice()))
            .collect();
        assert_eq!(
            bounds,
            [
                (
                    "create unique index i on t (x)",
                    &["CREATE".to_owned(), "UNIQUE".to_owned(), "INDEX".to_owned()][..]
                ),
                ("vacuum", &["VACUUM".to_owned()][..]),
            ]
        );
    }

    #[test]
    fn quotes_escapes_and_identifiers() {
        let sql = "INSERT INTO [odd;name] VALUES ('it''s; fine', e'\\'; still', `a;b`, \"c\"\";d\");\nSELECT a$b, $\u{e9}$ ; $\u{e9}$ FROM t;\nSELECT x[1], y::int[] FROM [t;u]";
        assert_eq!(
            texts(sql),
            [
                "INSERT INTO [odd;name] VALUES ('it''s; fine', e'\\'; still', `a;b`, \"c\"\";d\")",
                "SELECT a$b, $\u{e9}$ ; $\u{e9}$ FROM t",
                "SELECT x[1], y::int[] FROM [t;u]",
            ]
        );
    }

    #[test]
    fn reports_unterminated_identifiers_and_escaped_strings() {
        for (sql, what, start) in [
            ("SELECT `abc", "quoted identifier", 7),
            ("SELECT * FROM [abc", "bracketed identifier", 14),
            ("SELECT E'abc\\'", "string", 8),
            ("SELECT 'it''s", "string", 7),
            ("SELECT 1 /* a /* b */", "block comment", 9),
            ("\u{e9}; SELECT $t$ $T$", "dollar-quoted string", 11),
        ] {
            let e = split(sql).unwrap_err();
            assert_eq!((e.what, e.start), (what, start), "{sql}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// Any text lexes or reports an unterminated literal; never a panic,
        /// and every statement lies inside the text, in order.
        #[test]
        fn any_text_lexes_without_a_panic(text in "\\PC{0,200}") {
            if let Ok(lexed) = lex(&text) {
                let mut last = 0;
                for s in &lexed.statements {
                    proptest::prop_assert!(last <= s.start && s.start < s.end && s.end <= text.len());
                    last = s.end;
                }
            }
        }

        /// Statements joined with `;` are split back into the same ones.
        #[test]
        fn statements_joined_are_split_back(
            parts in proptest::collection::vec("[A-Za-z_][A-Za-z0-9_ ,.=<>+*]{0,30}[A-Za-z0-9_]", 1..8)
        ) {
            let text = parts.join(";\n");
            let statements = split(&text).unwrap();
            let back: Vec<&str> = statements.iter().map(|s| &text[s.start..s.end]).collect();
            let expected: Vec<&str> = parts.iter().map(|p| p.trim()).collect();
            proptest::prop_assert_eq!(back, expected);
        }
    }
}
